"""The cases app's parts of the monthly report (core/monthly.py): case work (个案工作) — cases served, sessions and
person-times from the current service records dated in the period — and the beneficiaries active at the period's end by
care area (扶老, 助困, 恤孤, 助残, other). One grouped query each, for all stations at once; `end` is exclusive.

A corrected record counts once, as its correction (the corrected one is no longer current). A beneficiary with
categories in two areas counts in each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.monthly import Column, Figure, Section

from .models import Beneficiary, BeneficiaryStatus, CareArea, ServiceRecord


def case_work(station_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Figure]]:
    rows = (ServiceRecord.objects.filter(station_id__in=list(station_ids), served_on__gte=start, served_on__lt=end, current=True)
            .values("station_id").annotate(cases=Count("case_id", distinct=True), sessions=Count("pk"),
                                           person_times=Sum("person_times"))
            .order_by())
    return {r["station_id"]: {"cases": r["cases"], "sessions": r["sessions"], "person_times": r["person_times"] or 0}
            for r in rows}


def by_care_area(station_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Figure]]:
    """Registered before the period's end and not closed by then."""
    ends = timezone.make_aware(dt.datetime.combine(end, dt.time.min), timezone.get_default_timezone())
    through = Beneficiary.categories.through
    rows = (through.objects.filter(beneficiary__station_id__in=list(station_ids), beneficiary__registered_at__lt=ends)
            .filter(Q(beneficiary__status=BeneficiaryStatus.ACTIVE) | Q(beneficiary__closed_on__gte=end))
            .values("beneficiary__station_id", "category__area").annotate(n=Count("beneficiary_id", distinct=True))
            .order_by())
    out: dict[int, dict[str, Figure]] = {}
    for r in rows:
        out.setdefault(r["beneficiary__station_id"], {})[r["category__area"]] = r["n"]
    return out


SECTIONS = (
    Section("case_work", _("Case work (个案工作)"), (
        Column("cases", _("Cases served")), Column("sessions", _("Sessions")), Column("person_times", _("Person-times")),
    ), case_work, 10),
    Section("beneficiaries", _("Beneficiaries by care area (服务对象)"),
            tuple(Column(value, label) for value, label in CareArea.choices), by_care_area, 15),
)
