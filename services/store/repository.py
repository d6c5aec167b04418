"""The events database: reports as they arrive, merged events as analysts see them.

* ``reports``: one row per extracted event (``event_id`` from one story), its JSON and the
  cluster it belongs to.
* ``events``: one row per real-world event (a cluster of reports), with the merged JSON and the
  columns the API filters and sorts on. Its id is the smallest member report id.
* ``story_links``: stories that near-duplicate another one; their outlets become sources of the
  original story's events.

Writes are idempotent and order-independent: a report is rewritten only when its JSON changed,
clusters are recomputed as connected components of the affected neighbourhood (``merge.py``), and
a merged row is rewritten only when its JSON changed. Nothing time-dependent is stored, so
replaying the events topic from offset 0, in any partition order, changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

import orjson
from sqlalchemy import Engine, text

from services.common.codec import Codec
from services.common.contracts import Event, Story
from services.common.database import make_engine, migrate

from . import merge

MIGRATIONS = [
    [
        """CREATE TABLE events (
            event_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, event_date TEXT NOT NULL,
            date_precision TEXT NOT NULL, event_type TEXT NOT NULL, sub_event_type TEXT NOT NULL,
            actor1 TEXT, actor2 TEXT, country TEXT, admin1 TEXT, admin2 TEXT, location TEXT,
            latitude DOUBLE PRECISION, longitude DOUBLE PRECISION, geo_precision INTEGER,
            fatalities INTEGER NOT NULL, confidence DOUBLE PRECISION NOT NULL, payload TEXT NOT NULL
        )""",
        """CREATE TABLE event_sources (
            event_id TEXT NOT NULL, url TEXT NOT NULL, story_id TEXT NOT NULL, outlet TEXT NOT NULL,
            published_at TEXT, PRIMARY KEY (event_id, url)
        )""",
    ],
    # 2: reports are kept apart from the merged events they form
    [
        """CREATE TABLE reports (
            event_id TEXT PRIMARY KEY,
            story_id TEXT NOT NULL,
            country TEXT,
            admin1 TEXT,
            event_type TEXT NOT NULL,
            event_date TEXT NOT NULL,
            cluster_id TEXT,
            payload TEXT NOT NULL
        )""",
        "INSERT INTO reports (event_id, story_id, country, admin1, event_type, event_date, payload) "
        "SELECT event_id, story_id, country, admin1, event_type, event_date, payload FROM events",
        "CREATE INDEX reports_place_date ON reports (admin1, event_date)",
        "CREATE INDEX reports_cluster ON reports (cluster_id)",
        "CREATE INDEX reports_story ON reports (story_id)",
        "DROP TABLE event_sources",
        "DROP TABLE events",
        """CREATE TABLE events (
            event_id TEXT PRIMARY KEY,
            event_date TEXT NOT NULL,
            date_precision TEXT NOT NULL,
            event_type TEXT NOT NULL,
            sub_event_type TEXT NOT NULL,
            actor1 TEXT,
            actor2 TEXT,
            country TEXT,
            admin1 TEXT,
            admin2 TEXT,
            location TEXT,
            latitude DOUBLE PRECISION,
            longitude DOUBLE PRECISION,
            geo_precision INTEGER,
            fatalities INTEGER NOT NULL,
            n_sources INTEGER NOT NULL,
            confidence DOUBLE PRECISION NOT NULL,
            evidence_text TEXT NOT NULL,
            payload TEXT NOT NULL
        )""",
        "CREATE INDEX events_date ON events (event_date, event_id)",
        "CREATE INDEX events_admin1_date ON events (admin1, event_date, event_id)",
        "CREATE INDEX events_admin2_date ON events (admin2, event_date)",
        "CREATE INDEX events_type_date ON events (event_type, event_date)",
        "CREATE INDEX events_country_date ON events (country, event_date)",
        "CREATE INDEX events_actor1 ON events (actor1, event_date)",
        "CREATE INDEX events_actor2 ON events (actor2, event_date)",
        "CREATE INDEX events_fatalities ON events (fatalities, event_id)",
        "CREATE INDEX events_lat_lon ON events (latitude, longitude)",
        """CREATE TABLE story_links (
            story_id TEXT PRIMARY KEY,
            original_story_id TEXT NOT NULL,
            outlet TEXT NOT NULL,
            url TEXT NOT NULL,
            published_at TEXT
        )""",
        "CREATE INDEX story_links_original ON story_links (original_story_id)",
    ],
    # 3: the fields the "same event" test reads, as columns, so that finding candidates needs no JSON
    [
        "ALTER TABLE reports ADD COLUMN admin2 TEXT",
        "ALTER TABLE reports ADD COLUMN date_precision TEXT",
        "ALTER TABLE reports ADD COLUMN latitude DOUBLE PRECISION",
        "ALTER TABLE reports ADD COLUMN longitude DOUBLE PRECISION",
        "ALTER TABLE reports ADD COLUMN geo_precision INTEGER",
        "ALTER TABLE reports ADD COLUMN actor1 TEXT",
        "ALTER TABLE reports ADD COLUMN actor2 TEXT",
        "UPDATE reports SET cluster_id = NULL",  # rebuilt on start, filling the new columns
        "CREATE INDEX reports_candidates ON reports (admin1, event_type, event_date)",
    ],
    # 4: reports_candidates serves every lookup reports_place_date did; one index less to maintain
    # on the write path
    [
        "DROP INDEX reports_place_date",
    ],
    # 5: candidates are looked up by date precision too: a day-precision report can only match
    # within its partner's tolerance (a day or so), so only week- and month-precision reports need
    # the month-wide window; this scans a tenth of the index entries it did
    [
        "CREATE INDEX reports_candidates_precision ON reports (admin1, event_type, date_precision, event_date)",
        "DROP INDEX reports_candidates",
    ],
    # 6: reports known only to their province no longer merge with each other (``merge.same_place``):
    # their clusters are formed again on start
    [
        "UPDATE reports SET cluster_id = NULL WHERE admin2 IS NULL OR admin2 = ''",
    ],
    # 7: the date index carries the coordinates, so a map query for a period (bbox + dates) rejects
    # the events outside the box in the index instead of fetching every event of the period from the
    # table (PostgreSQL, 1M events: 30-110 ms -> ~1-6 ms); it serves every date-ordered query
    # events_date did, and the number of indexes a write maintains stays the same
    [
        "CREATE INDEX IF NOT EXISTS events_date_place ON events (event_date, latitude, longitude, event_id)",
        "DROP INDEX IF EXISTS events_date",
    ],
]

_REPORT_COLUMNS = ("event_id", "story_id", "country", "admin1", "admin2", "event_type", "event_date",
                   "date_precision", "latitude", "longitude", "geo_precision", "actor1", "actor2", "payload")


_REPORT_ROW = (*_REPORT_COLUMNS, "cluster_id")


def _report_row(report: dict, payload: str) -> tuple:
    """A report's row (``_REPORT_ROW`` but the cluster id): the columns merging looks at, from
    ``report``, and its stored JSON ``payload`` as given (re-serialising it would change its form,
    and with it the replay guarantee). Rows are tuples: they go to the driver as they are,
    thousands per batch."""
    get = report.get
    actor1, actor2 = get("actor1"), get("actor2")
    return (report["event_id"], report["story_id"], get("country"), get("admin1"), get("admin2"),
            report["event_type"], report["event_date"], report["date_precision"], get("latitude"),
            get("longitude"), get("geo_precision"), actor1["name"] if actor1 else None,
            actor2["name"] if actor2 else None, payload)


_NAMED = re.compile(r":(\w+)")


def _driver_query(conn, sql: str, params: dict | list[dict]):
    """Run a write-path statement straight through the driver (a list of dicts: executemany).
    Compiling hundreds of bind parameters, and processing every row's parameters, in SQLAlchemy
    cost more than the statements themselves; ``:name`` placeholders are kept for both drivers."""
    if conn.dialect.paramstyle not in ("named", "qmark"):
        sql = _NAMED.sub(r"%(\1)s", sql)  # psycopg's named style
    return conn.exec_driver_sql(sql, params)


# Merging reads a neighbourhood and rewrites it: two writers doing so at once under READ COMMITTED
# could each miss the other's new reports. But clusters never span two buckets (``merge.bucket``),
# so writers that touch different buckets cannot interfere. PostgreSQL writers take
# transaction-scoped advisory locks: one per slot of buckets (``lock_slot``) they touch, after a
# shared hold on the whole store, which the few writes that cross buckets (near-duplicate links,
# rebuilds) take exclusively. Readers are never blocked; SQLite allows one writer anyway.
_WRITER_LOCK = 0x7769726577617463  # "wirewatc"; slot n is locked as _WRITER_LOCK + 1 + n
LOCK_SLOTS = 64  # a bounded number of locks per transaction, whatever the number of buckets


def lock_slot(bucket: tuple) -> int:
    """The lock slot of a bucket (``merge.bucket``): stable across processes (replicas must agree)."""
    return zlib.crc32("\x1f".join(map(str, bucket)).encode()) % LOCK_SLOTS


def _lock_store(conn) -> None:
    """Wait for every bucket writer to finish, and keep new ones out, until the transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITER_LOCK})")


