"""Project templates defined in code, and the shape every template's `data` has (saved ones
too, `models.ProjectTemplate.data`). Creating a project from a template builds, in one
transaction: the workflow, labels, custom fields, one epic per entry of `epics` with its
starter tickets and the exit criteria (projects), then the parts other apps registered with
`hooks.register_template_part`: the doc skeleton (docs_hub, `docs`) and the targets
(experiments, `targets`).

    {
      "board_mode": "scrum" | "kanban",
      "workflow": [{"slug", "name", "is_finished", "wip_limit"}],          # in order
      "labels": [{"name", "color"}],
      "custom_fields": [{"key", "name", "field_type", "options", "show_on_card"}],
      "epics": [{"title", "description", "phase", "labels",
                 "tickets": [{"title", "type", "description", "labels", "estimate"}]}],
      "exit_criteria": {phase: [text, ...]},
      "docs": [{"title", "body", "builtin", "tickets": [starter ticket titles]}],
      "targets": [{"metric", "direction", "target", "baseline", "primary"}],
    }

A doc's `builtin` names a docs_hub built-in page template whose text is the body when
`body` is empty; its `tickets` are the starter tickets it tracks: the doc lists their keys,
so each of those tickets shows the doc under "Docs that mention this ticket"."""

import copy
from dataclasses import dataclass

from .lifecycle import DEFAULT_EXIT_CRITERIA
from .models import BoardMode, Phase

ML_MODEL_ID = "ml-model"

CHARTER = "Project charter"
DATA_REQUIREMENTS = "Data requirements and audit"
MODEL_CARD = "Model card"
DEPLOYMENT_SPEC = "Deployment specification"


def _ticket(title: str, type_: str, description: str, labels: list[str], estimate: int | None = None) -> dict:
    return {"title": title, "type": type_, "description": description, "labels": labels, "estimate": estimate}


ML_MODEL_EPICS = [
    {
        "title": "Define: problem, success metric and stakeholders",
        "phase": Phase.DEFINE,
        "labels": [],
        "description": "Why this model, for whom, and how we will know it worked. Exit criteria: see the "
        "Lifecycle checklist for Define.",
        "tickets": [
            _ticket(
                "Write the project charter",
                "task",
                f"Fill in the **{CHARTER}** page in Docs: problem, SMART objectives, stakeholders, scope.",
                [],
                3,
            ),
            _ticket(
                "Agree the primary metric and its target with the sponsor",
                "task",
                f"The template set a primary target (val_f1 ≥ 0.90). Confirm or change it on the Targets page "
                f"and record the decision in the **{CHARTER}**.",
                ["model"],
                2,
            ),
            _ticket(
                "List risks and constraints (privacy, latency, cost)",
                "spike",
                "Add each to the risk register with its likelihood, impact and owner.",
                [],
                2,
            ),
        ],
    },
    {
        "title": "Plan: approach, milestones and tooling",
        "phase": Phase.PLAN,
        "labels": ["infra"],
        "description": "How we will get there: milestones, budget, tracking.",
        "tickets": [
            _ticket(
                "Plan milestones and the first sprint",
                "task",
                "Put the milestones on the Roadmap and plan sprint 1 from the backlog.",
                [],
                2,
            ),
            _ticket(
                "Estimate the compute and labelling budget",
                "spike",
                f"GPU hours, labelling hours and their cost; note it in the **{CHARTER}**.",
                ["infra"],
                2,
            ),
            _ticket(
                "Connect the MLflow tracking server",
                "task",
                "Register the team's MLflow server under Experiments → Sources, so runs and targets sync.",
                ["infra"],
                1,
            ),
        ],
    },
    {
        "title": "Data: collect, label and audit",
        "phase": Phase.DATA,
        "labels": ["data"],
        "description": "The data the model learns from and is judged on.",
        "tickets": [
            _ticket(
                "Write the data requirements",
                "task",
                f"Datasets, sources, owners, volumes and refresh in **{DATA_REQUIREMENTS}**.",
                ["data"],
                3,
            ),
            _ticket(
                "Audit data quality and label noise",
                "spike",
                f"Sample and check labels; record the findings in **{DATA_REQUIREMENTS}**.",
                ["data"],
                3,
            ),
            _ticket(
                "Define the train, validation and holdout splits",
                "task",
                "Split by time or source so nothing leaks from the holdout into training.",
                ["data"],
                2,
            ),
        ],
    },
    {
        "title": "Develop: from baseline to target",
        "phase": Phase.DEVELOP,
        "labels": ["model"],
        "description": "Experiments that move the primary metric to its target.",
        "tickets": [
            _ticket(
                "Baseline model and its evaluation",
                "experiment",
                "A simple baseline, logged to MLflow with the `aihub.ticket` tag so its runs link here.",
                ["model"],
                3,
            ),
            _ticket(
                "Error analysis on the validation set",
                "experiment",
                "Where does the baseline fail? Slice by class, source and time.",
                ["model"],
                3,
            ),
            _ticket(
                "Write the model card",
                "task",
                f"Intended use, evaluation and limitations in the **{MODEL_CARD}** page.",
                ["model"],
                2,
            ),
        ],
    },
    {
        "title": "Deploy: ship the model safely",
        "phase": Phase.DEPLOY,
        "labels": ["infra"],
        "description": "Serving, rollout and rollback.",
        "tickets": [
            _ticket(
                "Write the deployment specification",
                "task",
                f"Serving, latency budget, rollout and rollback in **{DEPLOYMENT_SPEC}**.",
                ["infra"],
                3,
            ),
            _ticket(
                "Package and serve the model in shadow mode",
                "story",
                "Serve predictions beside the current process without acting on them; compare.",
                ["infra", "model"],
                5,
            ),
            _ticket(
                "Test the rollback plan",
                "task",
                f"Roll back once on purpose and time it; note the steps in **{DEPLOYMENT_SPEC}**.",
                ["infra"],
                2,
            ),
        ],
    },
    {
        "title": "Maintain: monitor and retrain",
        "phase": Phase.MAINTAIN,
        "labels": ["monitoring"],
        "description": "Keep the model good once it is live.",
        "tickets": [
            _ticket(
                "Monitoring dashboards and drift alerts",
                "story",
                f"Input drift, prediction drift and the live metric, as listed in **{DEPLOYMENT_SPEC}**.",
                ["monitoring"],
                3,
            ),
            _ticket(
                "Agree the retraining schedule and its triggers",
                "task",
                "Calendar-based, drift-based, or both; who approves a new version.",
                ["monitoring", "model"],
                2,
            ),
        ],
    },
]

