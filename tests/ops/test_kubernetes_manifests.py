"""deploy/kubernetes: every manifest valid against the Kubernetes schemas (offline, with
kubernetes-validate), the pieces wired to each other and to the app (names, labels, ports,
probes, settings the app reads, the image's command), and the Prometheus rules naming only
metrics and labels the app's /metrics really exports."""

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from experiments.models import SyncRecord
from tests.experiments.factories import ExperimentFactory, RunFactory
from tests.services import require_redis

ROOT = Path(__file__).resolve().parent.parent.parent
K8S = ROOT / "deploy" / "kubernetes"
MONITORING = K8S / "monitoring"
# The oldest Kubernetes still commonly run, and the newest the package knows.
KUBERNETES_VERSIONS = ["1.29.0", kubernetes_validate.latest_version()]
CUSTOM_KINDS = {"Kustomization", "PrometheusRule", "ServiceMonitor"}


def documents(folder: Path) -> list[tuple[Path, dict]]:
    found = []
    for path in sorted(folder.glob("*.yaml")):
        found += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def resources() -> dict[tuple[str, str], dict]:
    """Every object of both folders by (kind, name)."""
    return {
        (doc["kind"], doc["metadata"]["name"]): doc
        for folder in (K8S, MONITORING)
        for _, doc in documents(folder)
        if doc["kind"] != "Kustomization"
    }


def workloads() -> list[dict]:
    return [doc for (kind, _), doc in resources().items() if kind in {"Deployment", "Job"}]


def test_every_manifest_is_valid_against_the_kubernetes_schemas():
    checked = 0
    for folder in (K8S, MONITORING):
        for path, doc in documents(folder):
            if doc["kind"] in CUSTOM_KINDS:
                continue  # no schema bundled: checked by the tests below
            for version in KUBERNETES_VERSIONS:
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except kubernetes_validate.ValidationError as error:
                    pytest.fail(
                        f"{path.name} ({doc['kind']}) is invalid for Kubernetes {version}: {error.message} "
                        f"at {'.'.join(str(p) for p in error.path)}"
                    )
            checked += 1
    assert checked >= 13


def test_an_invalid_manifest_is_caught():
    deployment = yaml.safe_load((K8S / "web-deployment.yaml").read_text())
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("folder", [K8S, MONITORING], ids=["app", "monitoring"])
def test_each_kustomization_lists_every_file_in_its_folder(folder):
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    present = {path.name for path in folder.glob("*.y*ml")} - {"kustomization.yaml"}
    assert set(listed) == present


def test_the_stack_has_its_parts():
    kinds = {}
    for kind, name in resources():
        kinds.setdefault(kind, set()).add(name)
    assert {"aihub-web", "aihub-worker", "aihub-beat"} <= kinds["Deployment"]
    assert kinds["Job"] == {"aihub-migrate"}
    for kind in (
        "Namespace",
        "ConfigMap",
        "Secret",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "PersistentVolumeClaim",
        "PrometheusRule",
        "ServiceMonitor",
    ):
        assert kinds.get(kind), kind


def _containers(workload):
    return workload["spec"]["template"]["spec"]["containers"]


def test_pods_run_as_the_images_non_root_user_with_no_privileges():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--uid 1000 aihub" in dockerfile
    for workload in workloads():
        name = workload["metadata"]["name"]
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 1000, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod.get("automountServiceAccountToken") is False, name
        config = resources()[("ConfigMap", "aihub-config")]["data"]
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        for container in _containers(workload):
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), (name, kind)
            mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: a read-only root needs a writable /tmp"
            env = {item["name"]: item.get("value") for item in container.get("env", [])}
            data_dir = env.get("AIHUB_DATA_DIR") or config["AIHUB_DATA_DIR"]
            assert any(data_dir.startswith(path) for path in mounts), f"{name}: AIHUB_DATA_DIR {data_dir} not writable"


def test_workloads_read_the_configmap_and_secret_in_the_folder():
    objects = resources()
    for workload in workloads():
        for container in _containers(workload):
            refs = {
                (
                    ("ConfigMap", ref["configMapRef"]["name"])
                    if "configMapRef" in ref
                    else ("Secret", ref["secretRef"]["name"])
                )
                for ref in container["envFrom"]
            }
            assert refs == {("ConfigMap", "aihub-config"), ("Secret", "aihub-secrets")}
            assert refs <= set(objects)
        for volume in workload["spec"]["template"]["spec"]["volumes"]:
            if "persistentVolumeClaim" in volume:
                assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in objects


def _dockerfile_cmd() -> list[str]:
    lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    return json.loads(lines[-1][4:])


