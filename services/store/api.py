"""The HTTP API analysts query, the page they read it through, and the ops endpoints.

``GET /events`` (JSON, CSV or GeoJSON, by ``format=`` or ``Accept``) with filters, sorting and
cursor pagination; ``GET /events/{id}``; ``GET /stats``; ``GET /`` (the analysts' page);
``/openapi.json``. Everything is read-only but for what needs the admin token: ``POST /admin/rebuild``
and analysts' reviews (``review_api``: ``POST /events/{id}/review``, its undo, and ``GET /audit``).
"""

from __future__ import annotations

import hmac
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from prometheus_client import CollectorRegistry
from starlette.routing import Match

from services.common.addresses import AddressPolicy
from services.common.ops import Health, ops_routes

from .boundaries import boundary_routes
from .changes_api import change_router
from .event_view import EventViews
from .export import acled_csv, geojson, wirewatch_csv
from .live import LiveLimits, live_routes
from .metrics import StoreMetrics
from .queries import SORTS, BadQuery, EventQuery
from .repository import EventRepository
from .review import ReviewStatus
from .review_api import review_routes
from .timeline import timeline_routes

PAGE = Path(__file__).with_name("web") / "index.html"
# fatalities are a 4-byte integer in PostgreSQL: a larger bound would be a database error, not a 400
MAX_FATALITIES = 2**31 - 1


def _has_nul(request: Request) -> bool:
    """PostgreSQL text cannot hold NUL: a parameter with one is refused before it reaches a query."""
    return "\x00" in request.scope["path"] or any("\x00" in k or "\x00" in v
                                                  for k, v in request.query_params.multi_items())


def _route_label(app: FastAPI, request: Request) -> str:
    """The route's path template: a bounded metric label, never the raw URL."""
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.FULL:
            return getattr(route, "path", "other")
    return "unmatched"


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    try:
        parts = [float(x) for x in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not (-180 <= parts[0] <= parts[2] <= 180 and -90 <= parts[1] <= parts[3] <= 90):
        raise HTTPException(400, "bbox must be min_lon,min_lat,max_lon,max_lat with min <= max")
    return parts[0], parts[1], parts[2], parts[3]


class Format(StrEnum):
    """The forms ``GET /events`` answers in."""

    JSON = "json"
    CSV = "csv"
    GEOJSON = "geojson"
    ACLED = "acled"


def response_format(
    format: str | None = Query(None, description="json (default), csv, geojson or acled (ACLED's CSV columns, "  # noqa: A002
                                                 "every matching event, streamed); or use Accept"),
    accept: str | None = Header(None),
) -> Format:
    """The form asked for: ``format=`` if given (400 if it is none of ours), else by ``Accept``."""
    if format:
        if format not in Format.__members__.values():
            raise HTTPException(400, "format must be json, csv, geojson or acled")
        return Format(format)
    accept = (accept or "").lower()
    if "text/csv" in accept:
        return Format.CSV
    if "application/geo+json" in accept:
        return Format.GEOJSON
    return Format.JSON


def event_filters(  # noqa: PLR0913 - one Query parameter per filter: FastAPI reads them from the signature
    since: date | None = Query(None, description="First event date (inclusive), YYYY-MM-DD"),
    until: date | None = Query(None, description="Last event date (inclusive), YYYY-MM-DD"),
    country: str | None = Query(None, description="ISO 3166-1 alpha-2, e.g. AF"),
    admin1: str | None = Query(None, description="Province, e.g. Kunduz"),
    admin2: str | None = Query(None, description="District, e.g. Dasht-e-Archi"),
    actor: str | None = Query(None, description="Either actor, e.g. Taliban"),
    event_type: str | None = Query(None, description="ACLED event type, e.g. Battles"),
    sub_event_type: str | None = Query(None, description="ACLED sub-event type, e.g. Armed clash"),
    min_fatalities: int | None = Query(None, ge=0, le=MAX_FATALITIES, description="At least this many fatalities"),
    bbox: str | None = Query(None, description="min_lon,min_lat,max_lon,max_lat"),
    q: str | None = Query(None, min_length=2, max_length=200,
                          description="Words that must all occur (any case; the last also as a prefix) in the "
                                      "evidence, place or actors, e.g. taliban kunduz"),
    review_status: str | None = Query(None, description="Analysts' review: unreviewed, confirmed, corrected or "
                                      "rejected, comma-separated (default: all but rejected)"),
    reviewed: bool | None = Query(None, description="true: reviewed by an analyst; false: not reviewed"),
) -> EventQuery:
    """The filters ``/events`` and ``/stats`` share, as one query (default sort and page); 400 for
    a date range that ends before it starts or a malformed box."""
    if since and until and since > until:
        raise HTTPException(400, "since must not be after until")
    return EventQuery(since=since, until=until, country=country, admin1=admin1, admin2=admin2, actor=actor,
                      event_type=event_type, sub_event_type=sub_event_type, min_fatalities=min_fatalities,
                      bbox=_bbox(bbox), q=q, review_status=_review_statuses(review_status), reviewed=reviewed)


def _review_statuses(value: str | None) -> tuple[str, ...]:
    statuses = tuple(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))
    if any(v not in ReviewStatus.__members__.values() for v in statuses):
        raise HTTPException(400, f"review_status must be among {', '.join(ReviewStatus)}")
    return statuses


