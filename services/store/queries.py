"""The read path: merged events by id, filtered pages with cursors, and grouped counts.

Reads never take a writer's lock and never change a row. A page's cursor carries the sort value
and id of its last event, so walking the cursors visits every event that matches exactly once, in
order, however deep the page.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Connection, Engine, bindparam, text

from . import search, search_walk, windows

SORTS = {"-event_date": ("event_date", "DESC"), "event_date": ("event_date", "ASC"),
         "-fatalities": ("fatalities", "DESC"), "fatalities": ("fatalities", "ASC")}
STATS_BY = {"day": "event_date", "admin1": "admin1", "event_type": "event_type", "country": "country",
            "sub_event_type": "sub_event_type"}


class BadQuery(ValueError):
    """A query the API should answer with 400 and this message."""

    kind = "bad_query"


@dataclass
class EventQuery:
    """What an analyst asks for: filters (all optional, combined with AND), a sort and a page."""

    since: date | None = None
    until: date | None = None
    country: str | None = None
    admin1: str | None = None
    admin2: str | None = None
    actor: str | None = None
    event_type: str | None = None
    sub_event_type: str | None = None
    min_fatalities: int | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat
    q: str | None = None
    # analysts' reviews (``review``): these statuses only; none given, every status but rejected
    review_status: tuple[str, ...] = ()
    reviewed: bool | None = None  # True: confirmed or corrected (or rejected, if asked for); False: unreviewed
    sort: str = "-event_date"
    cursor: str | None = None
    limit: int = 100


def encode_cursor(sort_value, event_id: str) -> str:
    """An opaque cursor that ``decode_cursor`` reads back as ``(sort_value, event_id)``."""
    return base64.urlsafe_b64encode(json.dumps([sort_value, event_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple:
    """``(sort_value, event_id)`` from a cursor ``encode_cursor`` made; ``BadQuery`` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, event_id = json.loads(raw)
        if not isinstance(event_id, str) or "\x00" in event_id or len(event_id) > 128:
            raise ValueError
        return value, event_id
    except Exception as exc:
        raise BadQuery("cursor is not one this API issued") from exc


def _cursor_fits(column: str, value) -> bool:
    if column == "fatalities":
        return type(value) is int and -2**31 <= value < 2**31
    return isinstance(value, str) and len(value) <= 32 and "\x00" not in value


# (connection, q, the other filters (``search.FIELDS``, dates ISO), windowed) -> condition: ``search.condition``
TextSearch = Callable[[Connection, str, Mapping[str, str | None], bool], search.TextCondition]


def filter_conditions(q: EventQuery, conn: Connection, text_search: TextSearch,
                      windowed: bool = False) -> tuple[list[str], dict]:
    """The query's filters as SQL conditions (joined with AND) and their parameters; ``q`` through
    ``text_search`` (the full-text index, ``search.condition``), asked for one date window's
    condition if ``windowed``: then the parameters hold ``klo`` and ``khi`` (None), which the caller
    sets per window (``search.window_keys``), and on PostgreSQL ``fts_tokens``, the filter tokens
    the caller ANDs each window's months with (``search_walk.window_tokens``)."""
    where: list[str] = []
    params: dict[str, object] = {}
    if q.since:
        where.append("event_date >= :since")
        params["since"] = q.since.isoformat()
    if q.until:
        where.append("event_date <= :until")
        params["until"] = q.until.isoformat()
    for col in ("country", "admin1", "admin2", "event_type", "sub_event_type"):
        value = getattr(q, col)
        if value:
            where.append(f"{col} = :{col}")
            params[col] = value
    if q.actor:
        where.append("(actor1 = :actor OR actor2 = :actor)")
        params["actor"] = q.actor
    if q.min_fatalities is not None:
        where.append("fatalities >= :min_fatalities")
        params["min_fatalities"] = q.min_fatalities
    if q.bbox:
        min_lon, min_lat, max_lon, max_lat = q.bbox
        where.append("latitude BETWEEN :min_lat AND :max_lat AND longitude BETWEEN :min_lon AND :max_lon")
        params.update(min_lat=min_lat, max_lat=max_lat, min_lon=min_lon, max_lon=max_lon)
    if q.q:
        try:
            fields = {name: getattr(q, name) for name in search.FIELDS}
            fields.update(since=q.since.isoformat() if q.since else None, until=q.until.isoformat() if q.until else None)
            found = text_search(conn, q.q, fields, windowed)
        except search.BadSearch as exc:
            raise BadQuery(str(exc)) from exc
        where.append(found.sql)
        params["fts"] = found.param
        if found.index_param is not None:
            params["fts_index"] = found.index_param
        if found.narrow_param is not None:
            params.update(fts_narrow=found.narrow_param, fts_narrow_events=found.narrow_events)
        if found.tokens is not None:
            params["fts_tokens"] = found.tokens
        if found.windowed:
            params.update(klo=None, khi=None, fts_rows=found.table_rows)
    _review_where(q, where, params)
    return where, params


