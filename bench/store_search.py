"""Free text (``q``) on a store of 1,000,000 merged events, PostgreSQL and SQLite side by side: the
full-text index against the old full scan (``evidence_text LIKE '%q%'``) as the baseline, in the
same run, on the same rows, alone and combined with the other filters.

The events' text, actors and places are real ACLED coding (../shared/data/acled*/, read at run time:
Afghanistan, Somalia, Mexico, Yemen), each row sampled many times over ten years of dates, so the
words and their frequencies are those of real event notes. The queries are what analysts type:
places, actors, a word, a prefix being typed, and those with a province, a month or a type.

Latency is one ``GET /events`` page (100 events, newest first) as the API's reader answers it,
in-process, one query at a time; p50/p95 per kind of query, and the baseline's over a sample.
Then every query's page (its ids in order, and the next cursor) is checked against the page of the
one-query reference (``reference_condition``: ``q``'s condition alone, as the planner plans it): the
walks, windows and plans the index takes must not change an answer; the run exits 1 if one differs.
(The LIKE baseline is a substring, not ``q``'s meaning: it is timed, not compared.)

    .venv/bin/python bench/store_search.py [--events 1000000] [--requests 400] [--baseline-requests 60]
    .venv/bin/python bench/store_search.py --url sqlite:////tmp/store.db   # a store loaded before
    .venv/bin/python bench/store_search.py --keep sqlite:////tmp/store.db  # loaded there once, then reused
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bulk_events import bulk_load, event_rows  # noqa: E402
from databases import bench_databases  # noqa: E402
from sqlalchemy import Connection, text  # noqa: E402

from services.store import search  # noqa: E402
from services.store.queries import EventQuery, EventReader  # noqa: E402
from services.store.repository import EventRepository  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CORPUS = {"AF": "acled/acled-afghanistan-2019-q2.csv", "SO": "acled-world/acled-somalia-2025-q3.csv",
          "MX": "acled-world/acled-mexico-2020.csv", "YE": "acled-world/acled-yemen-2020.csv"}
START = date(2016, 1, 1)
DAYS = 3650
COMMON = ["killed", "attack", "protest", "police", "wounded", "clashes"]


def corpus() -> list[dict]:
    """The real ACLED rows the synthetic events are drawn from."""
    rows = []
    for country, name in CORPUS.items():
        with (SHARED / name).open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                rows.append({**r, "country": country})
    return rows


def like_condition(_conn: Connection, q: str, _fields=None, _windowed: bool = False) -> search.TextCondition:
    """The old path, the baseline: a substring of the lower-cased evidence, by full scan."""
    return search.TextCondition("evidence_text LIKE :fts", "%" + q.lower().replace("%", "").replace("_", "") + "%")


def reports(n: int, rows: list[dict], seed: int = 3) -> Iterator[dict]:
    """``n`` reports (``Event`` contract JSON), each a real ACLED row on a random day of ten years."""
    rng = random.Random(seed)
    for _ in range(n):
        r = rng.choice(rows)
        day = START + timedelta(days=rng.randrange(DAYS))
        eid = uuid.UUID(int=rng.getrandbits(128)).hex
        sid = uuid.UUID(int=rng.getrandbits(128)).hex
        note = r["Notes"]
        yield {"event_id": eid, "story_id": sid, "event_date": day.isoformat(), "date_precision": "day",
               "event_type": r["Type"], "sub_event_type": r["Sub_type"],
               "actor1": {"name": r["Actor1"], "surface_forms": []} if r["Actor1"] else None,
               "actor2": {"name": r["Actor2"], "surface_forms": []} if r["Actor2"] else None,
               "country": r["country"], "admin1": r["admin1"], "admin2": None, "location": r["Location"],
               "latitude": float(r["latitude"]), "longitude": float(r["longitude"]), "geo_precision": 1,
               "fatalities": int(r["Fatalities"] or 0), "confidence": 0.8, "claims": [], "casualties": [],
               "sources": [{"story_id": sid, "outlet": f"Outlet {rng.randrange(40)}",
                            "url": f"https://news.example/{sid}", "published_at": f"{day}T08:00:00+00:00"}],
               "evidence": [{"text": note, "start": 0, "end": len(note)}], "extractor": "bench/store_search"}


def load(url: str, n: int, rows: list[dict], seed: int = 3) -> int:
    """Fill the empty store at ``url`` with ``n`` merged events, each one report, as the writer
    would store them, in bulk (``bulk_events``: the indexes and the search index built once after
    the rows are in)."""
    return bulk_load(url, event_rows(reports(n, rows, seed)))


def analyst_queries(rng: random.Random, rows: list[dict], n: int) -> list[tuple[str, dict]]:
    """``n`` (kind, filters) pairs: what analysts type, alone and with other filters."""
    out = []
    for _ in range(n):
        r = rng.choice(rows)
        place = r["Location"]
        actor_word = next((w for w in search.terms(r["Actor1"] or "police") if len(w) > 3), "police")
        since = START + timedelta(days=rng.randrange(DAYS - 400))
        kind = rng.choice(["place", "actor", "typing a place", "actor + place", "common word",
                           "q + month", "q + province", "q + type", "q + country, year"])
        params: dict = {
            "place": {"q": place},
            "actor": {"q": r["Actor1"] or "police"},
            "typing a place": {"q": place[:4] if len(place) >= 4 else place},
            "actor + place": {"q": f"{actor_word} {place}"},
            "common word": {"q": rng.choice(COMMON)},
            "q + month": {"q": actor_word, "since": since, "until": since + timedelta(days=30)},
            "q + province": {"q": rng.choice(COMMON), "admin1": r["admin1"]},
            "q + type": {"q": place, "event_type": r["Type"]},
            "q + country, year": {"q": rng.choice(COMMON), "country": r["country"], "since": since,
                                  "until": since + timedelta(days=365)},
        }[kind]
        out.append((kind, params))
    return out


def reference_condition(conn: Connection, q: str, _fields=None, _windowed: bool = False) -> search.TextCondition:
    """What ``q`` means as one query, the planner's plan (no windows, no filter words, no plan
    settings): the page it gives is the page by the meaning of SQL, whatever the plan."""
    return search.condition(conn, q, {}, False)


def page_ids(reader: EventReader, params: dict) -> list[str]:
    raw, cursor = reader.query_raw(EventQuery(**params, limit=100))
    return [json.loads(p)["event_id"] for p in raw] + [cursor or ""]


def timed(reader: EventReader, params: dict) -> float:
    t0 = time.perf_counter()
    reader.query_raw(EventQuery(**params, limit=100))
    return time.perf_counter() - t0


def check(url: str, queries) -> list[tuple[str, dict]]:
    """The queries whose page (ids, order and next cursor) differs from the one-query reference's
    (``reference_condition``); none if the index's walks, windows and plans are exact."""
    repo = EventRepository(url)
    indexed, reference = EventReader(repo.engine), EventReader(repo.engine, reference_condition)
    wrong = [(kind, params) for kind, params in queries if page_ids(indexed, params) != page_ids(reference, params)]
    repo.close()
    return wrong


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] * 1000


