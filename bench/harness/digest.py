"""What a run left behind, as numbers to compare: the store's content hash, consumer lag, dead letters.

The store keeps nothing time-dependent (``services/store/schema.py``: every row is built from the
event JSON alone, event ids are content-derived, and ingest's wall-clock ``first_seen_at`` is stored
null, ``services/store/prepare.py``), so the digest hashes every row of ``reports``,
``events`` and ``story_links`` in key order, with no column left out. Two stores with equal digests
hold the same reports, the same merged events and the same republished-story links: none lost,
none doubled.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import create_engine, text

from services.common.contracts import DEADLETTER_TOPIC, DeadLetter

TABLES = ("reports", "events", "story_links")


@dataclass(frozen=True)
class StoreDigest:
    sha256: str
    reports: int
    events: int
    links: int


def store_digest(url: str) -> StoreDigest:
    """The content hash of the store at ``url`` and its row counts (raises if it is unreachable)."""
    engine = create_engine(url)
    digest, counts = hashlib.sha256(), []
    try:
        with engine.connect() as conn:
            for table in TABLES:
                rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
                counts.append(len(rows))
                digest.update(table.encode())
                for row in rows:
                    digest.update(repr(tuple(row)).encode("utf-8", "surrogatepass"))
    finally:
        engine.dispose()
    return StoreDigest(digest.hexdigest(), *counts)


def store_rows(url: str) -> list[str]:
    """Every row the digest covers, as text (to show how two stores differ)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [f"{table}: {tuple(row)!r}" for table in TABLES
                    for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()]
    finally:
        engine.dispose()


def first_difference(a: list[str], b: list[str], chars: int = 600) -> str:
    """Where two row lists part: how many rows each has that the other lacks and, for the first
    row only in ``a``, the nearest row of ``b`` quoted from where the two diverge."""
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    summary = f"{len(only_a)} rows only here, {len(only_b)} only in the clean run"
    if not only_a or not only_b:
        return f"{summary}, e.g. {(only_a or only_b)[:1]!s:.{chars}}"
    row = only_a[0]
    near = max(only_b, key=lambda r: len(os.path.commonprefix([row, r])))
    at = len(os.path.commonprefix([row, near]))
    start = max(0, at - 80)
    return f"{summary}; first here: {row[:60]}... diverging at {at}: {row[start:start + chars // 2]!r} vs clean " \
           f"{near[start:start + chars // 2]!r}"


def consumer_lag(bootstrap: str, group: str, topics: tuple[str, ...]) -> int:
    """Records on ``topics`` that ``group`` has not committed past (end offset - committed, summed)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                             request_timeout_ms=10_000)
    try:
        consumer.topics()  # fetches the metadata partitions_for_topic reads
        parts = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends = consumer.end_offsets(parts)
        return sum(max(0, ends[tp] - (consumer.committed(tp) or 0)) for tp in parts)
    finally:
        consumer.close()


def end_offsets(bootstrap: str, topic: str) -> int:
    """Records ever written to ``topic`` (sum of its partitions' end offsets)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, request_timeout_ms=10_000)
    try:
        consumer.topics()
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return sum(consumer.end_offsets(parts).values())
    finally:
        consumer.close()


def dead_letters(bootstrap: str, timeout_s: float = 3.0) -> list[DeadLetter]:
    """Every dead letter written so far."""
    consumer = KafkaConsumer(DEADLETTER_TOPIC, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=int(timeout_s * 1000))
    try:
        return [DeadLetter.from_bytes(r.value) for r in consumer]
    finally:
        consumer.close()
