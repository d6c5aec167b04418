"""Throughput of the default extractor: stories per second on one core, single process, on the
ACLED notes (Afghanistan, and the world files), the ISAF press releases, and long articles (the seeds and
the extraction benchmark's article bodies) in ../shared. Each corpus is run 3 times (after one
warm-up pass that also builds the gazetteer and actor regexes); the median is printed.

    .venv/bin/python bench/extract_throughput.py
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
    return {"ACLED notes": acled, "ACLED world": world, "ISAF releases": isaf, "seed articles": seeds,
            "news articles": bodies}


def main() -> int:
    extractor = RuleExtractor()
    published = datetime(2019, 7, 1, 12, tzinfo=UTC)
    print(f"extractor: {extractor.name}; single process, CPU time per story (process_time)")
    for name, texts in corpora().items():
        stories = [story_from_text(t, published, story_id=f"s{i}") for i, t in enumerate(texts)]
        for s in stories:  # warm-up
            extractor.extract(s)
        rates = []
        for _ in range(3):
            t0 = time.process_time()
            for s in stories:
                extractor.extract(s)
            rates.append(len(stories) / (time.process_time() - t0))
        chars = sum(len(t) for t in texts) / len(texts)
        print(f"  {name:14s} {len(stories):5d} stories, mean {chars:6.0f} chars: "
              f"median {statistics.median(rates):7.0f} stories/s per core "
              f"(runs: {', '.join(f'{r:.0f}' for r in rates)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
