"""A call with a deadline in a worker process: over its budget the worker is killed (a busy loop
that never yields is stopped), the next call gets a fresh worker, and errors come back typed."""

from __future__ import annotations

import pytest

from services.common.deadline import DeadlineExceeded, DeadlineWorker, WorkerFailed


def spin_or_echo(arg):
    """Module-level, so the spawned worker can import it."""
    if arg == "spin":
        while True:  # runaway work that never checks a budget
            pass
    if arg == "fail":
        raise ValueError("bad input")
    return arg * 2


def test_a_call_within_its_budget_returns_the_result():
    worker = DeadlineWorker(spin_or_echo, budget_s=20)
    try:
        assert worker.call(21) == 42 and worker.call("ab") == "abab"
        assert worker.restarts == 0
    finally:
        worker.close()


def test_runaway_work_is_stopped_and_the_next_call_gets_a_fresh_worker():
    worker = DeadlineWorker(spin_or_echo, budget_s=1.0)
    try:
        worker.call(1)  # started: the budget counts the call, not the start
        first = worker._process
        with pytest.raises(DeadlineExceeded) as info:
            worker.call("spin")
        assert info.value.kind == "timeout" and worker.restarts == 1
        assert not first.is_alive()  # killed, not left spinning
        worker.budget_s = 60
        assert worker.call(2) == 4
    finally:
        worker.close()


def test_an_error_in_the_worker_comes_back_with_its_type():
    worker = DeadlineWorker(spin_or_echo, budget_s=20)
    try:
        with pytest.raises(WorkerFailed) as info:
            worker.call("fail")
        assert info.value.error_type == "ValueError" and "bad input" in str(info.value)
        assert worker.call(3) == 6 and worker.restarts == 0  # the worker survives an ordinary error
    finally:
        worker.close()


class Warmed:
    """A target whose ``warm()`` the worker runs before it reports ready (module-level: picklable)."""

    def warm(self) -> None:
        import os

        os.environ["WARMED_IN_WORKER"] = "yes"

    def __call__(self, arg):
        import os

        return os.environ.get("WARMED_IN_WORKER", "no")


@pytest.mark.parametrize("warm", [True, False])
def test_a_started_worker_warms_its_target_before_the_first_call_only_when_asked(warm):
    import time

    worker = DeadlineWorker(Warmed(), budget_s=20, warm=warm)
    try:
        t0 = time.monotonic()
        worker.start()  # launches the worker and returns: the first call waits for it
        assert time.monotonic() - t0 < 1.0
        assert worker.call(None) == ("yes" if warm else "no") and worker.restarts == 0
    finally:
        worker.close()


def test_a_started_worker_never_called_is_stopped_by_close():
    worker = DeadlineWorker(spin_or_echo, budget_s=20)
    worker.start()
    process = worker._launched[0]
    worker.close()
    assert not process.is_alive() and worker.restarts == 0
