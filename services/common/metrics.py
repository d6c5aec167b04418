"""Metrics every service exports the same way, whatever registry it shares: build info, the
consumer-lag gauge and the readiness checks' results.

``wirewatch run`` puts the three services in one registry while `wirewatch ingest|extract|store`
give each its own, so these are made once per registry (``for_registry``) and handed to whoever
asks for them again; a second ``Gauge`` of the same name in one registry would be refused.
"""

from __future__ import annotations

import platform
import threading
import weakref
from dataclasses import dataclass
from importlib import metadata

from prometheus_client import CollectorRegistry, Counter, Gauge

from .readiness import CheckStatus, ReadinessReport

UNKNOWN = "unknown"


@dataclass(frozen=True)
class BuildInfo:
    """What is running: the package version, the source commit (the image's ``REVISION``) and Python."""

    version: str
    commit: str
    python: str

    @classmethod
    def current(cls, commit: str | None = None) -> BuildInfo:
        try:
            version = metadata.version("wirewatch")
        except metadata.PackageNotFoundError:  # run from a source tree that was never installed
            version = UNKNOWN
        return cls(version=version, commit=commit or UNKNOWN, python=platform.python_version())


class SharedMetrics:
    """The registry's one ``wirewatch_build_info`` (always 1, the labels say what runs), its one
    ``wirewatch_kafka_consumer_lag`` (records a group has yet to commit, per partition) and its one
    ``wirewatch_readiness_check_ok`` (1 when a /readyz check passed on its last run, else 0) and its one
    ``wirewatch_kafka_commit_failures_total`` (offset commits that failed and are retried, per group)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.build_info = Gauge("wirewatch_build_info", "Always 1; the labels say which build is running",
                                ["version", "commit", "python"], registry=registry)
        self.consumer_lag = Gauge("wirewatch_kafka_consumer_lag",
                                  "Records in a partition after the group's committed position (end offset - "
                                  "committed), refreshed by the consume loop", ["group", "topic", "partition"],
                                  registry=registry)
        self.commit_failures = Counter("wirewatch_kafka_commit_failures_total",
                                       "Offset commits that failed because the broker was unreachable or slow; "
                                       "the offsets are retried with the next commit", ["group"],
                                       registry=registry)
        self.readiness = Gauge("wirewatch_readiness_check_ok",
                               "1 when the readiness check (broker, database) passed on its last run, else 0",
                               ["check"], registry=registry)

    def set_readiness(self, report: ReadinessReport) -> None:
        """Export the checks' last results (the /metrics handler calls it before each scrape)."""
        for name, view in report.checks.items():
            self.readiness.labels(check=name).set(1 if view.status is CheckStatus.OK else 0)

    def set_build(self, info: BuildInfo) -> None:
        """Export ``info`` (the last one set: one build runs in a process)."""
        self.build_info.clear()
        self.build_info.labels(version=info.version, commit=info.commit, python=info.python).set(1)


_LOCK = threading.Lock()
_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, SharedMetrics] = weakref.WeakKeyDictionary()


def for_registry(registry: CollectorRegistry) -> SharedMetrics:
    """The registry's shared metrics, made on first use."""
    with _LOCK:
        shared = _BY_REGISTRY.get(registry)
        if shared is None:
            shared = _BY_REGISTRY[registry] = SharedMetrics(registry)
        return shared


def export_build_info(registry: CollectorRegistry, commit: str | None = None) -> BuildInfo:
    """Export ``wirewatch_build_info`` in ``registry`` (each service's ``build`` calls it)."""
    info = BuildInfo.current(commit)
    for_registry(registry).set_build(info)
    return info
