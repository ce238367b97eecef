"""Templates for ML work every project starts with. Admins add their own per project
(DocTemplate); a project template with the same slug replaces the built-in one."""

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinTemplate:
    slug: str
    name: str
    description: str
    body: str


BUILTIN_TEMPLATES = [
    BuiltinTemplate(
        "project-charter",
        "Project charter",
        "Why, for whom, and how we will know it worked.",
        """\
## Problem and context
What business problem does this solve, and for whom?

## SMART objectives
| Objective | Specific metric | Target | Measured on | By (date) |
| --- | --- | --- | --- | --- |
| Detect defects earlier | Recall on scratches | ≥ 0.95 | Held-out line-3 set | 2026-03-31 |

## Stakeholders
| Name | Role | Interest | Sign-off needed |
| --- | --- | --- | --- |
| | Sponsor | | yes |
| | Product owner | | yes |
| | Data owner | | |

## Success metrics
- **Model**: the offline metric and its threshold.
- **Business**: the KPI that must move, and how much.
- **Guardrails**: latency, cost, fairness limits that must hold.

## Scope
- In scope:
- Out of scope:

## Risks and assumptions
- [ ] Data is available and labelled
- [ ] Legal and privacy review done

## Milestones
""",
    ),
    BuiltinTemplate(
        "data-requirements",
        "Data requirements and audit",
        "What data we need, where it comes from, and what we checked.",
        """\
## Data needed
| Dataset | Source / owner | Volume | Refresh | Personal data? |
| --- | --- | --- | --- | --- |
| | | | | |

## Labels
How are labels produced, by whom, with what agreement rate?

## Quality audit
- [ ] Missing values measured per column
- [ ] Duplicates removed
- [ ] Label noise sampled (n = ?)
- [ ] Train / validation / test split without leakage (by time, by site...)

## Bias and representativeness
Which groups or conditions are under-represented?

## Access, retention and compliance
Where the data lives, who may read it, how long it is kept, legal basis.
""",
    ),
    BuiltinTemplate(
        "model-card",
        "Model card",
        "What the model is, how it was evaluated, where it must not be used.",
        """\
## Model details
- Version:
- Type / architecture:
- Owner:
- Training run: {{run:RUN_ID}}

## Intended use
Primary uses and users. **Out of scope** uses.

## Training data
Link to the data requirements page: [[Data requirements and audit]]

## Evaluation
| Metric | Value | Data set |
| --- | --- | --- |
| F1 | {{run:RUN_ID metric:val_f1}} | validation |

## Limitations and ethical considerations

## Caveats and recommendations
""",
    ),
    BuiltinTemplate(
        "experiment-report",
        "Experiment report",
        "Hypothesis, setup, results, decision.",
        """\
## Hypothesis
We believe that … will improve … by …

## Setup
- Ticket:
- Data:
- Baseline run: {{run:BASELINE_RUN_ID metric:val_f1}}
- Candidate run: {{run:CANDIDATE_RUN_ID metric:val_f1}}

## Results
| Run | Metric | Value |
| --- | --- | --- |

## Analysis

## Decision
- [ ] Adopt
- [ ] Iterate
- [ ] Drop
""",
    ),
    BuiltinTemplate(
        "deployment-spec",
        "Deployment specification",
        "How the model runs in production and how we watch it.",
        """\
## Serving
- Endpoint / batch job:
- Hardware:
- Latency budget (p95):
- Throughput:

## Inputs and outputs
```json
{"input": "...", "output": "..."}
```

## Rollout plan
- [ ] Shadow mode
- [ ] Canary (5 %)
- [ ] Full rollout

## Monitoring and alerts
| Signal | Threshold | Who is paged |
| --- | --- | --- |
| Data drift | | |
| Error rate | | |

## Rollback
How to go back to the previous model, and who decides.
""",
    ),
    BuiltinTemplate(
        "post-incident-review",
        "Post-incident review",
        "Blameless review: what happened and what we change.",
        """\
## Summary
One paragraph: what broke, for whom, for how long.

## Impact
Users affected, predictions wrong, money or time lost.

## Timeline (UTC)
| Time | Event |
| --- | --- |
| | Detected |
| | Mitigated |
| | Resolved |

## Root cause

## What went well / what went badly

## Action items
| Action | Owner | Ticket | Due |
| --- | --- | --- | --- |
""",
    ),
]

BUILTIN_BY_SLUG = {template.slug: template for template in BUILTIN_TEMPLATES}
