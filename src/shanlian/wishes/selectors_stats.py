"""Counts of micro-wishes per station and year (the figures a station's yearly report and the bureau ask for): wishes
registered, fulfilled (confirmed), value fulfilled, distinct claimants, party-member person-times and the median days
from registration to confirmation; for the station's staff and the officers above it (`access.visible_q`)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import PermissionDenied
from shanlian.core.money import Money, fen_sum

from . import access
from .models import ClaimStatus, Wish, WishClaim, WishStatus
from .selectors import scope_of


@dataclass
class StationYear:
    station_id: int
    station: str
    year: int
    registered: int = 0
    fulfilled: int = 0
    value_fulfilled: Money = Money(0)
    claimants: int = 0
    party_person_times: int = 0
    median_days: float | None = None


def _bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    return start, timezone.make_aware(dt.datetime(year + 1, 1, 1))


def station_year_counts(actor: Any, *, year: int, station_id: int | None = None) -> list[StationYear]:
    """One row per station the actor sees that registered or fulfilled a wish in the year; three grouped queries."""
    scope = scope_of(actor)
    if not access.may_open_station_wishes(scope):
        raise PermissionDenied("not_station_reader", _("Only stations' staff and area officers open the stations' wishes."))
    start, end = _bounds(year)
    wishes = Wish.objects.filter(access.visible_q(scope))
    if station_id is not None:
        wishes = wishes.filter(station_id=station_id)
    rows: dict[int, StationYear] = {}

    def row(sid: int, name: str) -> StationYear:
        if sid not in rows:
            rows[sid] = StationYear(station_id=sid, station=name, year=year)
        return rows[sid]

    for r in (wishes.filter(Q(registered_at__gte=start, registered_at__lt=end)
                            | Q(status=WishStatus.CONFIRMED, ended_at__gte=start, ended_at__lt=end))
              .values("station_id", "station__name")
              .annotate(registered=Count("id", filter=Q(registered_at__gte=start, registered_at__lt=end)),
                        fulfilled=Count("id", filter=Q(status=WishStatus.CONFIRMED, ended_at__gte=start, ended_at__lt=end)),
                        fen=fen_sum("fulfilled_value", filter=Q(status=WishStatus.CONFIRMED, ended_at__gte=start, ended_at__lt=end)))):
        out = row(r["station_id"], r["station__name"])
        out.registered, out.fulfilled, out.value_fulfilled = r["registered"], r["fulfilled"], Money.from_fen(r["fen"] or 0)
    claims = WishClaim.objects.filter(status=ClaimStatus.CONFIRMED, wish__in=wishes, wish__ended_at__gte=start,
                                      wish__ended_at__lt=end)
    for c in claims.values("wish__station_id", "wish__station__name").annotate(
            n=Count("claimant_key", distinct=True), party=Sum("party_members")):
        out = row(c["wish__station_id"], c["wish__station__name"])
        out.claimants, out.party_person_times = c["n"], c["party"] or 0
    days: dict[int, list[float]] = defaultdict(list)
    for sid, registered, ended in (wishes.filter(status=WishStatus.CONFIRMED, ended_at__gte=start, ended_at__lt=end)
                                   .values_list("station_id", "registered_at", "ended_at")):
        if ended is not None:
            days[sid].append((ended - registered).total_seconds() / 86400)
    for sid, values in days.items():
        if sid in rows:
            rows[sid].median_days = round(statistics.median(values), 1)
    return sorted(rows.values(), key=lambda r: r.station)


def years_with_wishes(actor: Any) -> list[int]:
    scope = scope_of(actor)
    if not access.may_open_station_wishes(scope):
        return []
    years = (Wish.objects.filter(access.visible_q(scope)).annotate(y=ExtractYear("registered_at")).values_list("y", flat=True)
             .distinct())
    return sorted({int(y) for y in years if y} | {timezone.localdate().year}, reverse=True)
