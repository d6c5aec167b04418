"""deploy/ validated offline with the real tools: every overlay builds with kustomize, the built-in
kinds pass ``kubernetes-validate --strict``, every custom resource passes ``check-jsonschema``
against ../shared/k8s/schemas (kubernetes-validate passes custom resources unchecked), the dashboards
pass the Grafana 11.6 schema, the alert rules pass ``promtool check rules`` and their unit tests,
the Dockerfile passes hadolint, and no autoscaler may outgrow its topic's partitions.

None of these tools is optional: they come from pyproject's dev extra and
scripts/install-system-packages.sh, so a missing one fails the test instead of skipping it. Each
tool is also shown to reject a broken input, so that a check cannot pass by checking nothing. The
schemas are shared data, not the repository's: without ../shared/k8s the tests that need them are
skipped, saying so, and the others still run.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
MONITORING = DEPLOY / "monitoring"
SHARED_K8S = ROOT.parent / "shared" / "k8s"
SCHEMAS = SHARED_K8S / "schemas"
DASHBOARD_SCHEMA = SHARED_K8S / "grafana" / "dashboard.jsonschema.json"
OVERLAYS = sorted(p.name for p in (DEPLOY / "overlays").iterdir() if (p / "kustomization.yaml").exists())
BUILTIN_GROUPS = {"v1", "apps/v1", "policy/v1", "networking.k8s.io/v1"}
# the schemas are shared data (never copied into the repository): without them there is nothing to check against
needs_shared_k8s = pytest.mark.skipif(
    not SHARED_K8S.is_dir(), reason=f"{SHARED_K8S} is missing: the custom resource and Grafana dashboard schemas "
                                    "come from the shared data (../shared/k8s beside the repository)")


def tool(name: str) -> str:
    """The tool's path: the virtualenv's own first, then the system's; never a skip."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    assert found, f"{name} is missing: run `make install` and scripts/install-system-packages.sh"
    return found


def run(*cmd: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)


