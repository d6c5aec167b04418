"""The few store operations whose SQL differs between SQLite and PostgreSQL, one class each.

``dialect_for(engine)`` picks the implementation once, from the engine; every other store module
speaks through it and never asks which database it is on. Both implementations give the same
results for the same calls (tests/test_dialect.py runs each operation on both), so the store's
rows do not depend on the database.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

import orjson
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError

from .buckets import STORE_LOCK_KEY, slot_lock_key

# A JSON-record field's SQL type, for the columns that are not text (PostgreSQL casts by it).
COLUMN_TYPES = {"latitude": "float8", "longitude": "float8", "confidence": "float8", "geo_precision": "int",
                "fatalities": "int", "n_sources": "int"}

# The database refused the data itself (a constraint, a value it cannot store) or our code could not
# process it; OverflowError is SQLite's driver refusing an integer beyond 64 bits, which the
# contract allows.
_DATA_ERRORS: tuple[type[BaseException], ...] = (DataError, IntegrityError, ValueError, TypeError, KeyError,
                                                 OverflowError)


def json_list(values: Iterable[str]) -> str:
    """Values as the one JSON parameter ``Dialect.any_of`` and ``Dialect.records`` unpack."""
    return orjson.dumps(values if isinstance(values, list) else list(values)).decode()


class Dialect(ABC):
    """What the store needs from a database beyond portable SQL.

    Lists travel as one JSON parameter that the database unpacks: the statement text stays the same
    from batch to batch, so neither driver re-parses a statement with thousands of placeholders, and
    PostgreSQL can keep it prepared. (A Python list as a PostgreSQL array cost psycopg a
    regular-expression match per element; orjson writes the JSON in one C call.)"""

    name: str
    _data_errors: tuple[type[BaseException], ...] = _DATA_ERRORS

    @abstractmethod
    def query(self, conn: Connection, sql: str, params: dict | list[dict]):
        """Run a statement with ``:name`` placeholders straight through the driver (a list of dicts:
        executemany). Compiling hundreds of bind parameters, and processing every row's parameters,
        in SQLAlchemy cost more than the statements themselves."""

    @abstractmethod
    def any_of(self, column: str, param: str) -> str:
        """A condition: ``column`` is one of the values of the JSON list parameter ``param``."""

    @abstractmethod
    def records(self, param: str, alias: str, fields: Sequence[tuple[str, str]]) -> str:
        """A table ``alias`` with columns ``fields`` (name, SQL type) from the JSON array of objects
        in parameter ``param``."""

    @abstractmethod
    def insert(self, conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        """Insert new rows (tuples in ``columns`` order) and return how many. A duplicate key fails
        the statement on both databases."""

    @abstractmethod
    def lock_store(self, conn: Connection) -> None:
        """Wait for every bucket writer to finish, and keep new ones out, until the transaction ends."""

    @abstractmethod
    def lock_slots(self, conn: Connection, slots: set[int]) -> None:
        """Hold these lock slots (``buckets``) until the transaction ends. Every writer takes all its
        locks at once, in ascending order, before it reads what it will rewrite: no two writers can
        deadlock."""

    @abstractmethod
    def digest_column(self) -> str:
        """An SQL expression over ``payload`` that ``digest`` reproduces in Python."""

    @abstractmethod
    def digest(self, payload: str) -> str:
        """What ``digest_column`` gives for a stored payload: equal exactly when the payloads are."""

    @abstractmethod
    def max_writers(self, requested: int) -> int:
        """How many transactions may write one batch at once."""

    def update(self, conn: Connection, table: str, columns: Sequence[str], rows: list[tuple],
               chunk: int = 5000) -> None:
        """Rewrite rows (tuples in ``columns`` order) by their key, the first column: one statement
        per ``chunk`` rows, from one JSON parameter (an executemany is a round trip per row)."""
        source = self.records("v", "v", [(c, COLUMN_TYPES.get(c, "text")) for c in columns])
        sql = (f"UPDATE {table} SET {', '.join(f'{c} = v.{c}' for c in columns[1:])} FROM {source} "
               f"WHERE {table}.{columns[0]} = v.{columns[0]}")
        for start in range(0, len(rows), chunk):
            self.query(conn, sql, {"v": orjson.dumps([dict(zip(columns, row, strict=True))
                                                      for row in rows[start:start + chunk]]).decode()})

    def is_data_error(self, exc: BaseException) -> bool:
        """Whether the database refused the data itself or our code could not process it, as opposed
        to the database being unreachable, out of resources or shut down: only the former may
        dead-letter an event. Raw driver errors count like SQLAlchemy's wrapped ones."""
        return isinstance(exc, self._data_errors) or isinstance(getattr(exc, "orig", None), self._data_errors)


