"""PostgreSQL's full-text index for ``q`` (``search_terms``): a generated ``tsvector`` column with a
GIN index (schema migration 10; the ``simple`` configuration: no stemming, no stop words, so every
language is searched the same way), the lexicon of its lexemes (migration 13), and the condition
that selects ``q``'s events through them.

Guarantee: whatever plan a condition steers to, it selects exactly the events with every word of
``q`` (the last one also as a prefix) in a searched field; the lexicon only rewrites the prefix as
the lexemes it covers, which every event that has one of them also has in ``search_lexemes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from .search_terms import SEARCH_COLUMNS, TextCondition, is_word_char

# punctuation (ASCII, Latin-1, general, CJK and Arabic) becomes a space before PostgreSQL's parser
# reads the text, so that it splits words where ``terms`` does (its parser would keep host names,
# numbers with dots, file paths as one token); POSIX [:punct:] is not used: in C.UTF-8 it holds
# combining marks, which would split Devanagari words
_DOCUMENT = ("regexp_replace(" + " || ' ' || ".join(f"coalesce({c}, '')" for c in SEARCH_COLUMNS)
             + ", '[\\s!-/:-@[-`{-~\u00a1-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u2010-\u205e\u3000-\u3003\u060c\u061b\u061f]+', ' ', 'g')")

MIGRATION_10 = [
    # a generated column is computed in the statement that writes the row, and by this ALTER for
    # the rows already stored
    f"ALTER TABLE events ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS (to_tsvector('simple', {_DOCUMENT})) STORED",
    "CREATE INDEX events_search ON events USING gin (search_vector)",
]

# migration 13: every lexeme any event's ``search_vector`` has (``search_lexemes``, in code point
# order), so that the last word's prefix is the lexemes it covers, each one GIN entry, instead of a
# GIN partial match, which merges the posting list of every lexeme it covers into one bitmap, lossy
# past ``work_mem`` (1M events: ``'mx' & 'wounded':*`` 122 ms and 23,230 rows rechecked to find none;
# ``'mx' & 'wounded'`` 20 ms). Kept by statement triggers on the rows each INSERT (or COPY) and
# UPDATE wrote, in the writing transaction, so an event a reader sees has its lexemes there; a
# lexeme no event has any more costs an empty GIN lookup only. Lexemes are added in order, so two
# writers adding the same ones wait for each other instead of deadlocking.
_ADD_LEXEMES = ("INSERT INTO search_lexemes (lexeme) SELECT DISTINCT l FROM {rows}, "
                "unnest(tsvector_to_array(search_vector)) AS u(l) ORDER BY l ON CONFLICT DO NOTHING")
MIGRATION_13 = [
    'CREATE TABLE search_lexemes (lexeme TEXT COLLATE "C" PRIMARY KEY)',
    "CREATE FUNCTION wirewatch_search_lexemes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    + _ADD_LEXEMES.format(rows="written") + "; RETURN NULL; END $$",
    "CREATE TRIGGER events_search_lexemes_insert AFTER INSERT ON events REFERENCING NEW TABLE AS written "
    "FOR EACH STATEMENT EXECUTE FUNCTION wirewatch_search_lexemes()",
    "CREATE TRIGGER events_search_lexemes_update AFTER UPDATE ON events REFERENCING NEW TABLE AS written "
    "FOR EACH STATEMENT EXECUTE FUNCTION wirewatch_search_lexemes()",
    _ADD_LEXEMES.format(rows="events"),  # the rows already stored
]

# migration 14: the vector also holds two filter tokens, the event's month (``~2025-03``) and type
# (``^Battles``), which no word of ``q`` can be (``~`` and ``^`` are not word characters, and a
# prefix of word characters covers none), so that the GIN index intersects the words with a date
# range or a type itself: each token is one entry, skipped through like a rare word's, where a
# BitmapAnd with the date or type btree listed the whole range (1M events, ``hargeysa`` in ten
# months: 82,368 btree entries in 38 ms for 283 matches) and the rows the words alone list, read
# to test the filters, cost a table block each (3,473 blocks in 39 ms for the same 283)
_TOKENS = "array_to_tsvector(ARRAY['~' || left(event_date, 7), '^' || event_type])"
MIGRATION_14 = [
    "ALTER TABLE events DROP COLUMN search_vector",  # its GIN index with it
    f"ALTER TABLE events ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS (to_tsvector('simple', {_DOCUMENT}) || {_TOKENS}) STORED",
    "CREATE INDEX events_search ON events USING gin (search_vector)",
    _ADD_LEXEMES.format(rows="events"),  # the tokens, written by no trigger in the ALTER
    "ANALYZE events",  # the new column's lexeme statistics, which the conditions read
]
# months of a date range ORed as tokens, up to this many (a longer range is left to the btree)
MAX_MONTHS = 36

# a prefix covering more lexemes than this stays a GIN partial match (``'a':*``): the GIN lookups
# of each lexeme would cost more than merging their lists
MAX_COVERED = 64
# a word alone on at least this share of events is one query the planner plans
DENSE_SHARE = 0.02
# reading a posting list in a GIN partial match costs about this many times less per event than
# reading an event from the table
PARTIAL_MATCH_RATIO = 20

_MATCH = "search_vector @@ to_tsquery('simple', :fts)"
# the filter tokens are a tsquery as written (no parser: ``~2025-03`` is not a word)
_TOKENS_MATCH = "search_vector @@ CAST(:fts_tokens AS tsquery)"
# a window may ask for no token (``search_walk.window_tokens``): then the test is left out
_WINDOW_MATCH = ("search_vector @@ to_tsquery('simple', :fts_index) AND (CAST(:fts_tokens AS tsquery) = '' OR "
                 + _TOKENS_MATCH + ") AND ts_match_vq(search_vector, to_tsquery('simple', :fts))")


@dataclass(frozen=True)
class Lexicon:
    """What the store knows of a query's words before it is planned: ``shares``, the share of events
    with each whole word asked, as far as ``ANALYZE`` knows them (its most common lexemes'
    frequencies; a lexeme not among them counts as on none: it is rarer than all of them);
    ``prefixed``, the share with a lexeme starting with the prefix, alike; ``rows``, the table's
    rows by its statistics; ``covered``, the lexemes starting with the prefix (None: more than
    ``MAX_COVERED``, or one the tsquery parser might read as more than one lexeme)."""

    shares: Mapping[str, float]
    prefixed: float
    rows: float
    covered: tuple[str, ...] | None


def _successor(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix`` in code point order (None:
    there is none), skipping the surrogates, which no text holds."""
    while prefix and prefix[-1] == "\U0010ffff":
        prefix = prefix[:-1]
    if not prefix:
        return None
    following = ord(prefix[-1]) + 1
    return prefix[:-1] + chr(0xE000 if 0xD800 <= following <= 0xDFFF else following)


