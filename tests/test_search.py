"""Free text (``q``): one meaning on both databases, through the full-text index, kept in sync with
every write, and no input that fails the query."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy import text

from services.common.contracts import Actor, Evidence
from services.common.database import make_engine, migrate
from services.common.ops import Health
from services.store import search, search_sqlite
from services.store.api import create_app
from services.store.metrics import StoreMetrics
from services.store.queries import BadQuery, EventQuery
from services.store.repository import EventRepository
from services.store.schema import EVENT_COLUMNS, MIGRATIONS, event_row
from tests.helpers import empty, make_event


def _said(i: int, sentence: str, **kw):
    return make_event(i, evidence=[Evidence(text=sentence, start=0, end=len(sentence))], **kw)


def _events():
    """Events that differ in the words of each indexed field (none merge: 3 days apart)."""
    return [
        _said(0, "Taliban fighters attacked a checkpoint, killing 4 soldiers."),  # Kunduz, Dasht-e-Archi
        _said(1, "An IED exploded near the bazaar.", actor1=Actor(name="Islamic State")),  # Imam Sahib
        _said(2, "Clashes were reported overnight.", actor1=Actor(name="Unidentified Armed Group")),  # Lashkar Gah
        _said(3, "Une frappe aérienne a tué 3 personnes à Kündüz.", actor1=None, actor2=None),  # Panjwai
        _said(4, "Police said a wedding party was hit by a drone strike."),
        _said(5, "U.S. forces (ISAF) said: \"no comment\" on the 12.5 km convoy.", country="PK"),
    ]


def _ids(repo: EventRepository, q: str, **kw) -> list[str]:
    events, _ = repo.query(EventQuery(q=q, sort="event_date", **kw))
    return [e["event_id"] for e in events]


@pytest.fixture
def repo(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many(_events())
    yield repo
    repo.close()


def test_every_indexed_field_is_searched(repo):
    assert _ids(repo, "checkpoint") == ["e00000"]  # evidence
    assert _ids(repo, "imam sahib") == ["e00001", "e00005"]  # district (make_event: location too)
    assert _ids(repo, "helmand") == ["e00002"]  # province
    assert _ids(repo, "islamic state") == ["e00001"]  # actor1
    assert _ids(repo, "military forces") == ["e00000", "e00001", "e00002", "e00004", "e00005"]  # actor2
    assert _ids(repo, "pk") == ["e00005"]  # country code


def test_words_are_anded_in_any_order_and_case(repo):
    assert _ids(repo, "KUNDUZ taliban") == ["e00000", "e00004", "e00005"]
    assert _ids(repo, "taliban Kunduz checkpoint") == ["e00000"]
    assert _ids(repo, "checkpoint helmand") == []
    assert _ids(repo, "Dasht-e-Archi") == ["e00000", "e00004"]
    assert _ids(repo, "kündüz") == ["e00003"]  # the accent counts: kunduz is another word
    assert _ids(repo, "aérienne") == ["e00003"]
    assert _ids(repo, "u s forces 12 5 km") == ["e00005"]  # punctuation split words on both databases


def test_the_last_word_is_also_a_prefix_the_others_are_not(repo):
    assert _ids(repo, "wedd") == ["e00004"]
    assert _ids(repo, "drone wedd") == ["e00004"]
    assert _ids(repo, "wedd drone") == []
    assert _ids(repo, "kandah") == ["e00003"]


@pytest.mark.parametrize("q", ['"', "taliban\" OR \"x", "AND", "taliban NOT", "*", "NEAR(a b)", "'; DROP TABLE events; --",
                               "a:b", "checkpoint:*", "!!", "\\", "{col}: x", "^x", "e00000 | x", "&&", "ab" * 100])
def test_no_query_text_fails_the_query(database_url, q):
    repo = EventRepository(database_url)
    repo.upsert_many(_events())
    registry = CollectorRegistry()
    client = TestClient(create_app(repo, Health(), registry, StoreMetrics(registry)))
    for fmt in ("json", "csv", "acled"):
        r = client.get("/events", params={"q": q, "format": fmt})
        assert r.status_code in (200, 400), (q, r.status_code, r.text)
    r = client.get("/stats", params={"q": q})
    assert r.status_code in (200, 400)
    if r.status_code == 400:
        assert "q" in r.json()["detail"]
    repo.close()


def test_a_query_without_words_is_a_bad_query(repo):
    with pytest.raises(BadQuery, match="at least one word"):
        repo.query(EventQuery(q="?!"))


def test_search_combines_with_the_other_filters_and_stats(repo):
    assert _ids(repo, "military", admin1="Kunduz") == ["e00000", "e00001", "e00004", "e00005"]
    assert _ids(repo, "military", admin1="Kunduz", since=date(2026, 1, 5)) == ["e00004", "e00005"]
    counts = repo.stats(EventQuery(q="taliban"), "admin1")
    assert counts == [{"admin1": "Kunduz", "events": 3, "fatalities": 9}]


def test_the_index_follows_revisions_merges_and_deletes(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many(_events())
    # a revised report: its old words are gone from the index, its new ones are in
    repo.upsert_many([_said(2, "A suicide bomber struck a mosque.", actor1=Actor(name="Unidentified Armed Group"))])
    assert _ids(repo, "overnight") == []
    assert _ids(repo, "mosque") == ["e00002"]
    # another outlet's report of event 0 merges into it: the merged event has both texts, once
    other = _said(0, "Insurgents overran the post at dawn.", event_id="x00000", story_id="other")
    repo.upsert_many([other])
    assert repo.get("x00000")["event_id"] == "e00000"
    assert _ids(repo, "overran") == ["e00000"]
    assert _ids(repo, "checkpoint dawn") == ["e00000"]
    # the report moves elsewhere: the cluster splits, each part found by its own words
    repo.upsert_many([_said(0, "Insurgents overran the post at dawn.", event_id="x00000", story_id="other",
                            event_date=date(2025, 6, 1))])
    assert _ids(repo, "overran") == ["x00000"]
    assert _ids(repo, "checkpoint") == ["e00000"]
    # a rebuild rewrites every row; a delete leaves nothing behind
    repo.rebuild()
    assert _ids(repo, "mosque") == ["e00002"]
    assert _ids(repo, "checkpoint") == ["e00000"]
    empty(repo)
    assert _ids(repo, "checkpoint") == []
    repo.upsert_many(_events()[:1])
    assert _ids(repo, "checkpoint") == ["e00000"]
    assert _ids(repo, "mosque") == []
    repo.close()


def test_the_migration_indexes_the_rows_already_stored(database_url):
    engine = make_engine(database_url)
    migrate(engine, "store", MIGRATIONS[:9])  # a store from before the index (version 10)
    rows = [event_row({**make_event(i).model_dump(mode="json"), "fatalities_range": None, "reports": [],
                       "evidence": [{"text": f"Word{i} here", "start": 0, "end": 9}]}) for i in range(3)]
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
                          f"VALUES ({', '.join(':' + c for c in EVENT_COLUMNS)})"),
                     [dict(zip(EVENT_COLUMNS, r, strict=True)) for r in rows])
    engine.dispose()
    repo = EventRepository(database_url)
    assert _ids(repo, "word1") == ["e00001"]
    assert _ids(repo, "here") == ["e00000", "e00001", "e00002"]
    repo.close()


def test_queries_go_through_the_index(repo):
    with repo.engine.connect() as conn:
        cond = search.condition(conn, "taliban kunduz")
        if repo.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
        plan = " ".join(str(r[-1]) for r in conn.execute(
            text(f"EXPLAIN {'QUERY PLAN ' if repo.engine.dialect.name == 'sqlite' else ''}"
                 f"SELECT event_id FROM events WHERE {cond.sql}"), {"fts": cond.param}))
    assert ("events_search" in plan) if repo.engine.dialect.name == "postgresql" else ("events_fts" in plan), plan


def test_sqlite_lists_a_common_words_matches_once_per_query(repo, monkeypatch):
    """Words many events have: the page's index is walked and each event tested against the matching
    rowids listed once, not by an FTS query per event (which expanded the prefix per row)."""
    if repo.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL's planner picks by itself")
    monkeypatch.setattr(search_sqlite, "FEW_MATCHES", 1)
    with repo.engine.connect() as conn:
        cond = search.condition(conn, "taliban")
        plan = " ".join(str(r[-1]) for r in conn.execute(text(
            f"EXPLAIN QUERY PLAN SELECT event_id FROM events WHERE {cond.sql} ORDER BY event_date DESC LIMIT 5"),
            {"fts": cond.param}))
    assert "LIST SUBQUERY" in plan and "CORRELATED" not in plan and "events_date" in plan, plan


def test_common_words_give_the_same_events_as_rare_ones(repo, monkeypatch):
    """SQLite walks the page's index for words many events have, and fetches through the FTS index
    for rare ones: the same answer either way."""
    queries = ["taliban", "kunduz taliban", "military forces", "wedd", "imam sahib", "nothing here", "kündüz"]
    rare = {q: _ids(repo, q) for q in queries}
    assert sum(map(len, rare.values())) == 3 + 3 + 5 + 1 + 2 + 0 + 1
    monkeypatch.setattr(search_sqlite, "FEW_MATCHES", 1)
    assert {q: _ids(repo, q) for q in queries} == rare
    assert _ids(repo, "military", admin1="Kunduz", since=date(2026, 1, 5)) == ["e00004", "e00005"]
    assert repo.stats(EventQuery(q="taliban"), "admin1") == [{"admin1": "Kunduz", "events": 3, "fatalities": 9}]
