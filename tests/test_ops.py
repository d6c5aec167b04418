"""Health and the ops endpoints: liveness from heartbeats, readiness that answers at once."""

from __future__ import annotations

import threading
import time

import pytest
from prometheus_client import CollectorRegistry, Counter
from starlette.testclient import TestClient

from services.common.ops import Health, ops_app


@pytest.fixture
def health():
    h = Health(liveness_timeout_s=60, check_interval_s=0.05, check_timeout_s=0.3)
    yield h
    h.close()


def client(health: Health, registry: CollectorRegistry | None = None) -> TestClient:
    return TestClient(ops_app(health, registry or CollectorRegistry()))


def test_liveness_follows_the_loops_heartbeats():
    health = Health(liveness_timeout_s=0.2)
    assert health.liveness() == (True, {"loops": {}})
    health.beat("extract")
    assert health.liveness()[0] is True
    time.sleep(0.3)
    ok, body = health.liveness()
    assert not ok and body["loops"]["extract"] >= 0.2
    health.beat("extract")
    assert client(health).get("/healthz").status_code == 200


def test_readyz_reports_each_check_with_its_status_detail_and_age(health):
    health.add_check("database", lambda: None)

    def broker() -> None:
        raise ConnectionError("no broker on 127.0.0.1:9")

    health.add_check("broker", broker)
    res = client(health).get("/readyz")
    assert res.status_code == 503
    body = res.json()
    assert body["ok"] is False
    assert body["checks"]["database"]["status"] == "ok" and body["checks"]["database"]["detail"] == ""
    assert body["checks"]["broker"]["status"] == "failing"
    assert body["checks"]["broker"]["detail"] == "ConnectionError: no broker on 127.0.0.1:9"
    assert all(0 <= c["age_s"] < 5 for c in body["checks"].values())


def test_readyz_with_passing_checks_is_200(health):
    health.add_check("database", lambda: None)
    res = client(health).get("/readyz")
    assert res.status_code == 200 and res.json()["checks"]["database"]["status"] == "ok"
    assert client(Health()).get("/readyz").json() == {"ok": True, "checks": {}}


def test_a_hanging_check_reads_timeout_at_once_and_recovers(health):
    release = threading.Event()
    calls = []

    def hangs() -> None:
        calls.append(1)
        if not release.is_set():
            release.wait(30)

    health.add_check("broker", hangs)
    c = client(health)
    answers = []
    for _ in range(5):
        started = time.monotonic()
        res = c.get("/readyz")
        answers.append((time.monotonic() - started, res.status_code, res.json()["checks"]["broker"]["status"]))
        time.sleep(0.2)
    assert all(took < 2 for took, _, _ in answers), answers
    assert [code for _, code, _ in answers] == [503] * 5
    assert answers[-1][2] == "timeout"
    assert len(calls) == 1  # never started again while the first attempt hangs
    release.set()
    deadline = time.monotonic() + 10
    while c.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "readiness did not recover after the check answered"
        time.sleep(0.05)


def test_results_go_stale_when_the_checks_stop_running(health):
    health.add_check("database", lambda: None)
    assert health.readiness().ok
    health.close()
    time.sleep(3 * (0.05 + 0.3) + 0.2)
    report = health.readiness()
    assert not report.ok and report.checks["database"].status == "stale"


def test_metrics_serve_the_process_registry():
    registry = CollectorRegistry()
    Counter("wirewatch_test_things_total", "things", registry=registry).inc(3)
    body = client(Health(), registry).get("/metrics").text
    assert "wirewatch_test_things_total 3.0" in body


def test_metrics_carry_each_readiness_checks_last_result(health):
    broken = threading.Event()

    def broker() -> None:
        if broken.is_set():
            raise ConnectionError("broker away")

    health.add_check("broker", broker)
    health.add_check("database", lambda: None)
    time.sleep(0.2)
    c = client(health)
    body = c.get("/metrics").text
    assert 'wirewatch_readiness_check_ok{check="broker"} 1.0' in body
    assert 'wirewatch_readiness_check_ok{check="database"} 1.0' in body
    broken.set()
    time.sleep(0.3)
    assert 'wirewatch_readiness_check_ok{check="broker"} 0.0' in c.get("/metrics").text
