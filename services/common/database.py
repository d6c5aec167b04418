"""Database engines and versioned schema migrations, for SQLite and PostgreSQL alike.

Each service owns its own database and its own list of migrations; ``migrate`` applies the
missing ones in order inside a transaction and records them in ``schema_migrations``.
Concurrent replicas starting together are serialised by a PostgreSQL advisory lock (SQLite
serialises writers by itself).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text

log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets the API read while the consumer writes; NORMAL sync is durable in WAL mode
            # except for the last transaction on power loss, which replay from Kafka covers.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


Migration = Sequence[str] | Mapping[str, Sequence[str]] | None


def _statements(engine: Engine, migration: Migration) -> Sequence[str]:
    """A migration's statements for this engine: one list for both databases, or one per dialect
    name (``{"sqlite": [...], "postgresql": [...]}``) where their SQL differs."""
    if isinstance(migration, Mapping):
        return migration[engine.dialect.name]
    return migration or []


def migrate(engine: Engine, service: str, migrations: Sequence[Migration]) -> int:
    """Apply ``migrations[i]`` (a list of SQL statements, or a list per dialect) for every version
    i+1 not yet applied, in order.

    A ``None`` entry is a version reserved by another branch and not here yet: it is skipped and not
    recorded, so it is applied when it arrives, even after later versions (each version is applied
    when it is missing from ``schema_migrations``, not only when it is above the highest there).
    Returns the highest schema version applied.
    """
    with engine.begin() as conn:
        if is_postgres(engine):
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": f"wirewatch-{service}"})
        conn.execute(text(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        ))
        applied = set(conn.execute(text("SELECT version FROM schema_migrations")).scalars())
        for version, migration in enumerate(migrations, start=1):
            if version in applied or migration is None:
                continue
            for stmt in _statements(engine, migration):
                conn.execute(text(stmt))
            conn.execute(
                text("INSERT INTO schema_migrations (version, applied_at) VALUES (:v, CURRENT_TIMESTAMP)"),
                {"v": version},
            )
            applied.add(version)
            log.info("%s database migrated to version %d", service, version)
        return max(applied, default=0)
