"""Writes for the expert pool: an expert's profile (fields, title, load, time away) and their standing ties to
organizations. The expert writes their own; the city's and districts' administrators keep the pool."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log, snapshot
from shanlian.core.errors import PermissionDenied, field_error, lazy_format
from shanlian.core.inputs import Checks, date_window, int_in, model_text
from shanlian.core.scoping import ADMIN_ROLES, Role
from shanlian.orgs.models import Organization

from .models import ExpertField, ExpertProfile, ExpertTie, RoleGrant, TieKind
from .selectors import signed_in_scope

EXPERT_FIELDS_MAX = 5
MAX_LOAD_CEILING = 200
PROFILE_FIELDS = ["fields", "title", "employer", "max_load", "away_from", "away_until"]


def require_pool_keeper_or_self(actor: Any, user: Any) -> None:
    """An expert keeps their own entry; administrators keep anyone's. The user must hold the expert role."""
    scope = signed_in_scope(actor)
    if not (scope.is_superuser or scope.roles & ADMIN_ROLES or actor.pk == user.pk):
        raise PermissionDenied("not_pool_keeper", _("Only the expert or an administrator may change this entry."))
    if not RoleGrant.objects.filter(user=user, role=Role.EXPERT, revoked_at__isnull=True).exists():
        raise field_error("user", "not_an_expert", _("This person is not in the expert pool."))


def _fields_in(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        raise field_error("fields", "invalid_fields", _("Choose the fields from the list."))
    out = list(dict.fromkeys(value))
    unknown = [str(v) for v in out if v not in ExpertField.values]
    if unknown:
        raise field_error("fields", "unknown_field", lazy_format(_("Unknown field: %(fields)s."), {"fields": "、".join(unknown)}))
    if not 1 <= len(out) <= EXPERT_FIELDS_MAX:
        raise field_error("fields", "fields_count", lazy_format(_("Choose 1 to %(max)s fields."), {"max": EXPERT_FIELDS_MAX}))
    return [f for f in ExpertField.values if f in out]  # in the list's order, whatever order they came in


@transaction.atomic
def expert_profile_save(*, actor: Any, user: Any, fields: list[str], title: str = "", employer: str = "",
                        max_load: int | None = None, away_from: dt.date | None = None,
                        away_until: dt.date | None = None) -> ExpertProfile:
    require_pool_keeper_or_self(actor, user)
    checks = Checks()
    chosen = checks(_fields_in, fields)
    title = checks(model_text, ExpertProfile, "title", title)
    employer = checks(model_text, ExpertProfile, "employer", employer)
    load = None if max_load in (None, "") else checks(int_in, max_load, field="max_load", minimum=1, maximum=MAX_LOAD_CEILING)
    if (away_from is None) != (away_until is None):
        checks.failed.append(field_error("away_until", "away_period_incomplete", _("Give both the first and the last day away.")))
    elif away_from is not None and away_until is not None:
        checks(date_window, away_from, field="away_from")
        checks(date_window, away_until, field="away_until")
        if away_until < away_from:
            checks.failed.append(field_error("away_until", "away_period_reversed", _("The last day away is before the first.")))
    checks.done()
    profile, _created = ExpertProfile.objects.select_for_update().get_or_create(user=user)
    before = snapshot(profile, PROFILE_FIELDS)
    profile.fields, profile.title, profile.employer, profile.max_load = chosen, title, employer, load
    profile.away_from, profile.away_until = away_from, away_until
    profile.full_clean(validate_unique=False)
    profile.save()
    audit_log(actor=actor, action="people.expert.profile", obj=profile, before=before, after=snapshot(profile, PROFILE_FIELDS))
    return profile


@transaction.atomic
def expert_tie_declare(*, actor: Any, user: Any, organization: Organization, kind: str, note: str = "",
                       ended_on: dt.date | None = None) -> ExpertTie:
    """Declare (or restate) a tie: the same organization twice updates the one record, which is never deleted; an
    ended tie keeps barring the expert for the cooling-off years."""
    require_pool_keeper_or_self(actor, user)
    checks = Checks()
    if kind not in TieKind.values:
        checks.failed.append(field_error("kind", "invalid_tie_kind", _("Choose what the tie is.")))
    note = checks(model_text, ExpertTie, "note", note)
    if ended_on is not None:
        checks(date_window, ended_on, field="ended_on")
    checks.done()
    tie = ExpertTie.objects.select_for_update().filter(user=user, organization=organization).first()
    before = snapshot(tie, ["kind", "note", "ended_on"]) if tie else None
    if tie is None:
        tie = ExpertTie(user=user, organization=organization)
    tie.kind, tie.note, tie.ended_on = kind, note, ended_on
    tie.save()
    audit_log(actor=actor, action="people.expert.tie", obj=tie, before=before,
              after={"organization": organization.pk, **snapshot(tie, ["kind", "note", "ended_on"])})
    return tie