def _lock_slots(conn, slots: set[int]) -> None:
    """Lock these slots until the transaction ends. Every writer takes all its locks at once, in
    ascending order, before it reads what it will rewrite: no two writers can deadlock."""
    if conn.dialect.name != "postgresql" or not slots:
        return
    keys = ", ".join(f"pg_advisory_xact_lock({_WRITER_LOCK + 1 + slot})" for slot in sorted(slots))
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock_shared({_WRITER_LOCK}), {keys}")


def _placeholder(conn) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _insert(conn, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Insert new rows (tuples in ``columns`` order) and return how many: COPY on PostgreSQL (a
    tenth of the per-row cost of an INSERT pipeline; the server stores rows as they are sent),
    executemany on SQLite. Both fail the same way on a duplicate key."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        count = 1
        with conn.connection.driver_connection.cursor() as cur, \
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            write = copy.write_row
            write(first)
            for row in rows:
                write(row)
                count += 1
        return count
    rows = list(rows)
    if rows:
        mark = _placeholder(conn)
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(mark for _ in columns)})", rows)
    return len(rows)


_NOT_TEXT = {"latitude": "float8", "longitude": "float8", "confidence": "float8", "geo_precision": "int",
             "fatalities": "int", "n_sources": "int"}


def _update(conn, table: str, columns: tuple[str, ...], rows: list[tuple], chunk: int = 5000) -> None:
    """Rewrite rows (tuples in ``columns`` order) by their key, the first column: one statement per
    ``chunk`` rows, from one JSON parameter (an executemany is a round trip per row)."""
    source = _records(conn, "v", "v", [(c, _NOT_TEXT.get(c, "text")) for c in columns])
    sql = (f"UPDATE {table} SET {', '.join(f'{c} = v.{c}' for c in columns[1:])} FROM {source} "
           f"WHERE {table}.{columns[0]} = v.{columns[0]}")
    for start in range(0, len(rows), chunk):
        _driver_query(conn, sql, {"v": orjson.dumps([dict(zip(columns, row, strict=True))
                                                     for row in rows[start:start + chunk]]).decode()})


