"""Re-rendering the pages that link to a renamed, much-linked page happens on a real
Celery worker (Redis, PostgreSQL), after the rename commits."""

import time

import pytest

from docs_hub import services
from docs_hub.models import Doc
from docs_hub.services.docs import INLINE_RERENDER_LIMIT
from tests.docs_hub.factories import make_doc
from tests.projects.factories import ProjectFactory


@pytest.mark.celery_worker
def test_linkers_are_rerendered_by_a_real_worker(celery_worker_process):
    project = ProjectFactory()
    target = make_doc(project, title="Glossary")
    linker_ids = [
        make_doc(project, title=f"Note {n}", body="See [[Glossary]].").pk for n in range(INLINE_RERENDER_LIMIT + 5)
    ]
    services.doc_update(doc=target, author=None, title="Terms")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stale = Doc.objects.filter(pk__in=linker_ids).exclude(body_html__contains="/docs/terms/").count()
        if stale == 0:
            break
        time.sleep(0.3)
    assert stale == 0, celery_worker_process["log"].read_text()[-3000:]
    assert "rerender_docs" in celery_worker_process["log"].read_text()
