"""The ML project lifecycle: the phases in order and the exit criteria a new project (or a
template) starts with. Below services and selectors: plain data and small helpers."""

from .models import PHASE_ORDER, Phase

# What must be true before a project leaves each phase: the checklist templates bring
# (`services.exit_criteria_create(project, phase, texts)`) and the Lifecycle page offers
# to a project whose phase has no criteria yet.
DEFAULT_EXIT_CRITERIA: dict[str, list[str]] = {
    Phase.DEFINE: [
        "Problem statement and business goal agreed with the stakeholders",
        "Success metric and target value written down (a target in AI Hub)",
        "Charter approved by the sponsor",
    ],
    Phase.PLAN: [
        "Data requirements written",
        "Epics and first sprint planned",
        "Risks reviewed and owners named",
    ],
    Phase.DATA: [
        "Training and holdout data available and versioned",
        "Labels checked for quality (sample audited)",
        "Holdout split defined with no leakage",
    ],
    Phase.DEVELOP: [
        "Primary target met on the holdout set",
        "Model card written",
        "Evaluation reviewed by someone outside the team",
    ],
    Phase.DEPLOY: [
        "Deployment specification approved",
        "Monitoring and alerts in place",
        "Rollback plan tested",
    ],
    Phase.MAINTAIN: [
        "Retraining schedule agreed",
        "Ownership handed over to the operating team",
    ],
}
assert tuple(DEFAULT_EXIT_CRITERIA) == PHASE_ORDER


def phase_index(phase: str) -> int:
    return PHASE_ORDER.index(phase)


def next_phase(phase: str) -> str | None:
    """The phase after `phase`, or None for the last one."""
    index = phase_index(phase)
    return PHASE_ORDER[index + 1] if index + 1 < len(PHASE_ORDER) else None


def phase_label(phase: str) -> str:
    return Phase(phase).label
