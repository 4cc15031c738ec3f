"""Reminders before a grade expires: EVALUATION_REMIND_DAYS before (180, 90 and 30 days by default) each manager of
the organization is reminded once, so the organization applies in time to be assessed again."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import lazy_format
from shanlian.core.scoping import Role
from shanlian.orgs.models import Organization
from shanlian.people.models import RoleGrant

from ..models import Reminder


@transaction.atomic
def grade_reminders_send(*, on: dt.date) -> int:
    """Write the reminders due on `on` (each once per manager, grade and threshold; safe to run twice, or at once
    in two workers). Returns how many were written."""
    days = sorted(settings.SHANLIAN["EVALUATION_REMIND_DAYS"])
    orgs = list(Organization.objects.filter(grade__gt="", grade_valid_until__gt=on,
                                            grade_valid_until__lte=on + dt.timedelta(days=max(days)))
                .only("id", "name", "grade", "grade_valid_until"))
    managers: dict[int, list[int]] = {}
    for org_id, user_id in RoleGrant.objects.filter(organization__in=orgs, role__in=[Role.ORG_MANAGER, Role.AGENCY_MANAGER],
                                                    revoked_at__isnull=True).values_list("organization_id", "user_id"):
        managers.setdefault(org_id, []).append(user_id)
    link = reverse("evaluation:calls")
    rows = []
    for org in orgs:
        assert org.grade_valid_until is not None  # filtered above
        left = (org.grade_valid_until - on).days
        threshold = min(d for d in days if left <= d)  # the nearest threshold reached
        with translation.override(settings.LANGUAGE_CODE):
            text = str(lazy_format(_("The %(grade)s grade of %(org)s expires on %(date)s (in %(days)s days): apply to be assessed again."),
                                   {"grade": org.grade, "org": org.name, "date": org.grade_valid_until.isoformat(), "days": left}))
        key = f"grade:{org.pk}:{org.grade_valid_until.isoformat()}:{threshold}"
        rows += [Reminder(user_id=user_id, key=key, text=text[:300], link=link) for user_id in managers.get(org.pk, [])]
    before = Reminder.objects.filter(key__startswith="grade:").count()
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return Reminder.objects.filter(key__startswith="grade:").count() - before
