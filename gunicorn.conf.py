"""gunicorn reads this file from its working directory (/app in the image, the checkout
here) before it starts any worker.

Prometheus multiprocess mode: each gunicorn worker is its own process with its own
counters, so without this a scrape of /metrics would see only the worker that answered
it. Every worker writes its counters and histograms to files in PROMETHEUS_MULTIPROC_DIR
and /metrics sums them (aihub/observability.py). The folder is emptied when the server
starts (files of a previous run would be added in) and a worker that exits is marked dead.
Set PROMETHEUS_MULTIPROC_DIR to a writable folder (an emptyDir on Kubernetes); without it
a fresh temporary folder is used and removed at exit.

LOG_FORMAT=json: gunicorn's own lines are JSON too, and its access log is left out (even with
--access-logfile -), since the app logs one JSON line per request with its request id
(aihub/logs.py)."""

import os
import shutil
import tempfile
from pathlib import Path

_created_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _created_dir = tempfile.mkdtemp(prefix="aihub-prometheus-")
    # Set before any worker imports prometheus_client (the app is loaded in the workers).
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _created_dir


if os.environ.get("LOG_FORMAT", "text").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "aihub.logs.JsonFormatter"}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
        "root": {"level": "INFO", "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }


def on_starting(server):
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _created_dir:
        shutil.rmtree(_created_dir, ignore_errors=True)
