"""Date windows: a page of events sorted by date, found window by window from the page's start.

A free-text page sorted by date needs its first matches in date order, not every match. The page's
date range (``since``/``until``, the cursor's date, the dates the store holds) is cut into windows
from the page's start (the first ``FIRST_DAYS`` days), each sized by what the ones before found
(``following``; ``GROWTH`` times the last if nothing), so that a word on most events is answered
from a day or two and a rare one in a few steps.

Guarantee: the windows partition the range, in the page's order, with no day in two of them and
none left out; every event of an earlier window sorts before every event of a later one, so the
page is the events of the first windows, each window's in the page's order, concatenated until it
is full: exactly the page the whole range would give.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

FIRST_DAYS = 2
GROWTH = 4


@dataclass(frozen=True)
class Window:
    """The days ``first`` to ``last`` (inclusive, ``first <= last``)."""

    first: date
    last: date

    def params(self) -> dict[str, str]:
        """The window as the page query's ``:wlo``/``:whi`` parameters (ISO dates)."""
        return {"wlo": self.first.isoformat(), "whi": self.last.isoformat()}


def following(span: tuple[date, date], previous: Window | None, days: int, descending: bool) -> Window | None:
    """The window of up to ``days`` days (at least one) that follows ``previous`` in the page's order
    within the days ``span`` (the first window: at the span's start); None past the span's end."""
    low, high, days = span[0].toordinal(), span[1].toordinal(), max(1, days)
    if previous is not None:
        if descending:
            high = previous.first.toordinal() - 1
        else:
            low = previous.last.toordinal() + 1
    if low > high:
        return None
    first, last = (max(low, high - days + 1), high) if descending else (low, min(high, low + days - 1))
    return Window(date.fromordinal(first), date.fromordinal(last))


def windows(lo: date, hi: date, descending: bool) -> Iterator[Window]:
    """The windows of the days ``lo`` to ``hi``, each ``GROWTH`` times the one before: newest first
    if ``descending``, else oldest first; none if ``lo > hi``."""
    window, days = None, FIRST_DAYS
    while (window := following((lo, hi), window, days, descending)) is not None:
        yield window
        days *= GROWTH


def parse_day(value: object) -> date | None:
    """``value`` as a date if it is an ISO date (or starts with one), else None."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
