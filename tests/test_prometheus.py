"""The dashboards and alerts against a real Prometheus (Debian's ``prometheus``) scraping a running
pipeline: ingest, extract and store in this process, each with its own registry and ops port on
loopback (as the three Deployments run them), a Tansu broker and the fixture news site.

Prometheus scrapes every 2 seconds and evaluates the PrometheusRule's groups (deploy/monitoring/
alerts.yaml) every second. For the test, the rule file is rewritten (``shortened``): every ``for:``
becomes 1s, every range ``[..]`` 20s and every ``offset`` 40s, so that an alert fires and clears in
seconds; the expressions and thresholds are otherwise the ones deployed.

Checked: every dashboard query returns data, and every selector in every rule expression does (a
rule's expression as a whole returns data only while it fires); then alerts fire when their
condition is made true and stop firing after: feeds that fail (WirewatchFeedErrorRatioHigh), poison
messages (WirewatchDeadLetters), a service's ops port gone (WirewatchServiceDown), a saved search's
webhook receiver answering 500 (WirewatchWebhookDeliveriesFailing, then WirewatchWebhookSearchDisabled
once the store disables the search; the store's webhook allow-list is exactly that receiver's
loopback host:port), the broker stopped (WirewatchServiceNotReady). Finally
scripts/render_dashboard.py renders the overview from it.
It runs in the default test run: 1 min 45 s to 1 min 55 s on 2 cores shared with other test runs
(load average 7 to 9), 2 min 55 s at a load average of 19; the waits are generous for a slower machine. Debian's ``prometheus`` is not
optional (scripts/install-system-packages.sh): a missing one fails the test. WIREWATCH_PROMETHEUS_TESTS=0
skips it (the rule rewriting is still tested); WIREWATCH_TEST_DASHBOARD_PNG=FILE keeps the rendered
overview (docs/overview-dashboard.png is made so).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml
from kafka import KafkaProducer
from prometheus_client import CollectorRegistry

from services.common.broker import EmbeddedBroker
from services.common.contracts import EVENTS_TOPIC, STORIES_TOPIC
from services.common.kafka import ensure_topics
from services.common.net import free_port
from services.common.ops import Health, HttpServer, ops_app
from services.common.readiness import broker_check
from services.extract import app as extract_app
from services.extract.settings import ExtractSettings
from services.fixturesite import FixtureSite, load_demo
from services.fixturesite.server import send
from services.ingest import app as ingest_app
from services.ingest.feeds import Feed
from services.ingest.settings import IngestSettings
from services.store import app as store_app
from services.store.settings import StoreSettings
from tests.conftest import ROOT
from tests.helpers import WebhookReceiver, make_event

MONITORING = ROOT / "deploy" / "monitoring"
DASHBOARDS = sorted((MONITORING / "dashboards").glob("*.json"))
# read at import: the autouse _clean_env fixture clears WIREWATCH_* before a test runs
ENABLED = os.environ.get("WIREWATCH_PROMETHEUS_TESTS", "1") != "0"
KEEP_PNG = os.environ.get("WIREWATCH_TEST_DASHBOARD_PNG")
SCRAPE_S = 2  # and a scrape may take as long: a loaded CI machine answers slowly
ADMIN_TOKEN = "prometheus-test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# a failing delivery takes 3 attempts about 1 s apart, and the search is disabled after 4 of them:
# some 12 failed attempts over 4 s, well inside the shortened rules' 20 s ranges
WEBHOOK_ATTEMPTS, WEBHOOK_DISABLE_AFTER, WEBHOOK_EVENTS = 3, 4, 8


def _prometheus() -> str:
    found = shutil.which("prometheus")
    assert found, "prometheus is missing: run scripts/install-system-packages.sh (Debian package prometheus)"
    return found


# -- the rules as the test runs them ------------------------------------------------------------


def rule_groups() -> list[dict]:
    """The PrometheusRule's groups, as a Prometheus rules file has them."""
    docs = [d for d in yaml.safe_load_all((MONITORING / "alerts.yaml").read_text()) if d]
    return [g for d in docs if d["kind"] == "PrometheusRule" for g in d["spec"]["groups"]]