def kustomize(path: Path) -> list[dict]:
    # the feeds ConfigMap reads services/ingest/feeds.yaml, outside deploy/, so it is never copied
    res = run(tool("kubectl"), "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(path))
    assert res.returncode == 0, res.stderr
    return [d for d in yaml.safe_load_all(res.stdout) if d]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> tuple[str, list[dict]]:
    return request.param, kustomize(DEPLOY / "overlays" / request.param)


def schema_for(doc: dict) -> Path:
    group, version = doc["apiVersion"].split("/")
    return SCHEMAS / group / f"{doc['kind'].lower()}_{version}.json"


def write_docs(docs: list[dict], directory: Path) -> list[Path]:
    paths = []
    for i, doc in enumerate(docs):
        path = directory / f"{i:03d}-{doc['kind'].lower()}-{doc['metadata']['name']}.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        paths.append(path)
    return paths


def kubernetes_validate(paths: list[Path]) -> subprocess.CompletedProcess:
    return run(tool("kubernetes-validate"), "--strict", "--quiet", *map(str, paths))


def _flags_first(node):
    # Go's RE2 accepts inline flags after an anchor ('^(?i)...', in the prometheus-operator
    # schemas); Python and ECMAScript do not, so the flags move in front, which means the same.
    if isinstance(node, dict):
        return {k: (re.sub(r"^\^(\(\?[a-z]+\))", r"\1^", v) if k == "pattern" and isinstance(v, str)
                    else _flags_first(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_flags_first(v) for v in node]
    return node


def check_jsonschema(schema: Path, paths: list[Path]) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as tmp:
        portable = Path(tmp) / schema.name
        portable.write_text(json.dumps(_flags_first(json.loads(schema.read_text(encoding="utf-8")))),
                            encoding="utf-8")
        return run(tool("check-jsonschema"), "--regex-variant", "python", "--schemafile", str(portable),
                   *map(str, paths))


def test_overlays_exist():
    assert {"dev", "prod"} <= set(OVERLAYS)


def test_builtin_kinds_pass_kubernetes_validate(rendered, tmp_path):
    _, docs = rendered
    builtin = [d for d in docs if d["apiVersion"] in BUILTIN_GROUPS]
    assert {d["kind"] for d in builtin} >= {"Deployment", "PodDisruptionBudget", "NetworkPolicy", "ConfigMap",
                                            "Service", "Ingress"}
    res = kubernetes_validate(write_docs(builtin, tmp_path))
    assert res.returncode == 0, res.stdout + res.stderr


@needs_shared_k8s
def test_every_custom_resource_passes_its_schema(rendered, tmp_path):
    _, docs = rendered
    custom = [d for d in docs if d["apiVersion"] not in BUILTIN_GROUPS]
    kinds = {d["kind"] for d in custom}
    assert kinds >= {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster", "ScaledObject",
                     "TriggerAuthentication", "PodMonitor", "PrometheusRule"}
    for doc, path in zip(custom, write_docs(custom, tmp_path), strict=True):
        schema = schema_for(doc)
        assert schema.exists(), f"no schema for {doc['apiVersion']} {doc['kind']}: it cannot be checked offline"
        res = check_jsonschema(schema, [path])
        assert res.returncode == 0, f"{path.name}: {res.stdout}{res.stderr}"


def test_kubernetes_validate_rejects_a_broken_deployment(tmp_path):
    docs = kustomize(DEPLOY / "overlays" / "prod")
    deployment = copy.deepcopy(next(d for d in docs if d["kind"] == "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["prot"] = 9100
    assert kubernetes_validate(write_docs([deployment], tmp_path)).returncode != 0


@needs_shared_k8s
def test_check_jsonschema_rejects_broken_custom_resources(tmp_path):
    docs = kustomize(DEPLOY / "overlays" / "prod")
    topic = copy.deepcopy(next(d for d in docs if d["kind"] == "KafkaTopic"))
    topic["spec"]["partitions"] = "twelve"
    assert check_jsonschema(schema_for(topic), write_docs([topic], tmp_path)).returncode != 0
    user = copy.deepcopy(next(d for d in docs if d["kind"] == "KafkaUser"))
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Reed"]
    assert check_jsonschema(schema_for(user), write_docs([user], tmp_path)).returncode != 0


def test_no_secret_is_inlined(rendered):
    _, docs = rendered
    assert not [d for d in docs if d["kind"] == "Secret"]
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            # a *_FILE setting names where a mounted Secret is, which is the point
            assert not any(re.search(r"password|token|secret", k, re.I) and not k.endswith("_FILE")
                           for k in doc.get("data", {})), doc


def deployments(docs: list[dict]) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}


def test_pods_meet_the_restricted_pod_security_profile(rendered):
    _, docs = rendered
    assert set(deployments(docs)) == {"wirewatch-ingest", "wirewatch-extract", "wirewatch-store"}
    for name, dep in deployments(docs).items():
        pod = dep["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert {"startupProbe", "livenessProbe", "readinessProbe"} <= set(c), name
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", name
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            limits, requests = c["resources"]["limits"], c["resources"]["requests"]
            assert limits["memory"] == requests["memory"], f"{name}: memory is not overcommitted"


def test_every_deployment_has_a_disruption_budget(rendered):
    _, docs = rendered
    budgets = {d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for d in docs
               if d["kind"] == "PodDisruptionBudget"}
    assert budgets == set(deployments(docs))


def test_autoscaling_never_outgrows_the_topic(rendered):
    _, docs = rendered
    partitions = {d["spec"]["topicName"]: d["spec"]["partitions"] for d in docs if d["kind"] == "KafkaTopic"}
    scaled = [d for d in docs if d["kind"] == "ScaledObject"]
    assert {d["spec"]["scaleTargetRef"]["name"] for d in scaled} == {"wirewatch-extract", "wirewatch-store"}
    for so in scaled:
        for trigger in so["spec"]["triggers"]:
            topic = trigger["metadata"]["topic"]
            assert so["spec"]["maxReplicaCount"] <= partitions[topic], so["metadata"]["name"]


def test_topics_match_the_contracts(rendered):
    from services.common.contracts import ALL_TOPICS

    _, docs = rendered
    topics = {d["spec"]["topicName"]: d for d in docs if d["kind"] == "KafkaTopic"}
    assert set(topics) == set(ALL_TOPICS)
    settings = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("wirewatch-settings"))
    max_bytes = settings["data"]["WIREWATCH_KAFKA_MAX_MESSAGE_BYTES"]
    assert {t["spec"]["config"]["max.message.bytes"] for t in topics.values()} == {int(max_bytes)}


@needs_shared_k8s
def test_dashboards_pass_the_grafana_schema(tmp_path):
    dashboards = sorted((MONITORING / "dashboards").glob("*.json"))
    assert len(dashboards) == 4
    assert check_jsonschema(DASHBOARD_SCHEMA, dashboards).returncode == 0
    broken = json.loads(dashboards[0].read_text())
    broken["panels"][0]["gridPos"]["w"] = "wide"
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    assert check_jsonschema(DASHBOARD_SCHEMA, [tmp_path / "broken.json"]).returncode != 0


def test_dashboards_are_provisioned_for_grafana(rendered):
    _, docs = rendered
    cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("wirewatch-dashboards"))
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert len(cm["data"]) == 4


def rule_spec() -> dict:
    return yaml.safe_load((MONITORING / "alerts.yaml").read_text())["spec"]


def alerts() -> list[dict]:
    return [r for g in rule_spec()["groups"] for r in g["rules"] if "alert" in r]


def promtool_dir(tmp_path: Path, spec: dict) -> Path:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    shutil.copy(MONITORING / "tests" / "alerts.test.yaml", tmp_path / "alerts.test.yaml")
    return tmp_path


def test_promtool_checks_and_unit_tests_the_rules(tmp_path):
    d = promtool_dir(tmp_path, rule_spec())
    res = run(tool("promtool"), "check", "rules", "rules.yaml", cwd=d)
    assert res.returncode == 0, res.stdout + res.stderr
    res = run(tool("promtool"), "test", "rules", "alerts.test.yaml", cwd=d)
    assert res.returncode == 0, res.stdout + res.stderr


def test_promtool_fails_when_an_alert_changes(tmp_path):
    spec = rule_spec()
    spec["groups"][0]["rules"][0]["expr"] = "vector(0) > 1"  # never fires: its unit test must go red
    res = run(tool("promtool"), "test", "rules", "alerts.test.yaml", cwd=promtool_dir(tmp_path, spec))
    assert res.returncode != 0


def test_every_alert_has_for_severity_runbook_and_a_unit_test():
    runbook = (DEPLOY / "RUNBOOK.md").read_text(encoding="utf-8")
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^## (.+)$", runbook, re.M)}
    tested = set(re.findall(r"alertname: (\w+)", (MONITORING / "tests" / "alerts.test.yaml").read_text()))
    for alert in alerts():
        name = alert["alert"]
        assert alert.get("for") and alert["labels"]["severity"] in {"page", "ticket"}, name
        assert alert["annotations"]["runbook_url"].split("#")[0].endswith("deploy/RUNBOOK.md"), name
        assert alert["annotations"]["runbook_url"].split("#")[1] in anchors, name
        assert name in tested, f"{name} has no promtool unit test"


def _runbook_urls(docs: list[dict]) -> list[str]:
    return [r["annotations"]["runbook_url"] for d in docs if d["kind"] == "PrometheusRule"
            for g in d["spec"]["groups"] for r in g["rules"]]


def test_runbook_links_follow_the_one_configured_base(rendered, tmp_path):
    monitoring = yaml.safe_load((MONITORING / "kustomization.yaml").read_text())
    literal = next(g for g in monitoring["configMapGenerator"] if g["name"] == "wirewatch-runbook")["literals"][0]
    _, docs = rendered
    urls = _runbook_urls(docs)
    assert urls and all(u.split("#")[0] == literal.split("=", 1)[1] for u in urls)
    assert not any(d["metadata"]["name"].startswith("wirewatch-runbook") for d in docs)  # local: never applied
    # another base in that one place moves every link
    copy = tmp_path / "monitoring"
    shutil.copytree(MONITORING, copy)
    text = (copy / "kustomization.yaml").read_text().replace(literal, "base=https://runbooks.example/RUNBOOK.md")
    (copy / "kustomization.yaml").write_text(text)
    moved = _runbook_urls(kustomize(copy))
    assert [u.split("#")[1] for u in moved] == [u.split("#")[1] for u in urls]
    assert all(u.startswith("https://runbooks.example/RUNBOOK.md#") for u in moved)


def test_rules_and_dashboards_use_metrics_that_exist():
    exported = set(re.findall(r'"(wirewatch_[a-z_]+)"', "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "services").rglob("*.py"))))
    texts = [a["expr"] for a in alerts()] + [
        t["expr"] for p in (MONITORING / "dashboards").glob("*.json")
        for panel in json.loads(p.read_text())["panels"] for t in panel["targets"]]
    used = {re.sub(r"_(bucket|count|sum)$", "", m) for t in texts for m in re.findall(r"wirewatch_[a-z_]+", t)}
    # a name pattern like wirewatch_(extract|store)_deadletter_total leaves a prefix behind
    unknown = {m for m in used if m not in exported and not any(e.startswith(m) for e in exported)}
    assert not unknown


def test_hadolint_passes_the_dockerfile(tmp_path):
    hadolint = tool("hadolint")
    res = run(hadolint, str(ROOT / "Dockerfile"))
    assert res.returncode == 0, res.stdout + res.stderr
    (tmp_path / "Dockerfile").write_text("FROM debian\nRUN apt-get install curl\n")
    assert run(hadolint, str(tmp_path / "Dockerfile")).returncode != 0


def test_manifests_set_only_real_settings(rendered):
    from services.extract.settings import ExtractSettings
    from services.ingest.settings import IngestSettings
    from services.store.settings import StoreSettings

    known = {f"WIREWATCH_{name.upper()}" for cls in (IngestSettings, ExtractSettings, StoreSettings)
             for name in cls.model_fields}
    _, docs = rendered
    used = {k for d in docs if d["kind"] == "ConfigMap" for k in d.get("data", {}) if k.startswith("WIREWATCH_")}
    used |= {e["name"] for d in deployments(docs).values() for c in d["spec"]["template"]["spec"]["containers"]
             for e in c.get("env", []) if e["name"].startswith("WIREWATCH_")}
    assert used and used <= known, used - known
