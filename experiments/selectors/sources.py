"""Reads of MLflow sources and their syncs."""

from django.db.models import OuterRef, Subquery

from projects.models import Project

from ..models import MlflowSource, SyncRecord


def sources_for_project(*, project: Project) -> list[MlflowSource]:
    sources = list(project.mlflow_sources.order_by("pk"))
    last = last_syncs([s.pk for s in sources])
    for source in sources:
        source.last_sync = last.get(source.pk)
    return sources


def last_syncs(source_ids) -> dict[int, SyncRecord]:
    """The latest sync record of each source, in one query."""
    latest = SyncRecord.objects.filter(source=OuterRef("source")).order_by("-created_at", "-id").values("pk")[:1]
    records = SyncRecord.objects.filter(source_id__in=list(source_ids), pk=Subquery(latest))
    return {record.source_id: record for record in records}


def source_syncs(*, source: MlflowSource, limit: int = 10) -> list[SyncRecord]:
    return list(source.syncs.order_by("-created_at", "-id")[:limit])
