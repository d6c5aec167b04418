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

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

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

# SQLite's FTS rowid from migration 12 on: the event's day number (``day_number``) above bit 40,
# its events rowid below, so that the index lists matches in the page's order (newest day last) and
# a date range is a rowid range it seeks to; ``ROWID_BITS`` of events rowid (a trillion rows)
ROWID_BITS = 40
ROWID_MASK = (1 << ROWID_BITS) - 1
_JULIAN_OFFSET = 1721424  # date.toordinal() + this = SQLite's julianday() of that date, truncated


def _key(row: str) -> str:
    return f"((coalesce(CAST(julianday({row}.event_date) AS INTEGER), 0) << {ROWID_BITS}) | {row}.rowid)"


def _fts_write(row: str, delete: bool = False) -> str:
    target = "events_fts, rowid" if delete else "rowid"
    values = (["'delete'"] if delete else []) + [_key(row)] + [f"{row}.{c}" for c in SEARCH_COLUMNS]
    return f"INSERT INTO events_fts ({target}, {', '.join(SEARCH_COLUMNS)}) VALUES ({', '.join(values)});"


# the rows already stored, indexed (migration 12, and the bulk loader after its rows are in)
SQLITE_FILL = (f"INSERT INTO events_fts (rowid, {', '.join(SEARCH_COLUMNS)}) "
               f"SELECT {_key('events')}, {', '.join(SEARCH_COLUMNS)} FROM events")
# contentless (the text is in ``events``; the triggers hand FTS5 the old values to delete),
# ``detail=column`` (no word offsets: no query needs them) and prefix indexes for the lengths of a
# word being typed
FTS_OPTIONS = "content='', detail=column, prefix='1 2 3 4 5 6 7 8'"
MIGRATION_12 = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS events_fts_insert",
        "DROP TRIGGER IF EXISTS events_fts_delete",
        "DROP TRIGGER IF EXISTS events_fts_update",
        "DROP TABLE IF EXISTS events_fts",
        f"CREATE VIRTUAL TABLE events_fts USING fts5({', '.join(SEARCH_COLUMNS)}, {FTS_OPTIONS}, "
        f"tokenize=\"{_TOKENIZER}\")",
        f"CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN {_fts_write('new')} END",
        f"CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN {_fts_write('old', delete=True)} END",
        f"CREATE TRIGGER events_fts_update AFTER UPDATE OF event_date, {', '.join(SEARCH_COLUMNS)} ON events "
        f"BEGIN {_fts_write('old', delete=True)} {_fts_write('new')} END",
        SQLITE_FILL,
    ],
    "postgresql": [],
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
    """``q`` as one SQL condition on ``events`` and its one parameter (``:fts``). ``windowed``: the
    condition selects the matching events of one date window only (parameters ``:klo``/``:khi``,
    ``window_keys``), which the index answers by seeking to the window instead of listing every
    match; the caller walks the windows of its page."""

    sql: str
    param: str
    windowed: bool = False
    index_param: str | None = None  # PostgreSQL, windowed: the words the GIN index is asked for (``:fts_index``)
    narrow_param: str | None = None  # PostgreSQL, windowed: the rarest word, for a window read through bitmaps
    narrow_events: float = 0.0  # about how many events have it (``ANALYZE``'s frequency)


# the filters whose value is also text the index holds: an event with admin1 = "Kandahar" has the
# word "kandahar" in its admin1 column, so the index can narrow the matches to them first
NARROWING = {"admin1": ("admin1",), "admin2": ("admin2",), "country": ("country",), "actor": ("actor1", "actor2")}


def _narrowing_words(fields: Mapping[str, str | None]) -> dict[str, list[str]]:
    """The words of each narrowing filter's value (``NARROWING``), for values in ASCII only: their
    words are the index's beyond doubt (no normalisation or case folding can differ)."""
    out: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name in NARROWING and value and value.isascii():
            try:
                out[name] = terms(value)
            except BadSearch:  # no word (or too many): the filter alone decides
                continue
    return out


def day_number(iso: str) -> int:
    """SQLite's ``CAST(julianday(d) AS INTEGER)`` for an ISO date ``d`` (``ValueError`` if not one)."""
    return date.fromisoformat(iso[:10]).toordinal() + _JULIAN_OFFSET


def window_keys(first: str, last: str) -> dict[str, int]:
    """The FTS rowid range (``:klo``, ``:khi``) of the events dated ``first`` to ``last`` (ISO)."""
    return {"klo": day_number(first) << ROWID_BITS, "khi": (day_number(last) << ROWID_BITS) | ROWID_MASK}


