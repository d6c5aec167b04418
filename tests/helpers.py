"""Builders and probes the tests share (imported by test modules; never a test module itself)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import zlib
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import text

from services.common.contracts import Actor, Event, Source
from services.extract.extractor import RuleExtractor, story_from_text
from services.store.repository import EventRepository
from services.store.schema import EVENT_COLUMNS
from tests.conftest import shared_path

DISTRICTS = [("Kunduz", "Dasht-e-Archi", 37.13, 69.17), ("Kunduz", "Imam Sahib", 37.18, 68.92),
             ("Helmand", "Lashkar Gah", 31.59, 64.37), ("Kandahar", "Panjwai", 31.55, 65.45)]


def make_event(i: int, **kw) -> Event:
    """Report ``i``: its district cycles through ``DISTRICTS``, its day is 3*i days after 2026-01-01
    (so no two merge unless told to), one in three is an explosion, fatalities ``i % 17``."""
    admin1, admin2, lat, lon = DISTRICTS[i % len(DISTRICTS)]
    base = dict(
        event_id=f"e{i:05d}", story_id=f"s{i}", event_date=date(2026, 1, 1) + timedelta(days=3 * i),
        date_precision="day",
        event_type="Battles" if i % 3 else "Explosions/Remote violence",
        sub_event_type="Armed clash" if i % 3 else "Remote explosive/landmine/IED",
        actor1=Actor(name="Taliban"), actor2=Actor(name="Military Forces of Afghanistan"), country="AF",
        admin1=admin1, admin2=admin2, location=admin2, latitude=lat, longitude=lon, geo_precision=1,
        fatalities=i % 17, confidence=0.8, extractor="test",
        sources=[Source(story_id=f"s{i}", outlet=f"Outlet {i % 5}", url=f"https://example.org/{i}",
                        published_at=datetime(2026, 3, 2, tzinfo=UTC))],
    )
    return Event(**{**base, **kw})


def random_reports(rng, n: int) -> list[Event]:
    """Reports crowded into few places and days, so that many of them are the same event: districts
    that share a town 3 km apart, province-only and country-only places, every date precision,
    civilians and unknown actors, several events per story."""
    places = [("Kunduz", "Dasht-e-Archi", 37.13, 69.17, 1), ("Kunduz", "Archi Bazaar", 37.15, 69.18, 1),
              ("Kunduz", "Imam Sahib", 37.18, 68.92, 1), ("Kunduz", None, 36.73, 68.86, 3),
              ("Helmand", "Lashkar Gah", 31.59, 64.37, 1), ("Helmand", "Lashkar Gah", 31.61, 64.35, 2),
              (None, None, None, None, None)]
    actors = [None, "Taliban", "Islamic State", "Military Forces of Afghanistan", "Civilians (Afghanistan)"]
    out = []
    for i in range(n):
        admin1, admin2, lat, lon, gp = rng.choice(places)
        story = f"s{rng.randrange(n // 2)}"
        a1, a2 = rng.choice(actors), rng.choice(actors)
        out.append(make_event(
            i, story_id=story, event_date=date(2026, 2, 1) + timedelta(days=rng.randrange(400)),
            date_precision=rng.choice(["day"] * 8 + ["week", "month"]),
            event_type=rng.choice(["Battles", "Explosions/Remote violence"]),
            actor1=Actor(name=a1) if a1 else None, actor2=Actor(name=a2) if a2 else None,
            country="AF" if admin1 or rng.random() < 0.5 else None, admin1=admin1, admin2=admin2,
            location=admin2, latitude=lat, longitude=lon, geo_precision=gp, fatalities=rng.randrange(6),
            sources=[Source(story_id=story, outlet=f"Outlet {rng.randrange(4)}", url=f"https://example.org/{story}")]))
    return out


def file_hash(repo: EventRepository) -> str:
    """The SQLite file's sha256, once its write-ahead log is folded into it."""
    with repo.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(Path(repo.engine.url.database).read_bytes()).hexdigest()


def empty(repo: EventRepository) -> None:
    """A store with nothing in it; the schema stays."""
    with repo.engine.begin() as conn:
        for table in ("events", "reports", "story_links"):
            conn.execute(text(f"DELETE FROM {table}"))


def dump(repo: EventRepository) -> list:
    """Every row of the store's tables, in key order: equal dumps are equal stores."""
    with repo.engine.connect() as conn:
        return [tuple(r) for table in ("events", "reports", "story_links")
                for r in conn.execute(text(f"SELECT {_columns(table)} FROM {table} ORDER BY 1")).all()]


