"""Each dialect operation on SQLite and on PostgreSQL (the ``database_url`` fixture runs every test
on both): the same calls give the same rows, whichever database is under them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from services.common.contracts import Story
from services.common.database import make_engine
from services.store.buckets import STORE_LOCK_KEY, Bucket, slot_lock_key
from services.store.dialect import PostgresDialect, SQLiteDialect, dialect_for, json_list
from services.store.repository import EventRepository
from tests.helpers import make_event

COLUMNS = ("k", "latitude", "fatalities", "note")


@pytest.fixture
def db(database_url):
    """An engine, its dialect, and an empty table ``t`` with a text key, a float, an int and text."""
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (k TEXT PRIMARY KEY, latitude DOUBLE PRECISION, fatalities INTEGER, "
                          "note TEXT)"))
    yield engine, dialect_for(engine)
    engine.dispose()


def _rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT k, latitude, fatalities, note FROM t ORDER BY k"))]


def test_the_dialect_is_chosen_from_the_engine(db, database_url):
    _, dialect = db
    expected = SQLiteDialect if database_url.startswith("sqlite") else PostgresDialect
    assert type(dialect) is expected
    assert dialect.max_writers(3) == (1 if expected is SQLiteDialect else 3)


def test_insert_counts_rows_from_a_list_or_a_generator_and_refuses_a_duplicate(db):
    engine, d = db
    with engine.begin() as conn:
        assert d.insert(conn, "t", COLUMNS, []) == 0
        assert d.insert(conn, "t", COLUMNS, [("a", 1.5, 2, "x"), ("b", None, 0, None)]) == 2
        assert d.insert(conn, "t", COLUMNS, (r for r in [("c", -3.25, 7, "ü")])) == 1
    assert _rows(engine) == [("a", 1.5, 2, "x"), ("b", None, 0, None), ("c", -3.25, 7, "ü")]
    with pytest.raises(Exception) as refused, engine.begin() as conn:
        d.insert(conn, "t", COLUMNS, [("a", 0.0, 0, "again")])
    assert d.is_data_error(refused.value)
    assert len(_rows(engine)) == 3


def test_update_rewrites_rows_by_key_in_chunks_keeping_types(db):
    engine, d = db
    with engine.begin() as conn:
        d.insert(conn, "t", COLUMNS, [(k, 0.0, 0, "old") for k in "abcde"])
        d.update(conn, "t", COLUMNS, [("a", 36.5, 4, "new"), ("c", None, 9, None), ("e", -1.0, 0, "é")], chunk=2)
    assert _rows(engine) == [("a", 36.5, 4, "new"), ("b", 0.0, 0, "old"), ("c", None, 9, None),
                             ("d", 0.0, 0, "old"), ("e", -1.0, 0, "é")]


def test_any_of_matches_exactly_the_listed_values(db):
    engine, d = db
    with engine.begin() as conn:
        d.insert(conn, "t", COLUMNS, [(k, None, 0, None) for k in ("a", "b", "c", "it's")])
        for wanted, found in ((["a", "c"], {"a", "c"}), ([], set()), (["it's", "zz"], {"it's"})):
            got = {k for (k,) in d.query(conn, f"SELECT k FROM t WHERE {d.any_of('k', 'ids')}",
                                         {"ids": json_list(wanted)})}
            assert got == found


def test_records_turn_a_json_array_into_typed_columns(db):
    engine, d = db
    source = d.records("v", "v", (("e", "text"), ("n", "int"), ("x", "float8")))
    with engine.connect() as conn:
        rows = d.query(conn, f"SELECT e, n, x FROM {source} ORDER BY e",
                       {"v": json_list([{"e": "b", "n": 2, "x": 0.5}, {"e": "a", "n": None, "x": -7.25}])}).all()
    assert [tuple(r) for r in rows] == [("a", None, -7.25), ("b", 2, 0.5)]


def test_the_digest_the_database_computes_is_the_one_python_computes(db):
    engine, d = db
    payloads = ['{"a":1}', '{"name":"Dasht-e-Archi","note":"ü – 東"}', ""]
    with engine.begin() as conn:
        d.insert(conn, "t", ("k", "note"), [(str(i), p) for i, p in enumerate(payloads)])
        stored = dict(d.query(conn, f"SELECT k, {d.digest_column().replace('payload', 'note')} FROM t", {}).all())
    assert [stored[str(i)] for i in range(len(payloads))] == [d.digest(p) for p in payloads]
    assert len({d.digest(p) for p in payloads}) == len(payloads)


def test_only_data_errors_are_data_errors(db):
    _, d = db
    assert d.is_data_error(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert d.is_data_error(ValueError("a number no column holds")) and d.is_data_error(OverflowError())
    assert not d.is_data_error(OperationalError("INSERT", {}, ConnectionError("server closed the connection")))
    assert not d.is_data_error(RuntimeError("a bug is not the data's fault"))


def test_sqlite_refuses_an_integer_beyond_64_bits_as_bad_data(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'big.db'}")
    d = dialect_for(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)"))
    with pytest.raises(Exception) as refused, engine.begin() as conn:
        d.insert(conn, "t", ("k", "n"), [("a", 2**70)])
    assert d.is_data_error(refused.value)
    engine.dispose()


def _held_while(postgres_url: str, lock_sql: str, write) -> tuple[bool, bool]:
    """Whether ``write`` (run in a thread) was still waiting after half a second while another
    connection held a lock, and whether it finished once the lock was released."""
    import threading

    import psycopg

    errors: list[BaseException] = []

    def run() -> None:
        try:
            write()
        except BaseException as exc:  # reported below: a failed write is not a finished one
            errors.append(exc)

    with psycopg.connect(postgres_url) as other:
        other.execute(lock_sql)  # held until `other` commits
        writer = threading.Thread(target=run)
        writer.start()
        writer.join(0.5)
        waited = writer.is_alive()
        other.commit()
        writer.join(10)
    assert not errors, errors
    return waited, not writer.is_alive()


def test_postgresql_writers_of_one_bucket_take_turns_and_of_others_do_not(postgres_url):
    """Another writer (a second store shard or replica) holding a report's bucket makes a write of
    that bucket wait; a write of a bucket in another lock slot goes ahead."""
    repo = EventRepository(postgres_url)
    mine, theirs = make_event(1), make_event(2)  # Imam Sahib, Kunduz and Lashkar Gah, Helmand
    slot = Bucket.of(mine.model_dump(mode="json")).slot
    assert slot != Bucket.of(theirs.model_dump(mode="json")).slot
    hold = f"SELECT pg_advisory_xact_lock_shared({STORE_LOCK_KEY}), pg_advisory_xact_lock({slot_lock_key(slot)})"
    assert _held_while(postgres_url, hold, lambda: repo.upsert_many([mine])) == (True, True)
    assert _held_while(postgres_url, hold, lambda: repo.upsert_many([theirs])) == (False, True)
    # a revised report that leaves the held bucket waits for it too: its old cluster is there
    moved = mine.model_copy(update={"admin1": "Helmand", "admin2": "Lashkar Gah"})
    assert Bucket.of(moved.model_dump(mode="json")).slot != slot
    assert _held_while(postgres_url, hold, lambda: repo.upsert_many([moved])) == (True, True)
    # a link may touch any bucket: it waits for the writers, which hold the store shared
    dup = Story(story_id="mirror", url="https://mirror.example/1", canonical_url="https://mirror.example/1",
                feed_id="f", outlet="Mirror", fetched_at=datetime(2026, 3, 2, tzinfo=UTC), content_hash="h",
                duplicate_of=mine.story_id)
    assert _held_while(postgres_url, hold, lambda: repo.link_duplicates([dup])) == (True, True)
    assert repo.count_reports() == 2 and repo.get(mine.event_id)["admin1"] == "Helmand"
    assert "Mirror" in {s["outlet"] for s in repo.get(mine.event_id)["sources"]}
    repo.close()