def lexicon(conn: Connection, whole: list[str], prefix: str) -> Lexicon:
    """The ``Lexicon`` of the whole words ``whole`` and the last word ``prefix``, in one round trip
    (it is paid on every query)."""
    upper = _successor(prefix)
    covering = "lexeme >= %(p)s AND " + ("lexeme < %(s)s" if upper is not None else "starts_with(lexeme, %(p)s)")
    shares: dict[str, float] = {}
    covered: list[str] = []
    rows = 0.0
    for part, e, f in conn.exec_driver_sql(
            "SELECT 0, NULL, reltuples::float8 FROM pg_class WHERE oid = 'events'::regclass UNION ALL "
            "SELECT 1, e, f FROM pg_stats, unnest(most_common_elems::text::text[], most_common_elem_freqs) AS u(e, f) "
            "WHERE schemaname = current_schema() AND tablename = 'events' AND attname = 'search_vector' "
            "AND (starts_with(e, %(p)s) OR e = ANY(%(w)s)) UNION ALL "
            f"(SELECT 2, lexeme, NULL FROM search_lexemes WHERE {covering} ORDER BY lexeme LIMIT %(n)s)",
            {"p": prefix, "w": whole, "s": upper, "n": MAX_COVERED + 1}).all():
        if part == 0:
            rows = float(f or 0.0)
        elif part == 1:
            shares[e] = f
        else:
            covered.append(e)
    plain = len(covered) <= MAX_COVERED and all(is_word_char(c) for lexeme in covered for c in lexeme)
    return Lexicon({w: shares.get(w, 0.0) for w in whole}, sum(f for e, f in shares.items() if e.startswith(prefix)),
                   rows, tuple(covered) if plain else None)


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def month_tokens(first: date, last: date, most: int | None = None) -> str | None:
    """The month tokens of the days ``first`` to ``last``, ORed (tsquery input); None if there are
    none (``first > last``) or more than ``most``."""
    months: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(_quoted(f"~{year:04d}-{month:02d}"))
        if most is not None and len(months) > most:
            return None
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not months:
        return None
    return months[0] if len(months) == 1 else "(" + " | ".join(months) + ")"


def filter_tokens(fields: Mapping[str, str | None], dates: bool) -> str | None:
    """The filter tokens the query's ``fields`` require (tsquery input, ANDed): its type's, and if
    ``dates``, the months of ``since`` to ``until`` (both given, up to ``MAX_MONTHS``); None if none."""
    parts = []
    if fields.get("event_type"):
        parts.append(_quoted("^" + str(fields["event_type"])))
    since, until = fields.get("since"), fields.get("until")
    if dates and since and until:
        months = month_tokens(date.fromisoformat(since[:10]), date.fromisoformat(until[:10]), MAX_MONTHS)
        if months:
            parts.append(months)
    return " & ".join(parts) or None


def last_term(prefix: str, covered: tuple[str, ...] | None) -> str:
    """The tsquery term of the last word: the lexemes it covers, ORed, each one GIN entry; the
    prefix itself if it covers none (no event has it: an empty GIN lookup); a partial match
    (``'prefix':*``) if ``covered`` is None."""
    if covered is None:
        return _quoted(prefix) + ":*"
    if len(covered) <= 1:
        return _quoted(covered[0] if covered else prefix)
    return "(" + " | ".join(_quoted(lexeme) for lexeme in covered) + ")"


