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
import bisect
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, text

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
]

_REPORT_COLUMNS = ("event_id", "story_id", "country", "admin1", "admin2", "event_type", "event_date",
                   "date_precision", "latitude", "longitude", "geo_precision", "actor1", "actor2", "payload")


def _report_row(report: dict, payload: str | None = None) -> dict:
    row = {c: report.get(c) for c in _REPORT_COLUMNS if c not in ("actor1", "actor2", "payload")}
    row["actor1"] = (report.get("actor1") or {}).get("name")
    row["actor2"] = (report.get("actor2") or {}).get("name")
    row["payload"] = payload if payload is not None else _canonical_json(report)
    return row


_NAMED = re.compile(r":(\w+)")


def _driver_query(conn, sql: str, params: dict | list[dict]):
    """Run a write-path statement straight through the driver (a list of dicts: executemany).
    Compiling hundreds of bind parameters, and processing every row's parameters, in SQLAlchemy
    cost more than the statements themselves; ``:name`` placeholders are kept for both drivers."""
    if conn.dialect.paramstyle not in ("named", "qmark"):
        sql = _NAMED.sub(r"%(\1)s", sql)  # psycopg's named style
    return conn.exec_driver_sql(sql, params)


def _light(row) -> dict:
    """A report rebuilt from its columns: everything ``merge.same_event`` looks at, no JSON."""
    r = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    r["actor1"] = {"name": r["actor1"]} if r.get("actor1") else None
    r["actor2"] = {"name": r["actor2"]} if r.get("actor2") else None
    return r

_EVENT_COLUMNS = ("event_id", "event_date", "date_precision", "event_type", "sub_event_type", "actor1", "actor2",
                  "country", "admin1", "admin2", "location", "latitude", "longitude", "geo_precision", "fatalities",
                  "n_sources", "confidence", "evidence_text", "payload")
SORTS = {"-event_date": ("event_date", "DESC"), "event_date": ("event_date", "ASC"),
         "-fatalities": ("fatalities", "DESC"), "fatalities": ("fatalities", "ASC")}


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
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _in(prefix: str, values) -> tuple[str, dict]:
    values = list(values)
    params = {f"{prefix}{i}": v for i, v in enumerate(values)}
    return ", ".join(f":{prefix}{i}" for i in range(len(values))), params


