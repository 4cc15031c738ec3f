"""The time bank's part of the monthly report (core/monthly.py): volunteer service at the activities each station
organised.

Verified hours are the time bank's one rule (`selectors.station_figures`): hour records in status "approved" (each
posted to the HOUR ledger when approved; a correction is a reversal, never a decline), on shifts of the station's
activities. "In the month" is the day the service was given (`HoursRecord.day`), as the station's figures count it, not
the day of approval; a record approved after the month's report was first read appears in its own month when the
report is read again. Volunteers are counted per station (distinct volunteers with approved hours there), person-times
are approved records (人次), hours are summed exactly and shown with one decimal per station."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import fen_sum
from shanlian.core.monthly import Column, Figure, Section

from .models import HoursRecord, HoursStatus


def counts(station_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Figure]]:
    """One grouped query over the approved hour records of the stations' activities."""
    rows = (HoursRecord.objects.filter(status=HoursStatus.APPROVED, shift__activity__station_id__in=list(station_ids),
                                       day__gte=start, day__lt=end)
            .values("shift__activity__station_id")
            .annotate(activities=Count("shift__activity_id", distinct=True), volunteers=Count("volunteer_id", distinct=True),
                      person_times=Count("pk"), fen=fen_sum("hours"))
            .order_by())
    return {r["shift__activity__station_id"]: {
        "activities": r["activities"], "volunteers": r["volunteers"], "person_times": r["person_times"],
        "hours": (Decimal(r["fen"] or 0) / 100).quantize(Decimal("0.1")),
    } for r in rows}


SECTIONS = [
    Section(
        key="volunteering", title=_("Volunteer service"), order=70, counts=counts,
        columns=(
            Column("activities", _("Volunteer activities")),
            Column("volunteers", _("Volunteers serving")),
            Column("person_times", _("Person-times")),
            Column("hours", _("Verified hours"), hours=True),
        ),
    ),
]
