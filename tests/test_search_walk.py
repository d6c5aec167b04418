"""How a PostgreSQL page sorted by date walks its windows (``search_walk``): when it turns to bitmaps,
and the filter tokens each window asks the GIN index for (SQLite: no-ops)."""

from __future__ import annotations

from datetime import date

from services.common.database import make_engine
from services.store import search_walk


def test_a_walk_turns_to_bitmaps_only_on_a_sample_of_sparse_matches(database_url):
    with make_engine(database_url).connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        # 6 matches in 548 events: walking on reads ~8,700 events, bitmaps ~100 blocks and a
        # listing of 4,600 (a tenth of the cost)
        assert search_walk.by_bitmap(conn, 6, 548, 101, 4_600) is postgres
        assert search_walk.by_bitmap(conn, 0, 548, 101, 4_600) is postgres
        # 27 in 548 (a common prefix): walking reads ~1,500, the listing of 53,000 costs more
        assert search_walk.by_bitmap(conn, 27, 548, 101, 53_000) is False
        # too few events walked to tell
        assert search_walk.by_bitmap(conn, 0, search_walk.SAMPLE_EVENTS - 1, 101, 0) is False


def test_a_window_asks_for_its_months_unless_they_would_drive_a_longer_scan():
    first, last = date(2025, 1, 20), date(2025, 3, 2)
    months = "('~2025-01' | '~2025-02' | '~2025-03')"
    # a word rarer than a month drives the scan itself; a word commoner than the three months: they drive it
    assert search_walk.window_tokens("", first, last, 5_000, 8_000) == months
    assert search_walk.window_tokens("'^Battles'", first, last, 30_000, 8_000) == "'^Battles' & " + months
    # in between, every month would be read to find the word's few: no month asked for
    assert search_walk.window_tokens("'^Battles'", first, last, 20_000, 8_000) == "'^Battles'"
    assert search_walk.window_tokens("", first, last, 20_000, 8_000) == ""


def test_a_month_token_lists_the_table_over_its_months():
    assert round(search_walk.month_events(1_000_000, ("2016-01-01", "2025-12-31"))) == 8_333
    assert search_walk.month_events(1_000, (None, None)) == 0.0
    assert search_walk.month_events(1_000, ("2025-01-01", "2025-01-01")) == 1_000
