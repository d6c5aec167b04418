"""Load: the year of real feed items (rss-archive, 24,964) through the three-process pipeline.

    .venv/bin/python bench/load.py [--items 0 (all)] [--duration 300] [--poll 2] [--database postgres]

The replay server publishes the items in time order on a virtual clock that runs the year in
``--duration`` real seconds; ingest polls each outlet's feed every ``--poll`` seconds and fetches
every article page. Prints stories/s and events/s over the whole run; the end-to-end latency
p50/p95/p99 from the store's exported histogram ``wirewatch_end_to_end_latency_seconds`` (from
ingest first seeing an item in its feed to its event first stored; quantiles from the buckets, as
Prometheus's histogram_quantile), and as a cross-check the harness's own measure from an item
appearing in its feed (the real moment the virtual clock passes its publication time, so it also
holds the wait for the next poll) to its report being visible in the store's database (sampled
every 0.25 s), and where it goes, stage by stage (``bench/harness/stages.py``: the poll wait, the
article fetch and text, the chunk and publish, extract, store and visibility, from the stories' own
timestamps and the records' producer timestamps); CPU seconds and peak RSS per service from /proc, and each service's RSS at the end
of each fifth of the year (five cycles of the same processes: memory must stay flat).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.harness.digest import end_offsets  # noqa: E402
from bench.harness.pipeline import SERVICES, Pipeline, RunConfig, RunStuck  # noqa: E402
from bench.harness.quantiles import histogram_quantile, read_histogram  # noqa: E402
from bench.harness.replay import load_items  # noqa: E402
from bench.harness.stages import STAGES, quantile, read_records, stage_latencies, story_moments  # noqa: E402
from services.common.contracts import EVENTS_TOPIC, STORIES_TOPIC  # noqa: E402
from services.ingest.urls import canonical_url, story_id_for  # noqa: E402

LATENCY_METRIC = "wirewatch_end_to_end_latency_seconds"


class Visibility:
    """Polls the store's reports: the first moment each report was visible, by its story."""

    def __init__(self, url: str, interval_s: float = 0.25) -> None:
        self.url, self.interval_s = url, interval_s
        self.first_seen: dict[str, tuple[str, float]] = {}  # event_id -> (story_id, time)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="visibility", daemon=True)

    def start(self) -> Visibility:
        self._thread.start()
        return self

    def _run(self) -> None:
        engine = create_engine(self.url)
        while not self._stop.is_set():
            try:
                with engine.connect() as conn:
                    rows = conn.execute(text("SELECT event_id, story_id FROM reports")).all()
                now = time.time()
                for event_id, story_id in rows:
                    self.first_seen.setdefault(event_id, (story_id, now))
            except Exception:  # the schema not made yet
                pass
            self._stop.wait(self.interval_s)
        engine.dispose()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


_pct = quantile


