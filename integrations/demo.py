"""Demo: FRAUD's Alertmanager intake, fed one payload like the monitoring stack sends (a model
accuracy drop and high inference latency), then the latency alert resolved. Safe to run
again: it does nothing once FRAUD has an intake."""

from projects.models import Project

from . import alerts
from .models import AlertIntake


def _alert(status: str, fingerprint: str, labels: dict, annotations: dict, starts: str, ends: str) -> dict:
    return {
        "status": status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=model_accuracy",
        "fingerprint": fingerprint,
    }


def _payload(status: str, alerts_: list[dict]) -> dict:
    return {
        "receiver": "aihub-fraud",
        "status": status,
        "alerts": alerts_,
        "groupLabels": {"service": "fraud-scoring"},
        "commonLabels": {"service": "fraud-scoring"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "version": "4",
        "groupKey": '{}:{service="fraud-scoring"}',
        "truncatedAlerts": 0,
    }


def seed_alerts_demo(demo_user) -> None:
    project = Project.objects.filter(key="FRAUD").first()
    if project is None or AlertIntake.objects.filter(project=project).exists():
        return
    intake, _raw = alerts.alert_intake_token_rotate(project=project, user=demo_user)
    common = {"service": "fraud-scoring", "job": "model-monitor"}
    accuracy = _alert(
        "firing",
        "5f3a1c9e0b2d4e61",
        {"alertname": "ModelAccuracyDrop", "severity": "critical", "registered_model": "fraud-detector", **common},
        {
            "summary": "fraud-detector accuracy fell below 0.90",
            "description": "Rolling 1h accuracy of fraud-detector is 0.84 (threshold 0.90).",
            "runbook_url": "https://runbooks.example.com/ml/model-accuracy-drop",
        },
        "2026-12-02T16:58:30Z",
        "0001-01-01T00:00:00Z",
    )
    latency = _alert(
        "firing",
        "a81bd0c44f7e2293",
        {"alertname": "HighInferenceLatency", "severity": "warning", **common},
        {"summary": "p99 inference latency above 250 ms", "description": "p99 latency is 412 ms over 10 minutes."},
        "2026-12-02T17:01:00Z",
        "0001-01-01T00:00:00Z",
    )
    alerts.alert_payload_receive(intake=intake, payload=_payload("firing", [accuracy, latency]))
    resolved = latency | {"status": "resolved", "endsAt": "2026-12-02T17:40:30Z"}
    alerts.alert_payload_receive(intake=intake, payload=_payload("resolved", [resolved]))