def shortened(groups: list[dict]) -> list[dict]:
    """The rules with every ``for:`` 1s, every range 20s and every offset 40s (see the module doc)."""
    out = []
    for group in groups:
        rules = []
        for rule in group["rules"]:
            expr = re.sub(r"\[\d+[smhd]\]", "[20s]", rule["expr"])
            expr = re.sub(r"offset \d+[smhd]", "offset 40s", expr)
            rules.append({**rule, "expr": expr, **({"for": "1s"} if "for" in rule else {})})
        out.append({**group, "rules": rules})
    return out


def selectors(expr: str) -> list[str]:
    """The vector selectors in a PromQL expression, without ranges or offsets."""
    found = re.findall(r'\{__name__=~"[^"]+"\}', expr)
    rest = re.sub(r'\{__name__=~"[^"]+"\}', " ", expr)
    found += [m.group(0) for m in re.finditer(r"\b(?:wirewatch_[a-z_]+|up)\b(?:\{[^}]*\})?", rest)]
    return found


def test_the_rewritten_rules_keep_the_expressions_but_not_the_waits():
    groups = rule_groups()
    short = shortened(groups)
    rules = [r for g in groups for r in g["rules"]]
    short_rules = [r for g in short for r in g["rules"]]
    assert len(rules) == len(short_rules) >= 10
    for rule, fast in zip(rules, short_rules, strict=True):
        assert fast["for"] == "1s" and fast["alert"] == rule["alert"] and fast["labels"] == rule["labels"]
        assert not re.search(r"\[(?!20s\])", fast["expr"]) and "offset 1d" not in fast["expr"]
        assert selectors(fast["expr"]) == selectors(rule["expr"]) != []
    assert selectors('sum(rate({__name__=~"a_(b|c)_total"}[5m])) / up{x="1"}') == [
        '{__name__=~"a_(b|c)_total"}', 'up{x="1"}']


# -- the pipeline and the Prometheus scraping it ------------------------------------------------


@dataclass
class Switch:
    """A condition the test turns on and off."""

    on: bool = False


@dataclass
class Stack:
    """Everything the test runs, and how to reach it."""

    broker: EmbeddedBroker
    site: FixtureSite
    prometheus_url: str
    ops: dict[str, HttpServer]
    failing_feeds: Switch
    receiver: WebhookReceiver
    closers: list[Callable[[], None]] = field(default_factory=list)

    def query(self, expr: str) -> list[dict]:
        res = httpx.get(f"{self.prometheus_url}/api/v1/query", params={"query": expr}, timeout=5)
        res.raise_for_status()
        return res.json()["data"]["result"]

    def alerts(self, state: str = "firing") -> set[tuple[str, ...]]:
        res = httpx.get(f"{self.prometheus_url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
        return {(a["labels"]["alertname"], a["labels"].get("component", "")) for a in res if a["state"] == state}


RSS = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
       '<link>{base}/</link><description>test</description>{items}</channel></rss>')
# an item whose page is gone, in a language the extractor does not read, in a feed served as text
FRENCH_ITEM = ('<item><title>Les marchés de Lyon ouvrent plus tôt cette semaine</title><link>{base}/odd/gone.html</link>'
               '<guid>odd-1</guid><pubDate>Wed, 02 Dec 2026 09:00:00 GMT</pubDate><description>La mairie a annoncé '
               'que les marchés de la ville ouvriront désormais une heure plus tôt, pour que les habitants puissent '
               'faire leurs courses avant le travail.</description></item>')


def _routes(site: FixtureSite, failing: Switch) -> list[Feed]:
    def failing_feed(h) -> None:
        if failing.on:
            send(h, 500, b"upstream trouble", "text/plain")
        else:
            send(h, 200, RSS.format(title="Recovered", base=site.base_url, items="").encode(), "application/rss+xml")

    def odd_feed(h) -> None:
        body = RSS.format(title="Odd", base=site.base_url, items=FRENCH_ITEM.format(base=site.base_url))
        send(h, 200, body.encode(), "text/plain; charset=utf-8", conditional=True)  # not XML: bozo

    site.routes["/failing-a/feed.xml"] = failing_feed
    site.routes["/failing-b/feed.xml"] = failing_feed
    site.routes["/odd/feed.xml"] = odd_feed
    feeds = [Feed(id=o.id, url=site.feed_url(o.id), outlet=o.name, language=o.language) for o in site.content.outlets]
    return feeds + [Feed(id=name, url=f"{site.base_url}/{name}/feed.xml", outlet=name.title())
                    for name in ("failing-a", "failing-b", "odd")]


