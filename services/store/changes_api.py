"""The HTTP routes of the change feed and of saved searches.

``GET /events/changes`` is public like ``/events``; ``/searches`` needs the admin token. A saved
search's filters are the ``/events`` query parameters of ``POST /searches`` (the same
``event_filters`` dependency), so a saved search is exactly an ``/events`` query.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from services.common.addresses import AddressPolicy

from .changes import parse_cursor
from .queries import EventQuery
from .repository import EventRepository
from .searches import UnknownSearch
from .webhooks import RefusedTarget, check_target


class NewSearch(BaseModel):
    """The body of ``POST /searches`` (the filters are its query parameters)."""

    name: str = Field(min_length=1, max_length=200)
    webhook_url: str = Field(min_length=1, max_length=2000)
    secret: str | None = Field(None, min_length=16, max_length=200,
                               description="HMAC key for the signature; omitted: one is generated and returned")


def change_router(repo: EventRepository, filters: Callable[..., EventQuery],
                  check_admin: Callable[[str | None], None], webhook_hosts: AddressPolicy) -> APIRouter:
    """The routes over ``repo``; ``filters`` is the API's ``event_filters`` dependency and
    ``check_admin`` raises unless the Authorization header carries the admin token."""
    router = APIRouter()

    def admin(authorization: str | None = Header(None)) -> None:
        check_admin(authorization)

    @router.get("/events/changes", summary="Events created, updated, merged and withdrawn, in commit order")
    def changes(request: Request,
                cursor: str | None = Query(None, description="next_cursor of the previous page (omitted: from the start)"),
                limit: int | None = Query(None, ge=1, description="Entries per page (default 100)")) -> Response:
        max_limit = request.app.state.max_limit
        limit = limit or min(100, max_limit)
        if limit > max_limit:
            raise HTTPException(400, f"limit must be at most {max_limit}")
        entries, next_cursor = repo.changes.page(parse_cursor(cursor), limit)
        body = (f'{{"count":{len(entries)},"next_cursor":"{next_cursor}","changes":['
                + ",".join(e.to_json() for e in entries) + "]}")
        return Response(body, media_type="application/json")

    @router.post("/searches", status_code=201, dependencies=[Depends(admin)],
                 summary="Save an /events filter (its query parameters) with a webhook (admin token)")
    def create_search(body: NewSearch, query: Annotated[EventQuery, Depends(filters)]) -> JSONResponse:
        try:
            check_target(body.webhook_url, webhook_hosts)
        except RefusedTarget as exc:
            raise HTTPException(400, f"webhook_url refused: {exc}") from exc
        search = repo.searches.create(body.name, query, body.webhook_url, body.secret)
        return JSONResponse({**search.public(), "secret": search.secret}, status_code=201)

    @router.get("/searches", dependencies=[Depends(admin)], summary="Saved searches, disabled ones marked (admin)")
    def list_searches() -> JSONResponse:
        return JSONResponse({"searches": [s.public() for s in repo.searches.all()]})

    @router.delete("/searches/{search_id}", status_code=204, dependencies=[Depends(admin)],
                   summary="Delete a saved search and its delivery log (admin token)")
    def delete_search(search_id: str) -> Response:
        _known(lambda: repo.searches.delete(search_id))
        return Response(status_code=204)

    @router.post("/searches/{search_id}/enable", dependencies=[Depends(admin)],
                 summary="Re-enable a search disabled after failed deliveries (admin token)")
    def enable_search(search_id: str) -> JSONResponse:
        return JSONResponse(_known(lambda: repo.searches.enable(search_id)).public())

    @router.get("/searches/{search_id}/deliveries", dependencies=[Depends(admin)],
                summary="The delivery log of a search, newest first, one row per attempt (admin token)")
    def deliveries(search_id: str, limit: int = Query(100, ge=1, le=1000)) -> JSONResponse:
        attempts = _known(lambda: repo.searches.deliveries(search_id, limit))
        return JSONResponse({"deliveries": [a.to_dict() for a in attempts]})

    return router


def _known(call):
    try:
        return call()
    except UnknownSearch as exc:
        raise HTTPException(404, str(exc)) from exc
