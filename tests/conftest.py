"""Shared fixtures: a real Tansu broker per test, real SQLite and PostgreSQL databases, the real
data in ../shared, and a local fixture news site. Nothing here talks to anything but loopback."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.broker import EmbeddedBroker
from services.common.kafka import ensure_topics
from services.common.settings import CommonSettings

pytest_plugins = ["tests.loopback_guard"]  # no test reaches beyond loopback

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
POSTGRES_URL = os.environ.get("WIREWATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"{path} is not present (the shared data folder lives beside the repository)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must test on the real data, never pass by skipping it
        pytest.skip(message)
    return path


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    """Settings come only from what a test sets: no WIREWATCH_* from the developer's shell leaks in."""
    for key in list(os.environ):
        if key.startswith("WIREWATCH_") and key != "WIREWATCH_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("WIREWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WIREWATCH_STORE_API_PORT", "0")


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    # A fresh broker per test costs ~50 ms and isolates topics and consumer groups completely.
    with EmbeddedBroker() as b:
        yield b


@pytest.fixture
def kafka_settings(broker, monkeypatch) -> CommonSettings:
    monkeypatch.setenv("WIREWATCH_KAFKA_BOOTSTRAP", broker.bootstrap)
    # Tansu makes a group join wait half the session timeout: keep it short in tests.
    monkeypatch.setenv("WIREWATCH_KAFKA_SESSION_TIMEOUT_MS", "6000")
    monkeypatch.setenv("WIREWATCH_KAFKA_HEARTBEAT_INTERVAL_MS", "1000")
    settings = CommonSettings()
    ensure_topics(settings)
    return settings


def _postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}; .ci/run should have started it")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    return POSTGRES_URL


@contextlib.contextmanager
def _scratch_postgres(admin_url: str) -> Iterator[str]:
    import psycopg

    name = f"wirewatch_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_admin_url) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    with _scratch_postgres(postgres_admin_url) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    """Run a test once on SQLite and once on PostgreSQL: the same code, the same assertions."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def another_database_url(database_url, tmp_path) -> Iterator[str]:
    """A second fresh, empty database of the same kind as ``database_url``, to compare two stores."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'another.db'}"
        return
    with _scratch_postgres(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium (selenium), closed after the test: the page tests share it."""
    from tests.helpers import chromium_driver

    driver = chromium_driver(tmp_path / "profile")
    yield driver
    driver.quit()
