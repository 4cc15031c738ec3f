"""Reads of the resource hub, scoped by the acting user (access.py); a row out of scope is not found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Organization, Station
from shanlian.people.selectors import signed_in_scope
from shanlian.places.models import Division, Level

from . import access
from .matching import NeedIn, OfferIn, Plan, propose
from .models import Category, Delivery, Match, Need, NeedStatus, Offer, OfferStatus, Partner


def hub_scope(actor: Any) -> Scope:
    """The actor's scope, refused for those the hub is not for."""
    scope = signed_in_scope(actor)
    if not access.may_open_hub(scope):
        raise PermissionDenied("not_hub_user", _("The resource hub is for area officers, stations and partner organizations."))
    return scope


def _get(scope: Scope, qs: QuerySet[Any], pk: int, object_type: str) -> Any:
    found = qs.filter(pk=pk).first()
    if found is None:
        if qs.model._default_manager.filter(pk=pk).exists():
            access_denied(user_id=scope.user_id, object_type=object_type, object_id=pk)
        raise NotFound()
    return found


# -- partners and categories ---------------------------------------------------------------------------------------

def partners_visible(actor: Any) -> QuerySet[Partner]:
    scope = hub_scope(actor)
    return Partner.objects.filter(access.partners_q(scope)).select_related("division", "organization")


def partner_get(actor: Any, partner_id: int) -> Partner:
    scope = hub_scope(actor)
    return _get(scope, partners_visible(actor), partner_id, "resources.partner")


def partners_managed(actor: Any) -> list[Partner]:
    """The partners whose offers the actor may register."""
    scope = hub_scope(actor)
    return [p for p in partners_visible(actor).order_by("name", "pk")[:500] if access.may_manage_partner(scope, p)]


def categories() -> QuerySet[Category]:
    return Category.objects.order_by("kind", "name")


def divisions_in_area(actor: Any, *, down_to: str = Level.COMMUNITY, limit: int = 500) -> QuerySet[Division]:
    """The divisions in the actor's area, for the forms' choices (at most `limit`, nearest the top first)."""
    scope = hub_scope(actor)
    qs = Division.objects.all()
    if not scope.is_superuser:
        qs = qs.filter(scope.path_q("path", scope.area_paths))
    if down_to == Level.STREET:
        qs = qs.exclude(level=Level.COMMUNITY)
    return qs.order_by("path")[:limit]


def division_choices(actor: Any, limit: int = 800) -> list[Division]:
    """Divisions the actor may name on its forms: inside its area or containing it, and inside its organizations'."""
    scope = hub_scope(actor)
    if scope.is_superuser:
        return list(Division.objects.order_by("path")[:limit])
    q = access.serves_area_q(scope, "path")
    if scope.has(*access.ORG_ROLES):
        for path in Organization.objects.filter(pk__in=scope.organization_ids).values_list("division__path", flat=True):
            q |= Q(path__startswith=path)
    return list(Division.objects.filter(q).order_by("path")[:limit])


def division_get(actor: Any, division_id: int) -> Division:
    scope = hub_scope(actor)
    found = Division.objects.filter(pk=division_id).first()
    if found is None or not access.covers_or_inside(scope, found):
        raise NotFound()
    return found


def stations_received_by(actor: Any) -> QuerySet[Station]:
    """The stations whose needs the actor registers: its own."""
    scope = hub_scope(actor)
    if scope.is_superuser:
        return Station.objects.select_related("street").order_by("street__code")
    return Station.objects.filter(pk__in=scope.station_ids).select_related("street").order_by("street__code")


def organizations_managed(actor: Any) -> QuerySet[Organization]:
    scope = hub_scope(actor)
    if scope.is_superuser:
        return Organization.objects.select_related("division").order_by("name")
    if not scope.has(*access.ORG_ROLES):
        return Organization.objects.none()
    return Organization.objects.filter(pk__in=scope.organization_ids).select_related("division").order_by("name")


# -- offers and needs ------------------------------------------------------------------------------------------------