# PostgreSQL: a walked window holds up to about this many events (those the other filters select):
# the planner plans a walk in the page's order, which stops at the page's end, only if it expects
# enough matches; if not (``ab band``: 5 expected), it reads the whole window by any index
WINDOW_SCAN_EVENTS = 5_000
# PostgreSQL: a walk of date windows is judged once its windows have read about this many events
# (those the other filters select): fewer, and finding no match says little about the rest
SAMPLE_EVENTS = 500
# a GIN bitmap index scan costs about this many times less per event it lists than a walk per
# event it reads (EXPLAIN ANALYZE at 1M events under load: 2-4 us per listed event, 20 us per
# walked one)
GIN_LISTING_RATIO = 10


def events_per_day(conn: Connection, filters: list[str], params: Mapping[str, object],
                   stored: tuple[str | None, str | None]) -> float:
    """About how many events the ``filters`` (SQL conditions, ANDed) select per day between the
    store's first and last dates (``stored``, ISO) (PostgreSQL's planner estimate; SQLite: 0, as
    its windows are FTS rowid ranges and need no plan)."""
    if conn.dialect.name != "postgresql":
        return 0.0
    first, last = stored
    plan = conn.execute(text("EXPLAIN (FORMAT JSON) SELECT 1 FROM events"
                             + (" WHERE " + " AND ".join(filters) if filters else "")), dict(params)).scalar_one()
    try:
        days = day_number(last or "") - day_number(first or "") + 1
    except (TypeError, ValueError):
        return 0.0
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return max(float(plan[0]["Plan"]["Plan Rows"]), 0.0) / max(days, 1)


