"""Liveness, readiness and metrics endpoints, and the small HTTP server that carries them.

``/healthz`` answers 200 while every registered loop has made progress within the liveness
timeout; ``/readyz`` answers 200 when every readiness check (broker reachable, database answers)
passes; ``/metrics`` is the process's single Prometheus registry.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)


class Health:
    def __init__(self, liveness_timeout_s: float = 120.0) -> None:
        self.liveness_timeout_s = liveness_timeout_s
        self._beats: dict[str, float] = {}
        self._checks: dict[str, Callable[[], None]] = {}
        self._lock = threading.Lock()

    def beat(self, loop: str) -> None:
        """Record that ``loop`` made progress (called from each service's main loop)."""
        with self._lock:
            self._beats[loop] = time.monotonic()

    def forget(self, loop: str) -> None:
        with self._lock:
            self._beats.pop(loop, None)

    def add_check(self, name: str, check: Callable[[], None]) -> None:
        """``check()`` raises when the dependency is not usable."""
        self._checks[name] = check

    def liveness(self) -> tuple[bool, dict]:
        now = time.monotonic()
        with self._lock:
            ages = {k: round(now - v, 1) for k, v in self._beats.items()}
        ok = all(age <= self.liveness_timeout_s for age in ages.values())
        return ok, {"loops": ages}

    def readiness(self) -> tuple[bool, dict]:
        results = {}
        ok = True
        for name, check in self._checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:
                ok = False
                results[name] = f"{type(exc).__name__}: {exc}"[:300]
        return ok, {"checks": results}


def ops_routes(health: Health, registry: CollectorRegistry) -> list[Route]:
    async def healthz(_: Request) -> Response:
        ok, body = health.liveness()
        return JSONResponse({"ok": ok, **body}, status_code=200 if ok else 503)

    async def readyz(_: Request) -> Response:
        ok, body = await asyncio.to_thread(health.readiness)
        return JSONResponse({"ok": ok, **body}, status_code=200 if ok else 503)

    async def metrics(_: Request) -> Response:
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
        from .broker import free_port

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
