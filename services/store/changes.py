"""The change feed: every merged event created, updated, merged into another or withdrawn, in
commit order, so that a downstream copy kept by applying the entries is an exact mirror.

Guarantees:

* An entry is written in the same transaction as the write it describes (``record``, called by
  ``writer``): the feed never shows a change that was rolled back, nor misses one that committed.
* Sequence numbers increase in commit order, on PostgreSQL under concurrent writers too. They come
  from a one-row counter (``change_counter``) that each writing transaction bumps as its last
  statement: the row lock is held until commit, so a later transaction can only take a number
  once every smaller number is committed and visible. (A database sequence would not do: numbers
  are taken in statement order, and a reader could see 11 committed before 10, advance its cursor
  past 10 and never see it.) Writers of different buckets still merge in parallel; only the final
  counter bump, microseconds before commit, is serialised.
* Entries carry the event as it is when the feed is read, not as it was at that sequence number:
  an entry whose event is gone by then says ``event: null``, and a later entry (merged or
  withdrawn) removes it. A consumer that applies every entry up to ``next_cursor`` holds exactly
  the store's events as of that read.

Applying an entry: ``created``/``updated`` with an event: store it under ``event_id``;
``merged``: drop ``event_id``, its reports now live in ``into`` (``GET /events/{event_id}`` still
answers with that event); ``withdrawn``: drop ``event_id``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, Engine, text

from .dialect import Dialect, json_list
from .queries import BadQuery


class ChangeKind(StrEnum):
    """What happened to a merged event."""

    CREATED = "created"
    UPDATED = "updated"
    MERGED = "merged"  # its reports joined another event, ``into``
    WITHDRAWN = "withdrawn"  # no event has its reports any more


@dataclass(frozen=True)
class Change:
    """One change a write makes, before it has its sequence number."""

    event_id: str
    kind: ChangeKind
    into: str | None = None


@dataclass(frozen=True)
class ChangeEntry:
    """One entry of the feed: its sequence number (the cursor after it), the change, and the event
    as it is now (None once it no longer exists, or for merged and withdrawn entries)."""

    seq: int
    event_id: str
    kind: ChangeKind
    into: str | None
    event: str | None  # the stored JSON text

    def to_json(self) -> str:
        return (f'{{"seq":{self.seq},"event_id":{json.dumps(self.event_id)},"kind":"{self.kind.value}",'
                f'"into":{json.dumps(self.into)},"event":{self.event or "null"}}}')


def record(conn: Connection, dialect: Dialect, changes: Sequence[Change]) -> int:
    """Append ``changes`` to the feed inside the caller's transaction; call it as the transaction's
    last statement (it holds the counter's row lock until commit). Returns the last sequence number."""
    if not changes:
        return 0
    last = dialect.query(conn, "UPDATE change_counter SET seq = seq + :n WHERE id = 1 RETURNING seq",
                         {"n": len(changes)}).scalar_one()
    first = last - len(changes) + 1
    dialect.insert(conn, "event_changes", ("seq", "event_id", "kind", "into_id"),
                   [(first + i, c.event_id, c.kind.value, c.into) for i, c in enumerate(changes)])
    return last


def gone_changes(gone: Sequence[str], home: dict[str, str]) -> list[Change]:
    """Entries for events that no longer exist: merged into the event their own report now lives
    in (``home``: report id -> event id), withdrawn when that report is gone too."""
    return [Change(eid, ChangeKind.MERGED, home[eid]) if home.get(eid) and home[eid] != eid
            else Change(eid, ChangeKind.WITHDRAWN) for eid in gone]


def rebuild_changes(conn: Connection, dialect: Dialect, before: dict[str, str]) -> list[Change]:
    """What a rebuild changed, from the events' digests (``Dialect.digest_column``) before it."""
    after = dict(dialect.query(conn, f"SELECT event_id, {dialect.digest_column()} FROM events", {}).all())
    changes = [Change(eid, ChangeKind.CREATED) for eid in sorted(after.keys() - before.keys())]
    changes += [Change(eid, ChangeKind.UPDATED) for eid in sorted(after.keys() & before.keys())
                if after[eid] != before[eid]]
    gone = sorted(before.keys() - after.keys())
    home: dict[str, str] = {}
    if gone:
        home = dict(dialect.query(conn, f"SELECT event_id, cluster_id FROM reports WHERE "
                                        f"{dialect.any_of('event_id', 'g')}", {"g": json_list(gone)}).all())
    return gone_changes(gone, home) + changes


def parse_cursor(cursor: str | None) -> int:
    """The sequence number a cursor stands for (0: the start); ``BadQuery`` for anything else."""
    if cursor is None or cursor == "":
        return 0
    if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 18:
        raise BadQuery("cursor must be a next_cursor of /events/changes (a non-negative integer)")
    return int(cursor)


class ChangeFeed:
    """Reads the feed; never blocks or is blocked by writers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def page(self, after: int, limit: int) -> tuple[list[ChangeEntry], int]:
        """Up to ``limit`` entries after sequence number ``after``, and the cursor to read on from
        (``after`` itself when there is nothing new)."""
        sql = ("SELECT c.seq, c.event_id, c.kind, c.into_id, e.payload FROM event_changes c "
               "LEFT JOIN events e ON e.event_id = c.event_id AND c.kind IN ('created', 'updated') "
               "WHERE c.seq > :after ORDER BY c.seq LIMIT :limit")
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), {"after": after, "limit": limit}).all()
        entries = [ChangeEntry(seq, eid, ChangeKind(kind), into, payload) for seq, eid, kind, into, payload in rows]
        return entries, entries[-1].seq if entries else after

    def head(self) -> int:
        """The newest sequence number (0 for an empty feed)."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT seq FROM change_counter WHERE id = 1")).scalar_one()
