"""The analysts' page in a real headless Chromium (Debian's package, installed by
scripts/install-system-packages.sh): it loads events from the API, draws the map and the timeline
without any external tile server, and lists events with their sources and evidence."""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from services.common.ops import Health, HttpServer
from services.store.api import create_app
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.test_repository import make_event

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--virtual-time-budget=5000"]


def _png_pixels(path: Path) -> tuple[int, int, set]:
    """Width, height and the set of distinct row samples of an 8-bit RGB(A) PNG, decoded with zlib."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, ctype = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big"), body[9]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    bpp = 4 if ctype == 6 else 3
    stride = width * bpp + 1
    colours = set()
    for y in range(0, height, max(1, height // 60)):
        row = raw[y * stride + 1:(y + 1) * stride]  # filter byte skipped; enough to see variety
        for x in range(0, width * bpp, bpp * max(1, width // 80)):
            colours.add(bytes(row[x:x + 3]))
    return width, height, colours


@pytest.fixture
def served(tmp_path):
    repo = EventRepository(f"sqlite:///{tmp_path / 'web.db'}")
    repo.upsert_many([make_event(i) for i in range(40)])
    registry = CollectorRegistry()
    server = HttpServer(create_app(repo, Health(), registry, StoreMetrics(registry)), "127.0.0.1", 0).start()
    yield server
    server.stop()
    repo.close()


def _chromium(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; scripts/install-system-packages.sh installs it")
        pytest.skip("chromium is not installed (scripts/install-system-packages.sh installs it)")
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)


def test_page_lists_events_with_sources_and_evidence(served, tmp_path):
    out = _chromium("--dump-dom", f"{served.url}/", tmp_path=tmp_path)
    dom = out.stdout
    assert 'data-loaded="true"' in dom, out.stderr[-2000:]
    assert dom.count('class="event"') == 40
    assert "https://example.org/" in dom and "<blockquote>" in dom or "evidence (" in dom
    assert dom.count("<circle") >= 4  # one per distinct place, drawn in SVG without tiles
    assert "<rect" in dom  # the timeline's bars


def test_screenshot_shows_the_page(served, tmp_path):
    shot = tmp_path / "page.png"
    _chromium(f"--screenshot={shot}", "--window-size=1280,900", f"{served.url}/", tmp_path=tmp_path)
    assert shot.exists() and shot.stat().st_size > 10_000
    width, height, colours = _png_pixels(shot)
    assert (width, height) == (1280, 900)
    assert len(colours) > 20  # header, panels, map dots and text: not a blank or error page
    keep = os.environ.get("KEEP_SCREENSHOTS_IN")
    if keep:
        shutil.copy(shot, Path(keep) / "analyst-page.png")