class SQLiteDialect(Dialect):
    """SQLite: one writer at a time by the database's own lock, JSON through ``json_each``."""

    name = "sqlite"
    _data_errors = (*_DATA_ERRORS, sqlite3.IntegrityError, sqlite3.DataError)

    def query(self, conn: Connection, sql: str, params: dict | list[dict]):
        return conn.exec_driver_sql(sql, params)  # sqlite3 takes :name as it is

    def any_of(self, column: str, param: str) -> str:
        return f"{column} IN (SELECT value FROM json_each(:{param}))"

    def records(self, param: str, alias: str, fields: Sequence[tuple[str, str]]) -> str:
        cols = ", ".join(f"value ->> '{n}' AS {n}" for n, _ in fields)
        return f"(SELECT {cols} FROM json_each(:{param})) AS {alias}"

    def insert(self, conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        rows = list(rows)
        if rows:
            conn.exec_driver_sql(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", rows)
        return len(rows)

    def lock_store(self, conn: Connection) -> None:
        pass  # SQLite allows one writer at a time anyway

    def lock_slots(self, conn: Connection, slots: set[int]) -> None:
        pass

    def digest_column(self) -> str:
        return "payload"  # in-process: comparing the text costs nothing to transfer

    def digest(self, payload: str) -> str:
        return payload

    def max_writers(self, requested: int) -> int:
        return 1


_NAMED = re.compile(r":(\w+)")


class PostgresDialect(Dialect):
    """PostgreSQL through psycopg: COPY for inserts, advisory locks per lock slot, MD5 digests.

    Merging reads a neighbourhood and rewrites it: two writers doing so at once under READ COMMITTED
    could each miss the other's new reports. Writers of different buckets cannot interfere, so each
    takes transaction-scoped advisory locks, one per lock slot it touches, after a shared hold on the
    whole store, which the few writes that cross buckets (near-duplicate links, rebuilds) take
    exclusively. Readers are never blocked."""

    name = "postgresql"

    def __init__(self) -> None:
        import psycopg  # the postgres extra; only a PostgreSQL engine needs it

        self._data_errors = (*_DATA_ERRORS, psycopg.IntegrityError, psycopg.DataError)

    def query(self, conn: Connection, sql: str, params: dict | list[dict]):
        return conn.exec_driver_sql(_NAMED.sub(r"%(\1)s", sql), params)  # psycopg's named style

    def any_of(self, column: str, param: str) -> str:
        return f"{column} = ANY(ARRAY(SELECT json_array_elements_text(CAST(:{param} AS json))))"

    def records(self, param: str, alias: str, fields: Sequence[tuple[str, str]]) -> str:
        return f"json_to_recordset(CAST(:{param} AS json)) AS {alias}({', '.join(f'{n} {t}' for n, t in fields)})"

    def insert(self, conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        """COPY: a tenth of the per-row cost of an INSERT pipeline; the server stores rows as they
        are sent, so a generator of rows overlaps producing them with storing them."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        count = 1
        driver = conn.connection.driver_connection
        if driver is None:  # only once the pool has invalidated it, which an open transaction excludes
            raise RuntimeError("the connection has no driver connection to COPY through")
        with driver.cursor() as cur, \
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            write = copy.write_row
            write(first)
            for row in rows:
                write(row)
                count += 1
        return count

    def lock_store(self, conn: Connection) -> None:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({STORE_LOCK_KEY})")

    def lock_slots(self, conn: Connection, slots: set[int]) -> None:
        if not slots:
            return
        keys = ", ".join(f"pg_advisory_xact_lock({slot_lock_key(slot)})" for slot in sorted(slots))
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock_shared({STORE_LOCK_KEY}), {keys}")

    def digest_column(self) -> str:
        # over the network an MD5 of each payload, not the JSON itself: a fortieth of the bytes to
        # receive while the consumer thread competes for the interpreter
        return "md5(convert_to(payload, 'UTF8'))"

    def digest(self, payload: str) -> str:
        return hashlib.md5(payload.encode(), usedforsecurity=False).hexdigest()

    def max_writers(self, requested: int) -> int:
        return requested


class UnsupportedDatabase(ValueError):
    """The engine is neither SQLite nor PostgreSQL."""

    kind = "unsupported_database"


def dialect_for(engine: Engine) -> Dialect:
    """The store's dialect for this engine (SQLite or PostgreSQL, through psycopg)."""
    if engine.dialect.name == "sqlite":
        return SQLiteDialect()
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        return PostgresDialect()
    raise UnsupportedDatabase(f"the store runs on SQLite or PostgreSQL (psycopg), not {engine.url.drivername}")
