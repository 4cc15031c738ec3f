"""What the beneficiaries' services and the case cycle's services share: who may write about a beneficiary, the row
lock, today's date and the check of a day that has already happened."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound, PermissionDenied, field_error
from shanlian.core.inputs import Checks, date_window
from shanlian.core.scoping import Scope
from shanlian.people.selectors import signed_in_scope

from . import access
from .access import Sight
from .models import Beneficiary


def _team(actor: Any, beneficiary: Beneficiary) -> Scope:
    """The case team (the station's workers, the agency's manager) writes; officers who only see masked values are
    refused; anyone else is answered as for a record that does not exist, and the look is logged."""
    scope = signed_in_scope(actor)
    seen = access.sight(scope, beneficiary)
    if seen is Sight.NONE:
        access_denied(user_id=scope.user_id, object_type="cases.beneficiary", object_id=beneficiary.pk)
        raise NotFound()
    if seen is not Sight.VALUES:
        raise PermissionDenied("not_case_team", _("Only the station's social workers and their supervisor change this record."))
    return scope


def _locked(beneficiary: Beneficiary) -> Beneficiary:
    return Beneficiary.objects.select_for_update().select_related("person", "station", "station__street").get(pk=beneficiary.pk)


def _today() -> dt.date:
    return timezone.localdate()


def _past_day(checks: Checks, day: Any, field: str) -> None:
    """A day something happened: within the system's dates and not after today."""
    if day is None:
        checks.failed.append(field_error(field, "required", _("This field is required.")))
        return
    if not isinstance(day, dt.date):
        checks.failed.append(field_error(field, "invalid_date", _("Enter a valid date.")))
        return
    if checks(date_window, day, field=field) is not None and day > _today():
        checks.failed.append(field_error(field, "date_in_future", _("This day has not come yet.")))
