"""Article-text extraction quality on ../shared/data/extraction-benchmark, through the real ingest
path (HTTP fetch from a local server -> decode -> extract), beside trafilatura's defaults run on
the same pages in the same run.

Metric (the benchmark's own): word 4-gram shingles with counts; per page, true positives, false
positives and false negatives normalised to sum to 1; averaged over pages; precision, recall and
F1 from the averages.

    .venv/bin/python bench/extraction.py
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.fixturesite import FixtureSite  # noqa: E402
from services.fixturesite.server import send  # noqa: E402
from services.ingest.article import NoArticleText, decode_html, extract_article  # noqa: E402
from services.ingest.fetch import Fetcher  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "extraction-benchmark"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def page_scores(truth: str, predicted: str) -> tuple[float, float, float]:
    t, p = shingles(truth), shingles(predicted)
    tp = sum(min(t[k], p[k]) for k in t.keys() & p.keys())
    fp = sum(p.values()) - tp
    fn = sum(t.values()) - tp
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def summarise(scores: list[tuple[float, float, float]]) -> dict:
    tp, fp, fn = (statistics.fmean(s[i] for s in scores) for i in range(3))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def load() -> tuple[dict, dict[str, bytes]]:
    truth = json.loads((DATA / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {k: gzip.decompress((DATA / "html" / f"{k}.html.gz").read_bytes()) for k in truth}
    return truth, pages


async def ingest_path(pages: dict[str, bytes]) -> tuple[dict[str, str], float]:
    site = FixtureSite().start()
    for key, body in pages.items():
        # served as bytes with no charset, as many real servers do: decoding is part of the path
        site.routes[f"/{key}.html"] = (lambda b: lambda h: send(h, 200, b, "text/html"))(body)
    fetcher = Fetcher(user_agent="wirewatch-bench", allowed_hosts=(site.netloc,), total_timeout_s=30)
    out: dict[str, str] = {}
    started = time.process_time()
    try:
        for key in pages:
            res = await fetcher.get(f"{site.base_url}/{key}.html", max_bytes=20_000_000)
            html = decode_html(res.body, res.headers.get("content-type"))
            try:
                out[key] = extract_article(html, res.url).text
            except NoArticleText:
                out[key] = ""
    finally:
        await fetcher.aclose()
        site.stop()
    return out, time.process_time() - started


def trafilatura_defaults(pages: dict[str, bytes]) -> tuple[dict[str, str], float]:
    import trafilatura

    started = time.process_time()
    out = {k: trafilatura.extract(body) or "" for k, body in pages.items()}
    return out, time.process_time() - started


def main() -> int:
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        return 0
    truth, pages = load()
    ours, our_cpu = asyncio.run(ingest_path(pages))
    peer, peer_cpu = trafilatura_defaults(pages)
    rows = []
    for name, texts, cpu in (("wirewatch ingest path", ours, our_cpu), ("trafilatura.extract defaults", peer, peer_cpu)):
        scores = [page_scores(truth[k]["articleBody"], texts[k]) for k in truth]
        s = summarise(scores)
        empty = sum(1 for k in truth if not texts[k].strip())
        rows.append((name, s, cpu, empty))
    print(f"extraction benchmark: {len(truth)} pages (../shared/data/extraction-benchmark)")
    print(f"{'extractor':<30} {'precision':>9} {'recall':>7} {'F1':>6} {'empty':>6} {'CPU s':>7}")
    for name, s, cpu, empty in rows:
        print(f"{name:<30} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['f1']:>6.3f} {empty:>6} {cpu:>7.1f}")
    ratio = rows[0][1]["f1"] / rows[1][1]["f1"] if rows[1][1]["f1"] else float("nan")
    print(f"F1 ratio ours/peer: {ratio:.3f}  (published on this set: trafilatura 2.0 0.958, best known 0.970)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