def test_web_runs_the_images_command_with_probes_on_healthz_and_readyz():
    web = resources()[("Deployment", "aihub-web")]
    [container] = _containers(web)
    assert "command" not in container  # the image's entrypoint stays
    assert container["args"] == _dockerfile_cmd()
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    port_names = {port["name"] for port in container["ports"]}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] in port_names
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")  # gunicorn.conf.py, on the emptyDir
    entrypoint = (ROOT / "docker-entrypoint.sh").read_text()
    for workload, args in (("aihub-worker", ["worker"]), ("aihub-beat", ["beat"])):
        [container] = _containers(resources()[("Deployment", workload)])
        assert container["args"] == args and f"  {args[0]})" in entrypoint
    [container] = _containers(resources()[("Job", "aihub-migrate")])
    assert container["args"] == ["migrate"] and "  migrate)" in entrypoint


def test_exactly_one_beat_and_autoscalers_for_web_and_workers_only():
    objects = resources()
    beat = objects[("Deployment", "aihub-beat")]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    targets = {}
    for (kind, _name), hpa in objects.items():
        if kind == "HorizontalPodAutoscaler":
            assert hpa["apiVersion"] == "autoscaling/v2"
            target = hpa["spec"]["scaleTargetRef"]
            assert ("Deployment", target["name"]) in objects
            assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"])
            targets[target["name"]] = hpa
    assert set(targets) == {"aihub-web", "aihub-worker"}


def _matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_service_ingress_pdb_and_monitor_point_at_the_web_pods():
    objects = resources()
    web_labels = objects[("Deployment", "aihub-web")]["spec"]["template"]["metadata"]["labels"]
    service = objects[("Service", "aihub-web")]
    assert _matches(service["spec"]["selector"], web_labels)
    [container] = _containers(objects[("Deployment", "aihub-web")])
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= {port["name"] for port in container["ports"]}
    for path in objects[("Ingress", "aihub")]["spec"]["rules"][0]["http"]["paths"]:
        backend = path["backend"]["service"]
        assert backend["name"] == "aihub-web"
        assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}
    pdb = objects[("PodDisruptionBudget", "aihub-web")]
    assert _matches(pdb["spec"]["selector"]["matchLabels"], web_labels)
    assert pdb["spec"]["minAvailable"] < objects[("HorizontalPodAutoscaler", "aihub-web")]["spec"]["minReplicas"]
    monitor = objects[("ServiceMonitor", "aihub-web")]
    assert _matches(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]} and endpoint["path"] == "/metrics"
    token = endpoint["authorization"]["credentials"]
    assert token["key"] in objects[("Secret", token["name"])]["stringData"]