def _columns(table: str) -> str:
    """The store's own columns (not the search index's, which differ by database)."""
    return ", ".join(EVENT_COLUMNS) if table == "events" else "*"


def seed_events() -> dict[str, list[Event]]:
    """The events the extractor finds in each seed story of the gold file, by story."""
    gold = json.loads(shared_path("gold", "seed-events.json").read_text(encoding="utf-8"))
    out = {}
    for story in gold["stories"]:
        body = shared_path("seeds", f"{story['story']}.txt").read_text(encoding="utf-8")
        published = datetime.fromisoformat(story["published"]).replace(hour=6, tzinfo=UTC)
        out[story["story"]] = RuleExtractor().extract(
            story_from_text(body, published, story["outlet"], story["story"]))
    return out


def drain(settings, topic: str, timeout_s: float = 5.0) -> list:
    """Every record on ``topic`` from the beginning, read for ``timeout_s``."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    tps = [TopicPartition(topic, p) for p in range(settings.kafka_partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    out, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for records in consumer.poll(500).values():
            out += records
    consumer.close()
    return out


class WebhookReceiver:
    """A webhook receiver on loopback that records every request (headers, raw body) and answers
    with the next of ``statuses`` (the last one repeats)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[tuple[dict, bytes]] = []
        self.statuses = list(statuses or [200])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.host}/hook"

    def wait_for(self, n: int, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.requests) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= n, f"{len(self.requests)} of {n} webhook requests arrived"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def two_outlet_reports(i: int = 900) -> list[Event]:
    """Two reports of one clash (same district and day, shared actor) from two outlets, with
    casualties, claims and evidence sentences at their offsets: the store merges them into one event
    (id ``e{i:05d}``) whose figures range from 3 to 5 killed."""
    from services.common.contracts import Casualty, Claim, Evidence

    def report(n: int, outlet: str, killed: int, hour: int) -> Event:
        lead = "Taliban fighters attacked a checkpoint in Dasht-e-Archi on Monday, officials said."
        toll = f"At least {killed} soldiers were killed in the clash, a spokesman said."
        return make_event(
            i, event_id=f"e{i + n:05d}", story_id=f"story-{outlet.lower()}",
            casualties=[Casualty(group="Military Forces of Afghanistan", kind="killed", min=killed,
                                 text=f"{killed} soldiers were killed")],
            claims=[Claim(speaker="Zabihullah Mujahid" if n else "Ahmad Khan", organisation="Taliban" if n else
                          "Ministry of Defence", statement=toll, figure=str(killed), verified=not n)],
            evidence=[Evidence(text=lead, start=0, end=len(lead)),
                      Evidence(text=toll, start=len(lead) + 1, end=len(lead) + 1 + len(toll))],
            sources=[Source(story_id=f"story-{outlet.lower()}", outlet=outlet, url=f"https://example.org/{outlet}",
                            published_at=datetime(2026, 3, 2, hour, tzinfo=UTC))], fatalities=killed)
    return [report(0, "Pajhwok", 5, 9), report(1, "TOLOnews", 3, 7)]


def png_rows(path: Path) -> tuple[int, int, list[bytes]]:
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


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage",
                  # any host but loopback fails to resolve: the page must not need one (no tiles, fonts or CDNs)
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def chromium_driver(profile: Path, width: int = 1280, height: int = 900):
    """A selenium driver of Debian's headless chromium through its chromedriver (both installed by
    scripts/install-system-packages.sh); skips the test where they are missing, fails under CI."""
    import os
    import shutil

    import pytest

    binary, driver = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    if not binary or not driver:
        if os.environ.get("CI"):
            pytest.fail("chromium/chromedriver are not installed; scripts/install-system-packages.sh installs them")
        pytest.skip("chromium/chromedriver are not installed (scripts/install-system-packages.sh installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    # the page itself, not the window around it, is width x height (screenshots are exactly that)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    return browser


def wait_until(check, timeout_s: float = 10.0):
    """``check()``'s first truthy value, polled every 0.1 s; AssertionError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not true within {timeout_s} s")


def open_page(driver, url: str, timeout_s: float = 20.0) -> None:
    """Load the analysts' page and wait until it has drawn its events and its live stream is open."""
    driver.get(url)
    wait_until(lambda: driver.execute_script("return document.body.dataset.loaded === 'true' "
                                             "&& document.body.dataset.live === 'open'"), timeout_s)
