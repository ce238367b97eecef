"""Writes for experiments, split by purpose. Import from here."""

from ..queue import SyncQueueUnavailable  # noqa: F401  (source_sync_request raises it)
from .closeout import ticket_closeout_snapshot  # noqa: F401
from .gates import (  # noqa: F401
    after_sync_import,
    gate_create,
    gate_delete,
    gate_parse,
    gates_recheck,
    gates_recheck_project,
    ticket_finish_guard,
)
from .links import run_link, run_unlink  # noqa: F401
from .preferences import run_table_preference_reset, run_table_preference_save  # noqa: F401
from .sentinel import sentinel_check, sentinel_configure  # noqa: F401
from .sources import (  # noqa: F401
    ConnectionTestThrottled,
    source_create,
    source_delete,
    source_sync_request,
    source_test_connection,
    source_test_throttle,
    source_update,
    sources_dispatch_due,
    syncs_take_over_expired,
)
from .targets import target_create, target_delete, target_gate_create, target_update  # noqa: F401
