"""What analysts' reviews cost the write path: every merged event the writer builds looks up the
active reviews of its reports (``review.active_reviews``). The same reports are written, in the same
batches, into three fresh stores per database, side by side in one run:

* baseline: the lookup replaced by "no reviews" (the write path as it was before reviews);
* reviews, none made: the lookup runs and finds nothing;
* reviews, many made: ``--reviews`` reviews on stored reports, then the same batches as revisions
  of the reviewed neighbourhoods and new reports.

It prints the median batch write time of each and its ratio to the baseline.

    .venv/bin/python bench/store_review.py [--reports 20000] [--batch 500] [--reviews 1000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from databases import bench_databases  # noqa: E402

from services.common.contracts import Event  # noqa: E402
from services.store import writer  # noqa: E402
from services.store.prepare import PreparedReport, prepare  # noqa: E402
from services.store.repository import EventRepository  # noqa: E402
from services.store.review import ReviewRequest  # noqa: E402
from tests.helpers import random_reports  # noqa: E402


def _batches(reports: list[PreparedReport], size: int) -> list[list[PreparedReport]]:
    return [reports[i:i + size] for i in range(0, len(reports), size)]


def _write(repo: EventRepository, batches: list[list[PreparedReport]]) -> list[float]:
    times = []
    for batch in batches:
        t0 = time.perf_counter()
        repo.upsert_prepared(batch)
        times.append(time.perf_counter() - t0)
    return times


def _revised(reports: list[PreparedReport]) -> list[PreparedReport]:
    """Every report again with one more fatality: each batch rewrites its clusters."""
    out = []
    for r in reports:
        data = dict(r.data)
        data["fatalities"] = (data.get("fatalities") or 0) + 1
        out.append(prepare(Event.model_validate(data).to_bytes()))
    return out


def run(url: str, reports: list[PreparedReport], batch: int, n_reviews: int, lookup: bool) -> tuple[float, float]:
    """Median seconds per batch for the first write and for the revision of every report."""
    original = writer.review.active_reviews
    if not lookup:
        writer.review.active_reviews = lambda conn, dialect, ids: {}  # type: ignore[assignment]
    try:
        repo = EventRepository(url)
        first = _write(repo, _batches(reports, batch))
        rng = random.Random(3)
        for r in rng.sample(reports, min(n_reviews, len(reports))):
            action = rng.choice(["confirm", "reject", "correct"])
            body = {"action": action, "reason": "bench", "reviewer": "bench"}
            if action == "correct":
                body["fields"] = {"fatalities": rng.randrange(50)}
            repo.reviews.review(r.event_id, ReviewRequest.model_validate(body))
        again = _write(repo, _batches(_revised(reports), batch))
        repo.close()
    finally:
        writer.review.active_reviews = original
    return statistics.median(first), statistics.median(again)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--reviews", type=int, default=1000)
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    reports = [prepare(e.to_bytes()) for e in random_reports(random.Random(1), args.reports)]
    print(f"{args.reports} reports in batches of {args.batch}; median seconds per batch (first write, "
          f"then a revision of every report)")
    arms = (("baseline (no review lookup)", False, 0), ("reviews, none made", True, 0),
            (f"reviews, {args.reviews} made", True, args.reviews))
    results: dict[str, list[tuple[str, float, float]]] = {}
    for arm_name, lookup, n_reviews in arms:
        with tempfile.TemporaryDirectory() as tmp, bench_databases(args.postgres, Path(tmp)) as targets:
            for db_name, url in targets:  # a fresh store of each database for every arm
                first, again = run(url, reports, args.batch, n_reviews, lookup)
                results.setdefault(db_name, []).append((arm_name, first, again))
    for db_name, rows in results.items():
        base_first, base_again = rows[0][1], rows[0][2]
        for arm_name, first, again in rows:
            print(f"{db_name:10s} {arm_name:30s} write {first * 1000:8.1f} ms ({first / base_first:4.2f}x)   "
                  f"revise {again * 1000:8.1f} ms ({again / base_again:4.2f}x)")


if __name__ == "__main__":
    main()