def offers_visible(actor: Any, *, query: str = "", kind: str = "", partner_id: int | None = None,
                   open_only: bool = False) -> QuerySet[Offer]:
    scope = hub_scope(actor)
    qs = Offer.objects.filter(access.offers_q(scope)).select_related("partner", "category", "division")
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(partner__name__icontains=query) | Q(category__name__icontains=query))
    if kind:
        qs = qs.filter(kind=kind)
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    if open_only:
        qs = qs.filter(status=OfferStatus.OPEN)
    return qs.order_by("-created_at", "-pk")


def offer_get(actor: Any, offer_id: int) -> Offer:
    scope = hub_scope(actor)
    return _get(scope, offers_visible(actor), offer_id, "resources.offer")


def needs_visible(actor: Any, *, query: str = "", kind: str = "", status: str = "", station_id: int | None = None) -> QuerySet[Need]:
    scope = hub_scope(actor)
    qs = Need.objects.filter(access.needs_q(scope)).select_related("station", "organization", "category", "division")
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(category__name__icontains=query))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if station_id is not None:
        qs = qs.filter(station_id=station_id)
    return qs.order_by("needed_by", "pk")


def need_get(actor: Any, need_id: int) -> Need:
    scope = hub_scope(actor)
    return _get(scope, needs_visible(actor), need_id, "resources.need")


def owner_name(need: Need) -> str:
    return need.station.name if need.station is not None else (need.organization.name if need.organization else "")


# -- matches and deliveries ------------------------------------------------------------------------------------------

def matches_visible(actor: Any, *, offer_id: int | None = None, need_id: int | None = None) -> QuerySet[Match]:
    """Matches of the offers or of the needs the actor sees."""
    scope = hub_scope(actor)
    qs = Match.objects.all()
    if not scope.is_superuser:
        qs = qs.filter(Exists(Offer.objects.filter(access.offers_q(scope), pk=OuterRef("offer_id")))
                       | Exists(Need.objects.filter(access.needs_q(scope), pk=OuterRef("need_id"))))
    if offer_id is not None:
        qs = qs.filter(offer_id=offer_id)
    if need_id is not None:
        qs = qs.filter(need_id=need_id)
    return qs.select_related("offer__partner", "offer__category", "need__category", "need__station", "need__organization",
                             "need__division").order_by("-committed_at", "-pk")


def match_get(actor: Any, match_id: int) -> Match:
    scope = hub_scope(actor)
    return _get(scope, matches_visible(actor), match_id, "resources.match")


def delivery_get(actor: Any, delivery_id: int) -> Delivery:
    scope = hub_scope(actor)
    found = Delivery.objects.filter(pk=delivery_id).first()
    if found is None or not matches_visible(actor).filter(pk=found.match_id).exists():
        if found is not None:
            access_denied(user_id=scope.user_id, object_type="resources.delivery", object_id=delivery_id)
        raise NotFound()
    return found


def deliveries_of(match: Match) -> list[Delivery]:
    return list(match.deliveries.select_related("recorded_by", "confirmed_by").order_by("delivered_on", "pk"))


def match_state(match: Match) -> str:
    if match.cancelled:
        return "cancelled"
    if match.outstanding:
        return "awaiting_delivery" if not match.delivered else "partly_delivered"
    return "awaiting_confirmation" if match.confirmed < match.delivered else "done"


# -- proposing ------------------------------------------------------------------------------------------------------

def _point(row: Offer | Need) -> tuple[float, float] | None:
    if row.latitude is None or row.longitude is None:
        return None
    return float(row.latitude), float(row.longitude)


def offer_in(offer: Offer) -> OfferIn:
    return OfferIn(offer.pk, offer.category_id, offer.remaining, offer.division.path, offer.available_from,
                   offer.available_until, _point(offer), offer.reach_km)


def need_in(need: Need) -> NeedIn:
    return NeedIn(need.pk, need.category_id, need.remaining, need.division.path, need.needed_by, _point(need))


