"""Buckets: the partition of reports that merging never crosses, and what writers build on it.

Two reports in different buckets are never the same event (``merge.same_event`` needs the same
country, province and event type), so clusters never cross buckets. That one fact lets writers
work in parallel: each bucket hashes to one of ``LOCK_SLOTS`` lock slots, a PostgreSQL writer locks
the slots it touches (``dialect``), and a batch is split among concurrent writers by slot
(``shard_of``), so two writers of one batch never touch the same cluster.
"""

from __future__ import annotations

import zlib
from typing import NamedTuple

LOCK_SLOTS = 64  # a bounded number of locks per transaction, whatever the number of buckets
STORE_LOCK_KEY = 0x7769726577617463  # "wirewatc": the whole store; slot n is STORE_LOCK_KEY + 1 + n


class Bucket(NamedTuple):
    """Where a report belongs for merging. A NamedTuple, not a dataclass: rows read from the
    database unpack straight into it, and merging keys a dict by it for every report."""

    country: str | None
    admin1: str | None
    event_type: str

    @classmethod
    def of(cls, report: dict) -> Bucket:
        """The bucket of a report dict (the JSON of an ``Event`` message)."""
        return cls(report.get("country"), report.get("admin1"), report["event_type"])

    @property
    def slot(self) -> int:
        """This bucket's lock slot, in ``range(LOCK_SLOTS)``: the same in every process and on every
        replica (a CRC, not Python's seeded ``hash``), which is what lets replicas' locks agree."""
        return zlib.crc32("\x1f".join(map(str, self)).encode()) % LOCK_SLOTS


def slot_lock_key(slot: int) -> int:
    """The PostgreSQL advisory-lock key of a lock slot (distinct from ``STORE_LOCK_KEY``)."""
    return STORE_LOCK_KEY + 1 + slot


def shard_of(slot: int, writers: int) -> int:
    """Which of ``writers`` concurrent writers takes the reports of a lock slot: every report of a
    slot goes to the same one, so no two writers of a batch wait on each other's locks."""
    return slot % writers
