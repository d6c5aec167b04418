"""SQLite's search index (``search_sqlite``): FTS rowids keyed by day, and the condition's FTS query
and its choice between fetching few matches and walking the page's index."""

from __future__ import annotations

from datetime import date

from services.store import search_sqlite
from services.store.repository import EventRepository
from tests.helpers import make_event


def test_day_numbers_and_window_keys_are_sqlites():
    assert search_sqlite.day_number("2000-01-01") == 2451544  # CAST(julianday('2000-01-01') AS INTEGER)
    assert search_sqlite.day_number("2026-03-02T08:00:00") == search_sqlite.day_number("2026-03-02")
    keys = search_sqlite.window_keys("2026-01-01", "2026-01-31")
    assert keys["klo"] >> search_sqlite.ROWID_BITS == search_sqlite.day_number("2026-01-01")
    assert keys["khi"] >> search_sqlite.ROWID_BITS == search_sqlite.day_number("2026-01-31")
    assert keys["khi"] & search_sqlite.ROWID_MASK == search_sqlite.ROWID_MASK


def test_the_condition_fetches_few_matches_and_walks_for_many(tmp_path, monkeypatch):
    repo = EventRepository(f"sqlite:///{tmp_path / 'store.db'}")
    repo.upsert_many([make_event(i, event_date=date(2026, 1, 1)) for i in range(0, 30, 10)])
    with repo.engine.connect() as conn:
        few = search_sqlite.condition(conn, ["taliban", "kun"], {"admin1": ["kunduz"]}, windowed=False)
        window = search_sqlite.condition(conn, ["taliban"], {}, windowed=True)
        monkeypatch.setattr(search_sqlite, "FEW_MATCHES", 1)
        many = search_sqlite.condition(conn, ["taliban"], {}, windowed=False)
    assert few.param == '"taliban" "kun"* {admin1} : "kunduz"' and few.sql.startswith("events.rowid IN")
    assert window.windowed and ":klo" in window.sql
    assert many.sql.startswith("+events.rowid IN")  # the page's index walked, the matches listed once
    repo.close()
