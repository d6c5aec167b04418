"""The databases a store benchmark runs against side by side: a scratch PostgreSQL database
(created and dropped around the run) when a server answers, and a SQLite file."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def bench_databases(postgres_admin_url: str, workdir: Path, only: set[str] | None = None,
                    ) -> Iterator[list[tuple[str, str]]]:
    targets: list[tuple[str, str]] = []
    if not only or "sqlite" in only:
        targets.append(("SQLite", f"sqlite:///{workdir / 'store.db'}"))
    scratch = None
    if not only or "postgres" in only:
        try:
            import psycopg

            scratch = f"wirewatch_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{scratch}"')
            targets.insert(0, ("PostgreSQL", postgres_admin_url.rsplit("/", 1)[0] + f"/{scratch}"))
        except Exception as exc:  # no server: the other side alone, said plainly
            scratch = None
            print(f"PostgreSQL not available ({exc}); SQLite only")
    try:
        yield targets
    finally:
        if scratch:
            import psycopg

            with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
