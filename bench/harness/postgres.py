"""A private PostgreSQL server for the harness, started from the Debian binaries.

``PrivatePostgres`` runs ``initdb`` into a temporary directory, then ``pg_ctl`` on a free loopback
port with trust authentication. ``stop()`` and ``start()`` can be called at any time (the data
directory survives), which is how the fault scenarios take the database away from ingest and store.
Guarantee: it listens on 127.0.0.1 only, and ``close()`` stops it and deletes its files.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from services.common.net import free_port


class PostgresError(RuntimeError):
    """The private server could not be created, started or stopped."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise PostgresError("no PostgreSQL binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return Path(found[-1]).parent


class PrivatePostgres:
    """One throw-away PostgreSQL cluster on 127.0.0.1:<free port>. Use as a context manager."""

    def __init__(self, databases: tuple[str, ...] = ("ingest", "store")) -> None:
        self.bin = _bin_dir()
        self.port = free_port()
        self.databases = databases
        self.root = Path(tempfile.mkdtemp(prefix="wirewatch-pg-"))
        self.data = self.root / "data"
        self._as_postgres = os.geteuid() == 0  # initdb refuses to run as root

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        if done.returncode != 0:
            raise PostgresError(f"{args[0]} failed ({done.returncode}): {done.stderr[-1000:]}")
        return done

    def create(self) -> PrivatePostgres:
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C.UTF-8")
        self.start()
        for name in self.databases:
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                   "-c max_connections=100 -c synchronous_commit=off")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "-t", "30",
                  "start")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server: ``immediate`` is a crash (no checkpoint); ``fast`` a clean shutdown."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def close(self) -> None:
        if self.running():
            try:
                self.stop("fast")
            except PostgresError:
                time.sleep(0.5)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        return self.create()

    def __exit__(self, *exc) -> None:
        self.close()
