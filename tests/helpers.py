"""Builders and probes the tests share (imported by test modules; never a test module itself)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import text

from services.common.contracts import Actor, Event, Source
from services.extract.extractor import RuleExtractor, story_from_text
from services.store.repository import EventRepository
from services.store.schema import EVENT_COLUMNS
from tests.conftest import shared_path

DISTRICTS = [("Kunduz", "Dasht-e-Archi", 37.13, 69.17), ("Kunduz", "Imam Sahib", 37.18, 68.92),
             ("Helmand", "Lashkar Gah", 31.59, 64.37), ("Kandahar", "Panjwai", 31.55, 65.45)]


def make_event(i: int, **kw) -> Event:
    """Report ``i``: its district cycles through ``DISTRICTS``, its day is 3*i days after 2026-01-01
    (so no two merge unless told to), one in three is an explosion, fatalities ``i % 17``."""
    admin1, admin2, lat, lon = DISTRICTS[i % len(DISTRICTS)]
    base = dict(
        event_id=f"e{i:05d}", story_id=f"s{i}", event_date=date(2026, 1, 1) + timedelta(days=3 * i),
        date_precision="day",
        event_type="Battles" if i % 3 else "Explosions/Remote violence",
        sub_event_type="Armed clash" if i % 3 else "Remote explosive/landmine/IED",
        actor1=Actor(name="Taliban"), actor2=Actor(name="Military Forces of Afghanistan"), country="AF",
        admin1=admin1, admin2=admin2, location=admin2, latitude=lat, longitude=lon, geo_precision=1,
        fatalities=i % 17, confidence=0.8, extractor="test",
        sources=[Source(story_id=f"s{i}", outlet=f"Outlet {i % 5}", url=f"https://example.org/{i}",
                        published_at=datetime(2026, 3, 2, tzinfo=UTC))],
    )
    return Event(**{**base, **kw})


def random_reports(rng, n: int) -> list[Event]:
    """Reports crowded into few places and days, so that many of them are the same event: districts
    that share a town 3 km apart, province-only and country-only places, every date precision,
    civilians and unknown actors, several events per story."""
    places = [("Kunduz", "Dasht-e-Archi", 37.13, 69.17, 1), ("Kunduz", "Archi Bazaar", 37.15, 69.18, 1),
              ("Kunduz", "Imam Sahib", 37.18, 68.92, 1), ("Kunduz", None, 36.73, 68.86, 3),
              ("Helmand", "Lashkar Gah", 31.59, 64.37, 1), ("Helmand", "Lashkar Gah", 31.61, 64.35, 2),
              (None, None, None, None, None)]
    actors = [None, "Taliban", "Islamic State", "Military Forces of Afghanistan", "Civilians (Afghanistan)"]
    out = []
    for i in range(n):
        admin1, admin2, lat, lon, gp = rng.choice(places)
        story = f"s{rng.randrange(n // 2)}"
        a1, a2 = rng.choice(actors), rng.choice(actors)
        out.append(make_event(
            i, story_id=story, event_date=date(2026, 2, 1) + timedelta(days=rng.randrange(400)),
            date_precision=rng.choice(["day"] * 8 + ["week", "month"]),
            event_type=rng.choice(["Battles", "Explosions/Remote violence"]),
            actor1=Actor(name=a1) if a1 else None, actor2=Actor(name=a2) if a2 else None,
            country="AF" if admin1 or rng.random() < 0.5 else None, admin1=admin1, admin2=admin2,
            location=admin2, latitude=lat, longitude=lon, geo_precision=gp, fatalities=rng.randrange(6),
            sources=[Source(story_id=story, outlet=f"Outlet {rng.randrange(4)}", url=f"https://example.org/{story}")]))
    return out


def file_hash(repo: EventRepository) -> str:
    """The SQLite file's sha256, once its write-ahead log is folded into it."""
    with repo.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(Path(repo.engine.url.database).read_bytes()).hexdigest()


def empty(repo: EventRepository) -> None:
    """A store with nothing in it; the schema stays."""
    with repo.engine.begin() as conn:
        for table in ("events", "reports", "story_links"):
            conn.execute(text(f"DELETE FROM {table}"))


def dump(repo: EventRepository) -> list:
    """Every row of the store's tables, in key order: equal dumps are equal stores."""
    with repo.engine.connect() as conn:
        return [tuple(r) for table in ("events", "reports", "story_links")
                for r in conn.execute(text(f"SELECT {_columns(table)} FROM {table} ORDER BY 1")).all()]


def _columns(table: str) -> str:
    """The store's own columns (not the search index's, which differ by database)."""
    return ", ".join(EVENT_COLUMNS) if table == "events" else "*"


def seed_events() -> dict[str, list[Event]]:
    """The events the extractor finds in each seed story of the gold file, by story."""
    gold = json.loads(shared_path("gold", "seed-events.json").read_text(encoding="utf-8"))
    out = {}
    for story in gold["stories"]:
        body = shared_path("seeds", f"{story['story']}.txt").read_text(encoding="utf-8")
        published = datetime.fromisoformat(story["published"]).replace(hour=6, tzinfo=UTC)
        out[story["story"]] = RuleExtractor().extract(
            story_from_text(body, published, story["outlet"], story["story"]))
    return out


def drain(settings, topic: str, timeout_s: float = 5.0) -> list:
    """Every record on ``topic`` from the beginning, read for ``timeout_s``."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    tps = [TopicPartition(topic, p) for p in range(settings.kafka_partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    out, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for records in consumer.poll(500).values():
            out += records
    consumer.close()
    return out


class WebhookReceiver:
    """A webhook receiver on loopback that records every request (headers, raw body) and answers
    with the next of ``statuses`` (the last one repeats)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[tuple[dict, bytes]] = []
        self.statuses = list(statuses or [200])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.host}/hook"

    def wait_for(self, n: int, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.requests) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= n, f"{len(self.requests)} of {n} webhook requests arrived"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
