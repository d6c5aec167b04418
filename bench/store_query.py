"""`GET /events` latency with typical analyst filters on a store holding 1,000,000 merged events,
PostgreSQL and SQLite side by side. The API runs in its own process (uvicorn, as deployed); a load
generator in this process sends requests over loopback with a few in flight, and prints the
latency percentiles per kind of query.

    .venv/bin/python bench/store_query.py [--events 1000000] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from databases import bench_databases  # noqa: E402
from sqlalchemy import text  # noqa: E402

from services.common.net import free_port  # noqa: E402
from services.extract.gazetteer import default_gazetteer  # noqa: E402
from services.store import merge  # noqa: E402
from services.store.queries import encode_cursor  # noqa: E402
from services.store.repository import EventRepository  # noqa: E402
from services.store.schema import EVENT_COLUMNS, event_row  # noqa: E402

TYPES = [("Battles", "Armed clash"), ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
         ("Explosions/Remote violence", "Air/drone strike"), ("Violence against civilians", "Attack"),
         ("Strategic developments", "Arrests"), ("Protests", "Peaceful protest")]
ACTORS = ["Taliban", "Islamic State (Afghanistan)", "Unidentified Armed Group (Afghanistan)"]
START = date(2016, 1, 1)
DAYS = 3650

SERVER = """
import sys, uvicorn
from prometheus_client import CollectorRegistry
from services.common.ops import Health
from services.store.api import create_app
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
repo = EventRepository(sys.argv[1])
registry = CollectorRegistry()
uvicorn.run(create_app(repo, Health(), registry, StoreMetrics(registry)), host="127.0.0.1",
            port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def load(url: str, n: int, seed: int = 3) -> None:
    """Fill the events table with ``n`` merged events (bulk insert, as a restore would)."""
    rng = random.Random(seed)
    districts = [d for ds in default_gazetteer().districts_of.values() for d in ds]
    repo = EventRepository(url)
    cols = ", ".join(EVENT_COLUMNS)
    vals = ", ".join(f":{c}" for c in EVENT_COLUMNS)
    with repo.engine.begin() as conn:
        batch = []
        for _ in range(n):
            d = rng.choice(districts)
            etype, sub = rng.choice(TYPES)
            day = START + timedelta(days=rng.randrange(DAYS))
            eid = uuid.UUID(int=rng.getrandbits(128)).hex
            sid = uuid.UUID(int=rng.getrandbits(128)).hex
            sentence = f"Fighting was reported in {d.name} district of {d.admin1} province on {day}, officials said."
            report = {"event_id": eid, "story_id": sid, "event_date": day.isoformat(), "date_precision": "day",
                      "event_type": etype, "sub_event_type": sub,
                      "actor1": {"name": rng.choice(ACTORS), "surface_forms": []},
                      "actor2": {"name": "Military Forces of Afghanistan", "surface_forms": []}, "country": "AF",
                      "admin1": d.admin1, "admin2": d.admin2, "location": d.name, "latitude": d.latitude,
                      "longitude": d.longitude, "geo_precision": 1, "fatalities": rng.choice([0, 0, 1, 2, 3, 5, 8, 13]),
                      "confidence": 0.8, "claims": [], "casualties": [],
                      "sources": [{"story_id": sid, "outlet": f"Outlet {rng.randrange(40)}",
                                   "url": f"https://news.example/{sid}", "published_at": f"{day}T08:00:00+00:00"}],
                      "evidence": [{"text": sentence, "start": 0, "end": len(sentence)}]}
            batch.append(dict(zip(EVENT_COLUMNS, event_row(merge.merge([report])), strict=True)))
            if len(batch) == 20_000:
                conn.execute(text(f"INSERT INTO events ({cols}) VALUES ({vals})"), batch)
                batch = []
        if batch:
            conn.execute(text(f"INSERT INTO events ({cols}) VALUES ({vals})"), batch)
        if repo.engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE events"))
        else:
            conn.exec_driver_sql("ANALYZE")
    repo.close()


def typical_queries(rng: random.Random, n: int) -> list[tuple[str, dict]]:
    provinces = list(default_gazetteer().provinces.values())
    out = []
    for _ in range(n):
        kind = rng.choice(["latest", "province+month", "province+type", "actor+year", "deadly", "bbox+month",
                           "page 2", "deep page"])
        since = START + timedelta(days=rng.randrange(DAYS - 400))
        p = rng.choice(provinces).admin1
        params: dict = {
            "latest": {},
            "province+month": {"admin1": p, "since": since, "until": since + timedelta(days=30)},
            "province+type": {"admin1": p, "event_type": rng.choice(TYPES)[0]},
            "actor+year": {"actor": rng.choice(ACTORS), "since": since, "until": since + timedelta(days=365)},
            "deadly": {"min_fatalities": 8, "since": since, "until": since + timedelta(days=90)},
            "bbox+month": {"bbox": "68.0,36.0,70.0,38.0", "since": since, "until": since + timedelta(days=30)},
            "page 2": {"admin1": p},
            # where paging through everything reaches, years back (a cursor as the API writes them)
            "deep page": {"cursor": encode_cursor(since.isoformat(), "")},
        }[kind]
        out.append((kind, {k: str(v) for k, v in params.items()}))
    return out


async def hammer(base: str, queries, concurrency: int = 4) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        async def one(kind: str, params: dict) -> None:
            async with sem:
                if kind == "page 2":
                    first = (await client.get("/events", params=params)).json()
                    params = {**params, "cursor": first["next_cursor"]} if first.get("next_cursor") else params
                t0 = time.perf_counter()
                r = await client.get("/events", params=params)
                elapsed = time.perf_counter() - t0
                if r.status_code != 200:
                    raise RuntimeError(f"{r.status_code} {r.text[:200]}")
                results.setdefault(kind, []).append(elapsed)

        await asyncio.gather(*(one(k, p) for k, p in queries))
    return results


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--databases", help="postgres,sqlite (default: both)")
    args = ap.parse_args()
    queries = typical_queries(random.Random(9), args.requests)
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        only = set(args.databases.split(",")) if args.databases else None
        with bench_databases(args.postgres, Path(tmp), only) as targets:
            for name, url in targets:
                t0 = time.perf_counter()
                load(url, args.events)
                print(f"{name}: loaded {args.events:,} events in {time.perf_counter() - t0:.0f}s")
                port = free_port()
                proc = subprocess.Popen([sys.executable, "-c", SERVER, url, str(port)], cwd=ROOT)
                try:
                    base = f"http://127.0.0.1:{port}"
                    for _ in range(100):
                        try:
                            httpx.get(f"{base}/healthz", timeout=1)
                            break
                        except httpx.HTTPError:
                            time.sleep(0.1)
                    asyncio.run(hammer(base, queries[:100]))  # warm caches
                    report[name] = asyncio.run(hammer(base, queries))
                finally:
                    proc.terminate()
                    proc.wait(10)
    print(f"\nGET /events on {args.events:,} stored events, {args.requests} requests, 4 in flight, loopback")
    names = list(report)
    print(f"{'query':<16}" + "".join(f"{n + ' p50':>16}{n + ' p95':>16}" for n in names))
    kinds = sorted({k for r in report.values() for k in r})
    for kind in kinds + ["all"]:
        cells = ""
        for n in names:
            xs = [x for xs in report[n].values() for x in xs] if kind == "all" else report[n][kind]
            cells += f"{pct(xs, 0.5):>13.1f} ms{pct(xs, 0.95):>13.1f} ms"
        print(f"{kind:<16}{cells}")
    for n in names:
        xs = [x for xs in report[n].values() for x in xs]
        print(f"{n}: p95 {pct(xs, 0.95):.1f} ms over all queries (target <= 50 ms); median {statistics.median(xs) * 1000:.1f} ms")
    print(json.dumps({n: round(pct([x for xs in r.values() for x in xs], 0.95), 1) for n, r in report.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
