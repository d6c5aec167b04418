"""services/ingest/publish.py: near-duplicate marking, in-order sends, stories remembered only once acknowledged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from services.common.contracts import Story
from services.ingest import dedup
from services.ingest.feeds import Feed
from services.ingest.items import Candidate
from services.ingest.metrics import IngestMetrics
from services.ingest.publish import StoryPublisher
from services.ingest.settings import IngestSettings
from services.ingest.state import IngestState
from services.ingest.stats import CycleStats

FEED = Feed(id="f", url="http://127.0.0.1:1/feed.xml", outlet="Outlet")
TEXT = ("Taliban fighters attacked a police checkpoint in Kunduz province on Monday night, officials said, "
        "killing four officers and wounding six more before withdrawing into nearby villages.")


class FakePublisher:
    """Keeps what was sent; ``flush`` raises when told to, as a broker that never acknowledged."""

    def __init__(self, fail: bool = False) -> None:
        self.fail, self.sent, self.flushes = fail, [], 0

    def send(self, topic: str, key: str, value: bytes) -> None:
        self.sent.append((topic, key, value))

    def flush(self) -> int:
        self.flushes += 1
        if self.fail:
            raise TimeoutError("no acknowledgement")
        return len(self.sent)


def _candidate(story_id: str, text: str) -> Candidate:
    story = Story(story_id=story_id, url=f"https://x/{story_id}", canonical_url=f"https://x/{story_id}",
                  feed_id=FEED.id, outlet=FEED.outlet, text=text, fetched_at=datetime.now(UTC),
                  content_hash=dedup.content_hash(text))
    return Candidate(story=story, guid_key=None, fingerprint=dedup.fingerprint(text))


def _publisher(tmp_path, fake: FakePublisher) -> tuple[StoryPublisher, IngestState]:
    state = IngestState(f"sqlite:///{tmp_path / 'ingest.db'}")
    return StoryPublisher(IngestSettings(), fake, state, IngestMetrics(CollectorRegistry())), state  # type: ignore[arg-type]


def test_stories_are_sent_in_order_and_remembered_after_the_acknowledgement(tmp_path):
    fake = FakePublisher()
    pub, state = _publisher(tmp_path, fake)
    stats = CycleStats()
    records = asyncio.run(pub.publish(FEED, [_candidate("a", TEXT), _candidate("b", TEXT + " Later: calm.")], stats))
    assert [r.story_id for r in records or []] == ["a", "b"] and [k for _, k, _ in fake.sent] == ["a", "b"]
    assert fake.flushes == 1 and stats.stories_published == 2
    assert Story.from_bytes(fake.sent[1][2]).duplicate_of == "a"  # the second near-duplicates the first
    assert stats.near_duplicates == 1 and state.counts()["seen_urls"] == 2


def test_a_failed_send_remembers_nothing(tmp_path):
    pub, state = _publisher(tmp_path, FakePublisher(fail=True))
    stats = CycleStats()
    assert asyncio.run(pub.publish(FEED, [_candidate("a", TEXT)], stats)) is None
    assert state.counts()["seen_urls"] == 0 and stats.stories_published == 0


def test_a_story_published_before_is_marked_a_duplicate_of_it(tmp_path):
    fake = FakePublisher()
    pub, _ = _publisher(tmp_path, fake)
    asyncio.run(pub.publish(FEED, [_candidate("a", TEXT)], CycleStats()))
    asyncio.run(pub.publish(FEED, [_candidate("copy", TEXT)], CycleStats()))
    copy = Story.from_bytes(fake.sent[-1][2])
    assert (copy.duplicate_of, copy.similarity) == ("a", 1.0)


def test_a_callable_takes_its_stories_only_once_it_holds_its_turn(tmp_path):
    import threading
    import time

    class SlowPublisher(FakePublisher):
        def flush(self) -> int:
            time.sleep(0.3)  # the broker slow to acknowledge the first feed's stories
            return super().flush()

    pub, _ = _publisher(tmp_path, SlowPublisher())
    taken_at: list[float] = []
    first_done = threading.Event()

    def take():
        taken_at.append(time.monotonic())
        return [_candidate("late", "A different story about flooding in the north of the country.")]

    async def both():
        async def first():
            await pub.publish(FEED, [_candidate("a", TEXT)], CycleStats())
            first_done.set()

        a = asyncio.ensure_future(first())
        await asyncio.sleep(0.05)  # the first holds the turn now
        called_before = bool(taken_at)
        records = await pub.publish(FEED, take, CycleStats())
        await a
        return called_before, records

    called_before, records = asyncio.run(both())
    assert not called_before and len(taken_at) == 1 and [r.story_id for r in records or []] == ["late"]
