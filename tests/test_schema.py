"""The store's schema and rows, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json

from sqlalchemy import text

from services.common.contracts import Source
from services.common.database import make_engine, migrate
from services.store import merge
from services.store.repository import EventRepository
from services.store.schema import (
    EVENT_COLUMNS,
    MIGRATIONS,
    REPORT_COLUMNS,
    canonical_json,
    event_row,
    report_from_columns,
    report_row,
)
from services.store.search import INDEX_COLUMNS
from tests.helpers import make_event


def test_migrations_are_applied_once(database_url):
    EventRepository(database_url).close()
    repo = EventRepository(database_url)  # second start: nothing to apply, nothing fails
    with repo.engine.connect() as conn:
        applied = conn.execute(text("SELECT COUNT(*) FROM schema_migrations")).scalar_one()
    assert applied == sum(m is not None for m in MIGRATIONS)  # reserved versions (None) wait for their branch
    repo.close()


def test_the_tables_have_the_columns_rows_are_built_for(database_url):
    repo = EventRepository(database_url)
    with repo.engine.connect() as conn:
        for table, columns in (("reports", (*REPORT_COLUMNS, "cluster_id")), ("events", EVENT_COLUMNS)):
            names = conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys()
            assert set(names) - INDEX_COLUMNS[repo.engine.dialect.name] == set(columns)
    repo.close()


def test_rows_are_built_from_the_json_alone():
    report = make_event(4, actor2=None).model_dump(mode="json")
    row = dict(zip(REPORT_COLUMNS, report_row(report, "{}"), strict=True))
    assert (row["actor1"], row["actor2"], row["payload"], row["admin2"]) == ("Taliban", None, "{}", "Dasht-e-Archi")
    merged = merge.merge([report])
    event = dict(zip(EVENT_COLUMNS, event_row(merged), strict=True))
    assert event["payload"] == canonical_json(merged) and json.loads(event["payload"]) == merged
    assert list(json.loads(event["payload"])) == sorted(merged)  # key-sorted: one text per value
    assert event["n_sources"] == 1 and event["actor1"] == "Taliban" and event["actor2"] is None
    assert event_row(merge.merge([report])) == event_row(merged)
    other = make_event(4, event_id="other", story_id="b", sources=[  # another outlet, same event
        Source(story_id="b", outlet="Other", url="https://example.net/b")]).model_dump(mode="json")
    both = dict(zip(EVENT_COLUMNS, event_row(merge.merge([report, other])), strict=True))
    assert both["n_sources"] == 2 and both["evidence_text"] == ""


def test_a_report_rebuilt_from_its_columns_is_the_same_event_as_its_json():
    a = make_event(1, story_id="a").model_dump(mode="json")
    b = make_event(1, event_id="other", story_id="b").model_dump(mode="json")
    light = report_from_columns(dict(zip(REPORT_COLUMNS, report_row(a, ""), strict=True)))
    assert light["actor1"] == {"name": "Taliban"}
    assert merge.same_event(light, b) and merge.same_event(a, b)
    far = report_from_columns(dict(zip(REPORT_COLUMNS, report_row({**a, "admin2": "Elsewhere", "latitude": 30.0},
                                                                    ""), strict=True)))
    assert not merge.same_event(far, b)


def test_a_reserved_migration_is_applied_when_it_arrives_after_later_ones(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    first = ["CREATE TABLE a (x INTEGER)"]
    later = {"sqlite": ["CREATE TABLE c (x INTEGER)"], "postgresql": ["CREATE TABLE c (y INTEGER)"]}
    assert migrate(engine, "t", [first, None, later]) == 3
    assert migrate(engine, "t", [first, ["CREATE TABLE b (x INTEGER)"], later]) == 3  # the reserved one, now
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_migrations ORDER BY version")).scalars().all() == [1, 2, 3]
        assert {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))} >= {"a", "b", "c"}
    engine.dispose()


# what the live stream created before version 11, on the first stream it served (the DDL it ran)
_OLD_LIVE_LOG = {
    "sqlite": [
        "CREATE TABLE live_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL)",
        *(f"CREATE TRIGGER live_changes_{op.lower()} AFTER {op} ON events "
          f"BEGIN INSERT INTO live_changes (event_id) VALUES ({row}.event_id); END"
          for op, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))),
    ],
    "postgresql": [
        "CREATE TABLE live_changes (seq BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL)",
        """CREATE FUNCTION wirewatch_live_change() RETURNS trigger AS $$
           BEGIN
             IF TG_OP = 'DELETE' THEN INSERT INTO live_changes (event_id) VALUES (OLD.event_id); RETURN OLD; END IF;
             INSERT INTO live_changes (event_id) VALUES (NEW.event_id); RETURN NEW;
           END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER live_changes_events AFTER INSERT OR UPDATE OR DELETE ON events
           FOR EACH ROW EXECUTE FUNCTION wirewatch_live_change()""",
    ],
}


def _live_log_objects(conn, dialect: str) -> set[str]:
    if dialect == "sqlite":
        return set(conn.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'live_changes%'")).scalars())
    return {*conn.execute(text("SELECT tgname FROM pg_trigger WHERE tgname = 'live_changes_events'")).scalars(),
            *conn.execute(text("SELECT proname FROM pg_proc WHERE proname = 'wirewatch_live_change'")).scalars(),
            *conn.execute(text("SELECT tablename FROM pg_tables WHERE tablename = 'live_changes'")).scalars()}


def test_version_11_drops_the_live_log_and_its_triggers(database_url):
    engine = make_engine(database_url)
    dialect = engine.dialect.name
    assert migrate(engine, "store", MIGRATIONS[:10]) == 10
    with engine.begin() as conn:
        for stmt in _OLD_LIVE_LOG[dialect]:
            conn.execute(text(stmt))
        assert len(_live_log_objects(conn, dialect)) == (4 if dialect == "sqlite" else 3)
    engine.dispose()
    repo = EventRepository(database_url)  # the store starts: version 11 is applied
    with repo.engine.connect() as conn:
        assert _live_log_objects(conn, dialect) == set()
        assert 11 in set(conn.execute(text("SELECT version FROM schema_migrations")).scalars())
    repo.upsert_many([make_event(1)])  # writing events needs no trigger or table that is gone
    assert repo.get("e00001")["event_id"] == "e00001"
    repo.close()
    assert migrate(make_engine(database_url), "store", MIGRATIONS) == len(MIGRATIONS)  # applied once, idempotent