def plan_window(conn: Connection, bitmap: bool) -> None:
    """Steer the plan of the next window's query (PostgreSQL): a walked window (``bitmap`` False)
    reads the date (or place) btree in the page's order, each event tested for the words, and stops
    at the page's end; once the matches are known to be sparse (``by_bitmap``), a window is read
    through bitmaps (the GIN index, ANDed with the window's btree range) and sorted. PostgreSQL's
    planner multiplies the words' frequencies as if independent, so it expects few matches for
    words that occur together (an actor's name: 53 expected, 48,592 found) and reads every match
    through the GIN index; and it costs a btree walk as if most of its rows were cached, so it
    walks the date index past 20,000 events for a word on one event in 200 (``kajaki``)."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql("SELECT set_config('enable_bitmapscan', %(b)s, true), set_config('enable_indexscan', %(i)s, true)",
                         {"b": "on" if bitmap else "off", "i": "off" if bitmap else "on"})


def by_bitmap(conn: Connection, found: int, walked: float, want: int, listed: float) -> bool:
    """Whether a walk's next windows should be read through bitmaps (PostgreSQL; SQLite walks
    every window, as each is an FTS rowid range): ``found`` matches in the windows walked, which
    held about ``walked`` events the other filters select; ``want`` rows wanted in all; ``listed``:
    the events the GIN index lists for a bitmap window (``TextCondition.narrow_events``). At the
    rate walked so far, walking on reads ``(want - found) * walked / found`` events; a bitmap
    window about one block per match, and the GIN listing (``GIN_LISTING_RATIO``); the cheaper one
    wins, once the windows walked held ``SAMPLE_EVENTS`` events or more (fewer tell no rate)."""
    if conn.dialect.name != "postgresql" or walked < SAMPLE_EVENTS:
        return False
    if found == 0:
        return True
    return (want - found) * walked / found > (want - found) + listed / GIN_LISTING_RATIO


# PostgreSQL: a word alone on at least this share of events is one query the planner plans
DENSE_SHARE = 0.02

# PostgreSQL: reading a posting list in a GIN partial match costs about this many times less per
# event than reading an event from the table
PARTIAL_MATCH_RATIO = 20


def _shares(conn: Connection, whole: list[str], prefix: str) -> tuple[list[float], float, float]:
    """The share of events with each whole word, and with a lexeme starting with ``prefix``, as far
    as ``ANALYZE`` knows them: its most common lexemes' frequencies (a lexeme not among them
    counts as on none: it is rarer than all of them); and the table's rows by its statistics
    (one round trip for all: it is paid on every page)."""
    found: dict[str, float] = {}
    rows = 0.0
    for e, f, n in conn.exec_driver_sql(
            "SELECT NULL, NULL, reltuples::float8 FROM pg_class WHERE oid = 'events'::regclass UNION ALL "
            "SELECT e, f, NULL FROM pg_stats, unnest(most_common_elems::text::text[], most_common_elem_freqs) AS u(e, f) "
            "WHERE schemaname = current_schema() AND tablename = 'events' AND attname = 'search_vector' "
            "AND (starts_with(e, %(p)s) OR e = ANY(%(w)s))", {"p": prefix, "w": whole}).all():
        if e is None:
            rows = float(n or 0.0)
        else:
            found[e] = f
    return [found.get(w, 0.0) for w in whole], sum(f for e, f in found.items() if e.startswith(prefix)), rows


def condition(conn: Connection, q: str, fields: Mapping[str, str | None] | None = None,
              windowed: bool = False) -> TextCondition:
    """The condition (parameter ``:fts``) that selects the events matching ``q``: every word, the
    last one as a prefix too, on the connection's database. ``fields`` are the query's other
    filters (``NARROWING``): their words are required too, which selects no event the filters
    would keep less, and lets the index intersect the words with the place or actor.

    PostgreSQL's planner knows how common each word is (``ANALYZE`` keeps the frequent lexemes) and
    picks between the GIN index and an index in the page's order by itself. SQLite's cannot see into
    the FTS table: ``windowed`` (asked for a page sorted by date) gives the condition for one date
    window, through the FTS rowids (day number, then rowid); anything else asks the index first whether the words are
    rare (fewer than ``FEW_MATCHES`` events): then the matching events are fetched through it and
    sorted; if not, the query walks an index in the page's order (or of another filter), stopping
    at the end of the page, and tests each event against the matching rowids, listed once per query
    (``+`` keeps the planner from driving the query by rowid)."""
    words = terms(q)
    narrowing = _narrowing_words(fields or {})
    if conn.dialect.name == "postgresql":
        # a walk for words the planner cannot count (their frequencies multiplied as if
        # independent: an actor's name; a word with a province), which the first windows measure
        # (``by_bitmap``); not for a word rarer than the most common lexemes: few matches, which
        # the GIN index lists and the page sorts in one query
        filter_words = [w for ws in narrowing.values() for w in ws if w not in words]
        shares, prefixed, rows = _shares(conn, words[:-1] + filter_words, words[-1]) if windowed else ([], 0.0, 0.0)
        whole = shares[:len(words) - 1]
        windowed = windowed and prefixed > 0 and all(whole)
        # one common word alone: the planner counts it right and walks the date index, reading
        # fewer than 1 / ``DENSE_SHARE`` events per match (``clashes``, 4%: 2,500 either way); a walk
        # would only add its round trips
        windowed = windowed and not (len(words) == 1 and not filter_words and prefixed >= DENSE_SHARE)
        # the filters' words only in a walk, for the query of the range's rest, where the GIN index
        # intersects them with the words (a word and a province that never go together: no match
        # read); in one query the planner would multiply their frequencies with the words' and
        # prefer the GIN index for a word and a province that often go together (``killed`` in
        # Bari), which walking the province's btree answers at once
        extra = filter_words if windowed else []
        # lexemes quoted: no word can be read as an operator; the simple config only lower-cases
        query = " & ".join([f"'{w}'" for w in extra] + [f"'{w}'" for w in words]) + ":*"
        exact = [f"'{w}'" for w in extra + words[:-1]]
        if windowed and extra:  # the filters' words count as whole words here
            whole = shares
        # the GIN index is asked for the whole words only, the prefix tested on the rows they find,
        # when the events with a lexeme starting with the prefix outnumber, by more than
        # ``PARTIAL_MATCH_RATIO``, those with the rarest whole word
        if not windowed:
            return TextCondition("search_vector @@ to_tsquery('simple', :fts)", query)
        # a window read through bitmaps asks the GIN index for its rarest word only, which the
        # planner counts right (``ANALYZE``'s frequency of one lexeme) and so ANDs with the window's
        # btree range: for all the words it expects 1 match and reads every one in the table, the
        # window's date tested there (``nato north atlantic treaty organization``: 9,904 read for
        # 200 in the window); the other words are tested on the rows found. Not a filter's word:
        # the filter's own btree narrows to it already
        terms_shares = [*((f"'{w}'", f) for w, f in zip(words[:-1], whole, strict=False)),
                        (f"'{words[-1]}':*", prefixed)]
        narrow, share = min(terms_shares, key=lambda t: t[1])
        listed = share * rows
        if not exact or prefixed <= PARTIAL_MATCH_RATIO * min(whole):
            return TextCondition("search_vector @@ to_tsquery('simple', :fts_index) "
                                 "AND ts_match_vq(search_vector, to_tsquery('simple', :fts))", query, windowed=True,
                                 index_param=query, narrow_param=narrow, narrow_events=listed)
        # a common prefix is left out of what the GIN index is asked: a prefix (``:*``) is a partial
        # match, which GIN answers by merging the posting list of every lexeme it covers (120-140 ms
        # for ``wounded:*`` at 1M events) where whole words skip through each other's lists; it is
        # tested on the rows found (``ts_match_vq``: the operator's function, which no index serves)
        return TextCondition("search_vector @@ to_tsquery('simple', :fts_index) "
                             "AND ts_match_vq(search_vector, to_tsquery('simple', :fts))", query, windowed=True,
                             index_param=" & ".join(exact), narrow_param=narrow,
                             narrow_events=listed)
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
