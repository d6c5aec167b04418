"""The events database: schema, idempotent upserts and queries (SQLite or PostgreSQL).

Writes are idempotent by construction: a row is keyed by ``event_id`` and holds the canonical
JSON of the event, and it is rewritten only when that JSON changes. Nothing time-dependent is
stored, so replaying the events topic from offset 0 leaves the database byte-for-byte the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, text

from services.common.contracts import Event
from services.common.database import make_engine, migrate

MIGRATIONS = [
    [
        """CREATE TABLE events (
            event_id TEXT PRIMARY KEY,
            story_id TEXT NOT NULL,
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
            confidence DOUBLE PRECISION NOT NULL,
            payload TEXT NOT NULL
        )""",
        "CREATE INDEX events_date ON events (event_date, event_id)",
        "CREATE INDEX events_admin1 ON events (admin1, event_date)",
        "CREATE INDEX events_type ON events (event_type, event_date)",
        """CREATE TABLE event_sources (
            event_id TEXT NOT NULL REFERENCES events (event_id) ON DELETE CASCADE,
            url TEXT NOT NULL,
            story_id TEXT NOT NULL,
            outlet TEXT NOT NULL,
            published_at TEXT,
            PRIMARY KEY (event_id, url)
        )""",
    ],
]

_COLUMNS = ("event_id", "story_id", "event_date", "date_precision", "event_type", "sub_event_type", "actor1",
            "actor2", "country", "admin1", "admin2", "location", "latitude", "longitude", "geo_precision",
            "fatalities", "confidence", "payload")


@dataclass
class WriteResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class EventQuery:
    since: date | None = None
    until: date | None = None
    admin1: str | None = None
    event_type: str | None = None
    limit: int = 100


def _row(event: Event) -> dict:
    payload = event.model_dump(mode="json")
    return {
        "event_id": event.event_id,
        "story_id": event.story_id,
        "event_date": event.event_date.isoformat(),
        "date_precision": event.date_precision,
        "event_type": event.event_type,
        "sub_event_type": event.sub_event_type,
        "actor1": event.actor1.name if event.actor1 else None,
        "actor2": event.actor2.name if event.actor2 else None,
        "country": event.country,
        "admin1": event.admin1,
        "admin2": event.admin2,
        "location": event.location,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "geo_precision": event.geo_precision,
        "fatalities": event.fatalities,
        "confidence": event.confidence,
        "payload": json.dumps(payload, sort_keys=True, separators=(",", ":")),
    }


class EventRepository:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        migrate(self.engine, "store", MIGRATIONS)

    def close(self) -> None:
        self.engine.dispose()

    def upsert_many(self, events: list[Event]) -> WriteResult:
        """Write a batch in one transaction; returns what changed."""
        result = WriteResult()
        if not events:
            return result
        # the last version of an event in a batch wins, exactly as if they had come one by one
        latest: dict[str, Event] = {}
        for e in events:
            latest[e.event_id] = e
        with self.engine.begin() as conn:
            ids = list(latest)
            existing: dict[str, str] = {}
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                params = {f"i{j}": v for j, v in enumerate(chunk)}
                placeholders = ", ".join(f":i{j}" for j in range(len(chunk)))
                for eid, payload in conn.execute(
                        text(f"SELECT event_id, payload FROM events WHERE event_id IN ({placeholders})"), params):
                    existing[eid] = payload
            inserts, updates = [], []
            for eid, event in latest.items():
                row = _row(event)
                if eid not in existing:
                    inserts.append(row)
                elif existing[eid] != row["payload"]:
                    updates.append(row)
                else:
                    result.unchanged += 1
            if inserts:
                conn.execute(text(f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES "
                                  f"({', '.join(':' + c for c in _COLUMNS)})"), inserts)
            if updates:
                sets = ", ".join(f"{c} = :{c}" for c in _COLUMNS if c != "event_id")
                conn.execute(text(f"UPDATE events SET {sets} WHERE event_id = :event_id"), updates)
            sources = []
            for event in (latest[r["event_id"]] for r in inserts + updates):
                for s in event.sources:
                    sources.append({"event_id": event.event_id, "url": s.url, "story_id": s.story_id,
                                    "outlet": s.outlet,
                                    "published_at": s.published_at.isoformat() if s.published_at else None})
            if sources:
                conn.execute(text(
                    "INSERT INTO event_sources (event_id, url, story_id, outlet, published_at) "
                    "VALUES (:event_id, :url, :story_id, :outlet, :published_at) "
                    "ON CONFLICT (event_id, url) DO NOTHING"), sources)
            result.inserted, result.updated = len(inserts), len(updates)
        return result

    def get(self, event_id: str) -> dict | None:
        with self.engine.connect() as conn:
            payload = conn.execute(text("SELECT payload FROM events WHERE event_id = :id"),
                                   {"id": event_id}).scalar()
            if payload is None:
                return None
            event = json.loads(payload)
            event["sources"] = self._sources(conn, [event_id]).get(event_id, [])
        return event

    def query(self, q: EventQuery) -> list[dict]:
        where, params = [], {"limit": q.limit}
        if q.since:
            where.append("event_date >= :since")
            params["since"] = q.since.isoformat()
        if q.until:
            where.append("event_date <= :until")
            params["until"] = q.until.isoformat()
        if q.admin1:
            where.append("LOWER(admin1) = LOWER(:admin1)")
            params["admin1"] = q.admin1
        if q.event_type:
            where.append("LOWER(event_type) = LOWER(:event_type)")
            params["event_type"] = q.event_type
        sql = "SELECT event_id, payload FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY event_date DESC, event_id LIMIT :limit"
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), params).all()
            sources = self._sources(conn, [r[0] for r in rows])
        out = []
        for eid, payload in rows:
            event = json.loads(payload)
            event["sources"] = sources.get(eid, [])
            out.append(event)
        return out

    @staticmethod
    def _sources(conn, ids: list[str]) -> dict[str, list[dict]]:
        if not ids:
            return {}
        params = {f"i{j}": v for j, v in enumerate(ids)}
        placeholders = ", ".join(f":i{j}" for j in range(len(ids)))
        out: dict[str, list[dict]] = {}
        for row in conn.execute(text(
                f"SELECT event_id, story_id, outlet, url, published_at FROM event_sources "
                f"WHERE event_id IN ({placeholders}) ORDER BY published_at, url"), params).mappings():
            out.setdefault(row["event_id"], []).append(
                {"story_id": row["story_id"], "outlet": row["outlet"], "url": row["url"],
                 "published_at": row["published_at"]})
        return out

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM events")).scalar_one()
