"""Live updates: ``GET /events/stream`` sends, as server-sent events, every merged event that is
written (created or rewritten) or removed after the stream opened, filtered like ``/events``.

Where changes come from is one function, ``ChangeLog.changes_since(cursor)``: today a small log
table filled by database triggers on ``events`` (so the write path is untouched, and the events
rows, which must not depend on write order, stay as they are); a change feed can take its place.

Guarantees: each SSE message carries its change cursor as ``id``, so a browser that reconnects
with ``Last-Event-ID`` resumes after the last change it saw (a change the log has pruned is
lost; the log keeps the last ``KEEP_CHANGES``). A stream polls at most every ``poll_ms``;
at most ``max_streams`` are open at once (more are refused with 503); a comment is sent every
``heartbeat_s`` so that proxies keep an idle stream open. Known limit: on PostgreSQL with several
writers, a change numbered before one already sent but committed after it is missed by streams
that were open then (the page shows it on its next load); a change feed with commit order lifts it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import anyio
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine, text

from . import search
from .queries import EventQuery, _where

log = logging.getLogger(__name__)

KEEP_CHANGES = 100_000
BATCH = 500

_SQLITE = [
    "CREATE TABLE IF NOT EXISTS live_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL)",
    *(f"""CREATE TRIGGER IF NOT EXISTS live_changes_{op.lower()} AFTER {op} ON events
          BEGIN INSERT INTO live_changes (event_id) VALUES ({row}.event_id); END"""
      for op, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))),
]
_POSTGRES = [
    "SELECT pg_advisory_xact_lock(hashtext('wirewatch-live-changes'))",
    "CREATE TABLE IF NOT EXISTS live_changes (seq BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL)",
    """CREATE OR REPLACE FUNCTION wirewatch_live_change() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN INSERT INTO live_changes (event_id) VALUES (OLD.event_id); RETURN OLD; END IF;
         INSERT INTO live_changes (event_id) VALUES (NEW.event_id); RETURN NEW;
       END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE TRIGGER live_changes_events AFTER INSERT OR UPDATE OR DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION wirewatch_live_change()""",
]


@dataclass(frozen=True)
class LiveLimits:
    """How much live streaming one API process allows."""

    max_streams: int = 20
    poll_ms: int = 1000
    heartbeat_s: float = 15.0


@dataclass(frozen=True)
class Change:
    """Event ``event_id`` was written or removed; ``cursor`` orders changes (resume after it)."""

    cursor: int
    event_id: str


class ChangeLog:
    """The trigger-filled log of written and removed merged events, on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        with engine.begin() as conn:
            for stmt in _POSTGRES if self.postgres else _SQLITE:
                conn.execute(text(stmt))
        self.prune()

    def head(self) -> int:
        """The newest change's cursor (0 for none): a new stream starts after it."""
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM live_changes")).scalar_one())

    def changes_since(self, cursor: int, limit: int = BATCH) -> list[Change]:
        """Up to ``limit`` changes after ``cursor``, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT seq, event_id FROM live_changes WHERE seq > :c ORDER BY seq LIMIT :n"),
                                {"c": cursor, "n": limit}).all()
        return [Change(int(s), e) for s, e in rows]

    def prune(self, keep: int = KEEP_CHANGES) -> None:
        """Forget all but the newest ``keep`` changes."""
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM live_changes WHERE seq <= "
                              "(SELECT COALESCE(MAX(seq), 0) FROM live_changes) - :k"), {"k": keep})

    def matching(self, event_ids: list[str], q: EventQuery) -> dict[str, str | None]:
        """For each id: its stored JSON if it exists and matches ``q``'s filters, "" if it exists
        but does not match, None if it is gone."""
        names = {f"i{n}": eid for n, eid in enumerate(event_ids)}
        ids = ", ".join(f":{k}" for k in names)
        with self.engine.connect() as conn:
            where, params = _where(q, conn, search.condition)
            cond = " AND ".join(where) or "1 = 1"
            sql = f"SELECT event_id, CASE WHEN {cond} THEN payload ELSE '' END FROM events WHERE event_id IN ({ids})"
            found: dict[str, str] = {e: p for e, p in conn.execute(text(sql), {**params, **names}).all()}
        return {eid: found.get(eid) for eid in event_ids}


def sse(data: str, event: str, message_id: int | None = None) -> str:
    """One server-sent event: each line of ``data`` on its own ``data:`` line."""
    head = f"id: {message_id}\n" if message_id is not None else ""
    return head + f"event: {event}\n" + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n"


@dataclass
class _Streams:
    """How many streams are open, under a lock (uvicorn serves them from one loop, tests from many)."""

    limit: int
    open: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self) -> bool:
        with self.lock:
            if self.open >= self.limit:
                return False
            self.open += 1
            return True

    def leave(self) -> None:
        with self.lock:
            self.open -= 1


def _messages(log_: ChangeLog, changes: list[Change], q: EventQuery) -> list[str]:
    latest: dict[str, int] = {}
    for c in changes:
        latest[c.event_id] = c.cursor
    state = log_.matching(sorted(latest), q)
    out = []
    for eid, cursor in sorted(latest.items(), key=lambda kv: kv[1]):
        payload = state[eid]
        if payload is None:
            out.append(sse(json.dumps({"event_id": eid}), "removed", cursor))
        elif payload:
            out.append(sse(payload, "event", cursor))
    if not out and changes:  # nothing for this filter: move the browser's resume point on all the same
        out.append(f"id: {changes[-1].cursor}\n: no matching changes\n\n")
    return out


def _resume_point(last_event_id: str | None) -> int | None:
    if last_event_id is None or last_event_id == "":
        return None
    if not last_event_id.isdigit() or len(last_event_id) > 18:
        raise HTTPException(400, "Last-Event-ID must be a cursor this stream sent")
    return int(last_event_id)


def live_routes(change_log: Callable[[], ChangeLog], filters: Callable[..., EventQuery],
                limits: LiveLimits) -> APIRouter:
    """The ``/events/stream`` route over ``change_log()`` (made on first use), with the ``/events``
    filters ``filters`` reads."""
    router = APIRouter()
    streams = _Streams(limits.max_streams)

    @router.get("/events/stream", summary="Server-sent events: merged events as they are written (filters as /events)")
    async def stream(request: Request, q: EventQuery = Depends(filters),  # noqa: B008 - FastAPI's idiom
                     last_event_id: str | None = Header(None),
                     after: str | None = Query(None, description="Resume after this cursor (as Last-Event-ID)"),
                     ) -> StreamingResponse:
        start = _resume_point(last_event_id if last_event_id is not None else after)
        if not streams.enter():
            raise HTTPException(503, f"at most {limits.max_streams} live streams are open at once; retry later")
        try:
            changes = await anyio.to_thread.run_sync(change_log)
            cursor = start if start is not None else await anyio.to_thread.run_sync(changes.head)
        except BaseException:
            streams.leave()
            raise
        body = _follow(request, changes, q, cursor, limits, streams)
        return StreamingResponse(body, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return router


async def _follow(request: Request, changes: ChangeLog, q: EventQuery, cursor: int, limits: LiveLimits,
                  streams: _Streams) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    try:
        yield f"retry: 2000\nid: {cursor}\n: following changes after {cursor}\n\n"
        beat = loop.time()
        while not await request.is_disconnected():
            try:
                batch = await anyio.to_thread.run_sync(changes.changes_since, cursor)
                messages = await anyio.to_thread.run_sync(_messages, changes, batch, q) if batch else []
            except Exception:  # the database went away for a moment: say so, keep the stream
                log.exception("live stream poll failed")
                batch, messages = [], [": poll failed, retrying\n\n"]
            for m in messages:
                yield m
            if batch:
                cursor = batch[-1].cursor
                beat = loop.time()
            elif loop.time() - beat >= limits.heartbeat_s:
                yield ": heartbeat\n\n"
                beat = loop.time()
            if len(batch) < BATCH:
                await asyncio.sleep(limits.poll_ms / 1000)
    finally:
        streams.leave()
