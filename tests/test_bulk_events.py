"""The benchmarks' bulk loader (bench/bulk_events.py): a store loaded in bulk is the store the writer
makes of the same events, rows, search index and schema, on both databases; a load is all or nothing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from services.common.contracts import Actor, Evidence
from services.store import search_sqlite
from services.store.queries import EventQuery
from services.store.repository import EventRepository
from tests.helpers import make_event

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ["Taliban fighters attacked a checkpoint, killing 4 soldiers.", "An IED exploded near the bazaar.",
             "Une frappe aérienne a tué 3 personnes à Kündüz.", "Police said: \"no comment\" on the 12.5 km convoy.",
             "مقتل ثلاثة في قندوز", "Protesters gathered; police (ISAF-trained) dispersed them."]


def _bulk_events():
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("bulk_events", ROOT / "bench" / "bulk_events.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bulk_events = _bulk_events()


def _events(n: int = 48):
    """Reports of their own (3 days apart: none merge), with every indexed field varying."""
    out = []
    for i in range(n):
        sentence = SENTENCES[i % len(SENTENCES)]
        actor1 = [Actor(name="Taliban"), Actor(name="Islamic State"), None][i % 3]
        out.append(make_event(i, evidence=[Evidence(text=f"{sentence} ({i})", start=0, end=len(sentence))],
                              actor1=actor1, actor2=None if i % 4 == 0 else Actor(name="Police")))
    return out


def _rows(conn: Connection) -> list[tuple]:
    """Every column of every event (PostgreSQL: the search vector too), by id."""
    return [tuple(r) for r in conn.execute(text("SELECT * FROM events ORDER BY event_id"))]


def _search_index(conn: Connection) -> list[tuple]:
    """What the search index holds, by event id: SQLite's FTS5 entries (term, column; FTS rowids are
    the day and events rowid, ``search_sqlite.ROWID_MASK``),
    PostgreSQL's lexemes and positions (the GIN index is over them; ``_schema`` has its definition)
    and its lexicon (``search_lexemes``, which the bulk COPY fills through the same trigger)."""
    if conn.dialect.name == "postgresql":
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT event_id, lexeme, positions FROM events, unnest(search_vector) ORDER BY event_id, lexeme")] + \
            [tuple(r) for r in conn.exec_driver_sql("SELECT lexeme FROM search_lexemes ORDER BY lexeme")]
    conn.exec_driver_sql("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")
    conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, events_fts, instance)")
    return [tuple(r) for r in conn.exec_driver_sql(
        f"SELECT e.event_id, v.term, v.col, v.offset FROM temp.fts_terms v JOIN events e ON e.rowid = v.doc & {search_sqlite.ROWID_MASK} "
        "ORDER BY e.event_id, v.col, v.offset")]


def _schema(conn: Connection) -> list[tuple]:
    if conn.dialect.name == "postgresql":
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT column_name, data_type, is_nullable, column_default, generation_expression "
            "FROM information_schema.columns WHERE table_name = 'events' ORDER BY ordinal_position")] + \
            [tuple(r) for r in conn.exec_driver_sql("SELECT indexname, indexdef FROM pg_indexes "
                                                    "WHERE tablename = 'events' ORDER BY indexname")]
    # (but the planner's statistics, which the loader gathers)
    return [tuple(r) for r in conn.exec_driver_sql("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name")]


def _store(url: str) -> tuple[list, list, list, dict]:
    repo = EventRepository(url)
    with repo.engine.connect() as conn:
        found = (_rows(conn), _search_index(conn), _schema(conn))
    queries = ["taliban", "kund", "kündüz", "police 12", "islamic state bazaar", "قندوز", "isaf"]
    answers = {q: [e["event_id"] for e in repo.query(EventQuery(q=q))[0]] for q in queries}
    repo.close()
    return (*found, answers)


def test_a_bulk_loaded_store_is_what_the_writer_stores(database_url, another_database_url):
    events = _events()
    written = EventRepository(another_database_url)
    written.upsert_many(events)
    written.close()
    loaded = bulk_events.bulk_load(database_url, bulk_events.event_rows(e.model_dump(mode="json") for e in events))
    assert loaded == len(events)
    rows, index, schema, answers = _store(database_url)
    assert len(rows) == len(events) and len(index) > len(events)
    assert (rows, index, schema, answers) == _store(another_database_url)
    assert answers["kund"] and answers["قندوز"] and answers["police 12"]


def test_a_store_with_events_is_refused(database_url):
    rows = list(bulk_events.event_rows(e.model_dump(mode="json") for e in _events(5)))
    bulk_events.bulk_load(database_url, rows[:3])
    with pytest.raises(bulk_events.BulkLoadError) as refused:
        bulk_events.bulk_load(database_url, rows[3:])
    assert refused.value.kind == "not_empty"
    assert EventRepository(database_url).count() == 3


def test_a_failed_load_leaves_the_store_as_it_was(database_url):
    repo = EventRepository(database_url)
    with repo.engine.connect() as conn:
        before = _schema(conn), _search_index(conn)
    repo.close()

    def rows():
        yield from bulk_events.event_rows(e.model_dump(mode="json") for e in _events(bulk_events.BATCH // 1000))
        raise OSError("the source went away")

    with pytest.raises(OSError):
        bulk_events.bulk_load(database_url, rows())
    repo = EventRepository(database_url)
    with repo.engine.connect() as conn:
        assert (_schema(conn), _search_index(conn)) == before  # indexes, triggers and constraints back
    assert repo.count() == 0
    repo.close()
