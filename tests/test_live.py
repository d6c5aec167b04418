"""GET /events/stream: server-sent events for merged events written after the stream opened, with
the /events filters, read from the change feed (the SSE ids are its cursors, in its commit order,
with several writers too), Last-Event-ID resume, heartbeats and a bound on open streams; on SQLite
and PostgreSQL, over a real HTTP server (httpx streaming)."""

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
from services.store.live import LiveLimits, sse
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


def test_ids_are_change_feed_cursors_and_an_event_leaving_the_filter_is_removed(served):
    repo, server = served
    with _stream(server, params={"min_fatalities": 5}) as r:
        _later(lambda: repo.upsert_many([make_event(9)]))  # 9 killed: shown
        _later(lambda: repo.upsert_many([make_event(9, fatalities=1)]), delay_s=1.0)  # now below the filter
        got = [m for m in _messages(r, 2) if "data" in m]
    assert [(m["event"], json.loads(m["data"])["event_id"]) for m in got] == [("event", "e00009"),
                                                                            ("removed", "e00009")]
    with httpx.Client(base_url=server.url) as c:
        feed = c.get("/events/changes", params={"cursor": str(int(got[0]["id"]) - 1)}).json()
    # the SSE ids are the feed's sequence numbers of those two entries, in its order
    assert [(c["seq"], c["kind"]) for c in feed["changes"]] == [(int(got[0]["id"]), "created"),
                                                               (int(got[1]["id"]), "updated")]
    assert feed["next_cursor"] == got[1]["id"]


def test_several_writers_at_once_every_change_arrives_in_feed_order(served):
    repo, server = served
    ids = [f"e{i:05d}" for i in range(100, 130)]

    def writer(k: int) -> None:
        for i in range(100 + k, 130, 3):
            repo.upsert_many([make_event(i)])

    with _stream(server) as r:
        threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
        _later(lambda: [t.start() for t in threads])
        got = [m for m in _messages(r, len(ids), timeout_s=30) if m.get("event") == "event"]
        for t in threads:
            t.join()
    assert sorted(json.loads(m["data"])["event_id"] for m in got) == ids
    cursors = [int(m["id"]) for m in got]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)


def test_sse_framing():
    assert sse('{"a":1}\n{"b":2}', "event", 5) == 'id: 5\nevent: event\ndata: {"a":1}\ndata: {"b":2}\n\n'
