"""Service certificates: approved hours by month and by organizer, frozen with a verification code."""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, ValidationFailed, field_error
from shanlian.core.idempotency import key_lock, replayed
from shanlian.core.inputs import date_window
from shanlian.core.money import Hours

from ..models import HoursRecord, HoursStatus, ServiceCertificate, Volunteer
from ._access import require_self

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@transaction.atomic
def certificate_issue(*, actor: Any, volunteer: Volunteer, period_start: date, period_end: date,
                      idempotency_key: str = "") -> ServiceCertificate:
    """The volunteer's certificate of approved hours in a period (declined and pending hours do not count). Asked
    again with the same `idempotency_key` and period, it returns the certificate issued then (`was_replayed`)."""
    require_self(actor, volunteer)
    date_window(period_start, field="period_start")
    date_window(period_end, field="period_end")
    if idempotency_key:
        key_lock("timebank.certificate", volunteer.pk, idempotency_key)
        existing = ServiceCertificate.objects.filter(volunteer=volunteer, idempotency_key=idempotency_key).first()
        if existing is not None:
            if (existing.period_start, existing.period_end) != (period_start, period_end):
                raise Conflict("idempotency_mismatch", _("This request id was already used for a different certificate."))
            return replayed(existing)
    if period_end < period_start:
        raise field_error("period_end", "invalid_period", _("The end is before the start."))
    if period_end > timezone.localdate():
        raise field_error("period_end", "period_in_future", _("A certificate covers days that have passed."))
    rows = (HoursRecord.objects.filter(volunteer=volunteer, status=HoursStatus.APPROVED, day__gte=period_start,
                                       day__lte=period_end)
            .select_related("shift__activity__station", "shift__activity__organization").order_by("day"))
    by_month: dict[str, Decimal] = defaultdict(Decimal)
    by_org: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0"), Decimal("0")])
    total = Decimal("0")
    for r in rows:
        activity = r.shift.activity
        org = activity.organization.name if activity.organization else activity.station.name
        by_month[r.day.strftime("%Y-%m")] += r.hours.value
        by_org[org][0] += r.hours.value
        by_org[org][1] += 1
        total += r.hours.value
    if not total:
        raise ValidationFailed("no_hours", _("There are no approved hours in this period."))
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    cert = ServiceCertificate.objects.create(
        volunteer=volunteer, code=code, period_start=period_start, period_end=period_end, hours=Hours(total),
        idempotency_key=idempotency_key,
        content={
            "by_month": [[m, str(h)] for m, h in sorted(by_month.items())],
            "by_organizer": [[name, str(v[0]), int(v[1])] for name, v in sorted(by_org.items(), key=lambda kv: -kv[1][0])],
            "records": sum(int(v[1]) for v in by_org.values()),
        },
    )
    audit_log(actor=actor, action="timebank.certificate.issue", obj=cert, after={"hours": str(total)})
    return cert
