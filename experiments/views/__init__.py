"""Pages of the experiments app, split by purpose."""

from .charts import burnup_section, runs_per_sprint_section  # noqa: F401
from .runs import (  # noqa: F401
    compare,
    experiment_columns,
    experiment_runs,
    index,
    run_detail,
    run_link_ticket,
    run_unlink_ticket,
)
from .sources import (  # noqa: F401
    hub_section,
    sentinel_settings,
    source_detail,
    source_sync_now,
    source_test,
    sources,
)
from .targets import target_delete, target_edit, target_gate, targets, targets_section  # noqa: F401
from .tickets import (  # noqa: F401
    ticket_gate_add,
    ticket_gate_delete,
    ticket_link_run,
    ticket_panel,
    ticket_run_search,
    ticket_unlink_run,
)
