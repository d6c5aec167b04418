"""The analysts' page in a real headless Chromium (Debian's package, installed by
scripts/install-system-packages.sh): it loads events from the API, draws the map and the timeline
without any external tile server, and lists events with their sources and evidence."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from services.common.ops import Health, HttpServer
from services.store.api import PAGE, create_app
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.helpers import make_event

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--virtual-time-budget=5000",
         # any host but loopback fails to resolve: the page must not need one (no tiles, fonts or CDNs)
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def _png_rows(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB rows of an 8-bit RGB or RGBA PNG (what Chromium writes), with the
    PNG row filters undone, so that colours can be checked where they are drawn."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, ctype = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big"), body[9]
            assert body[8] == 8 and ctype in (2, 6) and body[12] == 0, "only 8-bit, non-interlaced RGB(A)"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, bpp = zlib.decompress(idat), 4 if ctype == 6 else 3
    stride, prev, rows = width * bpp, bytearray(width * bpp), []
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(x for j in range(0, stride, bpp) for x in line[j:j + 3]))
        prev = line
    return width, height, rows


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


def test_page_filters_come_from_the_address(served, tmp_path):
    out = _chromium("--dump-dom", f"{served.url}/?admin1=Helmand&event_type=Battles", tmp_path=tmp_path)
    dom = out.stdout
    assert 'data-loaded="true"' in dom, out.stderr[-2000:]
    wanted = [i for i in range(40) if i % 4 == 2 and i % 3]  # make_event: Helmand, and Battles
    assert dom.count('class="event"') == len(wanted) > 0
    assert all(f'data-event-id="e{i:05d}"' in dom for i in wanted)
    assert f">{len(wanted)} events<" in dom  # the status line counts what the filtered API returned


def test_page_refers_to_nothing_beyond_its_own_server():
    html = PAGE.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", html)
    assert not re.search(r"""fetch\(\s*["'`](?:https?:)?//""", html)  # the API is fetched by path


def test_screenshot_shows_the_page(served, tmp_path):
    shot = tmp_path / "page.png"
    _chromium(f"--screenshot={shot}", "--window-size=1280,900", f"{served.url}/", tmp_path=tmp_path)
    assert shot.exists() and shot.stat().st_size > 10_000
    width, height, rows = _png_rows(shot)
    assert (width, height) == (1280, 900)
    pixels = [row[x:x + 3] for row in rows[::6] for x in range(0, len(row), 3 * 4)]
    # the header's ink (#1d2733), the map's event dots (red, #b3261e half-transparent over the map's
    # background) and the page's light background: drawn, not a blank or an error page
    assert sum(1 for p in pixels if p == bytes.fromhex("1d2733")) > 500
    reds = sum(1 for r, g, b in pixels if r > 150 and r - g > 60 and r - b > 60)
    assert reds > 20, reds
    assert sum(1 for r, g, b in pixels if min(r, g, b) > 235) > len(pixels) // 4
    assert len(set(pixels)) > 50
    keep = os.environ.get("KEEP_SCREENSHOTS_IN")
    if keep:
        shutil.copy(shot, Path(keep) / "analyst-page.png")