def encode_cursor(sort_value, event_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_value, event_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, event_id = json.loads(raw)
        if not isinstance(event_id, str):
            raise ValueError
        return value, event_id
    except Exception as exc:
        raise BadQuery("cursor is not one this API issued") from exc


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
        result = WriteResult()
        latest: dict[str, dict] = {}
        for e in events:
            latest[e.event_id] = e.model_dump(mode="json")  # the last version in a batch wins
        if not latest:
            return result
        with self.engine.begin() as conn:
            ph, params = _in("i", latest)
            existing = {eid: (payload, cluster) for eid, payload, cluster in _driver_query(
                conn, f"SELECT event_id, payload, cluster_id FROM reports WHERE event_id IN ({ph})", params)}
            changed: dict[str, dict] = {}
            payloads: dict[str, str] = {}
            for eid, report in latest.items():
                payload = payloads[eid] = _canonical_json(report)
                if eid not in existing:
                    result.inserted += 1
                elif existing[eid][0] != payload:
                    result.updated += 1
                else:
                    result.unchanged += 1
                    continue
                changed[eid] = report
            if not changed:
                return result
            rows = [_report_row(r, payloads[eid]) for eid, r in changed.items()]
            new_rows = [r for r in rows if r["event_id"] not in existing]
            old_rows = [r for r in rows if r["event_id"] in existing]
            if new_rows:
                _driver_query(conn, f"INSERT INTO reports ({', '.join(_REPORT_COLUMNS)}) VALUES "
                                    f"({', '.join(':' + c for c in _REPORT_COLUMNS)})", new_rows)
            if old_rows:
                sets = ", ".join(f"{c} = :{c}" for c in _REPORT_COLUMNS if c != "event_id")
                _driver_query(conn, f"UPDATE reports SET {sets} WHERE event_id = :event_id", old_rows)
            old_clusters = {existing[eid][1] for eid in changed if eid in existing and existing[eid][1]}
            old_assignment = {eid: existing[eid][1] if eid in existing else None for eid in changed}
            result.clusters_written = self._recluster(conn, changed, old_clusters, old_assignment)
        return result

    def link_duplicates(self, stories: list[Story]) -> int:
        """Remember near-duplicate stories; their outlets join the original's events as sources."""
        rows = [{"story_id": s.story_id, "original_story_id": s.duplicate_of, "outlet": s.outlet, "url": s.url,
                 "published_at": s.published_at.isoformat() if s.published_at else None}
                for s in stories if s.duplicate_of]
        if not rows:
            return 0
        with self.engine.begin() as conn:
            ph, params = _in("s", [r["story_id"] for r in rows])
            known = {sid for (sid,) in conn.execute(text(
                f"SELECT story_id FROM story_links WHERE story_id IN ({ph})"), params)}
            fresh = [r for r in rows if r["story_id"] not in known]
            if not fresh:
                return 0
            conn.execute(text(
                "INSERT INTO story_links (story_id, original_story_id, outlet, url, published_at) "
                "VALUES (:story_id, :original_story_id, :outlet, :url, :published_at)"), fresh)
            ph, params = _in("o", sorted({r["original_story_id"] for r in fresh}))
            clusters = {c for (c,) in conn.execute(text(
                f"SELECT DISTINCT cluster_id FROM reports WHERE story_id IN ({ph})"), params) if c}
            if clusters:
                self._write_clusters(conn, clusters, None)
        return len(fresh)

    def rebuild(self) -> int:
        """Recompute every cluster from the reports (admin use, and after migrations)."""
        with self.engine.begin() as conn:
            reports = {eid: json.loads(p) for eid, p in conn.execute(text("SELECT event_id, payload FROM reports"))}
            conn.execute(text("DELETE FROM events"))
            rows = [_report_row(r) for r in reports.values()]
            if rows:
                sets = ", ".join(f"{c} = :{c}" for c in _REPORT_COLUMNS if c != "event_id")
                conn.execute(text(f"UPDATE reports SET {sets}, cluster_id = NULL WHERE event_id = :event_id"), rows)
            return self._write_components(conn, reports, set(), existing_rows={})

    def _recluster(self, conn, changed: dict[str, dict], old_clusters: set[str],
                   old_assignment: dict[str, str | None]) -> int:
        # the neighbourhood: reports that match a changed one, plus everything in their clusters and
        # in the changed reports' former clusters; clusters are components, so no report outside
        # this set can be connected to one inside it
        tolerance = timedelta(days=merge.CANDIDATE_WINDOW_DAYS)
        ranges: dict[tuple, list[list[date]]] = {}
        for r in sorted(changed.values(), key=lambda r: r["event_date"]):
            d = date.fromisoformat(r["event_date"])
            spans = ranges.setdefault((r.get("admin1"), r["event_type"]), [])
            if spans and d - tolerance <= spans[-1][1]:
                spans[-1][1] = d + tolerance
            else:
                spans.append([d - tolerance, d + tolerance])
        light_cols = ", ".join(c for c in _REPORT_COLUMNS if c != "payload")
        clusters = set(old_clusters)
        matched: set[str] = set(changed)
        by_group: dict[tuple, list[dict]] = {}
        for r in changed.values():
            by_group.setdefault((r.get("admin1"), r["event_type"]), []).append(r)
        # one round trip for the whole batch: an OR of (place, type, date range) terms, each served
        # by the reports_candidates index
        # One round trip per few hundred windows: a CTE of (province, type, date range) rows joined
        # to reports through the reports_candidates index. Reports without a province (which the
        # default extractor never produces) are matched by an IS NULL scan.
        windows = [(admin1, event_type, lo.isoformat(), hi.isoformat())
                   for (admin1, event_type), spans in ranges.items() for lo, hi in spans]
        cols_r = ", ".join(f"r.{c}" for c in _REPORT_COLUMNS if c != "payload")
        rows: list = []
        keyed = [w for w in windows if w[0] is not None]
        for start in range(0, len(keyed), 300):
            chunk = keyed[start:start + 300]
            values = ", ".join(f"(:a{i}, :t{i}, :lo{i}, :hi{i})" for i in range(len(chunk)))
            params = {k: v for i, (a, t, lo, hi) in enumerate(chunk)
                      for k, v in ((f"a{i}", a), (f"t{i}", t), (f"lo{i}", lo), (f"hi{i}", hi))}
            rows += _driver_query(conn, f"WITH w(a, t, lo, hi) AS (VALUES {values}) SELECT {cols_r}, r.cluster_id "
                                        f"FROM w JOIN reports r ON r.admin1 = w.a AND r.event_type = w.t "
                                        f"AND r.event_date >= w.lo AND r.event_date <= w.hi", params).all()
        for _, event_type, lo, hi in (w for w in windows if w[0] is None):
            rows += _driver_query(conn, f"SELECT {light_cols}, cluster_id FROM reports WHERE admin1 IS NULL "
                                        f"AND event_type = :t AND event_date >= :lo AND event_date <= :hi",
                                  {"t": event_type, "lo": lo, "hi": hi}).all()
        # compare each candidate only with the changed reports of its group that are near in time
        near: dict[tuple, tuple[list[date], list[dict]]] = {}
        for key, group in by_group.items():
            group = sorted(group, key=lambda r: r["event_date"])
            near[key] = ([date.fromisoformat(r["event_date"]) for r in group], group)
        for row in rows:
            if row.event_id in matched:
                continue
            days, group = near[(row.admin1, row.event_type)]
            d = date.fromisoformat(row.event_date)
            lo_i, hi_i = bisect.bisect_left(days, d - tolerance), bisect.bisect_right(days, d + tolerance)
            if lo_i == hi_i:
                continue
            candidate = _light(row)
            if any(merge.same_event(candidate, r) for r in group[lo_i:hi_i]):
                matched.add(row.event_id)
                if row.cluster_id:
                    clusters.add(row.cluster_id)
        affected: dict[str, dict] = dict(changed)
        current: dict[str, str | None] = dict(old_assignment)  # report -> the cluster it is in now
        wanted = set(matched) - set(changed)
        if clusters or wanted:
            cph, cparams = _in("c", sorted(clusters) or [""])
            eph, eparams = _in("e", sorted(wanted) or [""])
            for eid, payload, cluster in _driver_query(
                    conn, f"SELECT event_id, payload, cluster_id FROM reports "
                          f"WHERE cluster_id IN ({cph}) OR event_id IN ({eph})", {**cparams, **eparams}):
                if eid not in affected:
                    affected[eid] = json.loads(payload)
                    current[eid] = cluster
        existing_rows = {}
        if clusters:
            ph, params = _in("c", sorted(clusters))
            existing_rows = {eid: p for eid, p in _driver_query(
                conn, f"SELECT event_id, payload FROM events WHERE event_id IN ({ph})", params)}
        return self._write_components(conn, affected, clusters, existing_rows, current)

    def _write_components(self, conn, reports: dict[str, dict], old_clusters: set[str], existing_rows: dict,
                          current: dict[str, str | None] | None = None) -> int:
        groups = merge.components(reports)
        new_ids = {g[0] for g in groups}
        gone = sorted(old_clusters - new_ids)
        if gone:
            ph, params = _in("g", gone)
            _driver_query(conn, f"DELETE FROM events WHERE event_id IN ({ph})", params)
        current = current or {}
        moved = [(eid, g[0]) for g in groups for eid in g if current.get(eid) != g[0]]
        for start in range(0, len(moved), 500):
            # one statement per 500 reports (UPDATE ... FROM, PostgreSQL and SQLite >= 3.33)
            chunk = moved[start:start + 500]
            values = ", ".join(f"(:e{i}, :c{i})" for i in range(len(chunk)))
            params = {k: v for i, (e, c) in enumerate(chunk) for k, v in ((f"e{i}", e), (f"c{i}", c))}
            _driver_query(conn, f"WITH v(e, c) AS (VALUES {values}) UPDATE reports SET cluster_id = v.c "
                                f"FROM v WHERE reports.event_id = v.e", params)
        return self._write_clusters(conn, new_ids, {g[0]: [reports[e] for e in g] for g in groups},
                                    existing_rows)

    def _write_clusters(self, conn, cluster_ids: set[str], members: dict[str, list[dict]] | None,
                        existing_rows: dict | None = None) -> int:
        ids = sorted(cluster_ids)
        if not ids:
            return 0
        ph, params = _in("c", ids)
        if members is None:
            members = {}
            for payload, cluster in _driver_query(
                    conn, f"SELECT payload, cluster_id FROM reports WHERE cluster_id IN ({ph})", params):
                members.setdefault(cluster, []).append(json.loads(payload))
        if existing_rows is None:
            existing_rows = {eid: p for eid, p in _driver_query(
                conn, f"SELECT event_id, payload FROM events WHERE event_id IN ({ph})", params)}
        stories = sorted({r["story_id"] for ms in members.values() for r in ms})
        links: dict[str, list[dict]] = {}
        if stories:
            sph, sparams = _in("s", stories)
            for row in _driver_query(
                    conn, f"SELECT story_id, original_story_id, outlet, url, published_at FROM story_links "
                    f"WHERE original_story_id IN ({sph})", sparams).mappings():
                links.setdefault(row["original_story_id"], []).append(
                    {"story_id": row["story_id"], "outlet": row["outlet"], "url": row["url"],
                     "published_at": row["published_at"]})
        inserts, updates = [], []
        for cid in ids:
            group = members.get(cid)
            if not group:
                continue
            extra = [s for r in group for s in links.get(r["story_id"], [])]
            merged = merge.merge(group, extra)
            row = _event_row(merged)
            if cid not in existing_rows:
                inserts.append(row)
            elif existing_rows[cid] != row["payload"]:
                updates.append(row)
        cols = ", ".join(_EVENT_COLUMNS)
        vals = ", ".join(f":{c}" for c in _EVENT_COLUMNS)
        if inserts:
            _driver_query(conn, f"INSERT INTO events ({cols}) VALUES ({vals})", inserts)
        if updates:
            sets = ", ".join(f"{c} = :{c}" for c in _EVENT_COLUMNS if c != "event_id")
            _driver_query(conn, f"UPDATE events SET {sets} WHERE event_id = :event_id", updates)
        return len(inserts) + len(updates)

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
            op = "<" if direction == "DESC" else ">"
            where.append(f"({column} {op} :cv OR ({column} = :cv AND event_id > :cid))")
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


def _event_row(merged: dict) -> dict:
    def actor(key: str) -> str | None:
        return (merged.get(key) or {}).get("name")

    evidence_text = " ".join(e["text"] for e in merged.get("evidence", [])).lower()
    return {
        "event_id": merged["event_id"], "event_date": merged["event_date"],
        "date_precision": merged["date_precision"], "event_type": merged["event_type"],
        "sub_event_type": merged["sub_event_type"], "actor1": actor("actor1"), "actor2": actor("actor2"),
        "country": merged.get("country"), "admin1": merged.get("admin1"), "admin2": merged.get("admin2"),
        "location": merged.get("location"), "latitude": merged.get("latitude"),
        "longitude": merged.get("longitude"), "geo_precision": merged.get("geo_precision"),
        "fatalities": merged["fatalities"], "n_sources": len(merged["sources"]),
        "confidence": merged["confidence"], "evidence_text": evidence_text, "payload": _canonical_json(merged),
    }