def _rare(words: list[str], lex: Lexicon) -> bool:
    """Whether a word of ``words`` is rarer than every lexeme ``ANALYZE`` found common (or the last
    word's prefix covers none of them): the GIN index lists few matches."""
    return lex.prefixed <= 0 or not all(lex.shares[w] for w in words[:-1])


def _walks(words: list[str], filter_words: list[str], lex: Lexicon) -> bool:
    """Whether a page sorted by date walks date windows: for words the planner cannot count (their
    frequencies multiplied as if independent: an actor's name; a word with a province), which the
    first windows measure (``search_walk.by_bitmap``); not for a word rarer than the most common
    lexemes (few matches, which the GIN index lists and the page sorts in one query), nor for one
    common word alone, which the planner counts right and walks the date index for, reading fewer
    than 1 / ``DENSE_SHARE`` events per match (``clashes``, 4%: 2,500 either way): a walk would
    only add its round trips."""
    if _rare(words, lex):
        return False
    return not (len(words) == 1 and not filter_words and lex.prefixed >= DENSE_SHARE)


def condition(conn: Connection, words: list[str], narrowing: Mapping[str, list[str]],
              windowed: bool, fields: Mapping[str, str | None]) -> TextCondition:
    """The condition selecting the events with every one of ``words`` (the last as a prefix too):
    one query the planner plans, or (``windowed``, a page sorted by date, and ``_walks``) the
    condition of one date window of a walk. The ``narrowing`` filters' words are then required
    too, for the query of the range's rest, where the GIN index intersects them with the words (a
    word and a province that never go together: no match read); in one query the planner would
    multiply their frequencies with the words' and prefer the GIN index for a word and a province
    that often go together (``killed`` in Bari), which walking the province's btree answers at once.
    Lexemes are quoted: no word can be read as an operator; the simple config only lower-cases."""
    filter_words = [w for ws in narrowing.values() for w in ws if w not in words]
    lex = lexicon(conn, words[:-1] + filter_words, words[-1])
    # a prefix none of whose lexemes is common stays a partial match: its lists are short, and the
    # planner estimates it as one term, where it counts each rare lexeme of an OR as if it were
    # nearly common (``'bacaad' | ... | 'bacayopa'``: 5,989 expected, 103 found, the date index
    # walked past 42,476 events in 359 ms; ``'baca':*``: 1,201 expected, a GIN bitmap, 20 ms)
    last = last_term(words[-1], lex.covered if lex.prefixed > 0 else None)
    if not (windowed and _walks(words, filter_words, lex)):
        query = " & ".join([*map(_quoted, words[:-1]), last])
        # words rarer than the most common lexemes: the GIN index reads the matches, and the filter
        # tokens narrow them to the type and months asked for before a row is read; not for common
        # words, whose page the planner walks an index in the page's order for (``military`` in a
        # month through the tokens: 3,000 matches read in 70-100 ms, for the date walk's 500 rows)
        tokens = filter_tokens(fields, dates=True) if _rare(words, lex) else None
        if tokens is None:
            return TextCondition(_MATCH, query)
        return TextCondition(_MATCH + " AND " + _TOKENS_MATCH, query, tokens=tokens)
    exact = [_quoted(w) for w in filter_words + words[:-1]]
    query = " & ".join([*exact, last])
    # a window read through bitmaps asks the GIN index for its rarest word only, which the planner
    # counts right (``ANALYZE``'s frequency of one lexeme) and so ANDs with the window's btree
    # range: for all the words it expects 1 match and reads every one in the table, the window's
    # date tested there (``nato north atlantic treaty organization``: 9,904 read for 200 in the
    # window); the other words are tested on the rows found. Not a filter's word: the filter's own
    # btree narrows to it already
    narrow, share = min([*((_quoted(w), lex.shares[w]) for w in words[:-1]), (last, lex.prefixed)],
                        key=lambda t: t[1])
    index = query
    # a prefix left a partial match (``covered`` None) is left out of what the GIN index is asked
    # when a whole word is rarer by more than ``PARTIAL_MATCH_RATIO``: a partial match merges the
    # posting list of every lexeme it covers (120-140 ms for ``wounded:*`` at 1M events) where whole
    # words skip through each other's lists; it is tested on the rows found (``ts_match_vq``: the
    # operator's function, which no index serves)
    if lex.covered is None and exact and lex.prefixed > PARTIAL_MATCH_RATIO * min(lex.shares.values()):
        index = " & ".join(exact)
    # each window's months are ANDed with these (``search_walk.window_tokens``)
    return TextCondition(_WINDOW_MATCH, query, windowed=True, index_param=index, narrow_param=narrow,
                         narrow_events=share * lex.rows, tokens=filter_tokens(fields, dates=False) or "",
                         table_rows=lex.rows)