def print_stages(stages: dict[str, list[float]]) -> None:
    """One line per stage: how many stories reached both ends, and the stage's p50/p95/p99/max."""
    print(f"{'stage (harness, per story)':<38} {'stories':>8} {'p50 s':>6} {'p95 s':>6} {'p99 s':>6} {'max s':>6}")
    for label, start, end in STAGES:
        values = stages[label]
        print(f"{f'{label} ({start}->{end})':<38} {len(values):>8} {quantile(values, .5):>6.2f} "
              f"{quantile(values, .95):>6.2f} {quantile(values, .99):>6.2f} {max(values, default=float('nan')):>6.2f}")


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - one linear measurement script
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=0, help="archive items (0: all 24,964)")
    ap.add_argument("--duration", type=float, default=300.0, help="real seconds the archive year is replayed in")
    ap.add_argument("--poll", type=float, default=2.0, help="ingest's poll interval per feed (seconds)")
    ap.add_argument("--window", type=int, default=200, help="items in each feed (ingest takes up to 200 a poll)")
    ap.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    ap.add_argument("--timeout", type=float, default=1800.0)
    args = ap.parse_args(argv)
    items = load_items(args.items or None)
    config = RunConfig(items, duration_s=args.duration, database=args.database, poll_interval_s=args.poll,
                       window=args.window)
    fifths: list[dict[str, float]] = []
    with Pipeline(config) as p:
        seen = Visibility(p.store_url).start()
        t0 = time.time()
        marks = [items[min(len(items) - 1, (k * len(items)) // 5 - 1)] for k in range(1, 6)]
        for mark in marks:
            while time.time() < p.replay.appeared_at(mark) + args.poll:
                p.supervise()
                p.sample()
                time.sleep(0.5)
            fifths.append({name: p.services[name].sample().rss_mb for name in SERVICES})
        try:
            digest = p.wait_quiet(args.timeout, quiet_s=3 * args.poll + 5)
            elapsed = time.time() - t0 - (3 * args.poll + 5)  # the quiet period proves the end; it is not work
        except RunStuck:
            digest, elapsed = p.digest(), time.time() - t0
            print(f"NOT DONE: the pipeline was still busy after --timeout {args.timeout:.0f}s; figures so far")
        seen.stop()
        exported = read_histogram(f"http://127.0.0.1:{p.api_port}/metrics", LATENCY_METRIC)
        usage = {name: p.services[name].sample() for name in SERVICES}
        peaks = {name: p.services[name].peak_rss_mb for name in SERVICES}
        restarts = {name: p.services[name].starts - 1 for name in SERVICES}
        stories = end_offsets(p.broker.bootstrap, STORIES_TOPIC)
        by_story = {story_id_for(canonical_url(p.replay.page_url(i))): i for i in items}
        latencies = [t - p.replay.appeared_at(by_story[s]) for s, t in seen.first_seen.values() if s in by_story]
        stored: dict[str, float] = {}
        for story_id, t in seen.first_seen.values():
            stored[story_id] = min(stored.get(story_id, t), t)
        stages = stage_latencies(
            story_moments(read_records(p.broker.bootstrap, STORIES_TOPIC), read_records(p.broker.bootstrap, EVENTS_TOPIC)),
            {s: p.replay.appeared_at(i) for s, i in by_story.items()}, stored)
        codes = p.stop_services(30.0)
    print(f"items {len(items)} replayed in {args.duration:.0f}s of feed time, poll {args.poll:.0f}s, "
          f"{args.database}; done in {elapsed:.0f}s")
    print(f"{'stories':>8} {'stories/s':>10} {'reports':>8} {'events':>7} {'events/s':>9} "
          f"{'p50 s':>6} {'p95 s':>6} {'p99 s':>6} {'seen p50':>9} {'seen p95':>9} {'seen p99':>9}")
    print(f"{stories:>8} {stories / elapsed:>10.1f} {digest.reports:>8} {digest.events:>7} "
          f"{digest.reports / elapsed:>9.1f} {histogram_quantile(.5, exported):>6.2f} "
          f"{histogram_quantile(.95, exported):>6.2f} {histogram_quantile(.99, exported):>6.2f} "
          f"{_pct(latencies, .5):>9.2f} {_pct(latencies, .95):>9.2f} {_pct(latencies, .99):>9.2f}")
    print(f"stories published for {stories / len(items):.1%} of the items (an item that left its feed's "
          f"{args.window}-item window before ingest polled it is missed, as it would be in production)")
    print(f"p50/p95/p99: {LATENCY_METRIC} from the store's /metrics, {exported.count:.0f} events first stored, "
          f"from ingest first seeing the item; seen p50/p95/p99: the harness's cross-check over {len(latencies)} "
          f"reports, from the item appearing in its feed (median "
          f"{statistics.median(latencies) if latencies else 0:.2f}s)")
    print_stages(stages)
    print(f"{'service':<8} {'cpu s':>7} {'peak MB':>8} " + " ".join(f"{f'rss@{k}/5':>8}" for k in range(1, 6))
          + f" {'restarts':>8} {'exit':>5}")
    for name in SERVICES:
        print(f"{name:<8} {usage[name].cpu_s:>7.1f} {peaks[name]:>8.0f} "
              + " ".join(f"{f[name]:>8.0f}" for f in fifths)
              + f" {restarts[name]:>8} {str(codes.get(name, ('-',))[0]):>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
