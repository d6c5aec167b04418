"""Saved searches: a named ``/events`` filter with a webhook, and the durable state of its
deliveries (where in the change feed it is, how many deliveries in a row failed, the log of every
attempt).

Guarantees:

* A saved search is exactly an ``/events`` query: its filters are the ``EventQuery`` that the API's
  one ``event_filters`` dependency built, stored as JSON and read back to the same value.
* A search's cursor only moves forward, and only in the transaction that records the outcome of
  the delivery it moves past (``finish``): after a restart the dispatcher resumes with the first
  change whose outcome is not recorded, so each matching change is delivered once (a crash between
  the receiver's answer and the record re-sends it, with the same delivery id).
* One dispatcher at a time works on a search, across store replicas: it holds a lease on the
  search's row (``claim``) that expires if its holder dies.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import Engine, text

from .queries import EventQuery

FILTER_FIELDS = ("since", "until", "country", "admin1", "admin2", "actor", "event_type", "sub_event_type",
                 "min_fatalities", "bbox", "q")


class DeliveryStatus(StrEnum):
    """One attempt's outcome, as the delivery log shows it."""

    DELIVERED = "delivered"  # the receiver answered 2xx
    RETRYING = "retrying"  # failed; another attempt follows after a backoff
    FAILED = "failed"  # failed, and it was the last attempt
    REFUSED = "refused"  # the target is not allowed by the address guard: never sent


class UnknownSearch(LookupError):
    """No saved search has this id."""

    kind = "unknown_search"


def filters_to_json(q: EventQuery) -> str:
    """The filters of ``q`` (not its sort or page) as JSON, unset ones left out."""
    out = {}
    for name in FILTER_FIELDS:
        value = getattr(q, name)
        if value is not None:
            out[name] = value.isoformat() if isinstance(value, date) else value
    return json.dumps(out, sort_keys=True)


def filters_from_json(raw: str) -> EventQuery:
    """The ``EventQuery`` ``filters_to_json`` wrote."""
    data = json.loads(raw)
    for name in ("since", "until"):
        if data.get(name):
            data[name] = date.fromisoformat(data[name])
    if data.get("bbox"):
        data["bbox"] = tuple(data["bbox"])
    return EventQuery(**{k: v for k, v in data.items() if k in FILTER_FIELDS})


@dataclass(frozen=True)
class SavedSearch:
    """A saved search as stored (the secret never leaves the store but in the create response)."""

    search_id: str
    name: str
    query: EventQuery
    webhook_url: str
    secret: str
    created_at: str
    cursor: int
    disabled: bool
    failures: int  # deliveries in a row that failed

    def public(self) -> dict:
        """What ``GET /searches`` shows: everything but the secret."""
        return {"search_id": self.search_id, "name": self.name, "filters": json.loads(filters_to_json(self.query)),
                "webhook_url": self.webhook_url, "created_at": self.created_at, "cursor": str(self.cursor),
                "disabled": self.disabled, "consecutive_failures": self.failures}


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt, as logged."""

    delivery_id: str
    attempt: int
    search_id: str
    seq: int
    event_id: str
    status: DeliveryStatus
    http_status: int | None
    error: str | None
    attempted_at: str

    def to_dict(self) -> dict:
        d = asdict(self)
        d["status"] = self.status.value
        return d


def delivery_id(search_id: str, seq: int) -> str:
    """The same id for every attempt, and every re-send, of one change to one search: receivers
    drop a delivery id they have already processed."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"wirewatch:{search_id}:{seq}"))


_COLUMNS = "search_id, name, filters, webhook_url, secret, created_at, change_cursor, disabled, failures"


