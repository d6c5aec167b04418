"""Live updates: ``GET /events/stream`` sends, as server-sent events, every merged event that is
written (created or rewritten) or removed after the stream opened, filtered like ``/events``.

Changes come from the store's change feed (``changes``: ``event_changes``, the same entries and
cursors as ``GET /events/changes``); a stream polls it for the entries after its cursor.

Guarantees:

* Order and completeness: messages follow the feed's commit order, and the feed's sequence numbers
  increase in commit order on PostgreSQL with several writers too (``changes``: a number is taken
  only once every smaller one is committed). So a stream that has sent cursor ``n`` has seen every
  change numbered ``n`` or less, whichever writer made it; none is skipped for committing late.
* Resume: each message's SSE ``id`` is its change cursor (a ``next_cursor`` of ``/events/changes``),
  so a browser that reconnects with ``Last-Event-ID`` (or ``?after=``) gets every change after the
  last one it saw. When no change after the cursor matches the stream's filters, a comment carrying
  the newest cursor moves the resume point on all the same.
* Content: an event is sent as it is when the feed is read, once per poll however many entries it
  has then; ``event`` when it exists and matches the filters; ``removed`` (``{"event_id": ...}``)
  when it was merged into another event or withdrawn, or rewritten so that it no longer matches.
  A new event that does not match is not sent.
* Bounds: a stream polls at most every ``poll_ms``; at most ``max_streams`` are open at once (more
  are refused with 503); a comment is sent every ``heartbeat_s`` so that proxies keep an idle stream
  open. A failed poll (the database away for a moment) is said in a comment and retried from the
  same cursor, so nothing is lost.
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

from .changes import ChangeEntry, ChangeKind, parse_cursor
from .queries import BadQuery, EventQuery
from .repository import EventRepository

log = logging.getLogger(__name__)

BATCH = 500


@dataclass(frozen=True)
class LiveLimits:
    """How much live streaming one API process allows."""

    max_streams: int = 20
    poll_ms: int = 1000
    heartbeat_s: float = 15.0


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


def messages(repo: EventRepository, entries: list[ChangeEntry], q: EventQuery) -> list[str]:
    """The SSE messages for a page of feed entries, under ``q``'s filters: per event its latest
    entry only, in feed order, each with that entry's cursor as ``id``."""
    latest: dict[str, ChangeEntry] = {}
    for e in entries:
        latest.pop(e.event_id, None)  # re-inserted: the dict keeps the order of latest entries
        latest[e.event_id] = e
    present = [eid for eid, e in latest.items() if e.kind in (ChangeKind.CREATED, ChangeKind.UPDATED) and e.event]
    shown = repo.matching(q, present)
    out = []
    for eid, e in latest.items():
        if eid in shown:
            out.append(sse(shown[eid], "event", e.seq))
        elif e.kind in (ChangeKind.MERGED, ChangeKind.WITHDRAWN) or (e.kind is ChangeKind.UPDATED and e.event):
            out.append(sse(json.dumps({"event_id": eid}), "removed", e.seq))
        # created but not matching, or gone by now (its own later entry says so): nothing to send
    if not out and entries:  # nothing for this filter: move the browser's resume point on all the same
        out.append(f"id: {entries[-1].seq}\n: no matching changes\n\n")
    return out


def _resume_point(last_event_id: str | None) -> int | None:
    if last_event_id is None or last_event_id == "":
        return None
    try:
        return parse_cursor(last_event_id)
    except BadQuery as exc:
        raise HTTPException(400, "Last-Event-ID must be a cursor this stream sent") from exc


def live_routes(repo: EventRepository, filters: Callable[..., EventQuery], limits: LiveLimits) -> APIRouter:
    """The ``/events/stream`` route over ``repo``'s change feed, with the ``/events`` filters
    ``filters`` reads."""
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
            cursor = start if start is not None else await anyio.to_thread.run_sync(repo.changes.head)
        except BaseException:
            streams.leave()
            raise
        body = _follow(request, repo, q, cursor, limits, streams)
        return StreamingResponse(body, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return router


async def _follow(request: Request, repo: EventRepository, q: EventQuery, cursor: int, limits: LiveLimits,
                  streams: _Streams) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    try:
        yield f"retry: 2000\nid: {cursor}\n: following changes after {cursor}\n\n"
        beat = loop.time()
        while not await request.is_disconnected():
            try:
                batch, after = await anyio.to_thread.run_sync(repo.changes.page, cursor, BATCH)
                out = await anyio.to_thread.run_sync(messages, repo, batch, q) if batch else []
            except Exception:  # the database went away for a moment: say so, keep the stream and its cursor
                log.exception("live stream poll failed")
                batch, after, out = [], cursor, [": poll failed, retrying\n\n"]
            for m in out:
                yield m
            if batch:
                cursor = after
                beat = loop.time()
            elif loop.time() - beat >= limits.heartbeat_s:
                yield ": heartbeat\n\n"
                beat = loop.time()
            if len(batch) < BATCH:
                await asyncio.sleep(limits.poll_ms / 1000)
    finally:
        streams.leave()
