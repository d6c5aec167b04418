"""Versioned migrations, on SQLite and PostgreSQL alike: each applied once, in order, and a version
that is not there yet (``None``) applied once it arrives, even after later ones."""

from __future__ import annotations

from sqlalchemy import text

from services.common.database import make_engine, migrate


def _versions(engine) -> list[int]:
    with engine.connect() as conn:
        return [v for (v,) in conn.execute(text("SELECT version FROM schema_migrations ORDER BY version"))]


def test_a_missing_version_is_applied_when_it_arrives(database_url):
    engine = make_engine(database_url)
    first = ["CREATE TABLE one (x INTEGER)"]
    third = ["CREATE TABLE three (x INTEGER)"]
    assert migrate(engine, "test", [first, None, third]) == 3
    assert _versions(engine) == [1, 3]
    assert migrate(engine, "test", [first, None, third]) == 3  # nothing again
    second = ["CREATE TABLE two (x INTEGER)", "INSERT INTO two (x) VALUES (2)"]
    assert migrate(engine, "test", [first, second, third]) == 3
    assert _versions(engine) == [1, 2, 3]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM two")).scalar_one() == 2
    migrate(engine, "test", [first, second, third])  # each once: a second CREATE TABLE would fail
    engine.dispose()
