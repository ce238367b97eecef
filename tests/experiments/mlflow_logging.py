"""Logging runs to the real MLflow server with the real client, for tests."""

import time

from mlflow.entities import Metric, Param, RunTag


def now_ms() -> int:
    return int(time.time() * 1000)


def log_run(
    client,
    experiment_id: str,
    *,
    name: str,
    params: dict | None = None,
    metrics: dict | None = None,
    tags: dict | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    status: str | None = "FINISHED",
) -> str:
    """Create a run; `metrics` maps a key to a list of values (its history, steps 0..n-1).
    status None leaves the run RUNNING."""
    start_ms = start_ms or now_ms()
    run = client.create_run(experiment_id, start_time=start_ms, tags=tags or {}, run_name=name)
    run_id = run.info.run_id
    points = [
        Metric(key, float(value), start_ms + step * 1000, step)
        for key, values in (metrics or {}).items()
        for step, value in enumerate(values)
    ]
    client.log_batch(run_id, metrics=points, params=[Param(k, str(v)) for k, v in (params or {}).items()])
    if status:
        client.set_terminated(run_id, status=status, end_time=end_ms or (start_ms + 60_000))
    return run_id


def add_metric(client, run_id: str, key: str, value: float, step: int, timestamp: int | None = None) -> None:
    client.log_batch(run_id, metrics=[Metric(key, value, timestamp or now_ms(), step)])


def add_tag(client, run_id: str, key: str, value: str) -> None:
    client.log_batch(run_id, tags=[RunTag(key, value)])
