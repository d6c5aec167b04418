"""One ingest process polling 1,000 local feeds built from the real 2021 RSS archive
(../shared/data/rss-archive: BBC, CNN, Guardian items), through the real path: HTTP from a local
server, feedparser, article fetch + trafilatura, dedup, publish to a real (embedded) broker.

Cycles measured:
  1. first poll: every feed new, every article fetched and extracted, every story published;
  2. steady state: nothing changed and the server honours validators (304s);
  3. nothing changed, the server ignores validators (same body again: hashed, not parsed);
and, as the baseline in the same run, the naive loop most feed readers start from: fetch each
feed and parse it with feedparser every time.

    .venv/bin/python bench/poll_cycle.py [--feeds 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import html
import json
import re
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import httpx  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402

from services.common.broker import EmbeddedBroker  # noqa: E402
from services.common.kafka import Publisher, ensure_topics, make_producer  # noqa: E402
from services.fixturesite.server import Article, ContentSet, FixtureSite, Outlet, render_feed, send  # noqa: E402
from services.ingest.feeds import Feed  # noqa: E402
from services.ingest.metrics import IngestMetrics  # noqa: E402
from services.ingest.service import IngestService  # noqa: E402
from services.ingest.settings import IngestSettings  # noqa: E402
from services.ingest.state import IngestState  # noqa: E402

ARCHIVE = ROOT.parent / "shared" / "data" / "rss-archive" / "bbc-cnn-guardian-2021.jsonl.gz"


def build_content(n_feeds: int) -> ContentSet:
    items = []
    with gzip.open(ARCHIVE, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            desc = html.unescape(re.sub(r"<[^>]+>", " ", d.get("description") or "")).strip()
            if not d.get("title") or not desc:
                continue
            items.append((d["title"].strip(), desc, d.get("date_published")))
    per_feed = max(1, len(items) // n_feeds)
    outlets, articles = [], []
    for f in range(n_feeds):
        oid = f"feed{f:04d}"
        outlets.append(Outlet(id=oid, name=f"Archive feed {f}"))
        for j, (title, desc, when) in enumerate(items[f * per_feed:(f + 1) * per_feed]):
            published = datetime.fromisoformat(when) if when else datetime(2021, 1, 1)
            # the page repeats the item's text enough to be an article, as a full story would
            articles.append(Article(outlet=oid, slug=f"a{j}", title=title, published=published,
                                    body=[desc, f"{title}. {desc}", desc]))
    return ContentSet(outlets, articles)


def usage() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def cycle(svc: IngestService) -> tuple[float, float, object]:
    w0, c0 = time.perf_counter(), usage()
    stats = await svc.run_cycle(force=True)
    return time.perf_counter() - w0, usage() - c0, stats


async def naive(urls: list[str]) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), usage()
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=32)) as client:
        sem = asyncio.Semaphore(32)

        async def one(u: str) -> None:
            async with sem:
                body = (await client.get(u)).content
            feedparser.parse(body)

        await asyncio.gather(*(one(u) for u in urls))
    return time.perf_counter() - w0, usage() - c0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=1000)
    args = ap.parse_args()
    if not ARCHIVE.exists():
        print(f"skipped: {ARCHIVE} not found")
        return 0
    content = build_content(args.feeds)
    print(f"poll-cycle benchmark: {len(content.outlets)} feeds, {len(content.articles)} items "
          f"from the 2021 RSS archive, one process")
    with EmbeddedBroker() as broker, FixtureSite(content) as site, tempfile.TemporaryDirectory() as tmp:
        settings = IngestSettings(kafka_bootstrap=broker.bootstrap, data_dir=Path(tmp),
                                  ingest_allowed_hosts=(site.netloc,), ingest_per_host_concurrency=32,
                                  ingest_concurrency=32, ingest_claim_batch=1000, ingest_respect_robots=False)
        ensure_topics(settings)
        feeds = [Feed(id=o.id, url=site.feed_url(o.id), outlet=o.name) for o in content.outlets]
        state = IngestState(settings.sqlite_url("ingest"))
        svc = IngestService(settings, feeds, Publisher(make_producer(settings, "bench")), state,
                            IngestMetrics(CollectorRegistry()))

        async def run() -> list:
            out = [await cycle(svc), await cycle(svc)]
            # a server that ignores validators: answer 200 with the same bytes every time
            for o in content.outlets:
                rendered = render_feed(site.base_url, o, content.for_outlet(o.id)).encode()
                site.routes[f"/{o.id}/feed.xml"] = (lambda b: lambda h: send(h, 200, b, "application/rss+xml"))(rendered)
            out.append(await cycle(svc))
            out.append(await naive([f.url for f in feeds]))
            await svc.aclose()
            return out

        first, steady, ignoring, baseline = asyncio.run(run())
        state.close()

    n = len(feeds)
    print(f"\n{'cycle':<52} {'wall s':>7} {'CPU s':>7} {'feeds/s':>8}")
    for name, (wall, cpu, *_rest) in (
        ("1. first poll (fetch+extract+publish every article)", first),
        ("2. unchanged, server honours validators (304)", steady),
        ("3. unchanged, server ignores validators (hash)", ignoring),
        ("baseline: fetch + feedparser.parse every feed", baseline),
    ):
        print(f"{name:<52} {wall:>7.2f} {cpu:>7.2f} {n / wall:>8.1f}")
    s1 = first[2]
    print(f"\nfirst poll: {s1.stories_published} stories published ({s1.stories_published / first[0]:.0f}/s), "
          f"{s1.near_duplicates} near-duplicates, {s1.feeds_failed} feeds failed")
    print(f"steady state vs baseline: {baseline[1] / steady[1]:.1f}x less CPU (304s), "
          f"{baseline[1] / ignoring[1]:.1f}x less CPU (identical bodies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