def run(url: str, queries, baseline_every: int) -> tuple[dict, dict]:
    """(index latencies, baseline latencies) by kind; the baseline on every ``baseline_every``-th
    query, interleaved with the index's so that both see the same machine."""
    repo = EventRepository(url)
    indexed, scanned = EventReader(repo.engine), EventReader(repo.engine, like_condition)
    fast: dict[str, list[float]] = {}
    slow: dict[str, list[float]] = {}
    for _, params in queries[:50]:  # warm the caches
        timed(indexed, params)
    for i, (kind, params) in enumerate(queries):
        fast.setdefault(kind, []).append(timed(indexed, params))
        if i % baseline_every == 0:
            slow.setdefault(kind, []).append(timed(scanned, params))
    repo.close()
    return fast, slow


def table(name: str, fast: dict, slow: dict) -> None:
    print(f"\n{name}: {'query':<20}{'index p50':>12}{'index p95':>12}{'LIKE p50':>12}{'LIKE p95':>12}{'p50 ratio':>11}")
    for kind in [*sorted(fast), "all"]:
        f = [x for xs in fast.values() for x in xs] if kind == "all" else fast[kind]
        s = [x for xs in slow.values() for x in xs] if kind == "all" else slow.get(kind, [])
        base = f"{pct(s, 0.5):>9.1f} ms{pct(s, 0.95):>9.1f} ms{pct(s, 0.5) / max(pct(f, 0.5), 1e-6):>10.0f}x" if s \
            else f"{'-':>12}{'-':>12}{'-':>11}"
        print(f"{'':<{len(name) + 2}}{kind:<20}{pct(f, 0.5):>9.1f} ms{pct(f, 0.95):>9.1f} ms{base}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--baseline-requests", type=int, default=60)
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--databases", help="postgres,sqlite (default: both)")
    ap.add_argument("--url", action="append", default=[],
                    help="measure this already loaded store instead of loading scratch ones (repeatable)")
    ap.add_argument("--no-check", action="store_true",
                    help="skip comparing every query's page with the one-query reference's (ids, order, cursor)")
    ap.add_argument("--keep", action="append", default=[],
                    help="load --events into this store if it is empty, keep it, and measure it; a later run "
                         "with the same --keep reuses it (repeatable)")
    args = ap.parse_args()
    rows = corpus()
    queries = analyst_queries(random.Random(9), rows, args.requests)
    every = max(1, args.requests // max(1, args.baseline_requests))
    results = {}
    checked: dict[str, list | None] = {}
    for url in args.keep:
        with EventRepository(url).engine.connect() as conn:
            stored = conn.execute(text("SELECT COUNT(*) FROM events")).scalar_one()
        if not stored:
            t0 = time.perf_counter()
            load(url, args.events, rows)
            print(f"loaded {args.events:,} events in bulk into {url} (kept) in {time.perf_counter() - t0:.0f}s")
    for url in [*args.keep, *args.url]:
        name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        with EventRepository(url).engine.connect() as conn:
            print(f"{name}: {conn.execute(text('SELECT COUNT(*) FROM events')).scalar_one():,} events at {url}")
        results[name] = run(url, queries, every)
        checked[name] = None if args.no_check else check(url, queries)
    with tempfile.TemporaryDirectory() as tmp:
        only = set(args.databases.split(",")) if args.databases else None
        with bench_databases(args.postgres, Path(tmp), only) as all_targets:
            for name, url in [] if args.url or args.keep else all_targets:
                t0 = time.perf_counter()
                load(url, args.events, rows)
                print(f"{name}: loaded {args.events:,} events in bulk (indexes and search index built after) in "
                      f"{time.perf_counter() - t0:.0f}s")
                with EventRepository(url).engine.connect() as conn:
                    print(f"{name}: {conn.execute(text('SELECT COUNT(*) FROM events')).scalar_one():,} events")
                results[name] = run(url, queries, every)
                checked[name] = None if args.no_check else check(url, queries)
    size = "the stores above" if args.url or args.keep else f"{args.events:,} events"
    print(f"\nGET /events page of 100, newest first, on {size}; {args.requests} queries "
          f"(the LIKE baseline on every {every}th), one at a time, in-process")
    for name, (fast, slow) in results.items():
        table(name, fast, slow)
    for name, (fast, slow) in results.items():
        f = [x for xs in fast.values() for x in xs]
        s = [x for xs in slow.values() for x in xs]
        print(f"{name}: index p95 {pct(f, 0.95):.1f} ms over all queries (target <= 50 ms), median "
              f"{statistics.median(f) * 1000:.1f} ms; LIKE baseline p95 {pct(s, 0.95):.0f} ms, median "
              f"{statistics.median(s) * 1000:.0f} ms ({statistics.median(s) / statistics.median(f):.0f}x the index's)")
    for name, wrong in checked.items():
        if wrong is not None:
            print(f"{name}: pages identical to the one-query reference's for {len(queries) - len(wrong)} of "
                  f"{len(queries)} queries" + "".join(f"\n  differs: {kind} {params}" for kind, params in wrong[:10]))
    return 1 if any(checked.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
