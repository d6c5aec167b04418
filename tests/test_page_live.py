"""The analysts' page, open in a real headless Chromium driven through chromedriver: events written
to the store appear within seconds without a reload, filters and scroll position survive it; the
event view shows sources, claims and the evidence marked in its story; the map draws country
outlines (counted in the DOM and seen in a decoded screenshot), zooms, and groups nearby events; an
analyst's correction shows on the open page, marked, and survives a replay of the events topic from
offset 0 by a store consuming it from a Tansu broker."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from prometheus_client import CollectorRegistry

from services.common.contracts import EVENTS_TOPIC
from services.common.kafka import Publisher, make_producer
from services.common.ops import Health, HttpServer
from services.store import app
from services.store.api import create_app
from services.store.boundaries import warm_up
from services.store.live import LiveLimits
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from services.store.settings import StoreSettings
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


def _province_ink(browser, tmp_path: Path, name: str) -> int:
    """Pixels of the map's screenshot in the province lines' colour (#8e6bbf, blended at the edges):
    purple, where country strokes are grey-blue and events red."""
    shot = tmp_path / name
    browser.find_element("id", "map").screenshot(str(shot))
    rgb = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r - g > 20) & (b - g > 50) & (r < 190)).sum())


def test_map_draws_province_lines_when_zoomed_in(served, browser, tmp_path):
    _, server = served
    open_page(browser, f"{server.url}/")
    js = browser.execute_script
    # the page opens on the events, in Afghanistan (a view about 12 degrees wide): its provinces are drawn
    lines = wait_until(lambda: js("const p = document.querySelector('#provinces path');"
                                  "return p && Number(p.dataset.lines)"), OUTLINES_S)
    assert lines > 100 and js("return map.view.w") <= 30
    near = _province_ink(browser, tmp_path, "provinces.png")
    assert near > 400, near
    for _ in range(20):  # out to the whole world: too wide for province lines, they go
        js("""document.getElementById('map').dispatchEvent(new WheelEvent('wheel',
              {deltaY: 100, clientX: 200, clientY: 300, bubbles: true, cancelable: true}))""")
    wait_until(lambda: js("return document.querySelectorAll('#provinces path').length") == 0)
    far = _province_ink(browser, tmp_path, "world.png")
    assert far < near // 20, (far, near)


TOKEN = "analyst-token-of-the-page-test"
CORRECTED_BLUE = (0x15, 0x65, 0xC0)  # the "corrected" badge's background (.badge.corrected)


def _consuming(settings: StoreSettings) -> tuple[app.StoreApp, threading.Event, threading.Thread]:
    store = app.build(settings, CollectorRegistry(), Health())
    stop = threading.Event()
    worker = threading.Thread(target=store.run, args=(stop,), daemon=True)
    worker.start()
    return store, stop, worker


def _caught_up(store: app.StoreApp, upstream: Publisher) -> None:
    # generous: Tansu's group join and the first batch on a loaded 2-core machine; bounds a hang only
    wait_until(lambda: store.loop.caught_up(upstream.acked), 180)


def test_a_correction_shows_and_survives_a_replay_of_the_events_topic(kafka_settings, monkeypatch, browser,
                                                                     tmp_path):
    warm_up()
    monkeypatch.setenv("WIREWATCH_STORE_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("WIREWATCH_STORE_LIVE_POLL_MS", "200")
    upstream = Publisher(make_producer(kafka_settings, "extract"))
    for e in [make_event(i) for i in range(6, 12)]:
        upstream.send(EVENTS_TOPIC, e.event_id, e.to_bytes())
    upstream.flush()
    store, stop, worker = _consuming(StoreSettings())
    running = [(store, stop, worker)]
    try:
        api = store.start_api(0)
        _caught_up(store, upstream)
        open_page(browser, f"{api.url}/")
        js = browser.execute_script

        def row() -> str:
            return js("const r = document.querySelector('#events [data-event-id=e00008]'); return r ? r.innerText : ''")

        assert "8 killed" in row() and "corrected" not in row()
        r = httpx.post(f"{api.url}/events/e00008/review", headers={"Authorization": f"Bearer {TOKEN}"},
                       json={"action": "correct", "fields": {"fatalities": 30}, "reviewer": "ana",
                             "reason": "the hospital's count"})
        assert r.status_code == 201, r.text
        wait_until(lambda: "30 killed" in row() and "corrected" in row(), 10)  # on the open page, no reload
        stop.set()
        worker.join(30)  # the first consumer stops; its API (and the open page) stay
        # the same report re-extracted (its own figure now 9), at the end of the topic: the replay
        # re-merges this event, so the correction has to be applied again, not merely left alone
        upstream.send(EVENTS_TOPIC, "e00008", make_event(8, fatalities=9).to_bytes())
        upstream.flush()
        # the replay: a new consumer group reads the events topic from offset 0 into the same store
        monkeypatch.setenv("WIREWATCH_STORE_GROUP_ID", "wirewatch-store-replay")
        running.append(_consuming(StoreSettings()))
        replay = running[-1][0]
        _caught_up(replay, upstream)
        assert replay.loop.stats.consumed == 7  # every record again, from offset 0
        wait_until(lambda: "extracted fatalities: 9" in row(), 10)  # the re-merge reached the open page
        assert "30 killed" in row() and "corrected" in row()
        open_page(browser, f"{api.url}/")  # and a fresh load says the same
        assert "30 killed" in row() and "extracted fatalities: 9" in row()
        assert httpx.get(f"{api.url}/events/e00008").json()["fatalities"] == 30
        badge = js("""const b = document.querySelector('#events [data-event-id=e00008] .badge.corrected');
                      b.scrollIntoView({block: 'center'}); const r = b.getBoundingClientRect();
                      return [r.left, r.top, r.right, r.bottom];""")
        shot = tmp_path / "corrected.png"
        browser.save_screenshot(str(shot))
        blue = (np.asarray(Image.open(shot).convert("RGB")) == CORRECTED_BLUE).all(axis=2)
        left, top, right, bottom = (round(v) for v in badge)
        inside = blue[top:bottom, left:right]
        # the badge is drawn, solid blue behind its white text, and it is the only one on the page
        assert inside.sum() > inside.size // 2, (int(inside.sum()), inside.size)
        assert blue.sum() == inside.sum()
    finally:
        for s, halt, thread in running:
            halt.set()
            thread.join(30)
            s.close()
        upstream.close()