@dataclass(frozen=True)
class Page:
    """Which page of ``/events``: its order, where it starts and how long it is."""

    sort: str
    cursor: str | None
    limit: int


def page_parameters(
    request: Request,
    sort: str = Query("-event_date", description=f"One of {', '.join(SORTS)}"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    limit: int | None = Query(None, ge=1, description="Page size (default 100)"),
) -> Page:
    """The page asked for, of at most the app's ``max_limit`` events (400 beyond it, or for a sort
    we do not offer)."""
    max_limit = request.app.state.max_limit
    limit = limit or min(100, max_limit)
    if limit > max_limit:
        raise HTTPException(400, f"limit must be at most {max_limit}")
    if sort not in SORTS:
        raise HTTPException(400, f"sort must be one of {', '.join(SORTS)}")
    return Page(sort, cursor, limit)


def _acled_pages(repo: EventRepository, query: EventQuery, cap: int | None) -> Iterator[list[dict]]:
    """Every event ``query`` matches from its cursor on (at most ``cap``), a page at a time."""
    left = cap
    while left is None or left > 0:
        events, cursor = repo.query(query if left is None else replace(query, limit=min(query.limit, left)))
        yield events
        if left is not None:
            left -= len(events)
        if cursor is None:
            return
        query = replace(query, cursor=cursor)


def _acled_response(repo: EventRepository, query: EventQuery, cap: int | None) -> StreamingResponse:
    """ACLED CSV of every matching event (``export.acled_csv``), streamed page by page; a bad
    filter is refused before the first byte (the first page is read here)."""
    pages = _acled_pages(repo, query, cap)
    first = next(pages)
    return StreamingResponse(acled_csv(itertools.chain([first], pages)), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="wirewatch-acled.csv"'})


def _check_admin(admin_token: str | None, authorization: str | None) -> None:
    """403 while admin endpoints are disabled, 401 unless the request carries the token."""
    if not admin_token:
        raise HTTPException(403, "admin endpoints are disabled (set WIREWATCH_STORE_ADMIN_TOKEN)")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), admin_token.encode()):
        raise HTTPException(401, "a valid admin token is required (Authorization: Bearer ...)")


