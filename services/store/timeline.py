"""``GET /events/timeline``: events and fatalities per day or per week for any ``/events`` filter.

The database counts per day (the same portable SQL on SQLite and PostgreSQL, on the indexed
``event_date`` column); weeks (ISO weeks, named by their Monday) are folded from the days here,
so both databases give the same answer. Days or weeks without events are listed with zeros
between the first and the last one, so the series can be drawn as it is; at most ``MAX_BUCKETS``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from enum import StrEnum

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from . import search
from .queries import BadQuery, EventQuery, filter_conditions

MAX_BUCKETS = 3700  # ten years of days


class Interval(StrEnum):
    """What one bar of the timeline counts."""

    DAY = "day"
    WEEK = "week"


def _start(day: date, interval: Interval) -> date:
    return day if interval is Interval.DAY else day - timedelta(days=day.weekday())


def timeline(engine: Engine, q: EventQuery, interval: Interval) -> list[dict]:
    """``[{"start": "YYYY-MM-DD", "events": n, "fatalities": n}, ...]`` in date order, gaps filled."""
    with engine.connect() as conn:
        where, params = filter_conditions(q, conn, search.condition)
        sql = "SELECT event_date, COUNT(*), COALESCE(SUM(fatalities), 0) FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " GROUP BY event_date ORDER BY event_date"
        rows = conn.execute(text(sql), params).all()
    buckets: dict[date, list[int]] = {}
    for day, n, fatalities in rows:
        b = buckets.setdefault(_start(date.fromisoformat(day), interval), [0, 0])
        b[0] += int(n)
        b[1] += int(fatalities)
    if not buckets:
        return []
    step = timedelta(days=1 if interval is Interval.DAY else 7)
    first, last = min(buckets), max(buckets)
    if (last - first) // step >= MAX_BUCKETS:
        raise BadQuery(f"the timeline would have more than {MAX_BUCKETS} {interval.value}s: narrow since/until "
                       "or use interval=week")
    out, at = [], first
    while at <= last:
        n, fatalities = buckets.get(at, (0, 0))
        out.append({"start": at.isoformat(), "events": n, "fatalities": fatalities})
        at += step
    return out


def timeline_routes(engine: Callable[[], Engine], filters: Callable[..., EventQuery]) -> APIRouter:
    """The ``/events/timeline`` route over the store's database, with the ``/events`` filters."""
    router = APIRouter()

    @router.get("/events/timeline", summary="Events and fatalities per day or week for the /events filters")
    def get_timeline(q: EventQuery = Depends(filters),  # noqa: B008 - FastAPI's idiom
                     interval: Interval = Query(Interval.DAY, description="day or week (weeks start on Monday)"),
                     ) -> JSONResponse:
        return JSONResponse({"interval": interval.value, "buckets": timeline(engine(), q, interval)})

    return router
