"""Free-text pages sorted by date, found window by window (``windows``), and SQLite's FTS rows keyed
by day (schema migration 12): the same pages, cursor after cursor, as the meaning of ``q`` gives,
on a store with many events a day, on both databases; the migration keeps a store's answers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from services.common.database import make_engine, migrate
from services.store import search, search_postgres, search_sqlite, search_walk, windows
from services.store.queries import EventQuery
from services.store.repository import EventRepository
from services.store.schema import EVENT_COLUMNS, MIGRATIONS, event_row
from tests.helpers import make_event

PLACES = [("Kunduz", "Imam Sahib", "AF"), ("Helmand", "Lashkar Gah", "AF"), ("Kündüz", "Archi", "AF"),
          ("Banadir", "Mogadishu", "SO")]
WORDS = ["attack", "attacked", "protest", "convoy", "market"]
START = date(2024, 12, 20)


def _row(i: int) -> dict:
    """Event ``i``: 1-6 a day over 70 days, common and rare words, places with and without accents."""
    admin1, admin2, country = PLACES[i % len(PLACES)]
    words = [WORDS[j] for j in range(len(WORDS)) if i % (j + 2) == 0] + (["rare"] if i % 53 == 0 else [])
    sentence = " ".join(["report", *words])
    event = {**make_event(i).model_dump(mode="json"), "event_id": f"w{i:04d}", "fatalities_range": None,
             "reports": [], "event_date": (START + timedelta(days=(i * 7) % 70)).isoformat(),
             "admin1": admin1, "admin2": admin2, "country": country, "location": admin2,
             "evidence": [{"text": sentence, "start": 0, "end": len(sentence)}]}
    return dict(zip(EVENT_COLUMNS, event_row(event), strict=True))


ROWS = [_row(i) for i in range(280)]


def _insert(engine, rows) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
                          f"VALUES ({', '.join(':' + c for c in EVENT_COLUMNS)})"), rows)


def _expected(q: str, sort: str, **filters) -> list[str]:
    """The ids ``q`` means (every word in a searched field, the last as a prefix too), in the sort's order."""
    words = search.terms(q)
    found = []
    for r in ROWS:
        tokens = set(search.terms(" ".join(str(r[c] or "") for c in search.SEARCH_COLUMNS)))
        if not all(w in tokens for w in words[:-1]) or not any(t.startswith(words[-1]) for t in tokens):
            continue
        if any(r[k] != v for k, v in filters.items() if k in ("admin1", "country")):
            continue
        if "since" in filters and r["event_date"] < filters["since"].isoformat():
            continue
        if "until" in filters and r["event_date"] > filters["until"].isoformat():
            continue
        found.append(r)
    found.sort(key=lambda r: r["event_id"])
    found.sort(key=lambda r: r["event_date"], reverse=sort.startswith("-"))
    return [r["event_id"] for r in found]


def _pages(repo: EventRepository, q: str, sort: str, limit: int = 7, **filters) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        events, cursor = repo.query(EventQuery(q=q, sort=sort, limit=limit, cursor=cursor, **filters))
        ids += [e["event_id"] for e in events]
        if cursor is None:
            return ids


QUERIES = [("attack", {}), ("attack", {"since": date(2025, 1, 5), "until": date(2025, 2, 3)}),
           ("report att", {}), ("rare", {}), ("protest convoy", {}), ("market", {"admin1": "Helmand"}),
           ("attack", {"admin1": "Kündüz"}), ("protest", {"country": "SO", "since": date(2025, 1, 20)}),
           ("nothing", {}), ("lashkar", {"until": date(2024, 12, 29)}), ("report attack conv", {}),
           ("report protest mark", {"admin1": "Helmand", "since": date(2025, 1, 2)})]


@pytest.mark.parametrize("sort", ["-event_date", "event_date"])
def test_cursor_pages_of_a_date_sorted_search_are_every_match_once_in_order(database_url, sort):
    repo = EventRepository(database_url)
    _insert(repo.engine, ROWS)
    for q, filters in QUERIES:
        expected = _expected(q, sort, **filters)
        assert _pages(repo, q, sort, **filters) == expected, (q, filters)
        assert _pages(repo, q, sort, limit=100, **filters) == expected, (q, filters)
    assert sum(len(_expected(q, sort, **f)) for q, f in QUERIES) > 400  # pages that span many windows
    repo.close()


