"""What a free-text query (``q``) means, on either database: its words, the fields searched, and the
condition a database's search module gives for it (``TextCondition``).

* ``q`` is split into words: runs of letters, digits and combining marks in any script; everything
  else (punctuation, quotes, operators such as ``AND``/``-``/``*``/``:``) only separates words, so no
  input is FTS syntax and none can make the query fail;
* every word must occur (AND), in any indexed field (``SEARCH_COLUMNS``), in any order,
  case-insensitively;
* the last word also matches as a prefix (``kund`` finds Kunduz), as analysts type.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

SEARCH_COLUMNS = ("evidence_text", "location", "admin1", "admin2", "country", "actor1", "actor2")
MAX_TERMS = 16


class BadSearch(ValueError):
    """A ``q`` with nothing to search for; the API answers 400 with this message."""

    kind = "bad_search"


def is_word_char(ch: str) -> bool:
    """Whether ``ch`` is part of a word: a letter, number, mark or private use character."""
    category = unicodedata.category(ch)
    return category[0] in "LNM" or category == "Co"


def terms(q: str) -> list[str]:
    """The words of ``q``, lower-cased, in order, duplicates kept once (``BadSearch`` if none, or
    more than ``MAX_TERMS``)."""
    words: list[str] = []
    current: list[str] = []
    for ch in unicodedata.normalize("NFC", q) + " ":
        if is_word_char(ch):
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
    ``search_sqlite.window_keys``), which the index answers by seeking to the window instead of
    listing every match; the caller walks the windows of its page."""

    sql: str
    param: str
    windowed: bool = False
    index_param: str | None = None  # PostgreSQL, windowed: the words the GIN index is asked for (``:fts_index``)
    narrow_param: str | None = None  # PostgreSQL, windowed: the rarest word, for a window read through bitmaps
    narrow_events: float = 0.0  # about how many events have it (``ANALYZE``'s frequency)
    # PostgreSQL: the filter tokens required (``:fts_tokens``, ``search_postgres.filter_tokens``);
    # windowed: those each window's months are ANDed with
    tokens: str | None = None
    table_rows: float = 0.0  # PostgreSQL, windowed: the table's rows by its statistics


# the query's other filters a text condition may use: the narrowing ones, and (PostgreSQL's filter
# tokens) the type and the dates (ISO)
FIELDS = ("admin1", "admin2", "country", "actor", "event_type", "since", "until")
# the filters whose value is also text the index holds: an event with admin1 = "Kandahar" has the
# word "kandahar" in its admin1 column, so the index can narrow the matches to them first
NARROWING = {"admin1": ("admin1",), "admin2": ("admin2",), "country": ("country",), "actor": ("actor1", "actor2")}


def narrowing_words(fields: Mapping[str, str | None]) -> dict[str, list[str]]:
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
