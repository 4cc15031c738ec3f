"""The one way a state machine moves (rounds, proposals, agreements, ...): lock the row, re-check its state, write,
audit, and return quietly when the move already happened (a retried request is not an error)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .audit import audit_log
from .errors import Conflict, lazy_format

M = TypeVar("M", bound=models.Model)


@transaction.atomic
def transition(obj: M, *, to: str, allowed_from: Iterable[str], actor: Any, action: str, field: str = "status",
               changes: Callable[[M], dict[str, Any]] | None = None, audit: dict[str, Any] | None = None) -> M:
    """Move `obj` (its row locked and read again) to state `to` from one of `allowed_from`; `changes(locked)` names
    the other fields the move writes (who, when, why). Already in `to`: the row as it is, nothing written."""
    locked = type(obj).objects.select_for_update().get(pk=obj.pk)  # type: ignore[attr-defined]
    before = getattr(locked, field)
    if before == to:
        return locked
    if before not in set(allowed_from):
        label = getattr(locked, f"get_{field}_display", lambda: before)()
        raise Conflict("invalid_transition", lazy_format(_("Not possible now: it is %(state)s."), {"state": label}))
    values = {field: to, **(changes(locked) if changes is not None else {})}
    for name, value in values.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(values))
    audit_log(actor=actor, action=action, obj=locked, before={field: before}, after={field: to, **(audit or {})})
    return locked
