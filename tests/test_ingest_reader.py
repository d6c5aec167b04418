"""services/ingest/reader.py: one read of a feed, its kinds, and the items in flight left out."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import CollectorRegistry

from services.ingest import dedup
from services.ingest.feeds import Feed
from services.ingest.fetch import FetchResult, FetchTimeout
from services.ingest.metrics import IngestMetrics
from services.ingest.reader import FeedReader, ReadKind, Validators
from services.ingest.settings import IngestSettings
from services.ingest.state import IngestState, PublishedStory
from services.ingest.stats import CycleStats

URL = "https://news.example/feed.xml"
FEED = Feed(id="news", url=URL, outlet="News")


def _rss(links: list[str], plain: bool = True) -> bytes:
    items = "".join(f"<item><title>Story {n}</title><link>{link}</link><description>Text {n}</description></item>"
                    for n, link in enumerate(links))
    doctype = "" if plain else '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "">'
    return (f'<?xml version="1.0" encoding="utf-8"?>{doctype}<rss version="2.0"><channel><title>T</title>'
            f"{items}</channel></rss>").encode()


def _link(n: int) -> str:
    return f"https://news.example/a/{n}.html"


@pytest.fixture
def state(tmp_path):
    st = IngestState(f"sqlite:///{tmp_path / 'ingest.db'}")
    yield st
    st.close()


def _reader(state, responses: list):
    async def get(url, max_bytes, headers, accept=(200,)):
        got = responses.pop(0)
        if isinstance(got, Exception):
            raise got
        status, body = got
        return FetchResult(url=url, status=status, headers=httpx.Headers({"etag": '"v1"'}), body=body, elapsed_s=0.01)

    registry = CollectorRegistry()
    return FeedReader(IngestSettings(), state, IngestMetrics(registry), get), registry


@pytest.mark.parametrize("plain", [True, False], ids=["prescanned", "feedparser-only"])
async def test_items_in_flight_are_left_out_uncounted_and_published_ones_counted(state, plain):
    fp = dedup.fingerprint("Nine soldiers were killed when their post in Kunduz came under attack " * 3)
    state.record_published([PublishedStory(canonical_url=_link(0), story_id="s0", content_hash="h0", fingerprint=fp)])
    reader, _ = _reader(state, [(200, _rss([_link(n) for n in range(4)], plain))])
    stats = CycleStats()
    read = await reader.read(FEED, URL, Validators(), stats, in_flight=frozenset({_link(2)}))
    assert read.kind is ReadKind.CHANGED and read.body_hash
    assert [i.canonical_url for i in read.items] == [_link(1), _link(3)]
    assert (stats.items_seen, stats.duplicates_dropped) == (3, 1)  # the one in flight is its own read's


async def test_an_identical_body_a_304_and_a_fetch_error_are_reads_of_their_kind(state):
    body = _rss([_link(1)])
    reader, registry = _reader(state, [(200, body), (200, body), (304, b""), FetchTimeout("slow", url=URL)])
    stats = CycleStats()
    first = await reader.read(FEED, URL, Validators(), stats)
    known = Validators.of(first)
    assert known == Validators('"v1"', None, first.body_hash) and known.headers() == {"If-None-Match": '"v1"'}
    kinds = [(await reader.read(FEED, URL, known, stats)).kind for _ in range(3)]
    assert kinds == [ReadKind.UNCHANGED, ReadKind.NOT_MODIFIED, ReadKind.FETCH_FAILED]
    assert (stats.feeds_unchanged, stats.feeds_not_modified) == (1, 1)
    assert registry.get_sample_value("wirewatch_ingest_polls_total", {"feed": "news", "outcome": "timeout"}) == 1


async def test_a_body_with_no_entries_and_a_parse_error_is_unparseable(state):
    reader, _ = _reader(state, [(200, b"<html><body>not a feed")])
    read = await reader.read(FEED, URL, Validators(), CycleStats())
    assert read.kind is ReadKind.UNPARSEABLE and "unparseable feed" in read.message and read.items == []