@dataclass
class Proposed:
    plan: Plan
    offers: dict[int, Offer]
    needs: dict[int, Need]
    area: Division

    def rows(self) -> list[tuple[Offer, Need, int, Any]]:
        return [(self.offers[int(p.offer)], self.needs[int(p.need)], p.quantity, p.fit)  # type: ignore[call-overload]
                for p in self.plan.proposals]


def batch_for_area(actor: Any, area: Division, today: dt.date | None = None) -> tuple[list[Offer], list[Need]]:
    """The open needs with something left in `area`, and the open offers with something left that could serve them
    (inside the area, from a division containing it, or reaching by distance), visible to the actor."""
    scope = hub_scope(actor)
    if not access.may_match(scope) or not scope.covers_path(area.path, scope.area_paths):
        raise PermissionDenied("not_matcher", _("Only the area's district or street officers run its matching."))
    today = today or timezone.localdate()
    needs = list(Need.objects.filter(access.needs_q(scope), status=NeedStatus.OPEN, division__path__startswith=area.path,
                                     needed_by__gte=today, committed__lt=F("quantity"))
                 .select_related("category", "division", "station", "organization").order_by("needed_by", "pk"))
    offers = list(Offer.objects.filter(access.offers_q(scope), status=OfferStatus.OPEN, committed__lt=F("quantity"))
                  .filter(Q(division__path__startswith=area.path) | Q(division__path__in=access.ancestors(area.path))
                          | Q(reach_km__isnull=False))
                  .exclude(available_until__lt=today)
                  .select_related("category", "division", "partner").order_by("pk"))
    return offers, needs


def proposal_for_area(actor: Any, area: Division, today: dt.date | None = None) -> Proposed:
    today = today or timezone.localdate()
    offers, needs = batch_for_area(actor, area, today)
    plan = propose([offer_in(o) for o in offers], [need_in(n) for n in needs], today)
    return Proposed(plan, {o.pk: o for o in offers}, {n.pk: n for n in needs}, area)


# -- what partners gave ----------------------------------------------------------------------------------------------

@dataclass
class GiftRow:
    partner: Partner
    category: Category
    delivered: int
    confirmed: int
    deliveries: int
    needs: int


def partner_gifts(actor: Any, year: int, partner_id: int | None = None) -> list[GiftRow]:
    """What each partner delivered in `year` (by delivery date), per category, and how much of it the receivers
    confirmed: for thanks and reports."""
    scope = hub_scope(actor)
    qs = Delivery.objects.filter(delivered_on__year=year)
    if not scope.is_superuser:
        qs = qs.filter(Exists(Offer.objects.filter(access.offers_q(scope), pk=OuterRef("match__offer_id")))
                       | Exists(Need.objects.filter(access.needs_q(scope), pk=OuterRef("match__need_id"))))
    if partner_id is not None:
        qs = qs.filter(match__offer__partner_id=partner_id)
    return gift_rows(qs)


def gift_rows(qs: QuerySet[Delivery]) -> list[GiftRow]:
    """The deliveries in `qs` summed per partner and category (the hub's and the partner pages' one sum)."""
    rows = list(qs.values("match__offer__partner_id", "match__offer__category_id").annotate(
        delivered=Sum("quantity"), confirmed=Sum("quantity", filter=Q(confirmed_at__isnull=False)),
        deliveries=Count("pk"), needs=Count("match__need_id", distinct=True)))
    partners = Partner.objects.in_bulk({r["match__offer__partner_id"] for r in rows})
    cats = Category.objects.in_bulk({r["match__offer__category_id"] for r in rows})
    out = [GiftRow(partners[r["match__offer__partner_id"]], cats[r["match__offer__category_id"]], int(r["delivered"] or 0),
                   int(r["confirmed"] or 0), r["deliveries"], r["needs"]) for r in rows]
    return sorted(out, key=lambda g: (g.partner.name, g.partner.pk, g.category.kind, g.category.name))


def gift_years() -> list[int]:
    this = timezone.localdate().year
    first = Delivery.objects.order_by("delivered_on").values_list("delivered_on", flat=True).first()
    return list(range(this, (first.year if first else this) - 1, -1))
