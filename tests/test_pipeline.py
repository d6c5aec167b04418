"""End to end through a real broker: fixture site -> ingest -> Kafka -> extract -> Kafka -> store -> API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

from services.common.ops import Health, HttpServer
from services.fixturesite.seeds import load_seeds
from services.run import EXIT_BROKER_DIED, Pipeline, RunOptions
from services.store.api import create_app
from services.store.metrics import StoreMetrics
from services.store.queries import EventQuery
from services.store.repository import EventRepository
from tests.conftest import ROOT, shared_path


def _serve_store(db: Path) -> tuple[HttpServer, EventRepository]:
    repo = EventRepository(f"sqlite:///{db}")
    registry = CollectorRegistry()
    server = HttpServer(create_app(repo, Health(), registry, StoreMetrics(registry)), "127.0.0.1", 0).start()
    return server, repo


def test_seed_articles_end_to_end_with_kunduz_events_of_8_august_2021(tmp_path, capsys):
    content = load_seeds(shared_path("seeds"))
    pipeline = Pipeline(RunOptions(once=True, content=content))
    assert pipeline.run() == 0
    assert pipeline.summary is not None and pipeline.summary.ingest.stories_published == 5
    assert "stories published   5" in capsys.readouterr().err  # the summary is printed, not only kept

    server, repo = _serve_store(tmp_path / "data" / "store.db")
    try:
        r = httpx.get(f"{server.url}/events", params={"admin1": "Kunduz", "since": "2021-08-08",
                                                       "until": "2021-08-08"})
        assert r.status_code == 200
        events = r.json()["events"]
        outlets = {s["outlet"] for e in events for s in e["sources"]}
        assert {"BBC", "VOI"} <= outlets, events
        takeovers = [e for e in events if e["sub_event_type"] == "Non-state actor overtakes territory"]
        # both outlets' reports of the fall of Kunduz are one event, crediting both
        fall = next(e for e in takeovers if {"BBC", "VOI"} <= {s["outlet"] for s in e["sources"]})
        assert fall["admin2"] == "Kunduz" and fall["actor1"]["name"] == "Taliban" and len(fall["reports"]) == 2
        for s in fall["sources"]:
            assert s["url"].startswith("http://127.0.0.1:") and s["url"].endswith(".html")
        assert {ev["story_id"] for ev in fall["evidence"]} == {s["story_id"] for s in fall["sources"]}
    finally:
        server.stop()
        repo.close()


def test_demo_run_is_idempotent(tmp_path, capsys):
    first = Pipeline(RunOptions(once=True))
    assert first.run() == 0
    assert first.summary.ingest.stories_published == 7
    assert first.summary.ingest.near_duplicates == 1
    assert not first.summary.nothing_new
    repo = EventRepository(f"sqlite:///{tmp_path / 'data' / 'store.db'}")
    before, _ = repo.query(EventQuery(limit=1000))
    # every demo article that is not a republication yields at least one event
    assert len({s["story_id"] for e in before for s in e["sources"]}) >= 6
    # the two outlets' own reports of the Qala-e-Zal attack are one event; the republication adds its outlet
    qala = [e for e in before if e["admin2"] == "Qala-e-Zal"]
    assert len(qala) == 1
    assert {s["outlet"] for s in qala[0]["sources"]} == {"Hindukush Herald", "Northern Wire", "Kabul Daily Monitor"}

    second = Pipeline(RunOptions(once=True))
    assert second.run() == 0
    assert second.summary.ingest.stories_published == 0
    assert second.summary.nothing_new
    assert "nothing new" in capsys.readouterr().err
    assert repo.query(EventQuery(limit=1000))[0] == before
    repo.close()


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _run_cli(tmp_path, *args) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(WIREWATCH_DATA_DIR=str(tmp_path / "data"), WIREWATCH_STORE_API_PORT="0", PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "services.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for(proc: subprocess.Popen, needle: str, timeout: float = 60) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"{needle!r} not seen; output:\n{''.join(seen)}")


def test_run_stops_cleanly_on_sigint(tmp_path):
    proc = _run_cli(tmp_path, "run")
    try:
        _wait_for(proc, "ingest: polled")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
        assert "Traceback" not in out
    finally:
        proc.kill()


def test_run_exits_with_a_clear_message_when_the_broker_dies(tmp_path):
    proc = _run_cli(tmp_path, "run")
    try:
        _wait_for(proc, "running; press Ctrl-C")
        brokers = [p for p in _children(proc.pid) if "tansu" in Path(f"/proc/{p}/cmdline").read_text()]
        assert len(brokers) == 1
        os.kill(brokers[0], signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == EXIT_BROKER_DIED, out
        assert "embedded Kafka broker exited unexpectedly" in out
        assert "Traceback" not in out
        assert out.count("\n") < 60, out  # a message, not a wall of reconnect errors
    finally:
        proc.kill()


def test_a_worker_that_fails_first_still_reports_the_broker_death():
    # A client sees "connection refused" before the watchdog's next poll; the cause must stay the broker.
    from services.common.broker import EmbeddedBroker

    pipeline = Pipeline(RunOptions())
    pipeline.broker = EmbeddedBroker().start()
    try:
        pipeline.broker.process.kill()
        pipeline._worker_failed("extract")
        assert pipeline.stop.is_set()
        assert pipeline.fatal and "broker exited unexpectedly" in pipeline.fatal
    finally:
        pipeline.broker.stop()


def test_a_worker_failure_with_the_broker_alive_is_not_a_broker_death(broker):
    pipeline = Pipeline(RunOptions())
    pipeline.broker = broker
    pipeline._worker_failed("extract")
    assert pipeline.stop.is_set() and pipeline.fatal is None
