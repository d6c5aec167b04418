"""Where an item's end-to-end latency goes, stage by stage, from timestamps the pipeline already keeps.

Per story: ``appeared`` (the replay's moment the item entered its feed), ``seen`` (the story's
``first_seen_at``: ingest found the item new in a poll), ``fetched`` (its ``fetched_at``: the
article page fetched and its text extracted), ``published`` (the stories record's timestamp: the
producer's send, after the story's chunk was built and deduplicated), ``extracted`` (the earliest
timestamp of an events record of that story: extract's send) and ``stored`` (the harness first saw
one of its reports in the store's database).

Guarantees: ``read_records`` returns every record of a topic written so far with its producer
timestamp (seconds); ``stage_latencies`` gives, for each stage, the durations of the stories that
reached both of its ends (the first record of a story published twice counts), never negative
(clock steps between processes on one machine are clamped to 0), so each stage's quantiles can be
set beside the end-to-end ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaConsumer

from services.common.contracts import Event, Story

# (label, from, to), in pipeline order
STAGES = (
    ("poll wait", "appeared", "seen"),
    ("fetch+extract text", "seen", "fetched"),
    ("chunk+publish", "fetched", "published"),
    ("extract", "published", "extracted"),
    ("store+visible", "extracted", "stored"),
    ("end to end", "appeared", "stored"),
    ("seen -> stored", "seen", "stored"),
)


@dataclass(frozen=True)
class Record:
    key: str
    value: bytes
    timestamp_s: float  # the producer's timestamp (CreateTime), in Unix seconds


def read_records(bootstrap: str, topic: str, idle_timeout_s: float = 5.0) -> list[Record]:
    """Every record of ``topic`` so far, from the beginning (stops after ``idle_timeout_s`` without one)."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=int(idle_timeout_s * 1000),
                             max_partition_fetch_bytes=4 * 1024 * 1024)
    try:
        return [Record((r.key or b"").decode("utf-8", "replace"), r.value, r.timestamp / 1000.0) for r in consumer]
    finally:
        consumer.close()


def story_moments(stories: Iterable[Record], events: Iterable[Record]) -> dict[str, dict[str, float]]:
    """``seen``, ``fetched``, ``published`` and ``extracted`` of each story, by story id (unparseable
    records, such as poison in a fault run, are skipped)."""
    moments: dict[str, dict[str, float]] = {}
    for rec in stories:
        try:
            story = Story.from_bytes(rec.value)
        except Exception:  # poison: not a story
            continue
        if story.story_id in moments:
            continue
        m = moments[story.story_id] = {"published": rec.timestamp_s}
        if story.first_seen_at is not None:
            m["seen"] = story.first_seen_at.timestamp()
        if story.fetched_at is not None:
            m["fetched"] = story.fetched_at.timestamp()
    for rec in events:
        try:
            event = Event.from_bytes(rec.value)
        except Exception:  # poison: not an event
            continue
        m = moments.setdefault(event.story_id, {})
        m["extracted"] = min(m.get("extracted", rec.timestamp_s), rec.timestamp_s)
    return moments


def stage_latencies(moments: dict[str, dict[str, float]], appeared: dict[str, float],
                    stored: dict[str, float]) -> dict[str, list[float]]:
    """Each stage's durations (seconds) over the stories that have both ends; ``appeared`` and
    ``stored`` by story id."""
    out: dict[str, list[float]] = {label: [] for label, _, _ in STAGES}
    for story_id in set(moments) | set(stored):
        m = dict(moments.get(story_id, {}))
        if story_id in appeared:
            m["appeared"] = appeared[story_id]
        if story_id in stored:
            m["stored"] = stored[story_id]
        for label, start, end in STAGES:
            if start in m and end in m:
                out[label].append(max(0.0, m[end] - m[start]))
    return out


def quantile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0..1) of ``values``; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
