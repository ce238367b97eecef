"""Custom fields: admins define typed fields per project; ticket values are checked here."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from .. import live
from ..fields import CHOICE_TYPES, custom_field_lookup
from ..models import CustomField, CustomFieldType, Project, Ticket


def _clean_value(field: CustomField, value):
    """The stored form of `value` for `field` (JSON-friendly), or ValidationError."""
    kind = field.field_type
    if kind == CustomFieldType.TEXT:
        value = str(value).strip()
        if len(value) > 2000:
            raise ValidationError("At most 2,000 characters.")
        return value or None
    if kind == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            raise ValidationError("Enter a number.")
        if isinstance(value, str) and not value.strip():
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError("Enter a number.") from None
        if not number.is_finite():
            raise ValidationError("Enter a number.")
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomFieldType.DATE:
        if isinstance(value, datetime.date):
            return value.isoformat()
        if not str(value).strip():
            return None
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError("Enter a date as YYYY-MM-DD.") from None
    if kind == CustomFieldType.SELECT:
        value = str(value).strip()
        if not value:
            return None
        if value not in field.options:
            raise ValidationError(f"Choose one of: {', '.join(field.options)}.")
        return value
    if kind == CustomFieldType.MULTI_SELECT:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise ValidationError("Give a list of choices.")
        wrong = [str(v) for v in value if str(v) not in field.options]
        if wrong:
            raise ValidationError(f"Not a choice: {', '.join(wrong)}. Choose from: {', '.join(field.options)}.")
        return [option for option in field.options if option in {str(v) for v in value}] or None
    if kind == CustomFieldType.CHECKBOX:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "1", "yes", "on"}:
            return True
        if text in {"false", "0", "no", "off", ""}:
            return False
        raise ValidationError("Enter true or false.")
    if kind == CustomFieldType.URL:
        value = str(value).strip()
        if not value:
            return None
        URLValidator(schemes=["http", "https"])(value)
        return value
    raise ValidationError("Unknown field type.")


def custom_field_values_clean(*, project: Project, values: dict, fields: list[CustomField] | None = None) -> dict:
    """Check every value against the project's field definitions. Unknown keys and values
    of the wrong type are field errors (`custom_fields`); None or empty removes a value."""
    if not isinstance(values, dict):
        raise ValidationError({"custom_fields": ["Give an object of field keys and values."]})
    if not values:
        return {}
    by_key = {f.key: f for f in (fields if fields is not None else project.custom_fields.all())}
    cleaned, errors = {}, []
    for key, value in values.items():
        field = by_key.get(key)
        if field is None:
            errors.append(f"{key}: no such field in {project.key}.")
            continue
        if value is None:
            continue
        try:
            stored = _clean_value(field, value)
        except ValidationError as error:
            errors.append(f"{field.name}: {' '.join(error.messages)}")
            continue
        if stored is not None:
            cleaned[key] = stored
    if errors:
        raise ValidationError({"custom_fields": errors})
    return cleaned


def _clean_options(field_type: str, options) -> list[str]:
    if isinstance(options, str):
        options = options.replace("\n", ",").split(",")
    options = list(dict.fromkeys(str(o).strip() for o in (options or []) if str(o).strip()))
    if field_type in CHOICE_TYPES and not options:
        raise ValidationError({"options": ["A select field needs at least one choice."]})
    return options if field_type in CHOICE_TYPES else []


@transaction.atomic
def custom_field_create(
    *, project: Project, name: str, field_type: str, options=None, key: str = "", show_on_card: bool = False
) -> CustomField:
    name = (name or "").strip()
    key = (key or slugify(name).replace("-", "_"))[:40]
    if key and not key[0].isalpha():
        key = f"f_{key}"[:40]
    if CustomField.objects.filter(project=project, key=key).exists():
        raise ValidationError({"name": [f"A field with the key “{key}” already exists."]})
    if field_type not in CustomFieldType.values:
        raise ValidationError({"field_type": [f"Choose one of: {', '.join(CustomFieldType.values)}."]})
    position = (project.custom_fields.aggregate(m=Max("position"))["m"] or 0) + 1
    field = CustomField(
        project=project,
        name=name,
        key=key,
        field_type=field_type,
        options=_clean_options(field_type, options),
        position=position,
        show_on_card=show_on_card,
    )
    field.full_clean()
    field.save()
    live.announce(project_id=project.pk, kind="fields.changed")
    return field


@transaction.atomic
def custom_field_update(
    *, field: CustomField, name: str | None = None, options=None, show_on_card: bool | None = None
) -> CustomField:
    """Rename a field or change its choices. Its key and type stay (values depend on them);
    a removed choice is refused while tickets still use it."""
    if name is not None:
        field.name = name.strip()
    if options is not None:
        new_options = _clean_options(field.field_type, options)
        removed = set(field.options) - set(new_options)
        if removed:
            in_use = [
                option
                for option in removed
                if Ticket.objects.filter(project_id=field.project_id, **custom_field_lookup(field, option)).exists()
            ]
            if in_use:
                raise ValidationError({"options": [f"Still used by tickets: {', '.join(sorted(in_use))}."]})
        field.options = new_options
    if show_on_card is not None:
        field.show_on_card = show_on_card
    field.full_clean()
    field.save()
    live.announce(project_id=field.project_id, kind="fields.changed")
    return field


@transaction.atomic
def custom_field_delete(*, field: CustomField) -> None:
    """Delete the definition and its values on every ticket of the project."""
    tickets = list(Ticket.objects.filter(project_id=field.project_id).only("id", "custom_fields"))
    changed = [t for t in tickets if t.custom_fields.pop(field.key, None) is not None]
    Ticket.objects.bulk_update(changed, ["custom_fields"], batch_size=500)
    live.announce(project_id=field.project_id, kind="fields.changed")
    field.delete()
