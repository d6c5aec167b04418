"""The HTTP API analysts query: ``GET /events``, ``GET /events/{id}``, plus the ops endpoints."""

from __future__ import annotations

import time
from datetime import date

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from starlette.routing import Match

from services.common.ops import Health, ops_routes

from .metrics import StoreMetrics
from .repository import EventQuery, EventRepository


def _route_label(app: FastAPI, request: Request) -> str:
    """The route's path template: a bounded metric label, never the raw URL."""
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.FULL:
            return getattr(route, "path", "other")
    return "unmatched"


def create_app(repo: EventRepository, health: Health, registry: CollectorRegistry, metrics: StoreMetrics,
               max_limit: int = 1000) -> FastAPI:
    app = FastAPI(title="Wirewatch events API", version="1", description="ACLED-style events from news feeds")
    for route in ops_routes(health, registry):
        app.router.routes.append(route)

    @app.middleware("http")
    async def _metrics(request: Request, call_next):
        t0 = time.perf_counter()
        response = await call_next(request)
        label = _route_label(app, request)
        metrics.api_requests.labels(route=label, status=str(response.status_code)).inc()
        metrics.api_duration.labels(route=label).observe(time.perf_counter() - t0)
        return response

    @app.get("/events", summary="List events, newest first")
    def list_events(
        since: date | None = Query(None, description="First event date (inclusive), YYYY-MM-DD"),
        until: date | None = Query(None, description="Last event date (inclusive), YYYY-MM-DD"),
        admin1: str | None = Query(None, description="Province, e.g. Kunduz"),
        event_type: str | None = Query(None, description="ACLED event type, e.g. Battles"),
        limit: int | None = Query(None, ge=1, description="Page size (default 100)"),
    ) -> JSONResponse:
        limit = limit or min(100, max_limit)
        if since and until and since > until:
            raise HTTPException(400, "since must not be after until")
        if limit > max_limit:
            raise HTTPException(400, f"limit must be at most {max_limit}")
        events = repo.query(EventQuery(since=since, until=until, admin1=admin1, event_type=event_type, limit=limit))
        return JSONResponse({"count": len(events), "events": events})

    @app.get("/events/{event_id}", summary="One event with its sources, claims and evidence")
    def get_event(event_id: str) -> JSONResponse:
        event = repo.get(event_id)
        if event is None:
            raise HTTPException(404, f"no event {event_id}")
        return JSONResponse(event)

    return app
