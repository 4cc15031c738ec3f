"""Writing audit rows. Services call `audit_log` inside their transaction, so the row and the
change commit together; access denials are logged in their own short write."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, models
from django.utils import timezone

from .context import RequestMeta, current
from .models import AuditLog


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """A JSON-safe picture of selected fields; services pass only non-sensitive or masked fields."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(instance, name)
        if isinstance(value, models.Model):
            value = value.pk
        elif value is not None and not isinstance(value, str | int | bool | float | list | dict):
            value = str(value)
        out[name] = value
    return out


def audit_log(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    meta = current.get()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        actor=user,  # type: ignore[misc]  # any auth user model
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        before=before,
        after=after,
        ip=meta.ip or None,
        user_agent=meta.user_agent[:300],
        via=meta.via,
        credential=meta.credential,
    )


def audit_rows(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    object_type: str,
    object_id: str | int,
    rows: list[tuple[RequestMeta, dict[str, Any]]],
) -> list[int]:
    """Several rows of one action at once, each with the request it came by (a set of gifts that came by many
    requests: a group commit writes them together); returns their ids, in order."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if connection.vendor == "postgresql" and len(rows) > 1:
        return _rows_over_arrays(user.pk if user is not None else None, action, object_type, str(object_id)[:64], rows)
    made = AuditLog.objects.bulk_create([
        AuditLog(actor=user, action=action, object_type=object_type, object_id=str(object_id)[:64], after=after,  # type: ignore[misc]
                 ip=meta.ip or None, user_agent=meta.user_agent[:300], via=meta.via,
                 credential=meta.credential)
        for meta, after in rows])
    return [row.pk for row in made]


def _rows_over_arrays(actor_id: int | None, action: str, object_type: str, object_id: str,
                      rows: list[tuple[RequestMeta, dict[str, Any]]]) -> list[int]:
    """PostgreSQL: the rows in one statement over arrays, bound by the server (a group commit writes one row per
    request of its group, and the ORM's client-side binding of their hundreds of parameters cost more than the insert;
    the arrays in binary, `%b`, which costs half the CPU of their text form).
    The ids come from one serial in the order the rows go in, so ascending ids are the rows in order."""
    import psycopg
    from psycopg.types.json import Jsonb

    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as bound:
        bound.execute("""
            INSERT INTO core_auditlog (at, actor_id, action, object_type, object_id, after, ip, user_agent, via, credential)
            SELECT %s, %s, %s, %s, %s, a.after, a.ip, a.user_agent, a.via, a.credential
              FROM unnest(%b::jsonb[], %b::inet[], %b::varchar[], %b::varchar[], %b::varchar[]) WITH ORDINALITY
                   AS a (after, ip, user_agent, via, credential, n)
             ORDER BY a.n
            RETURNING id""", [
            timezone.now(), actor_id, action, object_type, object_id, [Jsonb(after) for _meta, after in rows],
            [meta.ip or None for meta, _after in rows], [meta.user_agent[:300] for meta, _after in rows],
            [meta.via for meta, _after in rows], [meta.credential for meta, _after in rows]], prepare=True)
        return sorted(row[0] for row in bound.fetchall())


def access_denied(*, user_id: int | None, object_type: str, object_id: str | int) -> AuditLog:
    """Log a refused look at an object out of scope; the caller then answers exactly as for a missing one."""
    meta = current.get()
    return AuditLog.objects.create(
        actor_id=user_id,
        action="access.denied",
        object_type=object_type,
        object_id=str(object_id)[:64],
        ip=meta.ip or None,
        user_agent=meta.user_agent[:300],
        via=meta.via,
        credential=meta.credential,
    )
