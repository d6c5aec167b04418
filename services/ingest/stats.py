"""What ingest did in one poll cycle (or since it started): counts by outcome, summed with ``add``."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class CycleStats:
    feeds_polled: int = 0
    feeds_not_modified: int = 0
    feeds_unchanged: int = 0
    feeds_failed: int = 0
    items_seen: int = 0
    stories_published: int = 0
    duplicates_dropped: int = 0
    items_unusable: int = 0
    near_duplicates: int = 0
    feed_text_fallbacks: int = 0

    def add(self, other: CycleStats) -> None:
        for k, v in asdict(other).items():
            setattr(self, k, getattr(self, k) + v)
