"""Date windows: a page of events sorted by date, found window by window from the page's start.

A free-text page sorted by date needs its first matches in date order, not every match. The page's
date range (``since``/``until``, the cursor's date, the dates the store holds) is cut into windows
from the page's start, each ``GROWTH`` times the span of the one before (the first ``FIRST_DAYS``
days), so that a word on most events is answered from a day or two and a rare one in a few steps.

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


def windows(lo: date, hi: date, descending: bool) -> Iterator[Window]:
    """The windows of the days ``lo`` to ``hi``: newest first if ``descending``, else oldest first;
    none if ``lo > hi``."""
    low, high, span = lo.toordinal(), hi.toordinal(), FIRST_DAYS
    while low <= high:
        if descending:
            first, last = max(low, high - span + 1), high
            high = first - 1
        else:
            first, last = low, min(high, low + span - 1)
            low = last + 1
        yield Window(date.fromordinal(first), date.fromordinal(last))
        span *= GROWTH


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
