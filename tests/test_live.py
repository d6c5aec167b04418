"""GET /events/stream: server-sent events for merged events written after the stream opened, with
the /events filters, Last-Event-ID resume, heartbeats and a bound on open streams; on SQLite and
PostgreSQL, over a real HTTP server (httpx streaming)."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
from prometheus_client import CollectorRegistry

from services.common.ops import Health, HttpServer
from services.store.api import create_app
from services.store.live import ChangeLog, LiveLimits, sse
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.helpers import make_event


@pytest.fixture
def served(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(i) for i in range(3)])
    registry = CollectorRegistry()
    app = create_app(repo, Health(), registry, StoreMetrics(registry),
                     live=LiveLimits(max_streams=2, poll_ms=100, heartbeat_s=0.3))
    server = HttpServer(app, "127.0.0.1", 0).start()
    yield repo, server
    server.stop()
    repo.close()


def _messages(response: httpx.Response, want: int, timeout_s: float = 10.0) -> list[dict]:
    """Read SSE messages (id, event, data; comments as ``comment``) until ``want`` data messages came."""
    out, current, deadline = [], {}, time.monotonic() + timeout_s
    for line in response.iter_lines():
        if line == "":
            if current:
                out.append(current)
            current = {}
            if sum(1 for m in out if "data" in m) >= want or time.monotonic() > deadline:
                break
            continue
        name, _, value = line.partition(":")
        current[name or "comment"] = value.strip() if name != "data" else current.get("data", "") + value.strip()
    return out


@contextmanager
def _stream(server: HttpServer, **kw):
    with httpx.Client(base_url=server.url, timeout=httpx.Timeout(10.0)) as client, \
            client.stream("GET", "/events/stream", **kw) as response:
        yield response


def _later(fn, delay_s: float = 0.4) -> threading.Thread:
    t = threading.Timer(delay_s, fn)
    t.start()
    return t


def test_new_and_changed_events_arrive_and_resume(served):
    repo, server = served
    with _stream(server) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        _later(lambda: repo.upsert_many([make_event(7)]))
        got = [m for m in _messages(r, 1) if m.get("event") == "event"]
    assert [json.loads(m["data"])["event_id"] for m in got] == ["e00007"]  # only what was written after
    seen = got[0]["id"]
    repo.upsert_many([make_event(8), make_event(7, fatalities=12)])  # while no stream is open
    with _stream(server, headers={"Last-Event-ID": seen}) as r:
        events = [json.loads(m["data"]) for m in _messages(r, 2) if m.get("event") == "event"]
    assert sorted((e["event_id"], e["fatalities"]) for e in events) == [("e00007", 12), ("e00008", 8)]


def test_filters_and_removals(served):
    repo, server = served
    with _stream(server, params={"admin1": "Helmand"}) as r:
        # e00005 is in Imam Sahib (Kunduz), e00006 in Lashkar Gah (Helmand): only the latter is sent
        _later(lambda: repo.upsert_many([make_event(5), make_event(6)]))
        got = [m for m in _messages(r, 1) if "data" in m]
    assert [(m["event"], json.loads(m["data"])["event_id"]) for m in got] == [("event", "e00006")]
    # e00014 (a battle in Lashkar Gah) is written alone, then revised to the day of e00002 (a battle
    # there too, another story): it merges into e00002, and its own event is removed
    with _stream(server, params={"admin1": "Helmand"}) as r:
        _later(lambda: repo.upsert_many([make_event(14)]))
        _later(lambda: repo.upsert_many([make_event(14, event_date=make_event(2).event_date)]), delay_s=1.2)
        got = {(m["event"], json.loads(m["data"])["event_id"]) for m in _messages(r, 3) if "data" in m}
    assert got == {("event", "e00014"), ("removed", "e00014"), ("event", "e00002")}
    assert repo.get("e00014")["event_id"] == "e00002"


def test_heartbeats_bound_and_bad_resume_point(served):
    _, server = served
    with _stream(server) as a, _stream(server) as b:
        assert a.status_code == b.status_code == 200
        with httpx.Client(base_url=server.url) as c:
            third = c.get("/events/stream")
            assert third.status_code == 503 and "at most 2" in third.json()["detail"]
        lines = []
        for line in a.iter_lines():
            lines.append(line)
            if line == ": heartbeat":
                break
        assert lines[0] == "retry: 2000"
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/events/stream", headers={"Last-Event-ID": "x1"}).status_code == 400
        assert c.get("/events/stream", params={"since": "2026-02-01", "until": "2026-01-01"}).status_code == 400


def test_change_log_records_writes_and_removals(database_url):
    repo = EventRepository(database_url)
    log = ChangeLog(repo.engine)
    start = log.head()
    repo.upsert_many([make_event(1), make_event(2)])
    repo.upsert_many([make_event(1)])  # unchanged: not rewritten, so no change
    changes = log.changes_since(start)
    assert [c.event_id for c in changes] == ["e00001", "e00002"]
    assert ChangeLog(repo.engine).head() == changes[-1].cursor  # made twice: one log
    assert log.matching(["e00001", "zz"], make_query(admin1="Kunduz")) == {"e00001": repo_payload(repo, "e00001"),
                                                                          "zz": None}
    assert log.matching(["e00001"], make_query(admin1="Helmand")) == {"e00001": ""}
    repo.close()


def test_sse_framing():
    assert sse('{"a":1}\n{"b":2}', "event", 5) == 'id: 5\nevent: event\ndata: {"a":1}\ndata: {"b":2}\n\n'


def make_query(**kw):
    from services.store.queries import EventQuery

    return EventQuery(**kw)


def repo_payload(repo: EventRepository, event_id: str) -> str:
    from sqlalchemy import text

    with repo.engine.connect() as conn:
        return conn.execute(text("SELECT payload FROM events WHERE event_id = :i"), {"i": event_id}).scalar_one()