def _light(row) -> dict:
    """A report rebuilt from its columns: everything ``merge.same_event`` looks at, no JSON."""
    r = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    r["actor1"] = {"name": r["actor1"]} if r.get("actor1") else None
    r["actor2"] = {"name": r["actor2"]} if r.get("actor2") else None
    return r

_EVENT_COLUMNS = ("event_id", "event_date", "date_precision", "event_type", "sub_event_type", "actor1", "actor2",
                  "country", "admin1", "admin2", "location", "latitude", "longitude", "geo_precision", "fatalities",
                  "n_sources", "confidence", "evidence_text", "payload")


def _stored_digests(conn, ids) -> dict[str, str]:
    """What the stored merged events say, to skip rewriting those that did not change: over the
    network an MD5 of each, not the JSON itself (a fortieth of the bytes to receive while the
    consumer thread competes for the interpreter); SQLite, in-process, compares the text."""
    column = "md5(convert_to(payload, 'UTF8'))" if conn.dialect.name == "postgresql" else "payload"
    return dict(_driver_query(conn, f"SELECT event_id, {column} FROM events WHERE {_any(conn, 'event_id', 'c')}",
                              {"c": _ids(sorted(ids))}).all())


def _digest(conn):
    if conn.dialect.name == "postgresql":
        return lambda payload: hashlib.md5(payload.encode(), usedforsecurity=False).hexdigest()
    return lambda payload: payload