ML_MODEL_DOCS = [
    {
        "title": CHARTER,
        "builtin": "project-charter",
        "body": "",
        "tickets": ["Write the project charter", "Agree the primary metric and its target with the sponsor"],
    },
    {
        "title": DATA_REQUIREMENTS,
        "builtin": "data-requirements",
        "body": "",
        "tickets": ["Write the data requirements", "Audit data quality and label noise"],
    },
    {
        "title": MODEL_CARD,
        "builtin": "model-card",
        "body": "",
        "tickets": ["Write the model card", "Baseline model and its evaluation"],
    },
    {
        "title": DEPLOYMENT_SPEC,
        "builtin": "deployment-spec",
        "body": "",
        "tickets": ["Write the deployment specification", "Test the rollback plan"],
    },
]


def _ml_model_data() -> dict:
    return {
        "board_mode": BoardMode.SCRUM,
        "workflow": [
            {"slug": "todo", "name": "To do", "is_finished": False, "wip_limit": None},
            {"slug": "in_progress", "name": "In progress", "is_finished": False, "wip_limit": None},
            {"slug": "in_review", "name": "In review", "is_finished": False, "wip_limit": None},
            # A model waiting on (or in) its evaluation against the holdout and the gates.
            {"slug": "evaluating", "name": "Evaluating", "is_finished": False, "wip_limit": 5},
            {"slug": "done", "name": "Done", "is_finished": True, "wip_limit": None},
        ],
        "labels": [
            {"name": "data", "color": "#0ea5e9"},
            {"name": "model", "color": "#8b5cf6"},
            {"name": "experiment", "color": "#4f46e5"},
            {"name": "infra", "color": "#0891b2"},
            {"name": "monitoring", "color": "#64748b"},
            {"name": "bug", "color": "#dc2626"},
        ],
        "custom_fields": [
            {
                "key": "dataset_version",
                "name": "Dataset version",
                "field_type": "text",
                "options": [],
                "show_on_card": False,
            },
        ],
        "epics": ML_MODEL_EPICS,
        "exit_criteria": {str(phase): list(texts) for phase, texts in DEFAULT_EXIT_CRITERIA.items()},
        "docs": ML_MODEL_DOCS,
        "targets": [{"metric": "val_f1", "direction": "higher", "target": 0.9, "baseline": None, "primary": True}],
    }


@dataclass(frozen=True)
class BuiltinProjectTemplate:
    id: str
    name: str
    description: str

    def data(self) -> dict:
        return copy.deepcopy(BUILTIN_DATA[self.id]())


BUILTIN_DATA = {ML_MODEL_ID: _ml_model_data}
BUILTIN_PROJECT_TEMPLATES = {
    ML_MODEL_ID: BuiltinProjectTemplate(
        id=ML_MODEL_ID,
        name="ML model project",
        description="Scrum board with an Evaluating column, ML labels, one epic per lifecycle phase with starter "
        "tickets, charter, data requirements, model card and deployment specification pages, a primary target "
        "(val_f1 ≥ 0.90) and each phase's exit criteria.",
    ),
}
