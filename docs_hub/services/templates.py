"""A project's own page templates (admins add them)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from aihub.limits import text_lengths_check
from projects.models import Project

from ..models import DocTemplate

User = get_user_model()


@transaction.atomic
def doc_template_create(
    *, project: Project, name: str, body: str, description: str = "", created_by: User | None = None
) -> DocTemplate:
    name = (name or "").strip()
    text_lengths_check("docs_hub.DocTemplate", body=body)
    slug = slugify(name)[:80]
    if not slug:
        raise ValidationError({"name": ["A template needs a name."]})
    if DocTemplate.objects.filter(project=project, slug=slug).exists():
        raise ValidationError({"name": ["This project already has a template with this name."]})
    template = DocTemplate(
        project=project,
        slug=slug,
        name=name,
        description=(description or "").strip(),
        body=body or "",
        created_by=created_by,
    )
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def doc_template_delete(*, template: DocTemplate) -> None:
    template.delete()
