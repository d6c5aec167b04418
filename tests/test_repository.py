"""The store as services open it, on SQLite and PostgreSQL alike: migrated, and every report in a
cluster, once the constructor returns."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from services.store.repository import EventRepository
from tests.helpers import make_event


def test_upgrading_a_store_re_forms_the_clusters_the_rules_changed(database_url):
    """Version 6 stopped merging reports known only to their province: a store written before it,
    where two such reports formed one event, comes out of the upgrade with two."""
    first, second = (make_event(i, admin2=None, location=None, geo_precision=3, event_date=date(2026, 2, 1))
                     for i in (1, 5))  # Kunduz, same day, different stories
    repo = EventRepository(database_url)
    repo.upsert_many([first, second])
    assert repo.count() == 2
    with repo.engine.begin() as conn:  # as version 5 left it: one cluster, one event
        conn.execute(text("UPDATE reports SET cluster_id = :c"), {"c": first.event_id})
        conn.execute(text("DELETE FROM events WHERE event_id = :e"), {"e": second.event_id})
        conn.execute(text("DELETE FROM schema_migrations WHERE version IN (6, 7)"))  # 7 is idempotent
    repo.close()
    repo = EventRepository(database_url)
    assert repo.count() == 2
    assert repo.get(second.event_id)["reports"] == [second.event_id]
    with repo.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM reports WHERE cluster_id IS NULL")).scalar_one() == 0
    repo.close()
