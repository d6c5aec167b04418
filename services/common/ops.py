"""Liveness, readiness and metrics endpoints, and the small HTTP server that carries them.

``/healthz`` answers 200 while every registered loop has made progress within the liveness
timeout; ``/readyz`` answers 200 when every readiness check (broker reachable, database answers)
passed on its last run, and answers at once whatever hangs: the checks run in the background
with bounded waits (``readiness.ReadinessMonitor``) and the body gives each one's status, detail
and age; ``/metrics`` is the process's single Prometheus registry, with the same checks' results
as ``wirewatch_readiness_check_ok{check}``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .metrics import for_registry
from .readiness import CHECK_INTERVAL_S, CHECK_TIMEOUT_S, Check, ReadinessMonitor, ReadinessReport

log = logging.getLogger(__name__)


class Health:
    """Liveness from the loops' heartbeats; readiness from checks run in the background."""

    def __init__(self, liveness_timeout_s: float = 120.0, *, check_interval_s: float = CHECK_INTERVAL_S,
                 check_timeout_s: float = CHECK_TIMEOUT_S) -> None:
        self.liveness_timeout_s = liveness_timeout_s
        self._beats: dict[str, float] = {}
        self._lock = threading.Lock()
        self._readiness = ReadinessMonitor(check_interval_s, check_timeout_s)

    def beat(self, loop: str) -> None:
        """Record that ``loop`` made progress (called from each service's main loop)."""
        with self._lock:
            self._beats[loop] = time.monotonic()

    def add_check(self, name: str, check: Check) -> None:
        """``check()`` raises when the dependency is not usable; it runs in the background from now on."""
        self._readiness.add(name, check)

    def close(self) -> None:
        """Stop running the checks (the process is shutting down)."""
        self._readiness.close()

    def liveness(self) -> tuple[bool, dict]:
        now = time.monotonic()
        with self._lock:
            ages = {k: round(now - v, 1) for k, v in self._beats.items()}
        ok = all(age <= self.liveness_timeout_s for age in ages.values())
        return ok, {"loops": ages}

    def readiness(self) -> ReadinessReport:
        """The checks' last results, at once (only a check that never finished is waited for, briefly)."""
        return self._readiness.report()


def ops_routes(health: Health, registry: CollectorRegistry) -> list[Route]:
    async def healthz(_: Request) -> Response:
        ok, body = health.liveness()
        return JSONResponse({"ok": ok, **body}, status_code=200 if ok else 503)

    async def readyz(_: Request) -> Response:
        report = await asyncio.to_thread(health.readiness)
        return JSONResponse(report.as_json(), status_code=200 if report.ok else 503)

    async def metrics(_: Request) -> Response:
        for_registry(registry).set_readiness(await asyncio.to_thread(health.readiness))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
    ]


def ops_app(health: Health, registry: CollectorRegistry) -> Starlette:
    return Starlette(routes=ops_routes(health, registry))


class HttpServer:
    """Runs an ASGI app with uvicorn in a background thread; ``stop()`` shuts it down gracefully."""

    def __init__(self, app, host: str, port: int, name: str = "http") -> None:
        from .net import free_port

        self.host = host
        self.port = port or free_port(host)
        self.name = name
        self.server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=self.port, log_level="warning", access_log=False,
                           lifespan="off")
        )
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> HttpServer:
        self.thread = threading.Thread(target=self.server.run, name=self.name, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} server failed to start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
