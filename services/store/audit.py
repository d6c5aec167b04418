"""The audit log: every review and every undo, who made it, when, why, and the event before and after.

Append-only: the store only ever inserts into ``audit_log``, in the same transaction as the change
it records, so the log has an entry for a change exactly when the change was committed. Entries
are listed newest first, with a cursor that visits each once.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from .dialect import Dialect
from .queries import BadQuery

# What the log shows of an event before and after a change: the fields a review can set.
AUDITED_FIELDS = ("review_status", "event_type", "sub_event_type", "event_date", "actor1", "actor2", "country",
                  "admin1", "admin2", "location", "latitude", "longitude", "geo_precision", "fatalities")


@dataclass(frozen=True)
class AuditEntry:
    """One change: ``action`` is ``review.confirm``, ``review.reject``, ``review.correct`` or
    ``review.undo``; ``before`` and ``after`` are the event's ``AUDITED_FIELDS``."""

    audit_id: str
    at: str
    actor: str
    action: str
    event_id: str
    review_id: str
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def snapshot(event: dict | None) -> dict[str, Any]:
    """The audited fields of a merged event (actors by name); empty for no event."""
    if event is None:
        return {}
    out = {name: event.get(name) for name in AUDITED_FIELDS}
    for name in ("actor1", "actor2"):
        out[name] = (out[name] or {}).get("name")
    out["review_status"] = out["review_status"] or "unreviewed"
    return out


_COLUMNS = ("audit_id", "at", "actor", "action", "event_id", "review_id", "reason", "before_state", "after_state")


def record(conn: Connection, dialect: Dialect, entry: AuditEntry) -> None:
    """Append ``entry`` in the caller's transaction."""
    dialect.query(conn, f"INSERT INTO audit_log ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)})",
                  {**asdict(entry), "before_state": orjson.dumps(entry.before).decode(),
                   "after_state": orjson.dumps(entry.after).decode()})


def new_id() -> str:
    return uuid.uuid4().hex


def _encode(at: str, audit_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([at, audit_id])).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, str]:
    try:
        at, audit_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(at, str) and isinstance(audit_id, str) and len(at) <= 40 and len(audit_id) <= 40):
            raise ValueError
        return at, audit_id
    except Exception as exc:
        raise BadQuery("cursor is not one this API issued for /audit") from exc


class AuditLog:
    """Reads the audit log of one store."""

    def __init__(self, engine: Engine, dialect: Dialect) -> None:
        self.engine = engine
        self.dialect = dialect

    def entries(self, event_id: str | None = None, review_id: str | None = None, cursor: str | None = None,
                limit: int = 100) -> tuple[list[AuditEntry], str | None]:
        """A page of entries, newest first, optionally only those of one event (its id when the
        change was made) or one review, and the next page's cursor (None on the last)."""
        where: list[str] = []
        params: dict[str, Any] = {"limit": limit + 1}
        if event_id:
            where.append("event_id = :event_id")
            params["event_id"] = event_id
        if review_id:
            where.append("review_id = :review_id")
            params["review_id"] = review_id
        if cursor:
            at, audit_id = _decode(cursor)
            where.append("at <= :at AND (at < :at OR (at = :at AND audit_id < :aid))")
            params.update(at=at, aid=audit_id)
        sql = f"SELECT {', '.join(_COLUMNS)} FROM audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY at DESC, audit_id DESC LIMIT :limit"
        with self.engine.connect() as conn:
            rows = self.dialect.query(conn, sql, params).all()
        entries = [AuditEntry(aid, at, actor, action, eid, rid, reason, orjson.loads(before), orjson.loads(after))
                   for aid, at, actor, action, eid, rid, reason, before, after in rows[:limit]]
        more = len(rows) > limit and entries
        return entries, _encode(entries[-1].at, entries[-1].audit_id) if more else None
