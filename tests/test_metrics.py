"""The metrics every service shares: one build-info and one consumer-lag gauge per registry,
however many services in the process ask for them."""

from __future__ import annotations

import platform
from importlib import metadata

from prometheus_client import CollectorRegistry

from services.common.metrics import BuildInfo, export_build_info, for_registry


def _build_samples(registry) -> list[dict]:
    return [s.labels | {"value": s.value} for m in registry.collect() if m.name == "wirewatch_build_info"
            for s in m.samples]


def test_one_set_of_shared_metrics_per_registry():
    one, two = CollectorRegistry(), CollectorRegistry()
    assert for_registry(one) is for_registry(one)
    assert for_registry(one) is not for_registry(two)


def test_build_info_says_version_commit_and_python_once():
    registry = CollectorRegistry()
    export_build_info(registry, None)
    export_build_info(registry, "abc123")  # a second service in the same process
    assert _build_samples(registry) == [{"version": metadata.version("wirewatch"), "commit": "abc123",
                                         "python": platform.python_version(), "value": 1.0}]


def test_an_unknown_commit_is_said_so():
    assert BuildInfo.current(None).commit == "unknown"


def test_every_service_exports_build_info(kafka_settings):
    from services.common.ops import Health
    from services.extract import app as extract_app
    from services.extract.settings import ExtractSettings
    from services.ingest import app as ingest_app
    from services.ingest.settings import IngestSettings
    from services.store import app as store_app
    from services.store.settings import StoreSettings

    builds = {"ingest": lambda r: ingest_app.build(IngestSettings(build_commit="c0ffee"), r, Health(), feeds=[]),
              "extract": lambda r: extract_app.build(ExtractSettings(build_commit="c0ffee"), r, Health()),
              "store": lambda r: store_app.build(StoreSettings(build_commit="c0ffee"), r, Health())}
    for name, build in builds.items():
        registry = CollectorRegistry()
        app = build(registry)
        try:
            assert [s["commit"] for s in _build_samples(registry)] == ["c0ffee"], name
        finally:
            app.close()