def _start_prometheus(tmp: Path, targets: dict[str, int]) -> tuple[subprocess.Popen, str]:
    (tmp / "rules.yaml").write_text(yaml.safe_dump({"groups": shortened(rule_groups())}, sort_keys=False))
    config = {
        "global": {"scrape_interval": f"{SCRAPE_S}s", "evaluation_interval": "1s", "scrape_timeout": f"{SCRAPE_S}s"},
        "rule_files": [str(tmp / "rules.yaml")],
        "scrape_configs": [{"job_name": "wirewatch", "static_configs": [
            {"targets": [f"127.0.0.1:{port}"], "labels": {"component": name}} for name, port in targets.items()]}],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port()
    proc = subprocess.Popen([_prometheus(), f"--config.file={tmp / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}",
                             "--log.level=warn"], stdout=subprocess.DEVNULL, stderr=(tmp / "prometheus.log").open("w"))
    url = f"http://127.0.0.1:{port}"
    _wait(lambda: _answers(f"{url}/-/ready"), 30, "Prometheus did not start: " + str(tmp / "prometheus.log"))
    return proc, url


def _answers(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=1).status_code == 200
    return False


def _wait(cond: Callable[[], object], timeout_s: float, what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if cond():
                return
        time.sleep(0.5)
    raise AssertionError(what() if callable(what) else what)


def _settings(cls, bootstrap: str, data_dir: Path, **kw):
    return cls(kafka_bootstrap=bootstrap, data_dir=data_dir, kafka_session_timeout_ms=6000,
               kafka_heartbeat_interval_ms=1000, build_commit="test", **kw)


def _serve(name: str, stack: Stack, body: Callable[[threading.Event], None], stop: threading.Event) -> None:
    thread = threading.Thread(target=body, args=(stop,), name=f"prom-test-{name}", daemon=True)
    thread.start()
    stack.closers.append(lambda: thread.join(timeout=20))


@pytest.fixture
def stack(tmp_path) -> Iterator[Stack]:
    if not ENABLED:
        pytest.skip("the real-Prometheus test is turned off (WIREWATCH_PROMETHEUS_TESTS=0)")
    broker = EmbeddedBroker().start()
    site = FixtureSite(load_demo()).start()
    failing = Switch(on=True)
    feeds = _routes(site, failing)
    stop = threading.Event()
    ports = {name: free_port() for name in ("ingest", "extract", "store")}
    proc, url = _start_prometheus(tmp_path, ports)
    receiver = WebhookReceiver([500])
    stack = Stack(broker, site, url, {}, failing, receiver)
    try:
        data = tmp_path / "data"
        ingest_s = _settings(IngestSettings, broker.bootstrap, data, ingest_allowed_hosts=(site.netloc,),
                             ingest_poll_interval_s=1, ingest_min_interval_s=0.5, ingest_max_interval_s=2,
                             ingest_total_timeout_s=10, ingest_read_timeout_s=5)
        extract_s = _settings(ExtractSettings, broker.bootstrap, data)
        store_s = _settings(StoreSettings, broker.bootstrap, data, store_api_host="127.0.0.1",
                            store_admin_token=ADMIN_TOKEN, store_webhook_allowed_hosts=(receiver.host,),
                            store_webhook_poll_s=0.5, store_webhook_backoff_s=0.5,
                            store_webhook_max_attempts=WEBHOOK_ATTEMPTS,
                            store_webhook_disable_after=WEBHOOK_DISABLE_AFTER, store_webhook_timeout_s=5)
        ensure_topics(ingest_s)
        healths = {name: Health() for name in ports}
        for name, s in (("ingest", ingest_s), ("extract", extract_s), ("store", store_s)):
            healths[name].add_check("broker", broker_check(s))
            stack.closers.append(healths[name].close)
        registries = {name: CollectorRegistry() for name in ports}
        store = store_app.build(store_s, registries["store"], healths["store"])
        stack.ops["store"] = store.start_api(ports["store"])
        stack.closers.append(lambda: store.close(2.0))
        extract = extract_app.build(extract_s, registries["extract"], healths["extract"])
        stack.closers.append(lambda: extract.close(2.0))
        stack.ops["extract"] = HttpServer(ops_app(healths["extract"], registries["extract"]), "127.0.0.1",
                                          ports["extract"], "ops-extract").start()
        _serve("store", stack, store.run, stop)
        _serve("extract", stack, extract.run, stop)
        # the histograms are scraped at 0 before anything is stored, so their rates see the first events
        _wait(lambda: len(stack.query("up == 1")) == 2, 30, "Prometheus does not scrape extract and store")
        ingest = ingest_app.build(ingest_s, registries["ingest"], healths["ingest"], feeds)
        stack.closers.append(lambda: ingest.close(2.0))
        stack.ops["ingest"] = HttpServer(ops_app(healths["ingest"], registries["ingest"]), "127.0.0.1",
                                         ports["ingest"], "ops-ingest").start()
        # and ingest's counters before its first poll, so that the rates count that poll's items
        _wait(lambda: len(stack.query("up == 1")) == 3, 30, "Prometheus does not scrape ingest")
        _serve("ingest", stack, ingest.run, stop)
        yield stack
    finally:
        stop.set()
        for close in reversed(stack.closers):
            with contextlib.suppress(Exception):
                close()
        for server in stack.ops.values():
            with contextlib.suppress(Exception):
                server.stop()
        proc.terminate()
        proc.wait(timeout=10)
        receiver.close()
        site.stop()
        stack.broker.stop()  # the one running now: step 5 replaces it


class Poison:
    """Sends undecodable messages to the stories and events topics every 0.3 s while running."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="poison", daemon=True)

    def _run(self) -> None:
        i = 0
        while not self.stop.wait(0.3):
            for topic in (STORIES_TOPIC, EVENTS_TOPIC):
                self.producer.send(topic, key=f"poison-{i}".encode(), value=b"\xff{not json")
            self.producer.flush()
            i += 1

    def __enter__(self) -> Poison:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.producer.close(timeout=2)


def _produce_events(bootstrap: str, count: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    for event in (make_event(i) for i in range(count)):
        producer.send(EVENTS_TOPIC, key=event.event_id.encode(), value=event.to_bytes())
    producer.flush()
    producer.close(timeout=2)


def _not_alerting(stack: Stack, names: set[str]) -> Callable[[], bool]:
    return lambda: not {a for a, _ in stack.alerts("firing") | stack.alerts("pending")} & names


def _webhooks_fail_then_recover(stack: Stack) -> None:
    """A saved search of every event whose receiver answers 500: its deliveries fail and it is
    disabled, and both alerts fire; the receiver recovers and the search is re-enabled: they clear."""
    api = stack.ops["store"].url
    # the allow-list is the receiver's host:port, not loopback: another port on 127.0.0.1 is refused
    elsewhere = httpx.post(f"{api}/searches", headers=ADMIN, timeout=10, json={
        "name": "elsewhere", "webhook_url": f"http://127.0.0.1:{free_port()}/hook"})
    assert elsewhere.status_code == 400 and "refused" in elsewhere.text, elsewhere.text
    created = httpx.post(f"{api}/searches", headers=ADMIN, timeout=10,
                         json={"name": "everything", "webhook_url": stack.receiver.url})
    assert created.status_code == 201, created.text
    search_id = created.json()["search_id"]
    _produce_events(stack.broker.bootstrap, WEBHOOK_EVENTS)  # changes after the search's cursor
    names = {"WirewatchWebhookDeliveriesFailing", "WirewatchWebhookSearchDisabled"}
    _wait(_firing(stack, {("WirewatchWebhookDeliveriesFailing", "")}), 60,
          lambda: f"not firing; firing are {stack.alerts()}; {len(stack.receiver.requests)} webhook requests")
    _wait(_firing(stack, {("WirewatchWebhookSearchDisabled", "")}), 60,
          lambda: f"not firing; firing are {stack.alerts()}; {len(stack.receiver.requests)} webhook requests")
    [search] = [s for s in httpx.get(f"{api}/searches", headers=ADMIN, timeout=10).json()["searches"]
                if s["search_id"] == search_id]
    assert search["disabled"] is True
    tried = len(stack.receiver.requests)
    assert tried == WEBHOOK_ATTEMPTS * WEBHOOK_DISABLE_AFTER  # a disabled search is not called again

    stack.receiver.statuses = [200]
    assert httpx.post(f"{api}/searches/{search_id}/enable", headers=ADMIN, timeout=10).status_code == 200
    stack.receiver.wait_for(tried + 1, 60)  # the changes after the failed ones are delivered now
    _wait(_not_alerting(stack, names), 90, lambda: f"still firing: {stack.alerts()}")
    assert stack.query('wirewatch_store_webhook_deliveries_total{outcome="delivered"} > 0')


def _panel_exprs(title: str, dashboard: str = "wirewatch-overview.json") -> list[str]:
    panels = json.loads((MONITORING / "dashboards" / dashboard).read_text())["panels"]
    return [t["expr"] for panel in panels if panel["title"] == title for t in panel["targets"]]


def _empty_queries(stack: Stack) -> list[str]:
    exprs = [t["expr"] for p in DASHBOARDS for panel in json.loads(p.read_text())["panels"] for t in panel["targets"]]
    exprs += [s for g in rule_groups() for r in g["rules"] for s in selectors(r["expr"])]
    return [e for e in dict.fromkeys(exprs) if not stack.query(e)]


def _firing(stack: Stack, alerts: set[tuple[str, str]]) -> Callable[[], bool]:
    return lambda: alerts <= stack.alerts()


def test_dashboards_and_alerts_against_a_real_prometheus(stack: Stack, tmp_path):
    # 1. failing feeds and poison messages: every query has data, and their alerts fire
    with Poison(stack.broker.bootstrap):
        missing: list[str] = []

        def all_answer() -> bool:
            httpx.get(f"{stack.ops['store'].url}/events", params={"limit": 1}, timeout=5)  # the API's panels
            missing[:] = _empty_queries(stack)
            return not missing

        _wait(all_answer, 240, lambda: f"queries without data: {missing}")
        dead_letters = {("WirewatchDeadLetters", "extract"), ("WirewatchDeadLetters", "store")}
        _wait(_firing(stack, dead_letters | {("WirewatchFeedErrorRatioHigh", "")}), 60,
              lambda: f"not firing; firing are {stack.alerts()}")
        # the overview draws each service's dead letters apart (rate drops __name__: not a label to group by)
        assert {r["metric"].get("component") for r in stack.query(_panel_exprs("Dead letters / min")[0])} == {
            "extract", "store"}
    # the end-to-end latency was measured from first_seen_at through extract to the store
    p50 = float(stack.query("histogram_quantile(0.5, sum by (le) (rate(wirewatch_end_to_end_latency_seconds_bucket"
                            "[5m])))")[0]["value"][1])
    assert math.isfinite(p50) and p50 > 0
    assert {r["metric"]["component"] for r in stack.query('wirewatch_build_info{commit="test"}')} == {
        "ingest", "extract", "store"}
    assert stack.query('max(wirewatch_kafka_consumer_lag{group="wirewatch-store"})')

    # 2. the feeds recover and the poison stops: those alerts clear
    stack.failing_feeds.on = False
    _wait(_not_alerting(stack, {"WirewatchDeadLetters", "WirewatchFeedErrorRatioHigh"}), 60,
          lambda: f"still firing: {stack.alerts()}")

    # 3. a service stops answering its scrapes, then answers again
    ingest_ops = stack.ops["ingest"]
    ingest_ops.stop()
    _wait(_firing(stack, {("WirewatchServiceDown", "ingest")}), 40, lambda: f"firing: {stack.alerts()}")
    stack.ops["ingest"] = HttpServer(ingest_ops.server.config.app, "127.0.0.1", ingest_ops.port, "ops-ingest").start()
    _wait(lambda: ("WirewatchServiceDown", "ingest") not in stack.alerts(), 40, lambda: f"firing: {stack.alerts()}")

    # 4. a saved search's webhook receiver fails, then recovers
    _webhooks_fail_then_recover(stack)

    # 5. the broker goes away: no service is ready; it comes back (empty: Tansu keeps it in memory)
    port = stack.broker.port
    stack.broker.stop()
    not_ready = {("WirewatchServiceNotReady", name) for name in ("ingest", "extract", "store")}
    _wait(_firing(stack, not_ready), 60, lambda: f"firing: {stack.alerts()}")
    stack.broker = EmbeddedBroker(port=port).start()
    _wait(lambda: not {a for a in stack.alerts() if a[0] == "WirewatchServiceNotReady"}, 60,
          lambda: f"firing: {stack.alerts()}")

    # 6. the overview renders from this Prometheus
    out = Path(KEEP_PNG or tmp_path / "overview.png")
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_dashboard.py"), "--prometheus",
                          stack.prometheus_url, "--minutes", "5", "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert out.stat().st_size > 20_000 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