@pytest.mark.parametrize("plan", ["whole words for GIN", "bitmap windows"])
def test_the_plans_a_window_can_take_give_the_same_pages(database_url, monkeypatch, plan):
    """PostgreSQL: the GIN index asked for the whole words only, the prefix tested on the rows; a
    walk that goes on through bitmaps after its first window (SQLite walks its windows either way)."""
    if plan == "whole words for GIN":  # a prefix left a partial match, and one left out of the GIN's query
        monkeypatch.setattr(search_postgres, "MAX_COVERED", -1)
        monkeypatch.setattr(search_postgres, "PARTIAL_MATCH_RATIO", -1)
    else:
        monkeypatch.setattr(search_walk, "SAMPLE_EVENTS", 0)
    repo = EventRepository(database_url)
    _insert(repo.engine, ROWS)
    with repo.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")  # the lexemes' statistics the choice reads
    for sort in ("-event_date", "event_date"):
        for q, filters in QUERIES:
            assert _pages(repo, q, sort, **filters) == _expected(q, sort, **filters), (plan, sort, q, filters)
    if repo.engine.dialect.name == "postgresql" and plan == "whole words for GIN":
        with repo.engine.connect() as conn:
            found = search.condition(conn, "report protest att", {}, windowed=True)
        assert "ts_match_vq" in found.sql and found.index_param == "'report' & 'protest'", found
    repo.close()


def test_windows_partition_the_days_in_the_pages_order():
    lo, hi = date(2020, 1, 1), date(2020, 12, 31)
    for descending in (True, False):
        ws = list(windows.windows(lo, hi, descending))
        days = [day for w in ws for day in sorted((w.first + timedelta(days=d) for d in range((w.last - w.first).days + 1)),
                                                 reverse=descending)]
        ordered = sorted(days, reverse=descending)
        assert days == ordered and len(set(days)) == len(days) == 366
        assert (ws[0].last - ws[0].first).days + 1 == windows.FIRST_DAYS
    assert list(windows.windows(hi, lo, True)) == []
    assert len(list(windows.windows(date.min, date.max, True))) < 20


def test_sqlite_fts_rows_are_keyed_by_day_and_follow_a_date_change(tmp_path):
    repo = EventRepository(f"sqlite:///{tmp_path / 'store.db'}")
    _insert(repo.engine, ROWS[:10])
    with repo.engine.begin() as conn:
        keys = dict(conn.exec_driver_sql(f"SELECT e.event_id, f.rowid FROM events_fts f JOIN events e "
                                         f"ON e.rowid = f.rowid & {search_sqlite.ROWID_MASK}").all())
        assert keys["w0001"] >> search_sqlite.ROWID_BITS == search.day_number(ROWS[1]["event_date"])
        conn.exec_driver_sql("UPDATE events SET event_date = '2030-06-01' WHERE event_id = 'w0001'")
    assert _pages(repo, "report", "-event_date", since=date(2030, 1, 1)) == ["w0001"]
    assert "w0001" not in _pages(repo, "report", "-event_date", until=date(2029, 1, 1))
    with repo.engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")
    repo.close()


def test_migration_12_keeps_the_answers_of_a_store_with_events(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    migrate(engine, "store", MIGRATIONS[:11])  # FTS rows keyed by the events rowid
    _insert(engine, ROWS)
    engine.dispose()
    repo = EventRepository(url)  # migration 12
    for q, filters in QUERIES:
        assert _pages(repo, q, "-event_date", **filters) == _expected(q, "-event_date", **filters), (q, filters)
    assert repo.stats(EventQuery(q="rare"), "admin1") != []
    repo.close()


def test_filters_on_place_and_actor_narrow_the_text_query_in_ascii_only(tmp_path):
    repo = EventRepository(f"sqlite:///{tmp_path / 'store.db'}")
    with repo.engine.connect() as conn:
        plain = search.condition(conn, "attack", {})
        narrowed = search.condition(conn, "attack", {"admin1": "Lashkar Gah", "actor": "Taliban", "country": None})
        accented = search.condition(conn, "attack", {"admin1": "Kündüz"})
    assert narrowed.param == plain.param + ' {admin1} : "lashkar" {admin1} : "gah" {actor1 actor2} : "taliban"'
    assert accented.param == plain.param
    repo.close()
