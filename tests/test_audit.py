"""The audit log: entries appended as they come, listed newest first, each page's cursor visiting
every entry once, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from services.store.audit import AuditEntry, record, snapshot
from services.store.queries import BadQuery
from services.store.repository import EventRepository
from tests.helpers import make_event


def _entry(i: int, at: str) -> AuditEntry:
    return AuditEntry(f"a{i:03d}", at, "ana", "review.confirm", f"e{i % 3}", f"r{i}", "why", {}, {"i": i})


def test_pages_visit_every_entry_once_newest_first(database_url):
    repo = EventRepository(database_url)
    with repo.engine.begin() as conn:
        for i in range(23):  # several entries share a time: the id breaks the tie
            record(conn, repo.dialect, _entry(i, f"2026-12-01T10:00:{i // 4:02d}"))
    seen, cursor = [], None
    while True:
        page, cursor = repo.audit.entries(cursor=cursor, limit=5)
        seen.extend(e.audit_id for e in page)
        if cursor is None:
            break
    assert seen == [f"a{i:03d}" for i in reversed(range(23))]
    only, _ = repo.audit.entries(event_id="e1", limit=100)
    assert [e.after["i"] for e in only] == [i for i in reversed(range(23)) if i % 3 == 1]
    assert [e.audit_id for e in repo.audit.entries(review_id="r4")[0]] == ["a004"]
    with pytest.raises(BadQuery):
        repo.audit.entries(cursor="bm90IGEgY3Vyc29y")
    repo.close()


def test_a_snapshot_shows_the_reviewable_fields_by_value():
    event = make_event(2).model_dump(mode="json")
    shot = snapshot(event)
    assert shot["actor1"] == "Taliban" and shot["review_status"] == "unreviewed" and shot["fatalities"] == 2
    assert "evidence" not in shot and snapshot(None) == {}
