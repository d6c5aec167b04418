"""SQLite's full-text index for ``q`` (``search_terms``): a contentless FTS5 table, ``events_fts``,
kept in sync with ``events`` by triggers inside the transaction that writes the row, and the
condition that selects ``q``'s events through it.

From schema migration 12 on, an FTS rowid is the event's day number (``day_number``) above bit 40
and its ``events`` rowid below, so that the index lists matches in the page's order (newest day
last) and a date window is a rowid range it seeks to (``window_keys``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import Connection

from .search_terms import NARROWING, SEARCH_COLUMNS, TextCondition

FEW_MATCHES = 5_000  # up to this many matching events are fetched through the index and sorted

# SQLite tokenises with the same classes ``terms`` uses: letters, numbers, private use and marks.
_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
_COLUMNS = ", ".join(SEARCH_COLUMNS)


def _values(row: str) -> str:
    return ", ".join(f"{row}.{c}" for c in SEARCH_COLUMNS)


# migration 10: an external-content FTS5 table keyed by the events row's rowid
MIGRATION_10 = [
    f"CREATE VIRTUAL TABLE events_fts USING fts5({_COLUMNS}, content='events', "
    f"content_rowid='rowid', tokenize=\"{_TOKENIZER}\")",
    f"CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN "
    f"INSERT INTO events_fts (rowid, {_COLUMNS}) VALUES (new.rowid, {_values('new')}); END",
    f"CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN "
    f"INSERT INTO events_fts (events_fts, rowid, {_COLUMNS}) VALUES ('delete', old.rowid, {_values('old')}); END",
    f"CREATE TRIGGER events_fts_update AFTER UPDATE OF {_COLUMNS} ON events BEGIN "
    f"INSERT INTO events_fts (events_fts, rowid, {_COLUMNS}) VALUES ('delete', old.rowid, {_values('old')}); "
    f"INSERT INTO events_fts (rowid, {_COLUMNS}) VALUES (new.rowid, {_values('new')}); END",
    "INSERT INTO events_fts (events_fts) VALUES ('rebuild')",  # the rows already stored
]

ROWID_BITS = 40  # of events rowid (a trillion rows)
ROWID_MASK = (1 << ROWID_BITS) - 1
_JULIAN_OFFSET = 1721424  # date.toordinal() + this = SQLite's julianday() of that date, truncated


def _key(row: str) -> str:
    return f"((coalesce(CAST(julianday({row}.event_date) AS INTEGER), 0) << {ROWID_BITS}) | {row}.rowid)"


def _fts_write(row: str, delete: bool = False) -> str:
    target = "events_fts, rowid" if delete else "rowid"
    values = (["'delete'"] if delete else []) + [_key(row)] + [f"{row}.{c}" for c in SEARCH_COLUMNS]
    return f"INSERT INTO events_fts ({target}, {_COLUMNS}) VALUES ({', '.join(values)});"


# the rows already stored, indexed (migration 12, and the bulk loader after its rows are in)
SQLITE_FILL = f"INSERT INTO events_fts (rowid, {_COLUMNS}) SELECT {_key('events')}, {_COLUMNS} FROM events"
# contentless (the text is in ``events``; the triggers hand FTS5 the old values to delete),
# ``detail=column`` (no word offsets: no query needs them) and prefix indexes for the lengths of a
# word being typed
FTS_OPTIONS = "content='', detail=column, prefix='1 2 3 4 5 6 7 8'"
# migration 12: the FTS rows keyed in the page's order, rebuilt from the rows already stored
MIGRATION_12 = [
    "DROP TRIGGER IF EXISTS events_fts_insert",
    "DROP TRIGGER IF EXISTS events_fts_delete",
    "DROP TRIGGER IF EXISTS events_fts_update",
    "DROP TABLE IF EXISTS events_fts",
    f"CREATE VIRTUAL TABLE events_fts USING fts5({_COLUMNS}, {FTS_OPTIONS}, tokenize=\"{_TOKENIZER}\")",
    f"CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN {_fts_write('new')} END",
    f"CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN {_fts_write('old', delete=True)} END",
    f"CREATE TRIGGER events_fts_update AFTER UPDATE OF event_date, {_COLUMNS} ON events "
    f"BEGIN {_fts_write('old', delete=True)} {_fts_write('new')} END",
    SQLITE_FILL,
]


def day_number(iso: str) -> int:
    """SQLite's ``CAST(julianday(d) AS INTEGER)`` for an ISO date ``d`` (``ValueError`` if not one)."""
    return date.fromisoformat(iso[:10]).toordinal() + _JULIAN_OFFSET


def window_keys(first: str, last: str) -> dict[str, int]:
    """The FTS rowid range (``:klo``, ``:khi``) of the events dated ``first`` to ``last`` (ISO)."""
    return {"klo": day_number(first) << ROWID_BITS, "khi": (day_number(last) << ROWID_BITS) | ROWID_MASK}


def condition(conn: Connection, words: list[str], narrowing: Mapping[str, list[str]],
              windowed: bool) -> TextCondition:
    """The condition (parameter ``:fts``) selecting the events with every one of ``words``, the last
    as a prefix too, and the ``narrowing`` filters' words in their columns. SQLite's planner cannot
    see into the FTS table: ``windowed`` (asked for a page sorted by date) gives the condition for
    one date window, through the FTS rowids (day number, then rowid); anything else asks the index
    first whether the words are rare (fewer than ``FEW_MATCHES`` events): then the matching events
    are fetched through it and sorted; if not, the query walks an index in the page's order (or of
    another filter), stopping at the end of the page, and tests each event against the matching
    rowids, listed once per query (``+`` keeps the planner from driving the query by rowid)."""
    # FTS5 strings in double quotes are plain tokens; juxtaposed strings are ANDed; a column filter
    # on a group of tokens requires each in one of those columns
    query = " ".join(f'"{w}"' for w in words) + "*"
    for name, ws in narrowing.items():
        query += "".join(f' {{{" ".join(NARROWING[name])}}} : "{w}"' for w in ws)
    matches = f"SELECT rowid & {ROWID_MASK} FROM events_fts WHERE events_fts MATCH :fts"
    if windowed:
        return TextCondition(f"events.rowid IN ({matches} AND rowid BETWEEN :klo AND :khi)", query, windowed=True)
    found = conn.exec_driver_sql("SELECT COUNT(*) FROM (SELECT 1 FROM events_fts WHERE events_fts MATCH ? LIMIT ?)",
                                 (query, FEW_MATCHES)).scalar_one()
    if found < FEW_MATCHES:
        return TextCondition(f"events.rowid IN ({matches})", query)
    return TextCondition(f"+events.rowid IN ({matches})", query)
