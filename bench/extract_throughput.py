"""Throughput of the default extractor: stories per second on one core, single process, on the
ACLED notes (Afghanistan, and the world files), the ISAF press releases, and long articles (the seeds and
the extraction benchmark's article bodies) in ../shared, and the rss-archive items the load replay
publishes (title and feed description: short texts). Each corpus is run 3 times after a first pass
(which also builds the gazetteer and actor regexes); the median is printed, and the first pass's rate:
in the pipeline every story is new, so what a first pass costs per story (what repeats cannot reuse)
is what the service pays.

    .venv/bin/python bench/extract_throughput.py [--corpus rss-archive --corpus 'ACLED notes' ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness.replay import load_items  # noqa: E402
from services.extract.extractor import RuleExtractor, story_from_text  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def corpora() -> dict[str, list[str]]:
    with (DATA / "acled" / "acled-afghanistan-2019-q2.csv").open(encoding="utf-8") as f:
        acled = [r["Notes"] for r in csv.DictReader(f)]
    isaf = [json.loads(line)["text"] for line in
            (DATA / "isaf" / "isaf-press-releases-dev.jsonl").read_text(encoding="utf-8").split("\n") if line.strip()]
    world = []
    for path in sorted((DATA / "acled-world").glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            world += [r["Notes"] for r in csv.DictReader(f)]
    seeds = [p.read_text(encoding="utf-8") for p in sorted((DATA.parent / "seeds").glob("*.txt"))]
    bodies = [v["articleBody"] for v in
              json.loads((DATA / "extraction-benchmark" / "ground-truth.json").read_text(encoding="utf-8")).values()
              if v.get("articleBody")]
    archive = [f"{i.title}\n\n{i.text}" for i in load_items(3000)[1000:]]  # past the gazetteer's load
    return {"rss-archive": archive, "ACLED notes": acled, "ACLED world": world, "ISAF releases": isaf, "seed articles": seeds,
            "news articles": bodies}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", action="append", help="only these corpora (by name; repeatable)")
    args = ap.parse_args(argv)
    extractor = RuleExtractor()
    published = datetime(2019, 7, 1, 12, tzinfo=UTC)
    print(f"extractor: {extractor.name}; single process, CPU time per story (process_time)")
    for name, texts in corpora().items():
        if args.corpus and name not in args.corpus:
            continue
        stories = [story_from_text(t, published, story_id=f"s{i}") for i, t in enumerate(texts)]
        t0 = time.process_time()
        for s in stories:  # first pass (and warm-up)
            extractor.extract(s)
        first = len(stories) / (time.process_time() - t0)
        rates = []
        for _ in range(3):
            t0 = time.process_time()
            for s in stories:
                extractor.extract(s)
            rates.append(len(stories) / (time.process_time() - t0))
        chars = sum(len(t) for t in texts) / len(texts)
        print(f"  {name:14s} {len(stories):5d} stories, mean {chars:6.0f} chars: "
              f"first pass {first:6.0f}, then median {statistics.median(rates):7.0f} stories/s per core "
              f"(runs: {', '.join(f'{r:.0f}' for r in rates)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
