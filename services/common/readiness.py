"""Readiness computed in the background, so that ``/readyz`` answers at once, whatever hangs.

A ``ReadinessMonitor`` runs every registered check on its own thread, once a second by default,
and waits at most ``timeout_s`` for it: a check that has not answered by then reads "timeout"
(not ready) until it does, and is never started a second time while the first attempt hangs, so
a frozen dependency costs one thread, not one per probe. ``report()`` only reads the last
results, each with its age; a result older than a few rounds reads "stale" (the monitor itself
has stopped), so an old "ok" is never served as fresh.

The check functions of the services live here too (``broker_check``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from services.common.settings import CommonSettings

log = logging.getLogger(__name__)

Check = Callable[[], None]  # raises when the dependency is not usable

CHECK_INTERVAL_S = 1.0
CHECK_TIMEOUT_S = 1.5
FIRST_RESULT_WAIT_S = 1.0  # how long a probe waits, right after start, for the first results


class CheckStatus(StrEnum):
    OK = "ok"
    FAILING = "failing"
    TIMEOUT = "timeout"
    PENDING = "pending"
    STALE = "stale"


@dataclass(frozen=True)
class CheckResult:
    """One check's last outcome; ``at`` is ``time.monotonic()`` when it was recorded."""

    status: CheckStatus
    detail: str = ""
    at: float = 0.0
    duration_s: float = 0.0


@dataclass(frozen=True)
class CheckView:
    """What ``/readyz`` says about one check."""

    status: CheckStatus
    detail: str
    age_s: float | None
    duration_s: float

    def as_json(self) -> dict:
        return {"status": self.status.value, "detail": self.detail,
                "age_s": None if self.age_s is None else round(self.age_s, 2),
                "duration_s": round(self.duration_s, 3)}


@dataclass(frozen=True)
class ReadinessReport:
    ok: bool
    checks: dict[str, CheckView]

    def as_json(self) -> dict:
        return {"ok": self.ok, "checks": {name: view.as_json() for name, view in self.checks.items()}}


@dataclass(eq=False)  # compared by identity: one slot per registered check
class _Slot:
    check: Check
    result: CheckResult | None = None
    attempt: threading.Thread | None = None
    started_at: float = 0.0


class ReadinessMonitor:
    """Runs checks in the background with a bounded wait each; serves their last results."""

    def __init__(self, interval_s: float = CHECK_INTERVAL_S, timeout_s: float = CHECK_TIMEOUT_S) -> None:
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self._slots: dict[str, _Slot] = {}
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stale_after_s(self) -> float:
        return 3 * (self.interval_s + self.timeout_s)

    def add(self, name: str, check: Check) -> None:
        """Register ``check`` (replacing one of the same name) and start the monitor if needed."""
        with self._changed:
            self._slots[name] = _Slot(check)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="readiness", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def close(self) -> None:
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_s + self.timeout_s + 1)

    def report(self, wait_s: float = FIRST_RESULT_WAIT_S) -> ReadinessReport:
        """The last results; waits up to ``wait_s`` only for checks that have never finished."""
        deadline = time.monotonic() + wait_s
        with self._changed:
            while any(s.result is None for s in self._slots.values()) and not self._stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            slots = dict(self._slots)
        now = time.monotonic()
        views = {name: self._view(slot, now) for name, slot in slots.items()}
        return ReadinessReport(all(v.status is CheckStatus.OK for v in views.values()), views)

    def _view(self, slot: _Slot, now: float) -> CheckView:
        result = slot.result
        if result is None:
            return CheckView(CheckStatus.PENDING, "no result yet", None, 0.0)
        age = now - result.at
        if age > self.stale_after_s:
            return CheckView(CheckStatus.STALE, f"last result ({result.status.value}) is {age:.0f}s old",
                             age, result.duration_s)
        return CheckView(result.status, result.detail, age, result.duration_s)

    # -- the background thread -------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_round()
            self._stop.wait(self.interval_s)

    def run_round(self) -> None:
        """Start every check not already running, wait up to ``timeout_s``, mark the late ones."""
        with self._changed:
            slots = list(self._slots.values())
        attempts: list[tuple[_Slot, threading.Thread]] = []
        for slot in slots:
            attempt = slot.attempt
            if attempt is None or not attempt.is_alive():
                slot.started_at = time.monotonic()
                attempt = threading.Thread(target=self._attempt, args=(slot,), name="readiness-check", daemon=True)
                slot.attempt = attempt
                attempt.start()
            attempts.append((slot, attempt))
        deadline = time.monotonic() + self.timeout_s
        for _, attempt in attempts:
            attempt.join(max(0.0, deadline - time.monotonic()))
        now = time.monotonic()
        late = [slot for slot, attempt in attempts if attempt.is_alive()]
        with self._changed:
            for name, slot in self._slots.items():
                if any(slot is s for s in late):
                    running = now - slot.started_at
                    self._record(name, slot, CheckResult(CheckStatus.TIMEOUT, f"no answer after {running:.1f}s",
                                                         now, running))

    def _attempt(self, slot: _Slot) -> None:
        started = time.monotonic()
        try:
            slot.check()
            status, detail = CheckStatus.OK, ""
        except Exception as exc:  # any failure of the dependency is "not ready", with its reason
            status, detail = CheckStatus.FAILING, f"{type(exc).__name__}: {exc}"[:300]
        finished = time.monotonic()
        with self._changed:
            name = next((n for n, s in self._slots.items() if s is slot), None)
            if name is not None:  # else replaced by a newer check of the same name meanwhile
                self._record(name, slot, CheckResult(status, detail, finished, finished - started))

    def _record(self, name: str, slot: _Slot, result: CheckResult) -> None:
        """Store ``result`` (under the lock) and log when the check turns not ready or ready again."""
        was_ok = slot.result is not None and slot.result.status is CheckStatus.OK
        if result.status is CheckStatus.OK and slot.result is not None and not was_ok:
            log.info("readiness: %s is ok again", name)
        elif result.status is not CheckStatus.OK and (was_ok or slot.result is None):
            log.warning("readiness: %s is not ready (%s: %s)", name, result.status.value, result.detail)
        slot.result = result
        self._changed.notify_all()


def broker_check(settings: CommonSettings, timeout_s: float = CHECK_TIMEOUT_S) -> Check:
    """A check that the Kafka cluster answers a metadata request.

    kafka-python 3.x bounds the admin client's bootstrap by ``bootstrap_timeout_ms`` (not by
    ``request_timeout_ms``, which only bounds requests after it); both are set to the check's
    budget, and the monitor stops waiting at the same deadline whatever the client does.
    """
    from services.common.kafka import client_config

    budget_ms = max(1, int(timeout_s * 1000))

    def check() -> None:
        from kafka import KafkaAdminClient

        admin = KafkaAdminClient(**client_config(settings, "readyz"), request_timeout_ms=budget_ms,
                                 bootstrap_timeout_ms=budget_ms)
        try:
            admin.list_topics()
        finally:
            admin.close()

    return check