SORTS = {"-event_date": ("event_date", "DESC"), "event_date": ("event_date", "ASC"),
         "-fatalities": ("fatalities", "DESC"), "fatalities": ("fatalities", "ASC")}


class PreparedReport(NamedTuple):
    """An event as the store keeps it, with everything that depends on it alone worked out in
    advance: ``prepare`` runs in the consuming thread while the previous batch is being written,
    so the writer, which is the pipeline's bottleneck, is left with what needs the database."""

    event_id: str
    payload: str  # the stored JSON
    data: dict  # that JSON decoded
    row: tuple  # its ``reports`` row without the cluster id
    window: str  # where its candidates are (``_window``), as JSON
    alone: tuple  # its ``events`` row for when it is an event of its own, with no republished copies
    slot: int  # its bucket's lock slot (``lock_slot``), which also picks its writer's shard


_EVENTS = Codec(Event)


def prepare(raw: bytes) -> PreparedReport:
    """Validate one ``Event`` message (pydantic's ``ValidationError`` if the contract refuses it)
    and work out all that depends on it alone. The canonical JSON is the stored form: the model's
    fields in declaration order and no free-form mappings, so equal reports give equal text."""
    canonical, data = _EVENTS.decode(raw)
    payload = canonical.decode()
    return PreparedReport(data["event_id"], payload, data, _report_row(data, payload),
                          orjson.dumps(_window(data)).decode(), _event_row(merge.merge([data])),
                          lock_slot(merge.bucket(data)))


class ConcurrentRevision(RuntimeError):
    """Another writer revised a report this batch revises: the batch is retried (it is idempotent)."""


class BadQuery(ValueError):
    """A query the API should answer with 400 and this message."""


@dataclass
class WriteResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    clusters_written: int = 0


@dataclass
class EventQuery:
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
    sort: str = "-event_date"
    cursor: str | None = None
    limit: int = 100


def _canonical_json(obj) -> str:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


# Lists travel as one JSON parameter that the database unpacks: the statement text stays the
# same from batch to batch, so neither driver re-parses a statement with thousands of
# placeholders, and PostgreSQL can keep it prepared. (A Python list as a PostgreSQL array cost
# psycopg a regular-expression match per element; orjson writes the JSON in one C call.)
def _any(conn, column: str, name: str) -> str:
    if conn.dialect.name == "postgresql":
        return f"{column} = ANY(ARRAY(SELECT json_array_elements_text(CAST(:{name} AS json))))"
    return f"{column} IN (SELECT value FROM json_each(:{name}))"


def _ids(values) -> str:
    return orjson.dumps(values if isinstance(values, list) else list(values)).decode()


_WINDOW_FIELDS = (("e", "text"), ("s", "text"), ("a", "text"), ("t", "text"), ("lo", "text"), ("hi", "text"),
                  ("lo2", "text"), ("hi2", "text"), ("d", "text"), ("gp", "int"), ("la", "float8"),
                  ("lb", "float8"), ("oa", "float8"), ("ob", "float8"))


def _records(conn, param: str, alias: str, fields) -> str:
    """A JSON array of objects as a table: json_to_recordset in PostgreSQL, json_each in SQLite."""
    if conn.dialect.name == "postgresql":
        return f"json_to_recordset(CAST(:{param} AS json)) AS {alias}({', '.join(f'{n} {t}' for n, t in fields)})"
    cols = ", ".join(f"value ->> '{n}' AS {n}" for n, _ in fields)
    return f"(SELECT {cols} FROM json_each(:{param})) AS {alias}"


def _windows_source(conn) -> str:
    return _records(conn, "w", "w", _WINDOW_FIELDS)


def _pairs_source(conn) -> str:
    return _records(conn, "v", "v", (("e", "text"), ("c", "text")))


