"""Free text search (``q``) over the merged events, through a real full-text index on either database.

What is indexed (``SEARCH_COLUMNS``): the evidence sentences, the place (location, district,
province, country code) and both actors' names. What a query means, on SQLite and PostgreSQL alike:

* ``q`` is split into words: runs of letters, digits and combining marks in any script; everything
  else (punctuation, quotes, operators such as ``AND``/``-``/``*``/``:``) only separates words, so no
  input is FTS syntax and none can make the query fail;
* every word must occur (AND), in any indexed field, in any order, case-insensitively;
* the last word also matches as a prefix (``kund`` finds Kunduz), as analysts type.

The index is kept in sync with ``events`` inside the transaction that writes the row: on SQLite by
triggers feeding an external-content FTS5 table (``events_fts``, keyed by the events row's rowid),
on PostgreSQL by a generated ``tsvector`` column with a GIN index (the ``simple`` configuration: no
stemming, no stop words, so every language is searched the same way). Schema migration 10 creates
both and indexes the rows already stored.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import Connection

SEARCH_COLUMNS = ("evidence_text", "location", "admin1", "admin2", "country", "actor1", "actor2")
MAX_TERMS = 16
FEW_MATCHES = 5_000  # on SQLite, up to this many matching events are fetched through the index and sorted

# SQLite tokenises with the same classes ``terms`` uses: letters, numbers, private use and marks.
_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
# punctuation (ASCII, Latin-1, general, CJK and Arabic) becomes a space before PostgreSQL's parser
# reads the text, so that it splits words where ``terms`` does (its parser would keep host names,
# numbers with dots, file paths as one token); POSIX [:punct:] is not used: in C.UTF-8 it holds
# combining marks, which would split Devanagari words
_PG_DOCUMENT = ("regexp_replace(" + " || ' ' || ".join(f"coalesce({c}, '')" for c in SEARCH_COLUMNS)
                + ", '[\\s!-/:-@[-`{-~\u00a1-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u2010-\u205e\u3000-\u3003\u060c\u061b\u061f]+', ' ', 'g')")

MIGRATION = {
    "sqlite": [
        f"CREATE VIRTUAL TABLE events_fts USING fts5({', '.join(SEARCH_COLUMNS)}, content='events', "
        f"content_rowid='rowid', tokenize=\"{_TOKENIZER}\")",
        f"CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN "
        f"INSERT INTO events_fts (rowid, {', '.join(SEARCH_COLUMNS)}) "
        f"VALUES (new.rowid, {', '.join('new.' + c for c in SEARCH_COLUMNS)}); END",
        f"CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN "
        f"INSERT INTO events_fts (events_fts, rowid, {', '.join(SEARCH_COLUMNS)}) "
        f"VALUES ('delete', old.rowid, {', '.join('old.' + c for c in SEARCH_COLUMNS)}); END",
        f"CREATE TRIGGER events_fts_update AFTER UPDATE OF {', '.join(SEARCH_COLUMNS)} ON events BEGIN "
        f"INSERT INTO events_fts (events_fts, rowid, {', '.join(SEARCH_COLUMNS)}) "
        f"VALUES ('delete', old.rowid, {', '.join('old.' + c for c in SEARCH_COLUMNS)}); "
        f"INSERT INTO events_fts (rowid, {', '.join(SEARCH_COLUMNS)}) "
        f"VALUES (new.rowid, {', '.join('new.' + c for c in SEARCH_COLUMNS)}); END",
        "INSERT INTO events_fts (events_fts) VALUES ('rebuild')",  # the rows already stored
    ],
    "postgresql": [
        # a generated column is computed in the statement that writes the row, and by this ALTER for
        # the rows already stored
        f"ALTER TABLE events ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('simple', {_PG_DOCUMENT})) STORED",
        "CREATE INDEX events_search ON events USING gin (search_vector)",
    ],
}
# columns of ``events`` that are the index's, not the store's rows
INDEX_COLUMNS = {"postgresql": {"search_vector"}, "sqlite": set()}


class BadSearch(ValueError):
    """A ``q`` with nothing to search for; the API answers 400 with this message."""

    kind = "bad_search"


def _is_word_char(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "LNM" or category == "Co"


def terms(q: str) -> list[str]:
    """The words of ``q``, lower-cased, in order, duplicates kept once (``BadSearch`` if none, or
    more than ``MAX_TERMS``)."""
    words: list[str] = []
    current: list[str] = []
    for ch in unicodedata.normalize("NFC", q) + " ":
        if _is_word_char(ch):
            current.append(ch)
        elif current:
            words.append("".join(current).lower())
            current = []
    unique = list(dict.fromkeys(words))
    if not unique:
        raise BadSearch("q must contain at least one word (letters or digits)")
    if len(unique) > MAX_TERMS:
        raise BadSearch(f"q may have at most {MAX_TERMS} words")
    return unique


@dataclass(frozen=True)
class TextCondition:
    """``q`` as one SQL condition on ``events`` and its one parameter."""

    sql: str
    param: str


def condition(conn: Connection, q: str) -> TextCondition:
    """The condition (parameter ``:fts``) that selects the events matching ``q``: every word, the
    last one as a prefix too, on the connection's database.

    PostgreSQL's planner knows how common each word is (``ANALYZE`` keeps the frequent lexemes) and
    picks between the GIN index and an index in the page's order by itself. SQLite's cannot see into
    the FTS table, so this asks the index first whether the words are rare (fewer than
    ``FEW_MATCHES`` events): then the matching events are fetched through it and sorted; if not, the
    query walks an index in the page's order (or of another filter), stopping at the end of the page
    as it would with no ``q`` at all, and tests each event against the matching rowids, listed once
    per query (``+`` keeps the planner from driving the query by rowid). Testing each event with its
    own FTS query instead expanded the last word's prefix once per event walked: 1.8-4 s per page at
    300,000 events, against 6-27 ms this way."""
    words = terms(q)
    if conn.dialect.name == "postgresql":
        # lexemes quoted: no word can be read as an operator; the simple config only lower-cases
        query = " & ".join(f"'{w}'" for w in words) + ":*"
        return TextCondition("search_vector @@ to_tsquery('simple', :fts)", query)
    # FTS5 strings in double quotes are plain tokens; juxtaposed strings are ANDed
    query = " ".join(f'"{w}"' for w in words) + "*"
    found = conn.exec_driver_sql("SELECT COUNT(*) FROM (SELECT 1 FROM events_fts WHERE events_fts MATCH ? LIMIT ?)",
                                 (query, FEW_MATCHES)).scalar_one()
    if found < FEW_MATCHES:
        return TextCondition("events.rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH :fts)", query)
    return TextCondition("+events.rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH :fts)", query)
