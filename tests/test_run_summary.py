"""The `run --once` summary: a value, and the text printed from it."""

from __future__ import annotations

from services.ingest.service import CycleStats
from services.run_summary import RunSummary


def _summary(**kw) -> RunSummary:
    ingest = kw.pop("ingest", CycleStats(feeds_polled=3, feeds_failed=1, feeds_not_modified=1, feeds_unchanged=1,
                                         stories_published=7, near_duplicates=1, feed_text_fallbacks=2,
                                         duplicates_dropped=4))
    return RunSummary(**{"elapsed_s": 1.26, "ingest": ingest, "events_extracted": 9, "reports_inserted": 8,
                         "reports_updated": 1, "reports_unchanged": 0, "republications_credited": 1,
                         "events_before": 0, "events_in_store": 6, "reports_in_store": 9, "dead_lettered": 2,
                         "api_url": "http://127.0.0.1:8000", **kw})


def test_every_count_is_printed_on_its_line():
    lines = _summary().render().splitlines()
    assert lines == [
        "done in 1.3s",
        "  feeds polled        3 (1 failed, 2 unchanged since the last run)",
        "  stories published   7 (1 marked as near-duplicates, 2 from feed text only)",
        "  duplicates dropped  4 (already published)",
        "  events extracted    9",
        "  reports stored      8 new, 1 updated, 0 unchanged (1 republications credited)",
        "  events in store     6 after merging reports of the same event (9 reports)",
        "  dead-lettered       2",
        "  API                 http://127.0.0.1:8000 (up while running; `wirewatch store` serves the same data)",
    ]


def test_a_run_that_changed_nothing_says_so():
    quiet = _summary(ingest=CycleStats(feeds_polled=3, feeds_unchanged=3), events_before=6)
    assert quiet.nothing_new
    assert quiet.render().endswith("  nothing new: no stories published and the store is unchanged")


def test_new_events_without_new_stories_are_not_nothing():
    assert not _summary(ingest=CycleStats(feeds_polled=3), events_before=5).nothing_new
    assert not _summary(events_before=6).nothing_new  # stories published, same event count
    assert "nothing new" not in _summary().render()