# Stored reports that may be the same event as a changed one (one window per changed report).
# The SQL is a superset of merge.same_event, exact on province, type and story, loose on the rest (a
# 5 km radius becomes a box); merge.same_event then decides. Day-precision reports are looked for
# within the changed report's own tolerance, coarser ones within the widest tolerance: three ranges
# of the reports_candidates_precision index per window, one per precision.
_CANDIDATE_FILTER = (
    "r.story_id <> w.s AND (r.admin2 = w.d "
    "OR (w.gp = 1 AND r.geo_precision = 1 AND r.latitude >= w.la AND r.latitude <= w.lb "
    "AND r.longitude >= w.oa AND r.longitude <= w.ob))"
)
_CANDIDATES = "WITH w AS (SELECT * FROM {windows}) " + " UNION ALL ".join(
    "SELECT w.e AS wanted_by, {cols}, r.cluster_id FROM w JOIN reports r ON {place} AND r.event_type = w.t "
    f"AND r.date_precision = '{precision}' AND r.event_date >= w.{lo} AND r.event_date <= w.{hi} "
    "WHERE " + _CANDIDATE_FILTER
    for precision, lo, hi in (("day", "lo2", "hi2"), ("week", "lo", "hi"), ("month", "lo", "hi"))
)
_ANY_TOLERANCE = timedelta(days=merge.CANDIDATE_WINDOW_DAYS)


@lru_cache(maxsize=8192)
def _date_window(iso: str, precision: str) -> tuple[str, str, str, str]:
    """The widest candidate window around a date, and its own tolerance window (ISO dates)."""
    d = date.fromisoformat(iso)
    own = timedelta(days=merge.DATE_TOLERANCE_DAYS.get(precision, 1))
    return ((d - _ANY_TOLERANCE).isoformat(), (d + _ANY_TOLERANCE).isoformat(), (d - own).isoformat(),
            (d + own).isoformat())
_BOX_DEG = (merge.MAX_DISTANCE_KM + 0.5) / 111.0  # degrees of latitude that cover the merge radius


def _window(r: dict) -> dict:
    """Where to look for stored reports that may be the same event as ``r`` (``_WINDOW_FIELDS``)."""
    lo, hi, lo2, hi2 = _date_window(r["event_date"], r["date_precision"])
    w = {"e": r["event_id"], "s": r["story_id"], "a": r.get("admin1"), "t": r["event_type"], "lo": lo, "hi": hi,
         "lo2": lo2, "hi2": hi2, "d": r.get("admin2"), "gp": r.get("geo_precision"),
         "la": None, "lb": None, "oa": None, "ob": None}
    lat, lon = r.get("latitude"), r.get("longitude")
    if lat is not None and lon is not None and r.get("geo_precision") == 1:
        dlon = _BOX_DEG / max(math.cos(math.radians(min(abs(lat) + _BOX_DEG, 90.0))), 1e-9)
        if abs(lat) > 85 or abs(lon) + dlon > 180:
            oa, ob = -180.0, 180.0  # near a pole or across the antimeridian: latitude alone bounds it
        else:
            oa, ob = lon - dlon, lon + dlon
        w.update(la=lat - _BOX_DEG, lb=lat + _BOX_DEG, oa=oa, ob=ob)
    return w


