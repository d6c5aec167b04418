"""The analysts' page in a real headless Chromium (Debian's chromium and chromedriver, installed by
scripts/install-system-packages.sh, driven through selenium): it loads events from the API, draws the map and the timeline
without any external tile server, and lists events with their sources and evidence."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from services.common.ops import Health, HttpServer
from services.store.api import PAGE, create_app
from services.store.boundaries import warm_up
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.helpers import make_event, open_page, png_rows, wait_until

# the outlines are built once per process, in a second or two (much longer on a loaded machine)
OUTLINES_S = 120


@pytest.fixture
def served(tmp_path):
    warm_up()
    repo = EventRepository(f"sqlite:///{tmp_path / 'web.db'}")
    repo.upsert_many([make_event(i) for i in range(40)])
    registry = CollectorRegistry()
    server = HttpServer(create_app(repo, Health(), registry, StoreMetrics(registry)), "127.0.0.1", 0).start()
    yield server
    server.stop()
    repo.close()


def _dom(browser, url: str) -> str:
    open_page(browser, url)
    return browser.execute_script("return document.documentElement.outerHTML")


def test_page_lists_events_with_sources_and_evidence(served, browser):
    dom = _dom(browser, f"{served.url}/")
    assert dom.count('class="event"') == 40
    assert "https://example.org/" in dom and "<blockquote>" in dom or "evidence (" in dom
    assert dom.count("<circle") >= 4  # one per distinct place, drawn in SVG without tiles
    assert "<rect" in dom  # the timeline's bars


def test_page_filters_come_from_the_address(served, browser):
    dom = _dom(browser, f"{served.url}/?admin1=Helmand&event_type=Battles")
    wanted = [i for i in range(40) if i % 4 == 2 and i % 3]  # make_event: Helmand, and Battles
    assert dom.count('class="event"') == len(wanted) > 0
    assert all(f'data-event-id="e{i:05d}"' in dom for i in wanted)
    assert f">{len(wanted)} events<" in dom  # the status line counts what the filtered API returned


def test_page_refers_to_nothing_beyond_its_own_server():
    html = PAGE.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", html)
    assert not re.search(r"""fetch\(\s*["'`](?:https?:)?//""", html)  # the API is fetched by path


def test_screenshot_shows_the_page(served, browser, tmp_path):
    shot = tmp_path / "page.png"
    open_page(browser, f"{served.url}/")
    wait_until(lambda: browser.execute_script("return document.querySelectorAll('#countries path').length"),
               OUTLINES_S)
    browser.save_screenshot(str(shot))
    assert shot.exists() and shot.stat().st_size > 10_000
    width, height, rows = png_rows(shot)
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
