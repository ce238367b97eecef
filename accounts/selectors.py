"""Reads of accounts: a user's tokens, and the token an API request presents."""

import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, connections

from .models import ApiToken

User = get_user_model()


def api_tokens_of(*, user) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at"))


@dataclass(frozen=True)
class _TokenLookup:
    sql: str
    token_names: list[str]
    user_names: list[str]
    converters: list[tuple[int, list, object]]  # (column index, converters, expression)


@functools.cache
def _token_lookup(alias: str, vendor: str) -> _TokenLookup:
    """The token-with-its-user statement, written once per process from the models'
    metadata (the columns `select_related("user")` reads), with the converters the ORM
    would apply to each column (SQLite's dates, for one)."""
    db = connections[alias]
    qn = db.ops.quote_name
    token_fields, user_fields = ApiToken._meta.concrete_fields, User._meta.concrete_fields
    columns = [("t", f) for f in token_fields] + [("u", f) for f in user_fields]
    sql = (
        f"SELECT {', '.join(f'{alias_}.{qn(f.column)}' for alias_, f in columns)} "
        f"FROM {qn(ApiToken._meta.db_table)} t "
        f"JOIN {qn(User._meta.db_table)} u ON u.{qn(User._meta.pk.column)} = t.{qn(ApiToken.user.field.column)} "
        f"WHERE t.{qn('token_hash')} = %s AND t.{qn('revoked_at')} IS NULL"
    )
    converters = []
    for index, (_alias, field) in enumerate(columns):
        expression = field.get_col(field.model._meta.db_table)
        found = db.ops.get_db_converters(expression) + expression.get_db_converters(db)
        if found:
            converters.append((index, found, expression))
    return _TokenLookup(
        sql=sql,
        token_names=[f.attname for f in token_fields],
        user_names=[f.attname for f in user_fields],
        converters=converters,
    )


def api_token_active(*, token_hash: str) -> ApiToken | None:
    """The unrevoked token with this SHA-256, its user loaded (`token.user`), or None.

    What `ApiToken.objects.select_related("user").filter(token_hash=...,
    revoked_at__isnull=True).first()` reads, in one statement written once per process:
    every API request authenticates, and compiling that join each time cost more CPU
    than the database spent answering it (issue 12)."""
    lookup = _token_lookup(connection.alias, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(lookup.sql, [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, found, expression in lookup.converters:
        for converter in found:
            values[index] = converter(values[index], expression, connection)
    split = len(lookup.token_names)
    token = ApiToken.from_db(connection.alias, lookup.token_names, values[:split])
    token.user = User.from_db(connection.alias, lookup.user_names, values[split:])
    return token
