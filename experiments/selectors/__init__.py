"""Reads for experiments, split by purpose. Import from here: `from experiments import selectors`.
Each function owns its joins and costs a fixed number of queries whatever the number of rows."""

from .badges import ticket_badges  # noqa: F401
from .charts import burnup_days, metric_burnup, primary_target, runs_per_sprint  # noqa: F401
from .gates import evaluate_gate, gate_statuses_for_tickets  # noqa: F401
from .runs import (  # noqa: F401
    COLUMN_KEYS_SAMPLE,
    MAX_CHART_POINTS,
    MAX_COMPARE,
    SORTABLE_ATTRIBUTES,
    compare_table,
    compute_actuals,
    experiment_column_keys,
    experiments_for_project,
    headline_metrics,
    histories_for_charts,
    metric_history,
    project_run_stats,
    regressions_for_runs,
    run_for_user,
    run_model_versions,
    run_queryset,
    run_table_columns,
    run_table_preference,
    run_tickets,
    runs_filtered,
    runs_for_compare,
    runs_sorted,
    runs_table,
    table_columns,
    ticket_runs,
)
from .sources import last_syncs, source_syncs, sources_for_project  # noqa: F401
from .targets import gate_ticket_choices, target_progress, targets_for_project  # noqa: F401