_STATUSES = ("unreviewed", "confirmed", "corrected", "rejected")  # ``review.ReviewStatus``
_SHOWN = ("unreviewed", "confirmed", "corrected")


def _review_where(q: EventQuery, where: list[str], params: dict) -> None:
    """Rejected events are left out unless ``review_status`` asks for them. The statuses wanted
    are listed (``events_review_status`` serves a list of few), but the default, every status but
    rejected, is a cheap check beside the other filters' indexes."""
    wanted = [s for s in _STATUSES if s in q.review_status] if q.review_status else list(_SHOWN)
    if q.reviewed is not None:
        wanted = [s for s in wanted if (s != "unreviewed") == q.reviewed]
    if wanted == list(_SHOWN):
        where.append("review_status <> 'rejected'")
    elif not wanted:
        where.append("1 = 0")
    else:
        names = [f"rs{i}" for i in range(len(wanted))]
        where.append(f"review_status IN ({', '.join(':' + n for n in names)})")
        params.update(zip(names, wanted, strict=True))


def _store_dates(conn: Connection) -> tuple[str | None, str | None]:
    """The first and last dates the store holds (None, None if it holds no events)."""
    first, last = conn.execute(text("SELECT (SELECT MIN(event_date) FROM events), (SELECT MAX(event_date) FROM events)")).one()
    return first, last


def _date_span(conn: Connection, q: EventQuery, direction: str, cursor_value,
               stored: tuple[str | None, str | None]) -> tuple[date, date] | None:
    """The days a page sorted by date can hold: the query's dates, narrowed by the cursor's, within
    those the store holds; None if it holds none (its dates are ISO days, as the contract has them)."""
    lo, hi = q.since, q.until
    if cursor_value is not None:
        at = windows.parse_day(cursor_value)
        if at is None:
            return None
        if direction == "DESC":
            hi = min(hi, at) if hi else at
        else:
            lo = max(lo, at) if lo else at
    if lo is None or hi is None:
        first, last = stored
        lo = lo or windows.parse_day(first)
        hi = hi or windows.parse_day(last)
    if lo is None or hi is None:  # no events, or dates that are not ISO days
        return None
    return lo, hi


def _walk(conn: Connection, sql, params: dict, span: tuple[date, date], descending: bool, want: int,
          per_day: float) -> list:
    """Up to ``want`` rows of the page query ``sql`` (in the page's order), window by window from the
    page's start (``windows``): each window's rows follow the previous windows' in the page's order.
    A window is sized for the rows still wanted at the rate the windows before found them;
    ``per_day``: about how many events a day the filters but ``q`` select (``search_walk.by_bitmap``).
    PostgreSQL walks each window's btree in the page's order until the matches prove sparse, then
    reads the next windows through bitmaps (GIN and the window's btree range); none found by then:
    the rest of the span in one."""
    rows: list = []
    window, days, walked, bitmap, planned = None, windows.FIRST_DAYS, 0, False, None
    while (window := windows.following(span, window, days, descending)) is not None:
        if bitmap != planned:  # one round trip per change of plan, not per window
            search_walk.plan_window(conn, bitmap)
            planned = bitmap
        p = {**params, **window.params(), "limit": want - len(rows)}
        if bitmap and rows and "fts_narrow" in params:  # a window sized by the rate (``search.condition``)
            p["fts_index"] = params["fts_narrow"]
        p.update(search.window_keys(p["wlo"], p["whi"]))
        if "fts_tokens" in params:  # PostgreSQL: the window's months for the GIN index
            p["fts_tokens"] = search_walk.window_tokens(params["fts_tokens"], window.first, window.last,
                                                        float(params.get("fts_narrow_events", 0.0)),
                                                        float(params.get("fts_month_events", 0.0)))
        rows += conn.execute(sql, p).all()
        width = (window.last - window.first).days + 1
        walked += width
        if len(rows) >= want:
            break
        left = (window.first - span[0]).days if descending else (span[1] - window.last).days
        bitmap = bitmap or search_walk.by_bitmap(conn, len(rows), per_day * walked, want,
                                            float(params.get("fts_narrow_events", 0.0)))
        if rows:
            days = math.ceil((want - len(rows)) * walked / len(rows) * 1.5)
        else:
            days = left if bitmap else width * windows.GROWTH
        if per_day > 0 and not bitmap:  # PostgreSQL: a walked window of a bounded number of events
            days = min(days, max(1, math.floor(search_walk.WINDOW_SCAN_EVENTS / per_day)))
    return rows


