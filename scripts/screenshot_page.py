"""Screenshot of the analysts' page for the README: the five seed articles (../shared/seeds) run
through the real extractor into a throw-away SQLite store, the page opened in Debian's headless
Chromium (through chromedriver, as the page tests do), one merged event's view opened, and the
page written to docs/analyst-page.png.

    .venv/bin/python scripts/screenshot_page.py [--out docs/analyst-page.png]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.common.ops import Health, HttpServer  # noqa: E402
from services.extract.extractor import RuleExtractor, story_from_text  # noqa: E402
from services.store.api import create_app  # noqa: E402
from services.store.boundaries import warm_up  # noqa: E402
from services.store.metrics import StoreMetrics  # noqa: E402
from services.store.repository import EventRepository  # noqa: E402

SHARED = ROOT.parent / "shared"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def demo_store(path: Path) -> EventRepository:
    """A store holding what the extractor finds in the seed articles."""
    repo = EventRepository(f"sqlite:///{path}")
    gold = json.loads((SHARED / "gold" / "seed-events.json").read_text(encoding="utf-8"))
    extractor = RuleExtractor()
    for story in gold["stories"]:
        body = (SHARED / "seeds" / f"{story['story']}.txt").read_text(encoding="utf-8")
        published = datetime.fromisoformat(story["published"]).replace(hour=6, tzinfo=UTC)
        repo.upsert_many(extractor.extract(story_from_text(body, published, story["outlet"], story["story"])))
    return repo


def _wait(check, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit("the page did not finish drawing in time")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "analyst-page.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1500)
    args = parser.parse_args()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        repo = demo_store(Path(tmp) / "demo.db")
        registry = CollectorRegistry()
        server = HttpServer(create_app(repo, Health(), registry, StoreMetrics(registry)), "127.0.0.1", 0).start()
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for flag in [*FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
        try:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": args.width, "height": args.height,
                                                                          "deviceScaleFactor": 1, "mobile": False})
            driver.get(server.url + "/")
            js = driver.execute_script
            _wait(lambda: js("return document.body.dataset.loaded === 'true'"
                             " && document.querySelectorAll('#countries path').length > 0"), 180)
            # the event with the most reports: its view shows merging, claims and marked evidence
            best = js("return [...document.querySelectorAll('#events .event')].map(e => e.dataset.eventId)")
            counts = {eid: len(repo.get(eid)["reports"]) for eid in best}
            js("openEvent(arguments[0])", max(counts, key=lambda e: (counts[e], e)))
            _wait(lambda: js("return document.getElementById('view').classList.contains('open')"), 30)
            time.sleep(0.5)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(args.out))
        finally:
            driver.quit()
            server.stop()
            repo.close()
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
