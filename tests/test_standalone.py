"""The production shape: ingest, extract and store as three processes (as the three Deployments
run them) against one broker, the store's API answering, and SIGTERM ending each with exit 0."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import httpx

from services.common.net import free_port
from services.fixturesite import FixtureSite, load_demo
from services.ingest.feeds import Feed, dump_feeds
from tests.conftest import ROOT


def test_three_service_processes_end_to_end(kafka_settings, tmp_path):
    with FixtureSite(load_demo()) as site:
        feeds_file = tmp_path / "feeds.yaml"
        dump_feeds([Feed(id=o.id, url=site.feed_url(o.id), outlet=o.name) for o in site.content.outlets], feeds_file)
        port = free_port()
        env = {**os.environ, "WIREWATCH_DATA_DIR": str(tmp_path / "data"), "WIREWATCH_INGEST_FEEDS_FILE": str(feeds_file),
               "WIREWATCH_INGEST_ALLOWED_HOSTS": site.netloc, "WIREWATCH_STORE_API_PORT": str(port),
               "WIREWATCH_LOG_LEVEL": "WARNING"}
        services = [subprocess.Popen([sys.executable, "-m", "services.cli", name], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                    for name in ("extract", "store")]
        try:
            ingest = subprocess.run([sys.executable, "-m", "services.cli", "ingest", "--once"], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=120)
            assert ingest.returncode == 0, ingest.stderr[-2000:]
            count, deadline = 0, time.monotonic() + 60
            while time.monotonic() < deadline and count < 5:
                with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                    count = httpx.get(f"http://127.0.0.1:{port}/events").json()["count"]
                time.sleep(0.5)
            assert count == 5  # 6 reports from the 6 original articles, two of them one event
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz").json()
            assert ready["ok"] is True
            assert {name: c["status"] for name, c in ready["checks"].items()} == {"database": "ok", "broker": "ok"}
        finally:
            for proc in services:
                proc.send_signal(signal.SIGTERM)
        for proc in services:
            out, _ = proc.communicate(timeout=30)
            assert proc.returncode == 0, out[-2000:]


def test_a_database_unreachable_at_start_is_one_error_line_and_exit_1(kafka_settings, tmp_path):
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/store"  # nothing listens there
    env = {**os.environ, "WIREWATCH_DATA_DIR": str(tmp_path / "data"), "WIREWATCH_STORE_DATABASE_URL": dead,
           "WIREWATCH_STORE_API_PORT": str(free_port())}
    done = subprocess.run([sys.executable, "-m", "services.cli", "store"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "database unavailable at start" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr + done.stdout
