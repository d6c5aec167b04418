"""Supervised processes: the three services as ``wirewatch ingest|extract|store`` subprocesses, and
the broker (Tansu, as ``services.common.broker`` starts it), each of which the harness can kill,
freeze, thaw and restart.

Guarantees: every process runs in its own session (a signal reaches it alone, a ``kill -9`` takes
its worker processes with it), its output goes to a log file the harness can quote, and CPU
seconds and resident memory are read from /proc for the whole process tree.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Usage:
    """CPU seconds (user + system) and resident set size of a process and its descendants."""

    cpu_s: float
    rss_mb: float


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_usage(pid: int) -> Usage:
    """Usage of ``pid`` and everything under it (0 for processes that are gone)."""
    tree, todo, cpu, rss = _children(), [pid], 0.0, 0.0
    while todo:
        p = todo.pop()
        todo.extend(tree.get(p, []))
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
            rss += int(fields[21]) * PAGE_KB / 1024
    return Usage(cpu, rss)


class ServiceProcess:
    """``wirewatch <name>`` with ``env``; ``start`` again after a kill restarts it."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name, self.env = name, env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.peak_rss_mb = 0.0
        self.cpu_s_done = 0.0  # CPU of earlier incarnations (a restart starts from zero)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> ServiceProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "services.cli", self.name], cwd=ROOT,
                                        env={**os.environ, **self.env}, stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.starts += 1
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def sample(self) -> Usage:
        """Current usage; also keeps the peak RSS seen."""
        if not self.alive():
            return Usage(self.cpu_s_done, 0.0)
        usage = tree_usage(self.pid)
        self.peak_rss_mb = max(self.peak_rss_mb, usage.rss_mb)
        return Usage(self.cpu_s_done + usage.cpu_s, usage.rss_mb)

    def kill(self) -> None:
        """``kill -9`` of the whole process group (the service and its workers), then reap it."""
        if self.alive():
            self.cpu_s_done = self.sample().cpu_s
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            assert self.process is not None
            self.process.wait(timeout=30)

    def restart(self) -> None:
        self.kill()
        self.start()

    def terminate(self, grace_s: float) -> tuple[int | None, float]:
        """SIGTERM, then wait up to ``grace_s``: (exit code or None if it did not exit, seconds taken).
        A process still running after the grace period is killed."""
        assert self.process is not None
        self.cpu_s_done = self.sample().cpu_s
        t0 = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            code = None
            self.kill()
        return code, time.monotonic() - t0

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def freeze(pid: int) -> None:
    """SIGSTOP: the process keeps its sockets open and answers nothing."""
    os.kill(pid, signal.SIGSTOP)


def thaw(pid: int) -> None:
    os.kill(pid, signal.SIGCONT)
