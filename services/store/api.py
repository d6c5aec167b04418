"""The HTTP API analysts query: ``GET /events``, ``GET /events/{id}``, plus the ops endpoints."""

from __future__ import annotations

import time
from datetime import date

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry

from services.common.ops import Health, ops_routes

from .metrics import StoreMetrics
from .repository import EventQuery, EventRepository


def create_app(repo: EventRepository, health: Health, registry: CollectorRegistry, metrics: StoreMetrics,
               max_limit: int = 1000) -> FastAPI:
    app = FastAPI(title="Wirewatch events API", version="1", description="ACLED-style events from news feeds")
    for route in ops_routes(health, registry):
        app.router.routes.append(route)

    @app.middleware("http")
    async def _metrics(request: Request, call_next):
        t0 = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        label = getattr(route, "path", "unmatched")
        metrics.api_requests.labels(route=label, status=str(response.status_code)).inc()
        metrics.api_duration.labels(route=label).observe(time.perf_counter() - t0)
        return response

    @app.get("/events", summary="List events, newest first")
    def list_events(
        since: date | None = Query(None, description="First event date (inclusive), YYYY-MM-DD"),
        until: date | None = Query(None, description="Last event date (inclusive), YYYY-MM-DD"),
        admin1: str | None = Query(None, description="Province, e.g. Kunduz"),
        event_type: str | None = Query(None, description="ACLED event type, e.g. Battles"),
        limit: int = Query(100, ge=1, description="Page size"),
    ) -> JSONResponse:
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
