"""How a PostgreSQL page sorted by date walks its date windows (``windows``, ``queries._walk``): the
events a window may hold, the plan each window's query is steered to, and when the walk turns from
btree walks to bitmaps. SQLite walks every window alike (each is an FTS rowid range): every function
here is a no-op or a constant answer there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from sqlalchemy import Connection, text

from .search_postgres import month_tokens
from .search_sqlite import day_number

# a walked window holds up to about this many events (those the other filters select): the planner
# plans a walk in the page's order, which stops at the page's end, only if it expects enough
# matches; if not (``ab band``: 5 expected), it reads the whole window by any index
WINDOW_SCAN_EVENTS = 5_000
# a walk of date windows is judged once its windows have read about this many events (those the
# other filters select): fewer, and finding no match says little about the rest
SAMPLE_EVENTS = 500
# a GIN bitmap index scan costs about this many times less per event it lists than a walk per event
# it reads (EXPLAIN ANALYZE at 1M events under load: 2-4 us per listed event, 20 us per walked one)
GIN_LISTING_RATIO = 10


def events_per_day(conn: Connection, filters: list[str], params: Mapping[str, object],
                   stored: tuple[str | None, str | None]) -> float:
    """About how many events the ``filters`` (SQL conditions, ANDed) select per day between the
    store's first and last dates (``stored``, ISO) (PostgreSQL's planner estimate; SQLite: 0, as
    its windows are FTS rowid ranges and need no plan)."""
    if conn.dialect.name != "postgresql" or (days := _stored_days(stored)) is None:
        return 0.0
    plan = conn.execute(text("EXPLAIN (FORMAT JSON) SELECT 1 FROM events"
                             + (" WHERE " + " AND ".join(filters) if filters else "")), dict(params)).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return max(float(plan[0]["Plan"]["Plan Rows"]), 0.0) / max(days, 1)


def plan_window(conn: Connection, bitmap: bool) -> None:
    """Steer the plan of the next window's query (PostgreSQL): a walked window (``bitmap`` False)
    reads the date (or place) btree in the page's order, each event tested for the words, and stops
    at the page's end; once the matches are known to be sparse (``by_bitmap``), a window is read
    through bitmaps (the GIN index, ANDed with the window's btree range) and sorted. PostgreSQL's
    planner multiplies the words' frequencies as if independent, so it expects few matches for
    words that occur together (an actor's name: 53 expected, 48,592 found) and reads every match
    through the GIN index; and it costs a btree walk as if most of its rows were cached, so it
    walks the date index past 20,000 events for a word on one event in 200 (``kajaki``)."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql("SELECT set_config('enable_bitmapscan', %(b)s, true), set_config('enable_indexscan', %(i)s, true)",
                         {"b": "on" if bitmap else "off", "i": "off" if bitmap else "on"})


def by_bitmap(conn: Connection, found: int, walked: float, want: int, listed: float) -> bool:
    """Whether a walk's next windows should be read through bitmaps (PostgreSQL; SQLite walks
    every window, as each is an FTS rowid range): ``found`` matches in the windows walked, which
    held about ``walked`` events the other filters select; ``want`` rows wanted in all; ``listed``:
    the events the GIN index lists for a bitmap window (``TextCondition.narrow_events``). At the
    rate walked so far, walking on reads ``(want - found) * walked / found`` events; a bitmap
    window about one block per match, and the GIN listing (``GIN_LISTING_RATIO``); the cheaper one
    wins, once the windows walked held ``SAMPLE_EVENTS`` events or more (fewer tell no rate)."""
    if conn.dialect.name != "postgresql" or walked < SAMPLE_EVENTS:
        return False
    if found == 0:
        return True
    return (want - found) * walked / found > (want - found) + listed / GIN_LISTING_RATIO


def month_events(rows: float, stored: tuple[str | None, str | None]) -> float:
    """About how many events a month token lists: the table's ``rows`` over the months between
    the store's first and last dates (``stored``, ISO); 0 if unknown."""
    days = _stored_days(stored)
    return 0.0 if days is None else rows * 30.44 / max(days, 30.44)


def _stored_days(stored: tuple[str | None, str | None]) -> int | None:
    """The days from the store's first to its last date (``stored``, ISO), both counted; None if unknown."""
    try:
        return day_number(stored[1] or "") - day_number(stored[0] or "") + 1
    except (TypeError, ValueError):
        return None


def window_tokens(fixed: str, first: date, last: date, listed: float, per_month: float) -> str:
    """The filter tokens of the window ``first`` to ``last``: the query's ``fixed`` ones
    (``TextCondition.tokens``, possibly empty) and the window's months, ORed, unless the GIN index
    would read more for them: it drives a scan by the entries rarer than the rest, one by one, until
    they alone decide, so a word listing ``listed`` events, more than one month's ``per_month``
    but fewer than all of the window's, is driven by every month (1M events, ``clashes`` with 30
    months: 250,000 entries read in 78 ms for the word's 39,000)."""
    months = month_tokens(first, last) or ""
    count = months.count("|") + 1
    if per_month < listed < per_month * count:
        months = ""
    return " & ".join(t for t in (fixed, months) if t)