def _search(row) -> SavedSearch:
    sid, name, filters, url, secret, created, cursor, disabled, failures = row
    return SavedSearch(sid, name, filters_from_json(filters), url, secret, created, int(cursor), bool(disabled),
                       int(failures))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class SearchStore:
    """Saved searches and their delivery log in the store's database (SQLite or PostgreSQL; the
    SQL here is portable)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str, query: EventQuery, webhook_url: str, secret: str | None) -> SavedSearch:
        """Save a search; it is told about changes committed from now on (its cursor starts at the
        feed's head). Without a secret one is generated."""
        sid = uuid.uuid4().hex
        with self.engine.begin() as conn:
            head = conn.execute(text("SELECT seq FROM change_counter WHERE id = 1")).scalar_one()
            conn.execute(text(f"INSERT INTO saved_searches ({_COLUMNS}) VALUES (:id, :name, :filters, :url, "
                              ":secret, :created, :cursor, 0, 0)"),
                         {"id": sid, "name": name, "filters": filters_to_json(query), "url": webhook_url,
                          "secret": secret or secrets.token_hex(32), "created": _now(), "cursor": head})
        return self.get(sid)

    def get(self, search_id: str) -> SavedSearch:
        with self.engine.connect() as conn:
            row = conn.execute(text(f"SELECT {_COLUMNS} FROM saved_searches WHERE search_id = :id"),
                               {"id": search_id}).first()
        if row is None:
            raise UnknownSearch(f"no saved search {search_id}")
        return _search(row)

    def all(self, enabled_only: bool = False) -> list[SavedSearch]:
        sql = f"SELECT {_COLUMNS} FROM saved_searches"
        if enabled_only:
            sql += " WHERE disabled = 0"
        with self.engine.connect() as conn:
            return [_search(r) for r in conn.execute(text(sql + " ORDER BY created_at, search_id"))]

    def delete(self, search_id: str) -> None:
        """Forget a search and its delivery log."""
        with self.engine.begin() as conn:
            if conn.execute(text("DELETE FROM saved_searches WHERE search_id = :id"), {"id": search_id}).rowcount == 0:
                raise UnknownSearch(f"no saved search {search_id}")
            conn.execute(text("DELETE FROM webhook_deliveries WHERE search_id = :id"), {"id": search_id})

    def enable(self, search_id: str) -> SavedSearch:
        """Re-enable a disabled search: its failure count starts again from zero, and it resumes
        after the last change whose outcome was recorded."""
        with self.engine.begin() as conn:
            if conn.execute(text("UPDATE saved_searches SET disabled = 0, failures = 0 WHERE search_id = :id"),
                            {"id": search_id}).rowcount == 0:
                raise UnknownSearch(f"no saved search {search_id}")
        return self.get(search_id)

    def disabled_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM saved_searches WHERE disabled = 1")).scalar_one()

    def claim(self, search_id: str, owner: str, lease_s: float) -> bool:
        """Take (or renew) the lease on a search for ``lease_s`` seconds; False while another
        dispatcher holds an unexpired one."""
        now = time.time()
        with self.engine.begin() as conn:
            return conn.execute(text(
                "UPDATE saved_searches SET lease_owner = :owner, lease_until = :until WHERE search_id = :id "
                "AND disabled = 0 AND (lease_owner IS NULL OR lease_owner = :owner OR lease_until < :now)"),
                {"owner": owner, "until": now + lease_s, "id": search_id, "now": now}).rowcount == 1

    def release(self, search_id: str, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE saved_searches SET lease_owner = NULL, lease_until = NULL "
                              "WHERE search_id = :id AND lease_owner = :owner"), {"id": search_id, "owner": owner})

    def log_attempt(self, attempt: Attempt) -> None:
        """Record one attempt (idempotent: a re-sent delivery's attempts replace the earlier ones)."""
        with self.engine.begin() as conn:
            self._log(conn, attempt)

    def _log(self, conn, attempt: Attempt) -> None:
        values = {f.name: getattr(attempt, f.name) for f in fields(attempt)}
        values["status"] = attempt.status.value
        conn.execute(text("DELETE FROM webhook_deliveries WHERE delivery_id = :delivery_id AND attempt = :attempt"),
                     values)
        conn.execute(text("INSERT INTO webhook_deliveries (delivery_id, attempt, search_id, seq, event_id, status, "
                          "http_status, error, attempted_at) VALUES (:delivery_id, :attempt, :search_id, :seq, "
                          ":event_id, :status, :http_status, :error, :attempted_at)"), values)

    def finish(self, last: Attempt, disable_after: int) -> bool:
        """Record a delivery's final attempt and move the search's cursor past its change, in one
        transaction; a failure counts towards disabling the search (``disable_after`` in a row), a
        success resets the count. Returns whether the search is now disabled."""
        ok = last.status is DeliveryStatus.DELIVERED
        with self.engine.begin() as conn:
            self._log(conn, last)
            conn.execute(text(
                "UPDATE saved_searches SET change_cursor = :seq, "
                "failures = CASE WHEN :ok = 1 THEN 0 ELSE failures + 1 END WHERE search_id = :id "
                "AND change_cursor < :seq"), {"seq": last.seq, "ok": int(ok), "id": last.search_id})
            conn.execute(text("UPDATE saved_searches SET disabled = 1 WHERE search_id = :id AND failures >= :n"),
                         {"id": last.search_id, "n": disable_after})
            return bool(conn.execute(text("SELECT disabled FROM saved_searches WHERE search_id = :id"),
                                     {"id": last.search_id}).scalar())

    def skip_to(self, search_id: str, seq: int) -> None:
        """Move the cursor past changes that match nothing (no delivery to record)."""
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE saved_searches SET change_cursor = :seq WHERE search_id = :id "
                              "AND change_cursor < :seq"), {"seq": seq, "id": search_id})

    def deliveries(self, search_id: str, limit: int = 100) -> list[Attempt]:
        """The newest attempts first."""
        self.get(search_id)
        with self.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT delivery_id, attempt, search_id, seq, event_id, status, http_status, error, attempted_at "
                "FROM webhook_deliveries WHERE search_id = :id ORDER BY seq DESC, attempt DESC LIMIT :limit"),
                {"id": search_id, "limit": limit}).all()
        return [Attempt(r[0], r[1], r[2], int(r[3]), r[4], DeliveryStatus(r[5]), r[6], r[7], r[8]) for r in rows]
