"""Custom fields, read side: how a value is looked up in queries (selectors' filters, and
services asking whether a choice is still in use) and how it is shown (cards, the ticket
page, the board API: one wording). The writes are in services/fields.py."""

from decimal import Decimal, InvalidOperation

from django.db import connection

from .models import CustomField, CustomFieldType

CHOICE_TYPES = (CustomFieldType.SELECT, CustomFieldType.MULTI_SELECT)


def custom_field_lookup(field: CustomField, value) -> dict:
    """An ORM lookup for tickets whose `field` holds `value` (a multi-select: contains)."""
    path = f"custom_fields__{field.key}"
    if field.field_type == CustomFieldType.MULTI_SELECT:
        if connection.vendor == "postgresql":
            return {f"{path}__contains": [value]}
        return {f"{path}__icontains": f'"{value}"'}
    if field.field_type == CustomFieldType.CHECKBOX:
        return {path: str(value).lower() in {"true", "1", "yes", "on"}}
    if field.field_type == CustomFieldType.NUMBER:
        try:
            number = Decimal(str(value))
            return {path: int(number) if number == number.to_integral_value() else float(number)}
        except InvalidOperation:
            return {"pk__in": []}
    return {path: value}


def custom_field_display(field_type: str, value) -> str:
    """A custom field's value as every page and the board API show it: "" when unset,
    Yes or No for a checkbox, choices comma separated."""
    if value in (None, "", []):
        return ""
    if field_type == CustomFieldType.CHECKBOX:
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
