"""Celery tasks: they take ids and call a service. Enqueued through docs_hub/queue.py, by name."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def rerender_docs(doc_ids: list[int]) -> int:
    """Render these docs again (their links changed target). Idempotent."""
    return services.doc_rerender(doc_ids=doc_ids)
