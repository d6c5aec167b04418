"""Calls with a deadline that really stops runaway work: the call runs in a worker process, and a
call over its budget gets the process killed (SIGKILL) and replaced.

A thread cannot be stopped, and a cooperative budget holds only where the code checks it (a
regular expression backtracking in C never does); a process can always be killed. The worker is
started with ``spawn`` (a fresh interpreter: forking a process that runs Kafka client threads
could copy a lock another thread held), so the target must be picklable, and it is sent once,
when the worker starts. A killed worker's replacement starts on the next call. ``start`` launches
the worker ahead of the first call; with ``warm`` a worker runs the target's ``warm()`` first, so
that the first call finds loaded what the target would load lazily.
"""

from __future__ import annotations

import logging
import multiprocessing
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 120.0  # a fresh interpreter importing the extractor, on a busy machine


class DeadlineExceeded(Exception):
    """The call took longer than its budget; the worker running it was killed."""

    kind = "timeout"


class WorkerFailed(RuntimeError):
    """The call raised in the worker (``error_type`` is the exception's class name), or the worker died."""

    kind = "worker_error"

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type


def _serve(target: Callable[[Any], Any], conn: Connection, warm: bool) -> None:
    hook = getattr(target, "warm", None)
    if warm and callable(hook):  # whatever the target loads lazily, loaded before the first call, not during it
        hook()
    conn.send(("ready", None))
    while True:
        try:
            arg = conn.recv()
        except (EOFError, ConnectionError):  # the parent went away (a reset: it closed with our "ready" unread)
            return
        try:
            conn.send(("ok", target(arg)))
        except Exception as exc:
            conn.send(("error", (type(exc).__name__, str(exc)[:4000])))


class DeadlineWorker:
    """``call(arg)`` returns ``target(arg)`` computed in the worker process within ``budget_s``
    seconds, or raises ``DeadlineExceeded`` (the worker is killed) or ``WorkerFailed``. Calls are
    one at a time; the budget counts the call only, not the worker's start."""

    def __init__(self, target: Callable[[Any], Any], budget_s: float, name: str = "deadline-worker",
                 warm: bool = False) -> None:
        self.target = target
        self.warm = warm  # each worker runs the target's ``warm()`` before it reports ready
        self.budget_s = budget_s
        self.name = name
        self._ctx = multiprocessing.get_context("spawn")
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._launched: tuple[multiprocessing.process.BaseProcess, Connection] | None = None  # started, not ready yet
        self.restarts = 0

    def start(self) -> None:
        """Start the worker now, without waiting for it: it imports the target (and, with ``warm``, runs
        its ``warm()``) while the caller goes on; the first call waits for it to be ready."""
        if self._launched is None and self._conn is None:
            parent, child = self._ctx.Pipe()
            process = self._ctx.Process(target=_serve, args=(self.target, child, self.warm), name=self.name, daemon=True)
            process.start()
            child.close()
            weakref.finalize(self, process.kill)  # a handler dropped without close() leaves no process behind
            self._launched = (process, parent)

    def _ready(self) -> Connection:
        self.start()
        assert self._launched is not None
        process, parent = self._launched
        self._launched = None
        if not parent.poll(STARTUP_TIMEOUT_S):
            process.kill()
            raise WorkerFailed("StartupTimeout", f"{self.name} did not start within {STARTUP_TIMEOUT_S:.0f}s")
        try:
            parent.recv()
        except EOFError as exc:
            raise WorkerFailed("StartupFailed", f"{self.name} exited during start-up") from exc
        self._process, self._conn = process, parent
        return parent

    def call(self, arg: Any) -> Any:
        conn = self._conn if self._conn is not None else self._ready()
        conn.send(arg)
        if not conn.poll(self.budget_s):
            self._kill()
            raise DeadlineExceeded(f"took longer than {self.budget_s:g}s; the worker was stopped")
        try:
            status, value = conn.recv()
        except EOFError as exc:  # killed from outside, out of memory...
            self._kill()
            raise WorkerFailed("WorkerDied", f"{self.name} exited during the call") from exc
        if status == "error":
            raise WorkerFailed(*value)
        return value

    def _kill(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        self.restarts += 1
        if conn is not None:
            conn.close()
        if process is not None:
            process.kill()
            process.join(5)

    def close(self) -> None:
        """Stop the worker, if one is running."""
        if self._launched is not None:  # started, never called
            process, parent = self._launched
            self._launched = None
            process.kill()
            process.join(5)
            parent.close()
        if self._process is not None:
            self._kill()
            self.restarts -= 1  # closing is not a restart