def encode_cursor(sort_value, event_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_value, event_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple:
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


class EventRepository:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        migrate(self.engine, "store", MIGRATIONS)
        with self.engine.connect() as conn:
            stale = conn.execute(text("SELECT COUNT(*) FROM reports WHERE cluster_id IS NULL")).scalar_one()
        if stale:
            self.rebuild()  # reports carried over by a migration: form their clusters once

    def close(self) -> None:
        self.engine.dispose()

    # -- writes ----------------------------------------------------------------------------------

    def upsert_many(self, events: list[Event]) -> WriteResult:
        """Write a batch of reports in one transaction and re-merge what they touch."""
        return self.upsert_prepared([prepare(e.to_bytes()) for e in events])

    def upsert_prepared(self, reports: list[PreparedReport]) -> WriteResult:
        """``upsert_many`` for reports already ``prepare``d."""
        result = WriteResult()
        latest = {r.event_id: r for r in reports}  # the last version in a batch wins
        if not latest:
            return result
        with self.engine.begin() as conn:
            # Which reports are stored, as what and where, is read before any lock: a report is
            # written only by the consumer its partition is assigned to, so that cannot change meanwhile.
            existing: dict[str, str] = {}
            changed: dict[str, PreparedReport] = {}
            slots: set[int] = set()
            left: dict[str, tuple] = {}
            for eid, payload, *bucket in _driver_query(
                    conn, "SELECT event_id, payload, country, admin1, event_type FROM reports "
                          f"WHERE {_any(conn, 'event_id', 'ids')}", {"ids": _ids(latest)}):
                existing[eid] = payload
                if payload != latest[eid].payload:
                    # a revised report's old cluster changes too, and may be in another bucket
                    left[eid] = tuple(bucket)
                    slots.add(lock_slot(left[eid]))
            for eid, report in latest.items():
                if eid not in existing:
                    result.inserted += 1
                elif existing[eid] != report.payload:
                    result.updated += 1
                else:
                    result.unchanged += 1
                    continue
                changed[eid] = report
                slots.add(report.slot)
            if not changed:
                return result
            _lock_slots(conn, slots)  # all at once, in order, before the neighbourhood is read
            old_assignment = dict.fromkeys(changed)
            if left:  # clusters change with other writers' merges: read under the locks
                for eid, cluster, *bucket in _driver_query(
                        conn, "SELECT event_id, cluster_id, country, admin1, event_type FROM reports "
                              f"WHERE {_any(conn, 'event_id', 'ids')}", {"ids": _ids(left)}):
                    if tuple(bucket) != left[eid]:
                        # another writer revised it meanwhile (only when a key's versions reach two
                        # consumers, e.g. after partitions were added): the locks taken may be wrong
                        raise ConcurrentRevision(f"report {eid} was revised by another writer; retrying")
                    old_assignment[eid] = cluster
            affected, current, clusters, existing_rows = self._neighbourhood(conn, changed, old_assignment)
            groups = merge.components(affected)
            cluster_of = {eid: g[0] for g in groups for eid in g}
            # changed reports are written with their new cluster, so only their neighbours move
            new_rows, old_rows = [], []
            for eid, report in changed.items():
                current[eid] = cluster_of[eid]
                (old_rows if eid in existing else new_rows).append((*report.row, cluster_of[eid]))
            if new_rows:
                _insert(conn, "reports", _REPORT_ROW, new_rows)
            if old_rows:
                _update(conn, "reports", _REPORT_ROW, old_rows)
            alone = {eid: r.alone for eid, r in changed.items()}
            result.clusters_written = self._write_components(conn, affected, groups, clusters, existing_rows,
                                                             current, alone)
        return result

    def link_duplicates(self, stories: list[Story]) -> int:
        """Remember near-duplicate stories; their outlets join the original's events as sources.
        (An original story's events may be in any bucket: this locks the whole store.)"""
        rows = [{"story_id": s.story_id, "original_story_id": s.duplicate_of, "outlet": s.outlet, "url": s.url,
                 "published_at": s.published_at.isoformat() if s.published_at else None}
                for s in stories if s.duplicate_of]
        if not rows:
            return 0
        with self.engine.begin() as conn:
            _lock_store(conn)
            known = {sid for (sid,) in _driver_query(
                conn, f"SELECT story_id FROM story_links WHERE {_any(conn, 'story_id', 'ids')}",
                {"ids": _ids([r["story_id"] for r in rows])})}
            fresh = [r for r in rows if r["story_id"] not in known]
            if not fresh:
                return 0
            _driver_query(conn, "INSERT INTO story_links (story_id, original_story_id, outlet, url, published_at) "
                                "VALUES (:story_id, :original_story_id, :outlet, :url, :published_at)", fresh)
            clusters = {c for (c,) in _driver_query(
                conn, f"SELECT DISTINCT cluster_id FROM reports WHERE {_any(conn, 'story_id', 'ids')}",
                {"ids": _ids(sorted({r["original_story_id"] for r in fresh}))}) if c}
            if clusters:
                self._write_clusters(conn, clusters, None)
        return len(fresh)

    def rebuild(self) -> int:
        """Recompute every cluster from the reports (admin use, and after migrations)."""
        with self.engine.begin() as conn:
            _lock_store(conn)
            stored = dict(conn.execute(text("SELECT event_id, payload FROM reports")).all())
            reports = {eid: orjson.loads(p) for eid, p in stored.items()}
            conn.execute(text("DELETE FROM events"))
            rows = [(*_report_row(r, stored[eid]), None) for eid, r in reports.items()]
            if rows:
                _update(conn, "reports", _REPORT_ROW, rows)
            return self._write_components(conn, reports, merge.components(reports), set(), existing_rows={})

    def _neighbourhood(self, conn, changed: dict[str, PreparedReport], old_assignment: dict[str, str | None]):
        """Everything the changed reports can affect: stored reports that are the same event as a
        changed one, every member of their clusters and of the changed reports' former clusters.
        Clusters are connected components, so no report outside this set can join one inside it.

        Returns (reports by id, the cluster each is in now, the clusters involved, their stored
        merged JSON)."""
        clusters = {c for c in old_assignment.values() if c}
        wanted: set[str] = set()
        placed = [r.window for r in changed.values() if r.data.get("admin1") is not None]
        unplaced = [r.window for r in changed.values() if r.data.get("admin1") is None]
        for windows, place in ((placed, "r.admin1 = w.a"), (unplaced, "r.admin1 IS NULL")):
            if not windows:
                continue
            sql = _CANDIDATES.format(windows=_windows_source(conn), place=place,
                                     cols=", ".join(f"r.{c}" for c in _REPORT_COLUMNS if c != "payload"))
            for row in _driver_query(conn, sql, {"w": f"[{','.join(windows)}]"}):
                if row.event_id in changed:
                    continue  # the stored, older version of a report this batch rewrites
                if merge.same_event(_light(row), changed[row.wanted_by].data):
                    if row.cluster_id:
                        clusters.add(row.cluster_id)
                    else:
                        wanted.add(row.event_id)
        affected: dict[str, dict] = {eid: r.data for eid, r in changed.items()}
        current: dict[str, str | None] = dict(old_assignment)
        if clusters:
            for eid, payload, cluster in _driver_query(
                    conn, f"SELECT event_id, payload, cluster_id FROM reports WHERE {_any(conn, 'cluster_id', 'c')}",
                    {"c": _ids(sorted(clusters))}):
                if eid not in affected:
                    affected[eid] = orjson.loads(payload)
                    current[eid] = cluster
        if wanted - set(affected):
            for eid, payload in _driver_query(
                    conn, f"SELECT event_id, payload FROM reports WHERE {_any(conn, 'event_id', 'e')}",
                    {"e": _ids(sorted(wanted - set(affected)))}):
                affected[eid] = orjson.loads(payload)
                current[eid] = None
        existing_rows = {}
        if clusters:
            existing_rows = _stored_digests(conn, clusters)
        return affected, current, clusters, existing_rows

    def _write_components(self, conn, reports: dict[str, dict], groups: list[list[str]], old_clusters: set[str],
                          existing_rows: dict, current: dict[str, str | None] | None = None,
                          alone: dict[str, tuple] | None = None) -> int:
        new_ids = {g[0] for g in groups}
        gone = sorted(old_clusters - new_ids)
        if gone:
            _driver_query(conn, f"DELETE FROM events WHERE {_any(conn, 'event_id', 'g')}", {"g": _ids(gone)})
        current = current or {}
        moved = [{"e": eid, "c": g[0]} for g in groups for eid in g if current.get(eid) != g[0]]
        if moved:
            _driver_query(conn, f"UPDATE reports SET cluster_id = v.c FROM {_pairs_source(conn)} "
                                f"WHERE reports.event_id = v.e", {"v": orjson.dumps(moved).decode()})
        return self._write_clusters(conn, new_ids, {g[0]: [reports[e] for e in g] for g in groups},
                                    existing_rows, alone)

    def _write_clusters(self, conn, cluster_ids: set[str], members: dict[str, list[dict]] | None,
                        existing_rows: dict | None = None, alone: dict[str, tuple] | None = None) -> int:
        """(Re)write the merged events of these clusters. ``alone`` has the rows of reports already
        merged on their own (``PreparedReport.alone``), for clusters of one report."""
        ids = sorted(cluster_ids)
        if not ids:
            return 0
        if members is None:
            members = {}
            for payload, cluster in _driver_query(
                    conn, f"SELECT payload, cluster_id FROM reports WHERE {_any(conn, 'cluster_id', 'c')}",
                    {"c": _ids(ids)}):
                members.setdefault(cluster, []).append(orjson.loads(payload))
        if existing_rows is None:
            existing_rows = _stored_digests(conn, ids)
        stories = sorted({r["story_id"] for ms in members.values() for r in ms})
        links: dict[str, list[dict]] = {}
        if stories:
            for row in _driver_query(
                    conn, f"SELECT story_id, original_story_id, outlet, url, published_at FROM story_links "
                          f"WHERE {_any(conn, 'original_story_id', 's')}", {"s": _ids(stories)}).mappings():
                links.setdefault(row["original_story_id"], []).append(
                    {"story_id": row["story_id"], "outlet": row["outlet"], "url": row["url"],
                     "published_at": row["published_at"]})
        alone = alone or {}
        updates = []

        def inserts():
            # a generator, so that PostgreSQL stores the first rows while the next are merged
            for cid in ids:
                group = members.get(cid)
                if not group:
                    continue
                extra = [s for r in group for s in links.get(r["story_id"], ())]
                if len(group) == 1 and not extra and cid in alone:
                    row = alone[cid]
                else:
                    row = _event_row(merge.merge(group, extra))
                if cid not in existing_rows:
                    yield row
                elif existing_rows[cid] != digest(row[-1]):
                    updates.append(row)

        digest = _digest(conn)
        written = _insert(conn, "events", _EVENT_COLUMNS, inserts())
        if updates:
            _update(conn, "events", _EVENT_COLUMNS, updates)
        return written + len(updates)

    # -- reads -----------------------------------------------------------------------------------

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

    def _where(self, q: EventQuery) -> tuple[list[str], dict]:
        where, params = [], {}
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
            where.append("evidence_text LIKE :q")
            params["q"] = "%" + q.q.lower().replace("%", "").replace("_", "") + "%"
        return where, params

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
        where, params = self._where(q)
        if q.cursor:
            value, last_id = decode_cursor(q.cursor)
            if not _cursor_fits(column, value):  # a cursor from another sort, or made up
                raise BadQuery(f"cursor is not one this API issued for sort={q.sort}")
            op = "<" if direction == "DESC" else ">"
            # the first, redundant bound is one an index can start from: without it a deep page
            # scanned every event before it (PostgreSQL, 1M events, a page in 2024: 680 ms -> 2 ms)
            where.append(f"{column} {op}= :cv AND ({column} {op} :cv OR ({column} = :cv AND event_id > :cid))")
            params.update(cv=value, cid=last_id)
        sql = f"SELECT event_id, {column}, payload FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {column} {direction}, event_id ASC LIMIT :limit"
        params["limit"] = q.limit + 1
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), params).all()
        page = rows[: q.limit]
        cursor = encode_cursor(page[-1][1], page[-1][0]) if len(rows) > q.limit and page else None
        return [p for _, _, p in page], cursor

    def stats(self, q: EventQuery, by: str) -> list[dict]:
        columns = {"day": "event_date", "admin1": "admin1", "event_type": "event_type", "country": "country",
                   "sub_event_type": "sub_event_type"}
        if by not in columns:
            raise BadQuery(f"by must be one of {', '.join(columns)}")
        col = columns[by]
        where, params = self._where(q)
        sql = f"SELECT {col} AS k, COUNT(*) AS n, COALESCE(SUM(fatalities), 0) AS f FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" GROUP BY {col} ORDER BY {col}"
        with self.engine.connect() as conn:
            return [{by: k, "events": n, "fatalities": int(f)} for k, n, f in conn.execute(text(sql), params)]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM events")).scalar_one()

    def count_reports(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM reports")).scalar_one()


def _event_row(merged: dict) -> tuple:
    """A merged event's row, in ``_EVENT_COLUMNS`` order (payload last)."""
    actor1, actor2 = merged["actor1"], merged["actor2"]
    return (merged["event_id"], merged["event_date"], merged["date_precision"], merged["event_type"],
            merged["sub_event_type"], actor1["name"] if actor1 else None, actor2["name"] if actor2 else None,
            merged["country"], merged["admin1"], merged["admin2"], merged["location"], merged["latitude"],
            merged["longitude"], merged["geo_precision"], merged["fatalities"], len(merged["sources"]),
            merged["confidence"], " ".join([e["text"] for e in merged["evidence"]]).lower(), _canonical_json(merged))
