"""Store ingestion throughput: events consumed from Kafka (a real, embedded broker) and written
through the store's real consumer loop (validate, merge, upsert, commit) into PostgreSQL and into
SQLite, side by side. About one report in five describes an event another outlet reported too,
so merging does real work.

    .venv/bin/python bench/store_ingest.py [--events 50000] [--preload 0] [--postgres postgresql://...]

``--preload N`` first writes N other reports straight through the repository (untimed), 50,000 a
year in the years before the timed events, so that the timed run writes into a store with history.

PostgreSQL runs twice, into an emptied database each time: with one writer, the baseline, and with
``WIREWATCH_STORE_WRITERS`` (default 2) transactions writing each batch at once. Their ratio, taken
in one run, does not depend on how fast the machine happens to be at the time.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from databases import bench_databases  # noqa: E402
from kafka import KafkaProducer  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402

from services.common.broker import EmbeddedBroker  # noqa: E402
from services.common.contracts import EVENTS_TOPIC, Actor, Event, Evidence, Source  # noqa: E402
from services.common.gc_tuning import tune_gc  # noqa: E402
from services.common.kafka import Publisher, ensure_topics, make_consumer, make_producer  # noqa: E402
from services.extract.gazetteer import default_gazetteer  # noqa: E402
from services.store.metrics import StoreMetrics  # noqa: E402
from services.store.repository import EventRepository  # noqa: E402
from services.store.service import make_loop  # noqa: E402
from services.store.settings import StoreSettings  # noqa: E402

TYPES = [("Battles", "Armed clash"), ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
         ("Explosions/Remote violence", "Air/drone strike"), ("Violence against civilians", "Attack"),
         ("Battles", "Non-state actor overtakes territory"), ("Protests", "Peaceful protest")]


def synthetic_events(n: int, seed: int = 5, start: date = date(2025, 1, 1)) -> list[Event]:
    rng = random.Random(seed)
    districts = [d for ds in default_gazetteer().districts_of.values() for d in ds]
    out: list[Event] = []
    while len(out) < n:
        d = rng.choice(districts)
        etype, sub = rng.choice(TYPES)
        day = start + timedelta(days=rng.randrange(365))
        copies = 2 if rng.random() < 0.2 else 1  # another outlet's report of the same event
        for c in range(copies):
            sid = uuid.UUID(int=rng.getrandbits(128)).hex
            eid = uuid.UUID(int=rng.getrandbits(128)).hex
            sentence = f"Fighting was reported in {d.name} district of {d.admin1} province, officials said."
            out.append(Event(
                event_id=eid, story_id=sid, event_date=day + timedelta(days=c), date_precision="day",
                event_type=etype, sub_event_type=sub, actor1=Actor(name="Taliban", surface_forms=["Taliban"]),
                actor2=Actor(name="Military Forces of Afghanistan", surface_forms=["soldiers"]), country="AF",
                admin1=d.admin1, admin2=d.admin2, location=d.name, latitude=d.latitude, longitude=d.longitude,
                geo_precision=1, fatalities=rng.randrange(0, 20), confidence=0.8, extractor="bench",
                sources=[Source(story_id=sid, outlet=f"Outlet {rng.randrange(40)}", url=f"https://news.example/{sid}",
                                published_at=datetime.combine(day, datetime.min.time(), UTC))],
                evidence=[Evidence(text=sentence, start=0, end=len(sentence))],
            ))
    return out[:n]


def run_store(bootstrap: str, url: str, n_events: int, group: str, writers: int) -> tuple[float, int, int]:
    settings = StoreSettings(kafka_bootstrap=bootstrap, kafka_session_timeout_ms=6000,
                             kafka_heartbeat_interval_ms=1000)
    repo = EventRepository(url)
    registry = CollectorRegistry()
    consumer = make_consumer(settings, "bench-store", group, [EVENTS_TOPIC])
    publisher = Publisher(make_producer(settings, "bench-store"))
    loop, handler = make_loop(consumer, publisher, repo, StoreMetrics(registry), None, 3, writers=writers)
    # the clock starts with the first batch: the group join wait is Kafka's, not the store's
    t0 = None
    consumed = 0
    while consumed < n_events:
        started = time.perf_counter()
        got = loop.run_batch(timeout_ms=1000)
        if got and t0 is None:
            t0 = started
        consumed += got
    loop.drain()  # the last batches' write, still in flight or collected
    elapsed = time.perf_counter() - t0
    stored = repo.count()
    loop.close()
    handler.close()
    publisher.close()
    repo.close()
    return elapsed, stored, handler.totals.inserted


PER_YEAR = 50_000


def preload(url: str, n: int) -> None:
    t0 = time.perf_counter()
    repo = EventRepository(url)
    for start in range(0, n, 5000):
        # earlier years, each as busy as the timed one: a store with history, not a denser 2025
        year = 2024 - start // PER_YEAR
        repo.upsert_many(synthetic_events(min(5000, n - start), seed=1000 + start, start=date(year, 1, 1)))
    print(f"  ({url.split(':')[0]}: preloaded {repo.count_reports():,} reports in {time.perf_counter() - t0:.0f}s)")
    repo.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--preload", type=int, default=0, help="reports already in the store before the timed run")
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    events = synthetic_events(args.events)
    print(f"store ingestion benchmark: {len(events):,} events from Kafka through the store's consumer loop")
    results = []
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        settings = StoreSettings(kafka_bootstrap=broker.bootstrap)
        ensure_topics(settings)
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap, enable_idempotence=True, acks="all",
                                 linger_ms=20, batch_size=256 * 1024)
        t0 = time.perf_counter()
        for e in events:
            producer.send(EVENTS_TOPIC, key=e.event_id.encode(), value=e.to_bytes())
        producer.flush()
        producer.close()
        print(f"  (produced in {time.perf_counter() - t0:.1f}s)")
        n_events = len(events)
        del events  # the benchmark's own copy: not part of what a store process holds
        writers = StoreSettings().store_writers
        with bench_databases(args.postgres, Path(tmp)) as targets:
            for name, url in targets:
                runs = [1, writers] if name == "PostgreSQL" and writers > 1 else [1]
                for n in runs:
                    empty(url)
                    if args.preload:
                        preload(url, args.preload)
                    tune_gc()  # as `wirewatch store` and `wirewatch run` do on start
                    elapsed, stored, inserted = run_store(broker.bootstrap, url, n_events, f"bench-{name}-{n}", n)
                    results.append((f"{name} x{n}" if len(runs) > 1 else name, elapsed, stored, inserted))
    print(f"\n{'database, writers':<18} {'seconds':>8} {'events/s':>9} {'reports':>8} {'merged events':>14}")
    for name, elapsed, stored, inserted in results:
        print(f"{name:<18} {elapsed:>8.1f} {n_events / elapsed:>9.0f} {inserted:>8,} {stored:>14,}")
    rate = {name: n_events / elapsed for name, elapsed, _, _ in results}
    if f"PostgreSQL x{writers}" in rate:
        print(f"PostgreSQL, {writers} writers / 1 writer: {rate[f'PostgreSQL x{writers}'] / rate['PostgreSQL x1']:.2f}")
    best_pg = max((r for n, r in rate.items() if n.startswith("PostgreSQL")), default=None)
    if best_pg and "SQLite" in rate:
        print(f"PostgreSQL / SQLite throughput: {best_pg / rate['SQLite']:.2f}")
    return 0


def empty(url: str) -> None:
    """A store with nothing in it (the schema stays): each run starts from the same state."""
    repo = EventRepository(url)
    with repo.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("TRUNCATE reports, events, story_links")  # new files: no dead rows left
        else:
            for table in ("reports", "events", "story_links"):
                conn.exec_driver_sql(f"DELETE FROM {table}")
    repo.close()


if __name__ == "__main__":
    threading.excepthook = lambda a: None
    sys.exit(main())
