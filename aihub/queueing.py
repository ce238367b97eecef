"""Handing work to Celery when the broker (Redis) may be down.

`enqueue(task, *args)` publishes with a short retry (a person is usually waiting) and
raises `QueueUnavailable` with a message a person can read when the broker cannot take the
task. `enqueue_or_run_here(task, *args)` is for small jobs that may as well run in this
process during an outage (an invitation e-mail, re-rendering docs): nothing is lost and
nothing answers 500."""

import logging

from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

BROKER_ERRORS = (BrokerError, RedisConnectionError, RedisTimeoutError, OSError)
# One more try at once, then give up.
ENQUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
QUEUE_DOWN_MESSAGE = "The task queue (Redis) is not reachable: nothing was queued. Try again in a moment."


class QueueUnavailable(Exception):
    def __init__(self, message: str = QUEUE_DOWN_MESSAGE):
        super().__init__(message)
        self.message = message


def enqueue(task, *args, **kwargs):
    if task.app.conf.task_always_eager:
        return task.apply_async(args, kwargs)
    try:
        return task.apply_async(args, kwargs, retry=True, retry_policy=ENQUEUE_RETRY_POLICY)
    except BROKER_ERRORS as error:
        logger.warning("task %s could not be queued: %s", task.name, error)
        raise QueueUnavailable() from error


def enqueue_or_run_here(task, *args, **kwargs) -> None:
    """Queue the task; if the broker is down, run it in this process instead. A network
    error of the task itself (an SMTP server that refuses) is logged, not raised at the
    caller, who committed its own work already."""
    try:
        enqueue(task, *args, **kwargs)
        return
    except QueueUnavailable:
        logger.warning("task %s runs in the web process while the task queue is down", task.name)
    try:
        task.run(*args, **kwargs)
    except OSError:  # smtplib's errors too; the caller's write is committed already
        logger.exception("task %s failed in the web process", task.name)
