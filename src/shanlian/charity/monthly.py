"""Charity's part of the monthly report (core/monthly.py): money spent from the community funds of each station's
street.

A station's funds are those of its street or of a community in that street (`CommunityFund.division`), whether or not
the fund names the station. "In the month" is the day the payment was recorded (`Payout.paid_at`, in Asia/Shanghai):
a payout is money spent only once paid; approval merely reserves it. A paid payout is never changed afterwards, so a
past month's figures stay as they were filed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Case, Count, F, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import Money, fen_sum
from shanlian.core.monthly import Column, Figure, Section
from shanlian.orgs.models import Station
from shanlian.places.models import Level

from .models import Payout, PayoutStatus


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def counts(station_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Figure]]:
    """Two queries: the stations' streets, then the paid payouts grouped by their fund's street."""
    station_of = dict(Station.objects.filter(pk__in=list(station_ids)).values_list("street_id", "pk"))
    street = Case(When(fund__division__level=Level.STREET, then=F("fund__division_id")),
                  default=F("fund__division__parent_id"))
    rows = (Payout.objects.filter(status=PayoutStatus.PAID, paid_at__gte=_aware(start), paid_at__lt=_aware(end))
            .annotate(street=street).filter(street__in=list(station_of))
            .values("street").annotate(payouts=Count("pk"), projects=Count("project_id", distinct=True),
                                       fen=fen_sum("amount"))
            .order_by())
    return {station_of[r["street"]]: {"payouts": r["payouts"], "projects": r["projects"],
                                      "spent": Money.from_fen(int(r["fen"] or 0)).amount} for r in rows}


SECTIONS = [
    Section(
        key="charity", title=_("Money spent"), order=80, counts=counts,
        columns=(
            Column("payouts", _("Payouts paid")),
            Column("projects", _("Projects funded")),
            Column("spent", _("Spent (yuan)"), money=True),
        ),
    ),
]
