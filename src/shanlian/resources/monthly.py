"""The resource hub's part of the monthly report (core/monthly.py): what partners' offers brought to each station's needs.

"In the month" is the day the delivery was handed over (`Delivery.delivered_on`, what the receiver says it got that
day), and a delivery counts only once the receiving station confirmed it (`confirmed_at`): the same rule as the
partners' record (`selectors.partner_gifts`, by delivery date, confirmed part), so the report and the thanks agree. A
delivery confirmed after the month's report was first read appears in its own month when the report is read again.
Money (category kind "money", stored in fen) is shown in yuan; every other kind is summed in its categories' units.
Partners are counted per station: a partner serving two stations counts at each (as the bureau's form counts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import Money
from shanlian.core.monthly import Column, Figure, Section

from .models import Delivery, ResourceKind


def counts(station_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Figure]]:
    """One grouped query over the confirmed deliveries to the stations' needs."""
    money = Q(match__need__kind=ResourceKind.MONEY)
    rows = (Delivery.objects.filter(match__need__station_id__in=list(station_ids), delivered_on__gte=start,
                                    delivered_on__lt=end, confirmed_at__isnull=False)
            .values("match__need__station_id")
            .annotate(deliveries=Count("pk"), needs=Count("match__need_id", distinct=True),
                      partners=Count("match__offer__partner_id", distinct=True),
                      units=Sum("quantity", filter=~money), fen=Sum("quantity", filter=money))
            .order_by())
    return {r["match__need__station_id"]: {
        "deliveries": r["deliveries"], "needs": r["needs"], "partners": r["partners"], "units": int(r["units"] or 0),
        "money": Money.from_fen(int(r["fen"] or 0)).amount,
    } for r in rows}


SECTIONS = [
    Section(
        key="resources", title=_("Resources linked"), order=60, counts=counts,
        columns=(
            Column("deliveries", _("Deliveries confirmed")),
            Column("needs", _("Needs served")),
            Column("partners", _("Partners giving")),
            Column("units", _("Goods and services (units)")),
            Column("money", _("Money linked (yuan)"), money=True),
        ),
    ),
]
