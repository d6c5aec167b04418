"""The publish step of ingest: near-duplicate marking, sending a feed's stories in order, and
remembering them as seen only once the broker acknowledged them.

Guarantees: ``StoryPublisher.publish`` is serialised across feeds (one at a time), so a story is
compared with every story published before it, in the database or earlier in the same call; a
story is recorded as published (``IngestState.record_published``) only after every message of the
call was acknowledged; a failed send is counted and logged and records nothing, so the items stay
new and the next poll publishes them again (same story ids: downstream is idempotent).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from services.common.contracts import STORIES_TOPIC
from services.common.kafka import Publisher

from . import dedup
from .feeds import Feed
from .items import Candidate
from .metrics import IngestMetrics
from .settings import IngestSettings
from .state import DedupReads, IngestState, PublishedStory
from .stats import CycleStats

log = logging.getLogger("services.ingest.service")  # the service's logger, as before the split


@dataclass(frozen=True)
class Delivery:
    """How one read's new items went out: whether every publish was acknowledged, and how many
    stories were built (fewer than the items when a stop or a failed publish cut it short)."""

    published: bool
    built: int


class StoryPublisher:
    def __init__(self, settings: IngestSettings, publisher: Publisher, state: IngestState,
                 metrics: IngestMetrics) -> None:
        self.settings = settings
        self.publisher = publisher
        self.state = state
        self.metrics = metrics
        self._lock = asyncio.Lock()

    async def publish(self, feed: Feed, cands: list[Candidate] | Callable[[], list[Candidate]],
                      stats: CycleStats) -> list[PublishedStory] | None:
        """Decide duplicate_of for each story, publish them in order and wait for the broker's
        acknowledgement, then remember them as seen: the records, or None when the publish failed
        (nothing is remembered then). Serialised, so that two feeds carrying the same wire copy at
        once see each other; ``cands`` may be a callable, called once this call holds its turn, so
        that the stories built while it waited go out with it (one round trip, not one each). The
        whole step runs in one worker thread (its lookups, the sends and the database write), off
        the event loop: a broker that is away makes send() block for metadata, and that must not
        stall every other feed, nor cost a thread hop per lookup."""
        async with self._lock:
            taken = cands() if callable(cands) else cands
            if not taken:
                return []
            return await asyncio.to_thread(self._publish, feed, taken, stats)

    def _publish(self, feed: Feed, cands: list[Candidate], stats: CycleStats) -> list[PublishedStory] | None:
        messages: list[tuple[str, bytes]] = []
        with self.state.dedup_reads([c.story.content_hash for c in cands]) as reads:
            records = self._decide(feed, cands, stats, messages, reads)
        t0 = time.monotonic()
        try:
            self._send_all(messages)
        except Exception as exc:
            self.metrics.publish_failures.inc(len(records))
            log.error("feed %s: publishing %d stories failed: %s", feed.id, len(records), exc)
            return None
        self.metrics.publish_duration.observe(time.monotonic() - t0)
        self.state.record_published(records)
        stats.stories_published += len(records)
        return records

    def _decide(self, feed: Feed, cands: list[Candidate], stats: CycleStats,
                messages: list[tuple[str, bytes]], reads: DedupReads) -> list[PublishedStory]:
        """Mark each story's duplicate_of (the same text, else the most similar near-duplicate, in the
        database or earlier in ``cands``), append its message to ``messages``: its record. The
        database is asked through ``reads``, one connection for the whole call."""
        threshold = self.settings.ingest_near_duplicate_threshold
        batch_fps: list[tuple[str, dedup.Fingerprint]] = []
        batch_hashes: dict[str, str] = {}
        records: list[PublishedStory] = []
        for c in cands:
            s = c.story
            if any(r.story_id == s.story_id for r in records):
                stats.duplicates_dropped += 1  # the same link twice in one feed
                self.metrics.items.labels(feed=feed.id, result="duplicate").inc()
                continue
            original = batch_hashes.get(s.content_hash) or reads.story_for_hash(s.content_hash)
            if original and original != s.story_id:
                s.duplicate_of, s.similarity = original, 1.0
            else:
                matches = reads.near_duplicates(c.fingerprint, threshold)
                for sid, fp in batch_fps:  # this call's stories are not in the database yet
                    sim = dedup.near_similarity(c.fingerprint, fp, threshold)
                    if sim is not None:
                        matches.append((sid, sim))
                matches = [m for m in matches if m[0] != s.story_id]
                if matches:
                    s.duplicate_of, s.similarity = min(matches, key=lambda m: (-m[1], m[0]))
            if s.duplicate_of:
                stats.near_duplicates += 1
                self.metrics.items.labels(feed=feed.id, result="near_duplicate").inc()
            else:
                batch_fps.append((s.story_id, c.fingerprint))
                batch_hashes[s.content_hash] = s.story_id
                self.metrics.items.labels(feed=feed.id, result="new").inc()
            messages.append((s.story_id, s.to_bytes()))
            records.append(PublishedStory(canonical_url=s.canonical_url, story_id=s.story_id,
                                          content_hash=s.content_hash, fingerprint=c.fingerprint,
                                          guid_key=c.guid_key, duplicate_of=s.duplicate_of))
        return records

    def _send_all(self, messages: list[tuple[str, bytes]]) -> None:
        for key, value in messages:
            self.publisher.send(STORIES_TOPIC, key, value)
        self.publisher.flush()
