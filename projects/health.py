"""What a project's health is made of: a status (on track, at risk, off track) and the
reasons that fired, each with a severity. Pure data, below selectors; the rules that find
the reasons are in `selectors/health.py` (projects' own) and registered by other apps
through `hooks.register_health_rule` (experiments: gates, targets, the MLflow sync)."""

from dataclasses import dataclass, field

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
STATUS_LABELS = {ON_TRACK: "On track", AT_RISK: "At risk", OFF_TRACK: "Off track"}
_RANK = {ON_TRACK: 0, AT_RISK: 1, OFF_TRACK: 2}

# The thresholds health reads, as fields of Project (edited on the settings page and in the
# project API), with their defaults and bounds: (field, default, min, max).
HEALTH_SETTING_FIELDS = (
    ("health_burndown_behind_pct", 20, 1, 100),
    ("health_blocked_days", 3, 1, 365),
    ("health_target_days", 14, 0, 365),
    ("health_high_risks_off_track", 3, 1, 100),
    ("health_sync_stale_hours", 24, 1, 720),
)
# Every project field this feature adds, as the settings form and the project API list them.
THRESHOLD_FIELDS = (*(name for name, _, _, _ in HEALTH_SETTING_FIELDS), "forecast_weeks")


@dataclass(frozen=True)
class Reason:
    """One rule that fired: a stable `code` (e.g. "blocked_tickets"), the sentence a person
    reads, and its severity (AT_RISK or OFF_TRACK)."""

    code: str
    message: str
    severity: str = AT_RISK

    @property
    def severity_label(self) -> str:
        return STATUS_LABELS.get(self.severity, "At risk")

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "severity": self.severity}


@dataclass
class Health:
    reasons: list[Reason] = field(default_factory=list)

    def __post_init__(self):
        # The worst first, in the order the rules gave them otherwise.
        self.reasons = sorted(self.reasons, key=lambda r: -_RANK.get(r.severity, 1))

    @property
    def status(self) -> str:
        return max((r.severity for r in self.reasons), key=lambda s: _RANK.get(s, 1), default=ON_TRACK)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def top_reason(self) -> Reason | None:
        return self.reasons[0] if self.reasons else None

    def as_dict(self) -> dict:
        return {"status": self.status, "reasons": [r.as_dict() for r in self.reasons]}


@dataclass(frozen=True)
class HealthSettings:
    """A project's health thresholds (see HEALTH_SETTING_FIELDS)."""

    burndown_behind_pct: int = 20
    blocked_days: int = 3
    target_days: int = 14
    high_risks_off_track: int = 3
    sync_stale_hours: int = 24

    @classmethod
    def of(cls, project) -> "HealthSettings":
        return cls(
            **{
                name.removeprefix("health_"): getattr(project, name, default)
                for name, default, _, _ in HEALTH_SETTING_FIELDS
            }
        )
