"""Demo pages in the CV project: a charter, data requirements and a model card that link
to each other, mention tickets CV-1 and CV-2 and use live macros. Safe to run again."""

from django.db import transaction

from projects.models import Project
from projects.services import project_update

from .models import Doc, StatusReport
from .services import doc_create, status_report_generate

CHARTER = """\
Owner: the vision team. Sponsor: head of quality. See [[Data requirements and audit]] for the data
and [[Model card: scratch detector]] for the current model.

## SMART objectives
| Objective | Metric | Target | By |
| --- | --- | --- | --- |
| Catch scratches before packing | Recall on scratches (held-out line-3 set) | ≥ 0.95 | end of Q1 |
| Run on the edge box | p95 inference latency | < 40 ms | end of Q1 |

## Stakeholders
| Who | Role | Sign-off |
| --- | --- | --- |
| Quality lead | Sponsor | yes |
| Line-3 supervisor | User | yes |
| Vision team | Builders | |

## Success metrics
- Model: recall ≥ 0.95 at precision ≥ 0.80.
- Business: returns for surface defects down 30 %.
- Guardrail: no more than 2 % of good parts stopped.

## Work
- CV-1 tracks the labelling pipeline: {{ticket:CV-1}}
- CV-2 tracks the baseline model: {{ticket:CV-2}}

## Checklist
- [x] Kick-off held
- [ ] Data audit signed off
"""

DATA = """\
Part of [[Project charter]]. Labelling work is tracked in CV-1.

## Data needed
| Dataset | Source | Volume | Refresh |
| --- | --- | --- | --- |
| Line-3 images | camera rig, QA labels | 48,000 images | weekly |

## Quality audit
- [x] Duplicates removed (1.2 %)
- [ ] Label noise sampled on 500 images
- [ ] Split by week, no leakage between train and test

```python
# how the split is made
train = images[images.week < 40]
test = images[images.week >= 40]
```
"""

MODEL_CARD = """\
Trained for the objectives in [[Project charter]] on the data in [[Data requirements and audit]].
Baseline work: CV-2 ({{ticket:CV-2}}).

## Evaluation
| Metric | Value |
| --- | --- |
| Validation F1 | {{run:demo-baseline metric:val_f1}} |

## Intended use
Flag parts for a human check on line 3. **Not** for other lines without re-validation.

## Limitations
Glare from the left lamp hides fine scratches: see [[Glare study]].
"""


def seed_demo_docs(demo_user) -> None:
    project = Project.objects.filter(key="CV").first()
    if project is None:
        return
    pages = [
        ("Project charter", CHARTER, None),
        ("Data requirements and audit", DATA, "Project charter"),
        ("Model card: scratch detector", MODEL_CARD, "Project charter"),
    ]
    for title, body, parent_title in pages:
        if Doc.objects.filter(project=project, title=title).exists():
            continue
        parent = (
            Doc.objects.filter(project=project, title=parent_title, deleted_at__isnull=True).first()
            if parent_title
            else None
        )
        doc_create(project=project, author=demo_user, title=title, body=body, parent=parent, message="Demo content")


def seed_demo_status_report(demo_user) -> None:
    """The CV project's weekly status report switched on (Mondays at 09:00 UTC) and one
    report written, under "Status reports", from what the other seeders made (sprints, runs
    and targets, risks). Left alone once the project has a report."""
    project = Project.objects.filter(key="CV").first()
    if project is None or StatusReport.objects.filter(project=project).exists():
        return
    project_update(project=project, status_report_enabled=True)
    # Once the seeding commits: the experiments seeder's MLflow sync is sent on commit too,
    # earlier, so where tasks run in-process (`make run`) the report shows the synced runs.
    transaction.on_commit(lambda: status_report_generate(project=project, user=demo_user))
