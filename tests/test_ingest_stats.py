"""services/ingest/stats.py: cycle counts add up field by field."""

from dataclasses import fields

from services.ingest.stats import CycleStats


def test_add_sums_every_field():
    total = CycleStats(feeds_polled=1, stories_published=2)
    total.add(CycleStats(feeds_polled=2, near_duplicates=3))
    assert (total.feeds_polled, total.stories_published, total.near_duplicates) == (3, 2, 3)
    other = CycleStats(**{f.name: 1 for f in fields(CycleStats)})
    total = CycleStats()
    total.add(other)
    total.add(other)
    assert all(getattr(total, f.name) == 2 for f in fields(CycleStats))
