"""One run of the production shape: broker, private PostgreSQL (or SQLite), the replay feed server
and ``wirewatch ingest``, ``extract`` and ``store`` as processes, from empty topics and databases.

Guarantees: everything listens on 127.0.0.1; ``wait_quiet`` returns only when every item is in its
feed, nothing new reached the stories topic for a while, both consumer groups have no lag and the
store's digest stopped changing, or raises ``RunStuck`` at its deadline; ``close`` stops every
process it started and deletes the run's files.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.common.broker import EmbeddedBroker
from services.common.contracts import STORIES_TOPIC
from services.common.kafka import ensure_topics
from services.common.net import free_port
from services.common.settings import CommonSettings
from services.ingest.feeds import Feed, dump_feeds
from services.store.service import STORE_TOPICS

from .digest import StoreDigest, consumer_lag, end_offsets, store_digest
from .postgres import PrivatePostgres
from .processes import ServiceProcess
from .replay import OUTLETS, ArchiveItem, ReplayServer

log = logging.getLogger("harness")
SERVICES = ("ingest", "extract", "store")
GROUPS = {"extract": ("wirewatch-extract", (STORIES_TOPIC,)), "store": ("wirewatch-store", STORE_TOPICS)}


class RunStuck(RuntimeError):
    """The pipeline did not go quiet before the deadline (a partition stuck, a service dead)."""


@dataclass
class RunConfig:
    items: list[ArchiveItem]
    duration_s: float = 10.0  # real seconds over which the items are published (0: all at once)
    database: str = "postgres"  # or "sqlite"
    poll_interval_s: float = 1.0
    partitions: int = 4
    window: int | None = None  # items per feed (ingest takes as many); None: every item, for short runs
    # the replay server's port, the same for every run of a config: it is part of each item's URL,
    # hence of its story id and of every stored row
    replay_port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    keep_logs: Path | None = None  # where ``close`` copies each run's service logs (to diagnose a failure)


class _PollsAfter:
    """Whether ingest polled every feed again (``needed`` polls) since every item was in its feed;
    a restarted ingest counts from zero, so a drop in its counter starts the count again."""

    def __init__(self, needed: int) -> None:
        self.needed = needed
        self.base: int | None = None
        self.last = 0
        self.done = False

    def see(self, polls: int | None) -> None:
        if polls is None:
            return
        if self.base is None or polls < self.last:
            self.base = polls
        self.last = polls
        self.done = self.done or polls >= self.base + self.needed


class Pipeline:
    def __init__(self, config: RunConfig, label: str = "run") -> None:
        self.config = config
        self.label = label  # the name of the run's log folder under ``config.keep_logs``
        self.root = Path(tempfile.mkdtemp(prefix="wirewatch-harness-"))
        span = (config.items[-1].published - config.items[0].published).total_seconds() if config.items else 0
        speed = span / config.duration_s if config.duration_s > 0 and span > 0 else None
        self.replay = ReplayServer(config.items, speed=speed, window=config.window or max(200, len(config.items)),
                                   port=config.replay_port)
        self.broker = EmbeddedBroker()
        self.postgres: PrivatePostgres | None = PrivatePostgres() if config.database == "postgres" else None
        self.api_port = free_port()
        self.services: dict[str, ServiceProcess] = {}
        self.last_error = ""  # why the state was last unreadable

    # --- set-up -------------------------------------------------------------------------------
    def start(self) -> Pipeline:
        self.broker.start()
        if self.postgres:
            self.postgres.create()
        self.replay.start()
        feeds_file = self.root / "feeds.yaml"
        dump_feeds([Feed(id=f, url=self.replay.feed_url(f), outlet=OUTLETS[f], interval_s=self.config.poll_interval_s)
                    for f in sorted(self.replay.by_feed) if f in OUTLETS], feeds_file)
        env = self._env(feeds_file)
        ensure_topics(CommonSettings(kafka_bootstrap=self.broker.bootstrap, kafka_partitions=self.config.partitions))
        self.ops_ports = {name: free_port() for name in SERVICES}
        for name in SERVICES:
            port = self.api_port if name == "store" else self.ops_ports[name]
            self.services[name] = ServiceProcess(name, {**env, "WIREWATCH_OPS_PORT": str(port)}, self.root)
        for name in ("store", "extract"):  # consumers first, so that no story waits for a group join
            self.services[name].start()
        self.replay.clock.go()
        self.services["ingest"].start()
        return self

    def _env(self, feeds_file: Path) -> dict[str, str]:
        c = self.config
        env = {
            "WIREWATCH_KAFKA_BOOTSTRAP": self.broker.bootstrap, "WIREWATCH_DATA_DIR": str(self.root / "data"),
            "WIREWATCH_LOG_LEVEL": "WARNING", "WIREWATCH_KAFKA_PARTITIONS": str(c.partitions),
            "WIREWATCH_KAFKA_SESSION_TIMEOUT_MS": "6000", "WIREWATCH_KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
            "WIREWATCH_INGEST_FEEDS_FILE": str(feeds_file), "WIREWATCH_INGEST_ALLOWED_HOSTS": self.replay.netloc,
            "WIREWATCH_INGEST_POLL_INTERVAL_S": str(c.poll_interval_s),
            "WIREWATCH_INGEST_MIN_INTERVAL_S": str(c.poll_interval_s),
            "WIREWATCH_INGEST_MAX_INTERVAL_S": str(c.poll_interval_s),
            "WIREWATCH_INGEST_MAX_ITEMS_PER_FEED": str(self.replay.window),
            # a loaded machine must not turn an article fetch into a timeout and the story into its
            # feed text: the run would differ from the clean one for a reason that is not a fault
            "WIREWATCH_INGEST_READ_TIMEOUT_S": "60", "WIREWATCH_INGEST_TOTAL_TIMEOUT_S": "120",
            # nor the first story after a (re)start, which waits for the worker to load the gazetteer
            "WIREWATCH_EXTRACT_STORY_TIMEOUT_S": "300",
            "WIREWATCH_STORE_API_PORT": str(self.api_port), "WIREWATCH_STORE_WRITE_RETRY_S": "600",
        }
        if self.postgres:
            env["WIREWATCH_INGEST_DATABASE_URL"] = self.postgres.url("ingest")
            env["WIREWATCH_STORE_DATABASE_URL"] = self.postgres.url("store")
        return {**env, **c.extra_env}

    @property
    def store_url(self) -> str:
        if self.postgres:
            return self.postgres.url("store")
        return f"sqlite:///{self.root / 'data' / 'store.db'}"

    # --- observation --------------------------------------------------------------------------
    def digest(self) -> StoreDigest:
        return store_digest(self.store_url)

    def lag(self) -> int:
        return sum(consumer_lag(self.broker.bootstrap, group, topics) for group, topics in GROUPS.values())

    def wait_running(self, name: str, timeout_s: float = 120.0) -> None:
        """Wait until ``name`` answers /healthz (its signal handlers are installed by then)."""
        port = self.api_port if name == "store" else self.ops_ports[name]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2.0).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RunStuck(f"{name} did not answer /healthz within {timeout_s:.0f}s: {self.services[name].log_tail(800)}")

    def ingest_polls(self) -> int | None:
        """Feed polls the running ingest has finished (its ``wirewatch_ingest_polls_total``), or None."""
        try:
            body = httpx.get(f"http://127.0.0.1:{self.ops_ports['ingest']}/metrics", timeout=2.0).text
        except httpx.HTTPError:
            return None
        return int(sum(s.value for fam in text_string_to_metric_families(body)
                       if fam.name == "wirewatch_ingest_polls" for s in fam.samples if s.name.endswith("_total")))

    def sample(self) -> None:
        for svc in self.services.values():
            svc.sample()

    def supervise(self) -> None:
        """Restart a service that died on its own (as Kubernetes would), noting it in the log."""
        for svc in self.services.values():
            if svc.process is not None and not svc.alive():
                log.warning("%s exited with %s; restarting it", svc.name, svc.process.returncode)
                svc.start()

    def wait_quiet(self, timeout_s: float, quiet_s: float | None = None,
                   expected: StoreDigest | None = None) -> StoreDigest:
        """Wait until the pipeline is done with every item (see the module's guarantee); with
        ``expected``, returning as soon as the store equals it and nothing is lagging."""
        quiet_s = quiet_s if quiet_s is not None else 3 * self.config.poll_interval_s + 3
        deadline = time.monotonic() + timeout_s
        last: tuple | None = None
        since = time.monotonic()
        polled = _PollsAfter(2 * len(self.replay.by_feed))
        while time.monotonic() < deadline:
            self.supervise()
            self.sample()
            state = self._state()
            if state is not None and state != last:
                last, since = state, time.monotonic()
            if self.replay.all_visible():
                polled.see(self.ingest_polls())
            if state is not None and state[2] == 0 and polled.done:
                if expected is not None and state[1] == expected:
                    return state[1]
                if time.monotonic() - since >= quiet_s:
                    return state[1]
            time.sleep(0.5)
        raise RunStuck(f"not quiet within {timeout_s:.0f}s: last state {last} ({self.last_error}); logs: "
                       + " | ".join(f"{n}: {s.log_tail(600)}" for n, s in self.services.items()))

    def _state(self) -> tuple | None:
        try:
            return end_offsets(self.broker.bootstrap, STORIES_TOPIC), self.digest(), self.lag()
        except Exception as exc:  # the broker frozen or the database stopped: not quiet yet
            self.last_error = f"{type(exc).__name__}: {exc}"
            return None

    # --- tear-down ----------------------------------------------------------------------------
    def stop_services(self, grace_s: float = 30.0) -> dict[str, tuple[int | None, float]]:
        """SIGTERM every service (ingest first, so that what it published drains): exit codes and times."""
        return {name: self.services[name].terminate(grace_s) for name in SERVICES
                if self.services.get(name) and self.services[name].alive()}

    def close(self) -> None:
        for svc in self.services.values():
            with contextlib.suppress(Exception):
                svc.kill()
        self.replay.stop()
        self.broker.stop()
        if self.postgres:
            self.postgres.close()
        if self.config.keep_logs is not None:
            kept = self.config.keep_logs / self.label
            kept.mkdir(parents=True, exist_ok=True)
            for path in self.root.glob("*.log"):
                shutil.copy(path, kept / path.name)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Pipeline:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc) -> None:
        self.close()
