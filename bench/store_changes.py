"""What the change feed costs the write path: the same reports written through the repository with
the feed recorded (as the store runs) and with ``changes.record`` replaced by a no-op (the
baseline), alternating, into an emptied store each time, on PostgreSQL and SQLite. Prints the
median time of each and their ratio, taken in one run.

    .venv/bin/python bench/store_changes.py [--events 20000] [--rounds 3] [--batch 500]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from databases import bench_databases  # noqa: E402
from sqlalchemy import text  # noqa: E402
from store_ingest import synthetic_events  # noqa: E402

from services.store import changes, writer  # noqa: E402
from services.store.prepare import prepare  # noqa: E402
from services.store.repository import EventRepository  # noqa: E402

TABLES = ("events", "reports", "story_links", "event_changes")
RECORD = changes.record  # the real one; the baseline swaps in a no-op


def timed_write(repo: EventRepository, reports, batch: int, with_feed: bool) -> tuple[float, int]:
    with repo.engine.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
    writer.feed.record = RECORD if with_feed else (lambda *_: 0)  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    for start in range(0, len(reports), batch):
        repo.upsert_prepared(reports[start:start + batch])
    elapsed = time.perf_counter() - t0
    writer.feed.record = RECORD  # type: ignore[attr-defined]
    with repo.engine.connect() as conn:
        entries = conn.execute(text("SELECT COUNT(*) FROM event_changes")).scalar_one()
    return elapsed, entries


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    reports = [prepare(e.to_bytes()) for e in synthetic_events(args.events)]
    with tempfile.TemporaryDirectory() as tmp, bench_databases(args.postgres, Path(tmp)) as targets:
        for name, url in targets:
            repo = EventRepository(url)
            runs: dict[bool, list[float]] = {True: [], False: []}
            entries = 0
            for _ in range(args.rounds):
                for with_feed in (False, True):
                    elapsed, n = timed_write(repo, reports, args.batch, with_feed)
                    runs[with_feed].append(elapsed)
                    entries = max(entries, n)
            base, feed = statistics.median(runs[False]), statistics.median(runs[True])
            print(f"{name}: {args.events} reports in batches of {args.batch}, median of {args.rounds}: "
                  f"without feed {base:.2f} s ({args.events / base:,.0f}/s), with feed {feed:.2f} s "
                  f"({args.events / feed:,.0f}/s, {entries} entries): ratio {feed / base:.3f}")
            repo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
