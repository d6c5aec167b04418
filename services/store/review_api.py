"""The review endpoints: an analyst confirms, rejects or corrects an event, undoes that, and reads the audit log.

``POST /events/{id}/review`` and ``DELETE /events/{id}/review/{review_id}`` need the admin token
(403 while none is configured, 401 without the right one, checked before the body); ``GET /audit``
is read-only like the rest of the API. A refused review is answered with a ``detail`` message,
logged, and counted by the API's request metric under its route and status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from .review import ReviewRefused, ReviewRequest

log = logging.getLogger(__name__)

_MAX_ID = 128


def _short(value: str, what: str) -> str:
    if len(value) > _MAX_ID:
        raise HTTPException(400, f"{what} too long")
    return value


def review_routes(app: FastAPI, repo: Any, check_admin: Callable[[str | None], None]) -> None:
    """Add the review endpoints to ``app``, over ``repo`` (an ``EventRepository``); ``check_admin``
    raises the 401/403 for a request's ``Authorization`` header."""

    def admin(authorization: str | None = Header(None)) -> None:
        check_admin(authorization)

    @app.exception_handler(ReviewRefused)
    async def _refused(request: Request, exc: ReviewRefused) -> JSONResponse:
        log.warning("review refused (%s): %s %s: %s", exc.kind, request.method, request.url.path, exc)
        return JSONResponse({"detail": str(exc), "kind": exc.kind}, status_code=exc.status)

    @app.post("/events/{event_id}/review", status_code=201, dependencies=[Depends(admin)],
              summary="Confirm, reject or correct an event, with a reason (admin token)")
    def review(event_id: str, body: ReviewRequest) -> JSONResponse:
        made, event = repo.reviews.review(_short(event_id, "event id"), body)
        return JSONResponse({"review_id": made.review_id, "event": event}, status_code=201)

    @app.delete("/events/{event_id}/review/{review_id}", dependencies=[Depends(admin)],
                summary="Undo a review of an event (admin token)")
    def undo(event_id: str, review_id: str,
             reviewer: Annotated[str, Query(min_length=1, max_length=200, description="Who undoes it")],
             reason: Annotated[str, Query(min_length=1, max_length=2000, description="Why")]) -> JSONResponse:
        if not reviewer.strip() or not reason.strip():
            raise HTTPException(400, "reviewer and reason must not be blank")
        event = repo.reviews.undo(_short(event_id, "event id"), _short(review_id, "review id"), reviewer.strip(),
                                  reason.strip())
        return JSONResponse({"review_id": review_id, "event": event})

    @app.get("/audit", summary="Every review and undo, newest first: who, when, what, why, before and after")
    def audit(request: Request,
              event_id: Annotated[str | None, Query(max_length=_MAX_ID, description="Only this event's")] = None,
              review_id: Annotated[str | None, Query(max_length=_MAX_ID, description="Only this review's")] = None,
              cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")] = None,
              limit: Annotated[int | None, Query(ge=1, description="Page size (default 100)")] = None) -> JSONResponse:
        max_limit = request.app.state.max_limit
        limit = limit or min(100, max_limit)
        if limit > max_limit:
            raise HTTPException(400, f"limit must be at most {max_limit}")
        entries, next_cursor = repo.audit.entries(event_id, review_id, cursor, limit)
        return JSONResponse({"count": len(entries), "next_cursor": next_cursor,
                             "entries": [e.to_json() for e in entries]})
