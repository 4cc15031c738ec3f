"""The resource hub's data for other systems, under the same scopes as the pages: categories, partners, offers, needs,
proposed and committed matches, deliveries and their confirmation, and what each partner gave in a year.

Quantities are decimals in the category's unit: whole units, or yuan with two places for money (`kind` "money")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from shanlian.core.errors import NotFound, field_error
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate

from . import selectors as sel
from . import services
from .matching import reason
from .models import Delivery, Match, Need, Offer, Partner
from .quantities import quantity_in, quantity_value

router = Router(tags=["resources"])


# --- schemas ---------------------------------------------------------------------------------------------------------

class ResourceCategoryOut(Schema):
    id: int
    name: str
    kind: str = Field(..., description="skill, goods, venue, information, money or service")
    unit: str


class ResourcePartnerOut(Schema):
    id: int
    name: str
    kind: str = Field(..., description="government, firm, school, hospital, organization or other")
    division_id: int
    division: str
    organization_id: int | None


class PartnerPage(PageOut):
    results: list[ResourcePartnerOut]


class ResourcePartnerIn(Schema):
    name: str = Field(..., max_length=128)
    kind: str = Field(..., max_length=16)
    division_id: int = Field(..., ge=1)
    contact: str = Field("", max_length=64)


class ResourceOfferOut(Schema):
    id: int
    partner_id: int
    partner: str
    category_id: int
    category: str
    kind: str
    unit: str
    title: str
    description: str
    quantity: Decimal
    committed: Decimal
    remaining: Decimal
    division_id: int
    division: str
    latitude: Decimal | None
    longitude: Decimal | None
    reach_km: int | None
    available_from: dt.date
    available_until: dt.date | None
    status: str = Field(..., description="open or withdrawn")


class OfferPage(PageOut):
    results: list[ResourceOfferOut]


class _Located(Schema):
    latitude: Decimal | None = Field(None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, decimal_places=6)


class ResourceOfferIn(_Located):
    partner_id: int = Field(..., ge=1)
    category_id: int = Field(..., ge=1)
    title: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)
    quantity: str = Field(..., max_length=40, description="Whole units, or yuan for money.")
    division_id: int = Field(..., ge=1, description="The division it serves, with everything under it.")
    available_from: dt.date
    available_until: dt.date | None = None
    reach_km: int | None = Field(None, ge=1, le=200)


class ResourceNeedOut(Schema):
    id: int
    station_id: int | None
    organization_id: int | None
    owner: str
    category_id: int
    category: str
    kind: str
    unit: str
    title: str
    description: str
    quantity: Decimal
    committed: Decimal
    remaining: Decimal
    division_id: int
    division: str
    needed_by: dt.date
    status: str = Field(..., description="open or closed")
    source_kind: str = Field(..., description="case, wish, or empty when registered directly")
    source_id: int | None


class NeedPage(PageOut):
    results: list[ResourceNeedOut]


class ResourceNeedIn(_Located):
    station_id: int | None = Field(None, ge=1)
    organization_id: int | None = Field(None, ge=1)
    category_id: int = Field(..., ge=1)
    title: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)
    quantity: str = Field(..., max_length=40, description="Whole units, or yuan for money.")
    division_id: int = Field(..., ge=1)
    needed_by: dt.date


class ResourceDeliveryOut(Schema):
    id: int
    quantity: Decimal
    delivered_on: dt.date
    note: str
    confirmed: bool
    confirmed_at: dt.datetime | None


class ResourceMatchOut(Schema):
    id: int
    offer_id: int
    need_id: int
    partner: str
    receiver: str
    kind: str
    unit: str
    committed: Decimal
    delivered: Decimal
    outstanding: Decimal
    confirmed: Decimal
    distance_km: Decimal | None
    reason: str
    state: str = Field(..., description="awaiting_delivery, partly_delivered, awaiting_confirmation, done or cancelled")
    committed_at: dt.datetime


class MatchDetailOut(ResourceMatchOut):
    deliveries: list[ResourceDeliveryOut]


class MatchPage(PageOut):
    results: list[ResourceMatchOut]


class ResourceProposeIn(Schema):
    area_id: int = Field(..., ge=1, description="The district or street to match needs in.")


class ResourceProposalOut(Schema):
    offer_id: int
    need_id: int
    quantity: Decimal
    distance_km: float | None
    cost: int
    reason: str


class ResourceProposalsOut(Schema):
    matched: Decimal = Field(..., description="Total proposed, in whole steps (units, or fen for money).")
    cost: int
    proposals: list[ResourceProposalOut]


class ResourceCommitItemIn(Schema):
    offer_id: int = Field(..., ge=1)
    need_id: int = Field(..., ge=1)
    quantity: str = Field(..., max_length=40, description="Whole units, or yuan for money.")


class ResourceCommitIn(Schema):
    matches: list[ResourceCommitItemIn] = Field(..., min_length=1, max_length=services.BATCH_MAX)


class ResourceDeliveryIn(Schema):
    quantity: str = Field(..., max_length=40)
    delivered_on: dt.date | None = None
    note: str = Field("", max_length=200)


class ResourceGiftOut(Schema):
    partner_id: int
    partner: str
    partner_kind: str
    category: str
    kind: str
    unit: str
    delivered: Decimal
    confirmed: Decimal
    deliveries: int
    needs: int


class Filters(PageIn):
    q: str | None = Field(None, max_length=64)
    kind: str | None = Field(None, max_length=16)


# --- rows ------------------------------------------------------------------------------------------------------------

def _partner(p: Partner) -> dict[str, Any]:
    return {"id": p.pk, "name": p.name, "kind": p.kind, "division_id": p.division_id, "division": p.division.name,
            "organization_id": p.organization_id}


def _offer(o: Offer) -> dict[str, Any]:
    k = o.kind
    return {"id": o.pk, "partner_id": o.partner_id, "partner": o.partner.name, "category_id": o.category_id, "category": o.category.name,
            "kind": k, "unit": o.category.unit, "title": o.title, "description": o.description,
            "quantity": quantity_value(o.quantity, k), "committed": quantity_value(o.committed, k),
            "remaining": quantity_value(o.remaining, k), "division_id": o.division_id, "division": o.division.name,
            "latitude": o.latitude, "longitude": o.longitude, "reach_km": o.reach_km, "available_from": o.available_from,
            "available_until": o.available_until, "status": o.status}


def _need(n: Need) -> dict[str, Any]:
    k = n.kind
    return {"id": n.pk, "station_id": n.station_id, "organization_id": n.organization_id, "owner": sel.owner_name(n),
            "category_id": n.category_id, "category": n.category.name, "kind": k, "unit": n.category.unit, "title": n.title,
            "description": n.description, "quantity": quantity_value(n.quantity, k), "committed": quantity_value(n.committed, k),
            "remaining": quantity_value(n.remaining, k), "division_id": n.division_id, "division": n.division.name,
            "needed_by": n.needed_by, "status": n.status, "source_kind": n.source_kind, "source_id": n.source_id}


def _match(m: Match) -> dict[str, Any]:
    k = m.offer.kind
    return {"id": m.pk, "offer_id": m.offer_id, "need_id": m.need_id, "partner": m.offer.partner.name, "receiver": sel.owner_name(m.need),
            "kind": k, "unit": m.offer.category.unit, "committed": quantity_value(m.committed, k),
            "delivered": quantity_value(m.delivered, k), "outstanding": quantity_value(m.outstanding, k),
            "confirmed": quantity_value(m.confirmed, k), "distance_km": m.distance_km, "reason": m.reason,
            "state": sel.match_state(m), "committed_at": m.committed_at}


def _delivery(d: Delivery, kind: str) -> dict[str, Any]:
    return {"id": d.pk, "quantity": quantity_value(d.quantity, kind), "delivered_on": d.delivered_on, "note": d.note,
            "confirmed": d.confirmed_at is not None, "confirmed_at": d.confirmed_at}


def _match_detail(request: ApiRequest, match_id: int) -> dict[str, Any]:
    m = sel.match_get(request.auth, match_id)
    return {**_match(m), "deliveries": [_delivery(d, m.offer.kind) for d in sel.deliveries_of(m)]}


def _division(request: ApiRequest, division_id: int, field: str) -> Any:
    for d in sel.division_choices(request.auth):
        if d.pk == division_id:
            return d
    raise field_error(field, "division_not_found", NotFound().message)


def _category(category_id: int) -> Any:
    found = sel.categories().filter(pk=category_id).first()
    if found is None:
        raise field_error("category_id", "category_not_found", NotFound().message)
    return found


# --- operations ------------------------------------------------------------------------------------------------------

@router.get("/categories", response={200: list[ResourceCategoryOut], **errors(401, 403)}, summary="Resource categories")
def categories(request: ApiRequest) -> Any:
    sel.hub_scope(request.auth)
    return [{"id": c.pk, "name": c.name, "kind": c.kind, "unit": c.unit} for c in sel.categories()]


@router.get("/partners", response={200: PartnerPage, **errors(400, 401, 403)}, summary="Partners")
def partners(request: ApiRequest, filters: Query[PageIn]) -> Any:
    page = paginate(sel.partners_visible(request.auth).order_by("name", "pk"), filters)
    page["results"] = [_partner(p) for p in page["results"]]
    return page


@router.post("/partners", response={201: ResourcePartnerOut, **errors(400, 401, 403)}, summary="Register a partner")
def partner_create(request: ApiRequest, payload: ResourcePartnerIn) -> Any:
    sel.hub_scope(request.auth)
    made = services.partner_register(actor=request.auth, name=payload.name, kind=payload.kind,
                                     division=_division(request, payload.division_id, "division_id"), contact=payload.contact)
    return Status(201, _partner(sel.partner_get(request.auth, made.pk)))


@router.get("/offers", response={200: OfferPage, **errors(400, 401, 403)}, summary="Offers")
def offers(request: ApiRequest, filters: Query[Filters]) -> Any:
    page = paginate(sel.offers_visible(request.auth, query=(filters.q or "").strip(), kind=filters.kind or ""), filters)
    page["results"] = [_offer(o) for o in page["results"]]
    return page


@router.post("/offers", response={201: ResourceOfferOut, **errors(400, 401, 403, 404)}, summary="Register an offer")
def offer_create(request: ApiRequest, payload: ResourceOfferIn) -> Any:
    partner = sel.partner_get(request.auth, payload.partner_id)
    made = services.offer_register(
        actor=request.auth, partner=partner, category=_category(payload.category_id), title=payload.title,
        description=payload.description, quantity=payload.quantity, division=_division(request, payload.division_id, "division_id"),
        available_from=payload.available_from, available_until=payload.available_until, latitude=payload.latitude,
        longitude=payload.longitude, reach_km=payload.reach_km)
    return Status(201, _offer(sel.offer_get(request.auth, made.pk)))


@router.get("/offers/{id:resource_offer_id}", response={200: ResourceOfferOut, **errors(401, 403, 404)}, summary="One offer")
def offer_detail(request: ApiRequest, resource_offer_id: int) -> Any:
    return _offer(sel.offer_get(request.auth, resource_offer_id))


@router.post("/offers/{id:resource_offer_id}/withdraw", response={200: ResourceOfferOut, **errors(401, 403, 404)},
             summary="Withdraw an offer")
def offer_withdraw(request: ApiRequest, resource_offer_id: int) -> Any:
    services.offer_withdraw(actor=request.auth, offer=sel.offer_get(request.auth, resource_offer_id))
    return _offer(sel.offer_get(request.auth, resource_offer_id))


@router.get("/needs", response={200: NeedPage, **errors(400, 401, 403)}, summary="Needs")
def needs(request: ApiRequest, filters: Query[Filters]) -> Any:
    page = paginate(sel.needs_visible(request.auth, query=(filters.q or "").strip(), kind=filters.kind or ""), filters)
    page["results"] = [_need(n) for n in page["results"]]
    return page


@router.post("/needs", response={201: ResourceNeedOut, **errors(400, 401, 403)}, summary="Register a need")
def need_create(request: ApiRequest, payload: ResourceNeedIn) -> Any:
    station = sel.stations_received_by(request.auth).filter(pk=payload.station_id).first() if payload.station_id else None
    org = sel.organizations_managed(request.auth).filter(pk=payload.organization_id).first() if payload.organization_id else None
    if (payload.station_id and station is None) or (payload.organization_id and org is None):
        raise field_error("station_id", "owner_not_found", NotFound().message)
    made = services.need_register(
        actor=request.auth, category=_category(payload.category_id), title=payload.title, description=payload.description,
        quantity=payload.quantity, division=_division(request, payload.division_id, "division_id"), needed_by=payload.needed_by,
        station=station, organization=org, latitude=payload.latitude, longitude=payload.longitude)
    return Status(201, _need(sel.need_get(request.auth, made.pk)))


@router.get("/needs/{id:resource_need_id}", response={200: ResourceNeedOut, **errors(401, 403, 404)}, summary="One need")
def need_detail(request: ApiRequest, resource_need_id: int) -> Any:
    return _need(sel.need_get(request.auth, resource_need_id))


@router.post("/needs/{id:resource_need_id}/close", response={200: ResourceNeedOut, **errors(401, 403, 404)}, summary="Close a need")
def need_close(request: ApiRequest, resource_need_id: int) -> Any:
    services.need_close(actor=request.auth, need=sel.need_get(request.auth, resource_need_id))
    return _need(sel.need_get(request.auth, resource_need_id))


@router.post("/proposals", response={200: ResourceProposalsOut, **errors(400, 401, 403, 404)}, summary="Propose matches for an area")
def proposals(request: ApiRequest, payload: ResourceProposeIn) -> Any:
    """The optimal matches for the area's open needs (most quantity, then nearest and earliest), with each one's reason;
    nothing is written: commit the chosen ones with POST /matches."""
    proposed = sel.proposal_for_area(request.auth, sel.division_get(request.auth, payload.area_id))
    out = []
    for o, n, q, fit in proposed.rows():
        out.append({"offer_id": o.pk, "need_id": n.pk, "quantity": quantity_value(q, o.kind), "distance_km": fit.distance_km,
                    "cost": fit.cost, "reason": reason(fit, category=o.category.name, offer_area=o.division.name,
                                                       need_area=n.division.name, needed_by=n.needed_by)})
    return {"matched": Decimal(proposed.plan.matched), "cost": proposed.plan.cost, "proposals": out}


@router.get("/matches", response={200: MatchPage, **errors(400, 401, 403)}, summary="Matches")
def matches(request: ApiRequest, filters: Query[PageIn]) -> Any:
    page = paginate(sel.matches_visible(request.auth), filters)
    page["results"] = [_match(m) for m in page["results"]]
    return page


@router.post("/matches", response={201: list[ResourceMatchOut], **errors(400, 401, 403, 404, 409)}, summary="Commit matches")
def matches_commit(request: ApiRequest, payload: ResourceCommitIn) -> Any:
    """All or none: each pair must still fit, and no offer may be committed beyond what is left of it
    (`offer_exceeded`) nor a need beyond what it lacks (`need_exceeded`)."""
    ids = {m.offer_id for m in payload.matches}
    kinds = dict(sel.offers_visible(request.auth).filter(pk__in=ids).values_list("pk", "kind"))
    if len(kinds) != len(ids):
        raise NotFound("not_found", services.MATCH_NOT_FOUND)
    choices = [(m.offer_id, m.need_id, quantity_in(m.quantity, kind=kinds[m.offer_id], field=f"matches.{i}.quantity"))
               for i, m in enumerate(payload.matches)]
    made = services.matches_commit(actor=request.auth, choices=choices)
    return Status(201, [_match(m) for m in sel.matches_visible(request.auth).filter(pk__in=[m.pk for m in made])])


@router.get("/matches/{id:resource_match_id}", response={200: MatchDetailOut, **errors(401, 403, 404)}, summary="One match")
def match_detail(request: ApiRequest, resource_match_id: int) -> Any:
    return _match_detail(request, resource_match_id)


@router.post("/matches/{id:resource_match_id}/deliveries", response={201: MatchDetailOut, **errors(400, 401, 403, 404, 409)},
             summary="Record a delivery")
def delivery_create(request: ApiRequest, resource_match_id: int, payload: ResourceDeliveryIn) -> Any:
    services.delivery_record(actor=request.auth, match=sel.match_get(request.auth, resource_match_id), quantity=payload.quantity,
                             delivered_on=payload.delivered_on, note=payload.note)
    return Status(201, _match_detail(request, resource_match_id))


@router.post("/matches/{id:resource_match_id}/cancel", response={200: MatchDetailOut, **errors(401, 403, 404)},
             summary="Cancel what is not delivered")
def match_cancel(request: ApiRequest, resource_match_id: int) -> Any:
    services.match_cancel(actor=request.auth, match=sel.match_get(request.auth, resource_match_id))
    return _match_detail(request, resource_match_id)


@router.post("/deliveries/{id:resource_delivery_id}/confirm", response={200: MatchDetailOut, **errors(401, 403, 404)},
             summary="Confirm a delivery was received")
def delivery_confirm(request: ApiRequest, resource_delivery_id: int) -> Any:
    found = sel.delivery_get(request.auth, resource_delivery_id)
    services.delivery_confirm(actor=request.auth, delivery=found)
    return _match_detail(request, found.match_id)


class ResourceGiftFilter(Schema):
    year: int | None = Field(None, ge=2000, le=2100)


@router.get("/gifts", response={200: list[ResourceGiftOut], **errors(401, 403)}, summary="What each partner gave in a year")
def gifts(request: ApiRequest, filters: Query[ResourceGiftFilter]) -> Any:
    year = filters.year or timezone.localdate().year
    return [{"partner_id": g.partner.pk, "partner": g.partner.name, "partner_kind": g.partner.kind, "category": g.category.name,
             "kind": g.category.kind, "unit": g.category.unit, "delivered": quantity_value(g.delivered, g.category.kind),
             "confirmed": quantity_value(g.confirmed, g.category.kind), "deliveries": g.deliveries, "needs": g.needs}
            for g in sel.partner_gifts(request.auth, year)]


