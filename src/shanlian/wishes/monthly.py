"""The micro-wishes' part of the monthly report (core/monthly.py): per station, the wishes fulfilled (confirmed by the
station in the period), their value, the claimants who fulfilled them and the party-member person-times, in one grouped
query for all stations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import Money, fen_sum
from shanlian.core.monthly import Column, Figure, Section

from .models import ClaimStatus, WishClaim


def _moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def wish_counts(station_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Figure]]:
    """A confirmed wish has exactly one confirmed claim: counting those claims counts the wishes once each."""
    rows = (WishClaim.objects.filter(status=ClaimStatus.CONFIRMED, wish__station_id__in=list(station_ids),
                                     wish__ended_at__gte=_moment(start), wish__ended_at__lt=_moment(end))
            .values("wish__station_id")
            .annotate(wishes=Count("wish_id", distinct=True), fen=fen_sum("wish__fulfilled_value"),
                      claimants=Count("claimant_key", distinct=True), party=Sum("party_members")))
    return {r["wish__station_id"]: {"wishes": r["wishes"], "value": Money.from_fen(r["fen"] or 0).amount,
                                    "claimants": r["claimants"], "party_person_times": r["party"] or 0} for r in rows}


SECTIONS = (
    Section(key="micro-wishes", title=_("Micro-wishes"), order=50, counts=wish_counts, columns=(
        Column("wishes", _("Wishes fulfilled")),
        Column("value", _("Value fulfilled"), money=True),
        Column("claimants", _("Claimants")),
        Column("party_person_times", _("Party-member person-times")),
    )),
)