def _answer_errors_and_count(app: FastAPI, metrics: StoreMetrics) -> None:
    """Every refused request is a 400 with a ``detail`` message; every request is counted and timed
    under its route template."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in err['loc'][1:])}: {err['msg']}" for err in exc.errors()]
        return JSONResponse({"detail": "; ".join(problems)}, status_code=400)

    @app.exception_handler(BadQuery)
    async def _bad(_: Request, exc: BadQuery) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.middleware("http")
    async def _metrics(request: Request, call_next):
        t0 = time.perf_counter()
        if _has_nul(request):
            response = JSONResponse({"detail": "parameters must not contain NUL characters"}, status_code=400)
        else:
            response = await call_next(request)
        label = _route_label(app, request)
        metrics.api_requests.labels(route=label, status=str(response.status_code)).inc()
        metrics.api_duration.labels(route=label).observe(time.perf_counter() - t0)
        return response


def create_app(repo: EventRepository, health: Health, registry: CollectorRegistry, metrics: StoreMetrics,
               max_limit: int = 1000, admin_token: str | None = None,
               webhook_hosts: AddressPolicy | None = None, live: LiveLimits | None = None) -> FastAPI:
    """The store's HTTP app over ``repo``: read-only but for the token-guarded rebuild."""
    app = FastAPI(title="Wirewatch events API", version="1",
                  description="ACLED-style conflict events extracted from news feeds, merged across outlets.")
    app.state.max_limit = max_limit
    for route in ops_routes(health, registry):
        app.router.routes.append(route)
    _answer_errors_and_count(app, metrics)
    # the change feed and saved searches (before /events/{event_id}, which would take /events/changes)
    app.include_router(change_router(repo, event_filters, lambda auth: _check_admin(admin_token, auth),
                                     webhook_hosts or AddressPolicy()))

    @app.get("/events", summary="Merged events, newest first, filtered and paginated")
    def list_events(request: Request, filters: Annotated[EventQuery, Depends(event_filters)],
                    page: Annotated[Page, Depends(page_parameters)],
                    kind: Annotated[Format, Depends(response_format)]) -> Response:
        query = replace(filters, sort=page.sort, cursor=page.cursor, limit=page.limit)
        explicit_limit = "limit" in request.query_params
        if kind is Format.JSON:
            raw, next_cursor = repo.query_raw(query)
            body = (f'{{"count":{len(raw)},"next_cursor":{json.dumps(next_cursor)},"events":['
                    + ",".join(raw) + "]}")
            return Response(body, media_type="application/json")
        if kind is Format.ACLED:
            return _acled_response(repo, replace(query, limit=max_limit), page.limit if explicit_limit else None)
        events, next_cursor = repo.query(query)
        if kind is Format.CSV:
            headers = {"X-Next-Cursor": next_cursor} if next_cursor else {}
            return Response(wirewatch_csv(events), media_type="text/csv; charset=utf-8", headers=headers)
        return JSONResponse(geojson(events, next_cursor), media_type="application/geo+json")

    # the fixed /events/... routes come before /events/{event_id}
    app.include_router(timeline_routes(lambda: repo.engine, event_filters))
    app.include_router(boundary_routes())
    app.include_router(live_routes(repo, event_filters, live or LiveLimits()))

    @app.get("/events/{event_id}", summary="One event's full story: sources, claims, figures, evidence, merges")
    def get_event(event_id: str) -> JSONResponse:
        if len(event_id) > 128:
            raise HTTPException(400, "event id too long")
        event = repo.get(event_id)
        if event is None:
            raise HTTPException(404, f"no event {event_id}")
        return JSONResponse(EventViews(repo.engine).view(event))

    @app.get("/stats", summary="Event and fatality counts by day, province or type")
    def stats(filters: Annotated[EventQuery, Depends(event_filters)],
              by: str = Query("day", description="day, admin1, event_type, sub_event_type or country")) -> JSONResponse:
        return JSONResponse({"by": by, "counts": repo.stats(filters, by)})

    @app.post("/admin/rebuild", summary="Recompute every merged event from the stored reports (admin token)")
    def rebuild(authorization: str | None = Header(None)) -> JSONResponse:
        _check_admin(admin_token, authorization)
        return JSONResponse({"events_written": repo.rebuild()})

    review_routes(app, repo, lambda authorization: _check_admin(admin_token, authorization))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(PAGE.read_text(encoding="utf-8"))

    return app


OPENAPI_PATH = Path(__file__).with_name("openapi.json")


def openapi_document() -> str:
    """The API's OpenAPI document as checked in (``wirewatch schemas --write`` refreshes it)."""
    from prometheus_client import CollectorRegistry as _Registry

    registry = _Registry()
    repo = EventRepository("sqlite://")  # an empty in-memory store: routes only; nothing is served
    try:
        app = create_app(repo, Health(), registry, StoreMetrics(registry))
        return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"
    finally:
        repo.close()