class EventReader:
    """Answers the API's questions from the ``events`` and ``reports`` tables, on either database
    (the SQL here is portable but for free text, ``search``)."""

    def __init__(self, engine: Engine, text_search: TextSearch = search.condition) -> None:
        self.engine = engine
        self.text_search = text_search

    def get(self, event_id: str) -> dict | None:
        """A merged event by its id, or by the id of any report it merged."""
        with self.engine.connect() as conn:
            payload = conn.execute(text("SELECT payload FROM events WHERE event_id = :id"), {"id": event_id}).scalar()
            if payload is None:
                cluster = conn.execute(text("SELECT cluster_id FROM reports WHERE event_id = :id"),
                                       {"id": event_id}).scalar()
                if cluster:
                    payload = conn.execute(text("SELECT payload FROM events WHERE event_id = :id"),
                                           {"id": cluster}).scalar()
        return json.loads(payload) if payload else None

    def query(self, q: EventQuery) -> tuple[list[dict], str | None]:
        """One page of merged events and the cursor of the next page (None on the last)."""
        raw, cursor = self.query_raw(q)
        return [json.loads(p) for p in raw], cursor

    def query_raw(self, q: EventQuery) -> tuple[list[str], str | None]:
        """Like ``query`` but the events stay the JSON text they are stored as: the API splices them
        into its response instead of decoding and re-encoding every one."""
        if q.sort not in SORTS:
            raise BadQuery(f"sort must be one of {', '.join(SORTS)}")
        column, direction = SORTS[q.sort]
        value = last_id = None
        if q.cursor:
            value, last_id = decode_cursor(q.cursor)
            if not _cursor_fits(column, value):  # a cursor from another sort, or made up
                raise BadQuery(f"cursor is not one this API issued for sort={q.sort}")
        with self.engine.connect() as conn:
            walk = bool(q.q) and column == "event_date" and windows.parse_day(value or "0001-01-01") is not None
            where, params = filter_conditions(q, conn, self.text_search, walk)
            # the page's days, asked only of a condition that walks them (a rare word's does not)
            stored = _store_dates(conn) if "klo" in params else (None, None)
            span = _date_span(conn, q, direction, value, stored) if "klo" in params else None
            if "klo" in params and span is None:  # no events: the page is empty either way
                return [], None
            if q.cursor:
                op = "<" if direction == "DESC" else ">"
                # the first, redundant bound is one an index can start from: without it a deep page
                # scanned every event before it (PostgreSQL, 1M events, a page in 2024: 680 ms -> 2 ms)
                where.append(f"{column} {op}= :cv AND ({column} {op} :cv OR ({column} = :cv AND event_id > :cid))")
                params.update(cv=value, cid=last_id)
            if span is not None:
                where.append("event_date BETWEEN :wlo AND :whi")
            sql = f"SELECT event_id, {column}, payload FROM events"
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += f" ORDER BY {column} {direction}, event_id ASC LIMIT :limit"
            if span is not None:
                plain, plain_params = filter_conditions(replace(q, q=None, since=None, until=None), conn, self.text_search)
                per_day = search_walk.events_per_day(conn, plain, plain_params, stored)
                params["fts_month_events"] = search_walk.month_events(float(params["fts_rows"]), stored)
                rows = _walk(conn, text(sql), params, span, direction == "DESC", q.limit + 1, per_day)
            else:
                rows = list(conn.execute(text(sql), {**params, "limit": q.limit + 1}).all())
        page = rows[: q.limit]
        cursor = encode_cursor(page[-1][1], page[-1][0]) if len(rows) > q.limit and page else None
        return [p for _, _, p in page], cursor

    def stats(self, q: EventQuery, by: str) -> list[dict]:
        """Events and fatalities matching ``q``'s filters, counted per value of ``by``
        (``STATS_BY``), in that value's order."""
        if by not in STATS_BY:
            raise BadQuery(f"by must be one of {', '.join(STATS_BY)}")
        col = STATS_BY[by]
        with self.engine.connect() as conn:
            where, params = filter_conditions(q, conn, self.text_search)
            sql = f"SELECT {col} AS k, COUNT(*) AS n, COALESCE(SUM(fatalities), 0) AS f FROM events"
            if where:
                sql += " WHERE " + " AND ".join(where)
            sql += f" GROUP BY {col} ORDER BY {col}"
            return [{by: k, "events": n, "fatalities": int(f)} for k, n, f in conn.execute(text(sql), params)]

    def count(self) -> int:
        """How many merged events the store holds."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM events")).scalar_one()

    def count_reports(self) -> int:
        """How many reports the store holds."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM reports")).scalar_one()

    def matching(self, q: EventQuery, ids: list[str]) -> dict[str, str]:
        """Those of the events ``ids`` that ``q``'s filters select, by id, as their stored JSON: a
        saved search matches exactly what ``/events`` with the same filters lists."""
        if not ids:
            return {}
        with self.engine.connect() as conn:
            where, params = filter_conditions(q, conn, self.text_search)
            where.append("event_id IN :ids")
            sql = text("SELECT event_id, payload FROM events WHERE " + " AND ".join(where)).bindparams(
                bindparam("ids", expanding=True))
            return dict(conn.execute(sql, {**params, "ids": sorted(set(ids))}).all())
