"""The readiness monitor and the broker check, against a real broker that is frozen and thawed."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx

from services.common.net import free_port
from services.common.ops import Health, HttpServer, ops_app
from services.common.readiness import (
    CHECK_INTERVAL_S,
    CHECK_TIMEOUT_S,
    CheckStatus,
    ReadinessMonitor,
    broker_check,
)
from services.common.settings import CommonSettings


def test_a_check_that_never_finished_is_pending_not_ok():
    started = threading.Event()
    monitor = ReadinessMonitor(interval_s=0.05, timeout_s=5)
    monitor.add("slow", lambda: started.set() or time.sleep(0.5))
    started.wait(2)
    report = monitor.report(wait_s=0)
    assert not report.ok and report.checks["slow"].status is CheckStatus.PENDING
    assert monitor.report(wait_s=3).checks["slow"].status is CheckStatus.OK  # waits for the first result
    monitor.close()


def test_a_failing_check_does_not_hold_back_the_others():
    monitor = ReadinessMonitor(interval_s=0.05, timeout_s=0.2)
    monitor.add("hangs", lambda: time.sleep(30))
    monitor.add("fine", lambda: None)
    report = monitor.report(wait_s=2)
    assert report.checks["fine"].status is CheckStatus.OK
    assert report.checks["hangs"].status is CheckStatus.TIMEOUT and not report.ok
    monitor.close()


def test_the_broker_check_passes_and_fails_with_the_broker(broker):
    check = broker_check(CommonSettings(kafka_bootstrap=broker.bootstrap))
    check()  # raises if the broker does not answer
    dead = broker_check(CommonSettings(kafka_bootstrap=f"127.0.0.1:{free_port()}"), timeout_s=0.5)
    started = time.monotonic()
    try:
        dead()
        raise AssertionError("a broker that is not there passed the check")
    except Exception as exc:
        assert not isinstance(exc, AssertionError), exc
    assert time.monotonic() - started < 5  # bounded by the check's budget, not the client's 30 s default


def _readyz(url: str) -> tuple[float, int, dict]:
    started = time.monotonic()
    res = httpx.get(f"{url}/readyz", timeout=5)
    return time.monotonic() - started, res.status_code, res.json()


def test_readyz_answers_not_ready_at_once_while_the_broker_is_frozen(broker):
    health = Health()
    health.add_check("broker", broker_check(CommonSettings(kafka_bootstrap=broker.bootstrap)))
    server = HttpServer(ops_app(health, _registry()), "127.0.0.1", 0).start()
    pid = broker.process.pid
    try:
        assert _readyz(server.url)[1] == 200
        os.kill(pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        frozen, noticed_after = [], None
        while len(frozen) < 5 and time.monotonic() < frozen_at + 15:
            took, code, body = _readyz(server.url)
            assert took < 2, f"/readyz took {took:.1f}s while the broker was frozen"
            if code == 503:
                noticed_after = noticed_after or time.monotonic() - frozen_at
                frozen.append(body["checks"]["broker"])
            time.sleep(0.3)
        assert len(frozen) == 5, "/readyz never said 'not ready' while the broker was frozen"
        # one round's interval plus one check's budget, with room for a loaded machine
        assert noticed_after < 2 * (CHECK_INTERVAL_S + CHECK_TIMEOUT_S), noticed_after
        # the monitor stops waiting ("timeout") or the client gives up within the same budget ("failing")
        assert all(c["status"] in ("timeout", "failing") and c["age_s"] < 5 for c in frozen), frozen
    finally:
        os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + 30
    while _readyz(server.url)[1] != 200:
        assert time.monotonic() < deadline, "/readyz did not recover after the broker was thawed"
        time.sleep(0.2)
    server.stop()
    health.close()


def _registry():
    from prometheus_client import CollectorRegistry

    return CollectorRegistry()
