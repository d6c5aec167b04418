"""The container image, built and run for real with buildah (no daemon): ``wirewatch --help`` works as
the image's non-root user, the world-gazetteer index is already in the image, and the extract service
started inside it against the test broker answers ``/healthz``.

Slow (a build takes minutes), so it runs only when asked: ``WIREWATCH_IMAGE_TESTS=1 .venv/bin/pytest
-m image tests/test_deploy_image.py``. ``WIREWATCH_IMAGE=name:tag`` tests an image already built by
scripts/build-image.sh instead of building one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# read at import: the autouse fixture in conftest clears WIREWATCH_* before each test runs
ENABLED = os.environ.get("WIREWATCH_IMAGE_TESTS") == "1"
PREBUILT = os.environ.get("WIREWATCH_IMAGE")
pytestmark = [pytest.mark.image,
              pytest.mark.skipif(not ENABLED, reason="set WIREWATCH_IMAGE_TESTS=1 to build and run the image")]
BUILDAH = ["buildah", "--storage-driver", "vfs"]


@pytest.fixture(scope="module")
def image() -> str:
    assert shutil.which("buildah"), "buildah is missing: run scripts/install-system-packages.sh"
    if PREBUILT:
        return PREBUILT
    tag = "localhost/wirewatch:test"
    res = subprocess.run([str(ROOT / "scripts" / "build-image.sh"), tag], capture_output=True, text=True,
                         timeout=3600)
    assert res.returncode == 0, res.stderr[-3000:]
    return tag


@pytest.fixture
def container(image):
    name = subprocess.run([*BUILDAH, "from", "--pull-never", image], capture_output=True, text=True,
                          check=True).stdout.strip()
    yield name
    subprocess.run([*BUILDAH, "rm", name], capture_output=True)


def run_in(container: str, *cmd: str, env: dict[str, str] | None = None, **kw):
    envs = [a for k, v in (env or {}).items() for a in ("--env", f"{k}={v}")]
    # the host's network, so that the container reaches the test broker on loopback
    return [*BUILDAH, "run", "--isolation", "chroot", "--network", "host",
            "--mount", "type=tmpfs,destination=/tmp", *envs, container, "--", *cmd]


def test_help_runs_as_the_non_root_user(container):
    res = subprocess.run(run_in(container, "wirewatch", "--help"), capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "extract" in res.stdout and "ingest" in res.stdout
    uid = subprocess.run(run_in(container, "id", "-u"), capture_output=True, text=True, timeout=60).stdout
    assert uid.strip() == "10001"


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
        assert _status(f"http://127.0.0.1:{port}/healthz") == 200, proc.stdout.read() if proc.poll() is not None else ""
        assert _status(f"http://127.0.0.1:{port}/readyz") == 200
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
