"""CPU of ingest's article extraction per page, this code against trafilatura's stock justext stoplist
(a plain tuple, hashed on every fallback), in the same run, rounds alternating; and the extraction
benchmark's F1 with each (the texts must be identical: the change is one of speed only).

Pages: the load replay's article pages (rss-archive items as ``bench/harness/replay.py`` renders
them: the feed's short description in an <article>, so most take the justext fallback) and the real
pages of ../shared/data/extraction-benchmark.

    .venv/bin/python bench/article_cpu.py [--items 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trafilatura import external  # noqa: E402

from bench.extraction import load as load_benchmark  # noqa: E402
from bench.extraction import page_scores, summarise  # noqa: E402
from bench.harness.replay import ReplayServer, load_items  # noqa: E402
from services.ingest.article import NoArticleText, decode_html, extract_article  # noqa: E402

URL = "http://127.0.0.1:8000/a/0.html"


def replay_pages(n: int) -> list[str]:
    server = ReplayServer(load_items(n))
    return [server.render_page(item).decode() for item in server.items]


def run(pages: list[str]) -> tuple[list[str], float]:
    """Each page's text ('' when none) and the CPU seconds per page."""
    out = []
    started = time.process_time()
    for html in pages:
        try:
            out.append(extract_article(html, URL).text)
        except NoArticleText:
            out.append("")
    return out, (time.process_time() - started) / max(1, len(pages))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=400, help="replay pages (the first N archive items)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    truth, raw = load_benchmark()
    keys = list(truth)
    corpora = {"replay pages": replay_pages(args.items),
               "extraction benchmark": [decode_html(raw[k], None) for k in keys]}
    hashed = external.JT_STOPLIST  # this code's: made at import of services.ingest.article
    stock = tuple(hashed)  # the same words as trafilatura's own plain tuple
    cpu: dict[tuple[str, str], list[float]] = {}
    texts: dict[tuple[str, str], list[str]] = {}
    variants = (("this code", hashed), ("stock stoplist", stock))
    for _ in range(args.rounds):
        for variant, stoplist in variants:
            external.JT_STOPLIST = stoplist
            for name, pages in corpora.items():
                texts[variant, name], per_page = run(pages)
                cpu.setdefault((variant, name), []).append(per_page)
    external.JT_STOPLIST = hashed
    print(f"article extraction CPU per page, median of {args.rounds} alternating rounds, same run")
    print(f"{'pages':<22} {'n':>5} {'this code ms':>13} {'stock ms':>9} {'ratio':>6} {'same texts':>11}")
    for name, pages in corpora.items():
        ours, base = (statistics.median(cpu[v, name]) * 1000 for v, _ in variants)
        same = texts["this code", name] == texts["stock stoplist", name]
        print(f"{name:<22} {len(pages):>5} {ours:>13.2f} {base:>9.2f} {base / ours:>5.2f}x {str(same):>11}")
    for variant, _ in variants:
        by_key = dict(zip(keys, texts[variant, "extraction benchmark"], strict=True))
        s = summarise([page_scores(truth[k]["articleBody"], by_key[k]) for k in keys])
        print(f"extraction benchmark F1, {variant}: {s['f1']:.4f} (precision {s['precision']:.4f}, "
              f"recall {s['recall']:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
