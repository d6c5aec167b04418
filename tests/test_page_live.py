"""The analysts' page, open in a real headless Chromium driven through chromedriver: events written
to the store appear within seconds without a reload, filters and scroll position survive it; the
event view shows sources, claims and the evidence marked in its story; the map draws country
outlines (counted in the DOM and seen in a decoded screenshot), zooms, and groups nearby events."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from services.common.ops import Health, HttpServer
from services.store.api import create_app
from services.store.boundaries import warm_up
from services.store.live import LiveLimits
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.helpers import make_event, open_page, png_rows, two_outlet_reports, wait_until

# the outlines are built once per process, in a second or two (much longer on a loaded machine)
OUTLINES_S = 120


@pytest.fixture
def served(tmp_path):
    warm_up()
    repo = EventRepository(f"sqlite:///{tmp_path / 'page.db'}")
    repo.upsert_many([make_event(i) for i in range(40)] + two_outlet_reports())
    registry = CollectorRegistry()
    app = create_app(repo, Health(), registry, StoreMetrics(registry), live=LiveLimits(poll_ms=200))
    server = HttpServer(app, "127.0.0.1", 0).start()
    yield repo, server
    server.stop()
    repo.close()


def test_a_new_event_appears_and_filters_and_scroll_survive(served, browser):
    repo, server = served
    open_page(browser, f"{server.url}/?event_type=Battles")
    js = browser.execute_script
    before = js("return [...document.querySelectorAll('#events .event')].map(e => e.dataset.eventId)")
    assert before and all(int(i[1:]) % 3 or i.startswith("e009") for i in before)  # Battles only
    js("document.querySelector('#events').scrollTop = 400")
    anchor = js("""const box = document.querySelector('#events');
                   const row = [...box.children].find(c => c.offsetTop - box.offsetTop >= box.scrollTop);
                   return [row.dataset.eventId, row.getBoundingClientRect().top];""")
    # typed but not submitted: an analyst's half-made filter must not be lost either
    js("document.querySelector('[name=actor]').value = 'Taliban'")
    t0 = time.monotonic()
    newest = date(2027, 6, 1)
    repo.upsert_many([make_event(500, event_date=newest),  # a Battle: shown, at the top (above the view)
                      make_event(501, event_date=newest)])  # an explosion: filtered out
    wait_until(lambda: js("return !!document.querySelector('[data-event-id=e00500]')"), timeout_s=5)
    seconds = time.monotonic() - t0
    assert seconds < 5, seconds
    time.sleep(0.6)  # a poll or two more: the explosion would have come by now
    assert not js("return !!document.querySelector('[data-event-id=e00501]')")
    assert js("return document.querySelector('#events').firstElementChild.dataset.eventId") == "e00500"
    assert js("return document.querySelector('[name=event_type]').value") == "Battles"
    assert js("return document.querySelector('[name=actor]').value") == "Taliban"
    assert "event_type=Battles" in browser.current_url
    # the row the analyst was reading is where it was on screen
    top = js(f"return document.querySelector('[data-event-id={anchor[0]}]').getBoundingClientRect().top")
    assert abs(top - anchor[1]) < 2, (top, anchor)
    assert js("return document.getElementById('status').textContent") == f"{len(before) + 1} events"


def test_event_view_shows_sources_claims_and_marked_evidence(served, browser):
    _, server = served
    open_page(browser, f"{server.url}/")
    browser.execute_script("document.querySelector('[data-event-id=e00900] .title').click()")
    wait_until(lambda: browser.execute_script("return document.getElementById('view').dataset.eventId === 'e00900'"))
    view = browser.find_element("id", "view")
    text = view.text
    assert text.index("TOLOnews") < text.index("Pajhwok")  # first report first
    for words in ("Zabihullah Mujahid", "Ministry of Defence", "not verified", "3–5", "same district Dasht-e-Archi",
                  "shared: Military Forces of Afghanistan, Taliban", "confidence 0.85"):
        assert words in text, words
    marks = browser.execute_script("return [...document.querySelectorAll('#view mark')].map(m => m.textContent)")
    assert len(marks) == 4 and marks[0].startswith("Taliban fighters attacked")
    bold = browser.execute_script("return [...document.querySelectorAll('#view mark b')].map(m => m.textContent)")
    assert sorted(bold) == ["3 soldiers were killed", "5 soldiers were killed"]
    assert browser.current_url.endswith("#event=e00900")  # the view can be linked to


def test_map_draws_boundaries_zooms_and_groups(served, browser, tmp_path):
    _, server = served
    open_page(browser, f"{server.url}/")
    js = browser.execute_script
    wait_until(lambda: js("return document.querySelectorAll('#countries path').length") > 200, OUTLINES_S)
    assert js("return !!document.querySelector('#countries path[data-iso=AF]')")
    near = js("return document.querySelectorAll('#dots circle').length")
    assert near >= 4
    for _ in range(20):  # zoom out to the whole world: nearby events are grouped
        js("""document.getElementById('map').dispatchEvent(new WheelEvent('wheel',
              {deltaY: 100, clientX: 200, clientY: 300, bubbles: true, cancelable: true}))""")
    assert js("return map.view.w") == 360
    far = js("return [...document.querySelectorAll('#dots circle')].map(c => Number(c.dataset.count))")
    assert len(far) < near and sum(far) == 42 - 1  # 42 reports, two of them merged into one event
    shot = tmp_path / "map.png"
    browser.find_element("id", "map").screenshot(str(shot))
    _, _, rows = png_rows(Path(shot))
    pixels = [row[x:x + 3] for row in rows[::3] for x in range(0, len(row), 9)]
    land = sum(1 for p in pixels if p == bytes.fromhex("e6edf3"))  # countries' fill
    outline = sum(1 for r, g, b in pixels if 140 < r < 175 and 160 < g < 190 and 175 < b < 205)  # #9fb0c0 strokes
    assert land > len(pixels) // 10 and outline > 50, (land, outline, len(pixels))
