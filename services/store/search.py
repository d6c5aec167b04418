"""Free text search (``q``) over the merged events, through a real full-text index on either database.

What a query means (``search_terms``), on SQLite and PostgreSQL alike: every word of ``q`` must occur
(AND), in any indexed field (``SEARCH_COLUMNS``: the evidence sentences, the place and both actors'
names), in any order, case-insensitively, the last one also as a prefix (``kund`` finds Kunduz).

The index is kept in sync with ``events`` inside the transaction that writes the row: on SQLite an
FTS5 table fed by triggers (``search_sqlite``), on PostgreSQL a generated ``tsvector`` column with a
GIN index and the lexicon of its lexemes (``search_postgres``); a PostgreSQL page sorted by date may
walk date windows (``search_walk``). Schema migrations 10, 12, 13 and 14 are theirs.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from . import search_postgres, search_sqlite
from .search_sqlite import SQLITE_FILL as SQLITE_FILL
from .search_sqlite import day_number as day_number
from .search_sqlite import window_keys as window_keys
from .search_terms import FIELDS as FIELDS
from .search_terms import MAX_TERMS as MAX_TERMS
from .search_terms import NARROWING as NARROWING
from .search_terms import SEARCH_COLUMNS as SEARCH_COLUMNS
from .search_terms import BadSearch as BadSearch
from .search_terms import TextCondition as TextCondition
from .search_terms import narrowing_words
from .search_terms import terms as terms

MIGRATION = {"sqlite": search_sqlite.MIGRATION_10, "postgresql": search_postgres.MIGRATION_10}
MIGRATION_12 = {"sqlite": search_sqlite.MIGRATION_12, "postgresql": []}  # PostgreSQL: nothing changes
MIGRATION_13 = {"sqlite": [], "postgresql": search_postgres.MIGRATION_13}  # SQLite's prefixes are FTS5's
MIGRATION_14 = {"sqlite": [], "postgresql": search_postgres.MIGRATION_14}  # SQLite's windows are rowid ranges
# columns of ``events`` that are the index's, not the store's rows
INDEX_COLUMNS = {"postgresql": {"search_vector"}, "sqlite": set()}


def condition(conn: Connection, q: str, fields: Mapping[str, str | None] | None = None,
              windowed: bool = False) -> TextCondition:
    """The condition (parameter ``:fts``) that selects the events matching ``q``: every word, the
    last one as a prefix too, on the connection's database (``BadSearch`` for a ``q`` without
    words). ``fields`` are the query's other filters (``NARROWING``): their words may be required
    too, which selects no event the filters would keep less, and lets the index intersect the
    words with the place or actor. ``windowed`` (a page sorted by date) may give the condition of
    one date window (``TextCondition.windowed``), which the caller walks."""
    words = terms(q)
    narrowing = narrowing_words(fields or {})
    if conn.dialect.name == "postgresql":
        return search_postgres.condition(conn, words, narrowing, windowed, fields or {})
    return search_sqlite.condition(conn, words, narrowing, windowed)
