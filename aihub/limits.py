"""How long user-written text may be, per field, in one place (README lists them).

Markdown is rendered in the request that saves it (aihub/markdown.py); these caps keep the
longest text of each field within the renderer's work budget, so saving it takes at most
about 200 ms of CPU however it is written (bench/markdown_render.py measures it). Services check
them before rendering, so the API answers 400 with the field's error and the pages show it
under the field.
"""

from django.core.exceptions import ValidationError

# (model label, field) -> maximum number of characters.
TEXT_LIMITS: dict[tuple[str, str], int] = {
    ("projects.Project", "description"): 20_000,
    ("projects.Project", "objectives"): 10_000,
    ("projects.Sprint", "goal"): 2_000,
    ("projects.Ticket", "description"): 20_000,
    ("projects.Ticket", "acceptance_criteria"): 10_000,
    ("projects.Comment", "body"): 10_000,
    ("projects.Risk", "description"): 10_000,
    ("projects.Risk", "mitigation"): 5_000,
    ("projects.Milestone", "description"): 5_000,
    ("docs_hub.Doc", "body"): 20_000,
    ("docs_hub.DocTemplate", "body"): 20_000,
}


def text_limit(model: str, field: str) -> int:
    return TEXT_LIMITS[(model, field)]


def text_lengths_check(model: str, **values: str | None) -> None:
    """Raise ValidationError({field: [message]}) for each value longer than its field's
    limit. Call it before rendering: an oversized text is never rendered."""
    errors = {}
    for field, value in values.items():
        limit = TEXT_LIMITS[(model, field)]
        length = len(value or "")
        if length > limit:
            errors[field] = [f"At most {limit:,} characters (this text has {length:,}). Shorten it or split it up."]
    if errors:
        raise ValidationError(errors)