def test_settings_are_ones_the_app_reads_and_secrets_are_marked_placeholders():
    objects = resources()
    config = objects[("ConfigMap", "aihub-config")]["data"]
    secret = objects[("Secret", "aihub-secrets")]["stringData"]
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= set(secret)
    assert {"ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "MLFLOW_TRACKING_URI", "AIHUB_DATA_DIR"} <= set(config)
    assert not set(config) & set(secret)
    for key, value in secret.items():
        assert "replace-me" in value.lower(), f"{key} must be a clearly marked placeholder"
    readers = "".join(
        (ROOT / name).read_text() for name in ("aihub/settings.py", "docker-entrypoint.sh", "gunicorn.conf.py")
    )
    outside_the_app = {"HOME", "MPLCONFIGDIR", "MLFLOW_DISABLE_TELEMETRY"}
    for key in set(config) | set(secret):
        assert key in outside_the_app or f'"{key}"' in readers or f"${{{key}" in readers, f"nothing reads {key}"
    host = config["ALLOWED_HOSTS"].split(",")[0]
    ingress = objects[("Ingress", "aihub")]["spec"]
    assert ingress["rules"][0]["host"] == host and host in ingress["tls"][0]["hosts"]
    assert config["CSRF_TRUSTED_ORIGINS"] == f"https://{host}"


def _manifest_env(**overrides) -> dict:
    objects = resources()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(objects[("ConfigMap", "aihub-config")]["data"])
    env.update(objects[("Secret", "aihub-secrets")]["stringData"])
    env.update(AIHUB_DATA_DIR=str(ROOT / "data"), HOME=env.get("HOME", "/tmp"), **overrides)
    env.pop("MPLCONFIGDIR", None)
    return env


def test_the_app_passes_deploy_checks_with_these_settings_and_refuses_the_placeholder_key():
    real_key = "k8s-test-" + "a1B2c3D4e5F6g7H8i9J0" * 3
    # The security checks of a production start (static files are the image's business).
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--tag", "security", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_manifest_env(SECRET_KEY=real_key),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_manifest_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


# Prometheus rules ---------------------------------------------------------------------

DURATION = re.compile(r"^\d+[smhdw]$")
PROMQL_WORDS = {
    "sum",
    "max",
    "min",
    "avg",
    "count",
    "by",
    "without",
    "rate",
    "increase",
    "irate",
    "histogram_quantile",
    "max_over_time",
    "min_over_time",
    "avg_over_time",
    "time",
    "and",
    "or",
    "unless",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "clamp_min",
    "abs",
    "absent",
    "bool",
    "offset",
    "vector",
    "scalar",
}
TARGET_LABELS = {"namespace", "pod", "instance", "job", "service", "container", "endpoint"}


def rules() -> list[dict]:
    document = yaml.safe_load((MONITORING / "prometheus-rules.yaml").read_text())
    assert document["apiVersion"] == "monitoring.coreos.com/v1" and document["kind"] == "PrometheusRule"
    found = []
    for group in document["spec"]["groups"]:
        assert group["name"] and group["rules"]
        found += group["rules"]
    return found


@pytest.fixture
def exported(client, settings, db) -> dict[str, set[str]]:
    """Each sample name /metrics exports, with its label names, once there is something to
    report: syncs of a source, a finished run with the exported key, Redis for the queue."""
    require_redis()
    config = resources()[("ConfigMap", "aihub-config")]["data"]
    settings.AIHUB_METRICS_EXPORTED_KEYS = config["AIHUB_METRICS_EXPORTED_KEYS"].split(",")
    experiment = ExperimentFactory()
    RunFactory(experiment=experiment, metrics={key: 0.9 for key in settings.AIHUB_METRICS_EXPORTED_KEYS})
    now = timezone.now()
    for status in ("ok", "error"):
        SyncRecord.objects.create(
            source=experiment.source, kind="fast", status=status, started_at=now - timedelta(seconds=3), finished_at=now
        )
    client.get("/healthz")
    names: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(client.get("/metrics").content.decode()):
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    return names


def test_every_rule_is_complete():
    seen = set()
    for rule in rules():
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule.get("alert")
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"]) and rule["alert"] not in seen
        seen.add(rule["alert"])
        assert DURATION.match(rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        expr = rule["expr"]
        assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"), rule["alert"]
        assert expr.count("[") == expr.count("]")
        for window in re.findall(r"\[([^\]]+)\]", expr):
            assert DURATION.match(window), (rule["alert"], window)


def test_rules_cover_the_operational_alerts():
    exprs = " ".join(rule["expr"] for rule in rules())
    for metric in (
        "aihub_http_requests_total",
        "aihub_http_request_duration_seconds_bucket",
        "aihub_celery_queue_length",
        "aihub_sync_source_failing",
        "aihub_sync_last_success_timestamp_seconds",
        "aihub_run_metric_latest",
    ):
        assert metric in exprs, metric
    assert 'status=~"5.."' in exprs and "histogram_quantile(0.95" in exprs


def test_rules_name_only_metrics_and_labels_the_app_exports(exported):
    config = resources()[("ConfigMap", "aihub-config")]["data"]
    exported_keys = set(config["AIHUB_METRICS_EXPORTED_KEYS"].split(","))
    for rule in rules():
        expr = rule["expr"]
        metrics_named = set(re.findall(r"\baihub_[a-z0-9_]+\b", expr))
        assert metrics_named, rule["alert"]
        labels_available = set(TARGET_LABELS)
        for metric in metrics_named:
            assert metric in exported, f"{rule['alert']}: /metrics has no {metric}"
            labels_available |= exported[metric]
        for metric, matchers in re.findall(r"\b(aihub_[a-z0-9_]+)\{([^}]*)\}", expr):
            for label, op, wanted in re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', matchers):
                assert label in exported[metric], f"{rule['alert']}: {metric} has no label {label}"
                if metric == "aihub_run_metric_latest" and label == "metric" and op == "=":
                    assert wanted in exported_keys, f"{wanted} is not in AIHUB_METRICS_EXPORTED_KEYS"
        for grouping in re.findall(r"\bby\s*\(([^)]*)\)", expr):
            for label in filter(None, (item.strip() for item in grouping.split(","))):
                assert label in labels_available, f"{rule['alert']}: no metric here has the label {label}"
        for label in re.findall(r"\$labels\.(\w+)", json.dumps(rule["annotations"])):
            assert label in labels_available, f"{rule['alert']}: annotation uses missing label {label}"
        words = set(re.findall(r"\b([a-z_]+)\s*\(", expr))
        assert words <= PROMQL_WORDS, f"{rule['alert']}: unknown functions {words - PROMQL_WORDS}"
