"""The partner pages' data ("我的资源"), for a partner's own staff, and a partner's members for those who manage it:
the same selectors and services as the pages, under the same scopes. A need is shown as partners see it
(access.need_shown_to_partner): never a beneficiary's name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Schema, Status

from shanlian.core.errors import NotFound, field_error
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate

from . import access, services
from . import selectors as sel
from . import selectors_partner as mine
from .api import (
    ResourceDeliveryIn,
    ResourceDeliveryOut,
    ResourceGiftOut,
    ResourceOfferOut,
    ResourcePartnerOut,
    _category,
    _delivery,
    _Located,
    _offer,
    _partner,
    router,
)
from .models import Match, PartnerMember
from .quantities import quantity_value


class PartnerOfferPage(PageOut):
    results: list[ResourceOfferOut]


class PartnerOfferFilter(PageIn):
    partner_id: int | None = Field(None, ge=1, le=2_000_000_000)


class PartnerOfferIn(_Located):
    partner_id: int | None = Field(None, ge=1, le=2_000_000_000, description="One of your partners; the first if none.")
    category_id: int = Field(..., ge=1, le=2_000_000_000)
    title: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)
    quantity: str = Field(..., max_length=40, description="Whole units, or yuan for money.")
    division_id: int = Field(..., ge=1, le=2_000_000_000, description="Where it serves: the partner's area, inside or around it.")
    available_from: dt.date
    available_until: dt.date | None = None
    reach_km: int | None = Field(None, ge=1, le=200)


class PartnerOfferEditIn(_Located):
    version: int = Field(..., ge=1, le=2_000_000_000, description="The offer's version as you read it: a stale edit is refused.")
    title: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)
    quantity: str = Field(..., max_length=40, description="Never below what is committed.")
    division_id: int = Field(..., ge=1, le=2_000_000_000)
    available_from: dt.date
    available_until: dt.date | None = None
    reach_km: int | None = Field(None, ge=1, le=200)


class PartnerOfferOut(ResourceOfferOut):
    version: int


class PartnerMatchOut(Schema):
    id: int
    offer_id: int
    offer: str
    need: str = Field(..., description="The need as partners see it: by category and area when it came from a case or a wish.")
    need_description: str
    receiver: str
    area: str
    needed_by: dt.date
    kind: str
    unit: str
    committed: Decimal
    delivered: Decimal
    outstanding: Decimal
    confirmed: Decimal
    reason: str
    state: str = Field(..., description="awaiting_delivery, partly_delivered, awaiting_confirmation, done or cancelled")
    committed_at: dt.datetime


class PartnerMatchPage(PageOut):
    results: list[PartnerMatchOut]


class PartnerMatchDetailOut(PartnerMatchOut):
    deliveries: list[ResourceDeliveryOut]


class PartnerGiftFilter(Schema):
    partner_id: int | None = Field(None, ge=1, le=2_000_000_000)
    year: int | None = Field(None, ge=2000, le=2100)


class PartnerMemberOut(Schema):
    id: int
    partner_id: int
    person_id: int
    name: str
    title: str
    active: bool
    added_at: dt.datetime
    ended_at: dt.datetime | None


class PartnerMemberIn(Schema):
    username: str = Field(..., min_length=1, max_length=150, description="The login the person signs in with.")
    title: str = Field("", max_length=64)


def _mine_offer(o: Any) -> dict[str, Any]:
    return {**_offer(o), "version": o.version}


def _mine_match(m: Match) -> dict[str, Any]:
    k = m.offer.kind
    title, about = access.need_shown_to_partner(m.need)
    return {"id": m.pk, "offer_id": m.offer_id, "offer": m.offer.title, "need": title, "need_description": about,
            "receiver": sel.owner_name(m.need), "area": m.need.division.name, "needed_by": m.need.needed_by, "kind": k,
            "unit": m.offer.category.unit, "committed": quantity_value(m.committed, k), "delivered": quantity_value(m.delivered, k),
            "outstanding": quantity_value(m.outstanding, k), "confirmed": quantity_value(m.confirmed, k), "reason": m.reason,
            "state": sel.match_state(m), "committed_at": m.committed_at}


def _mine_match_detail(request: ApiRequest, match_id: int) -> dict[str, Any]:
    m = mine.my_match_get(request.auth, match_id)
    return {**_mine_match(m), "deliveries": [_delivery(d, m.offer.kind) for d in sel.deliveries_of(m)]}


def _member(m: PartnerMember) -> dict[str, Any]:
    return {"id": m.pk, "partner_id": m.partner_id, "person_id": m.person_id, "name": m.person.real_name, "title": m.title,
            "active": m.active, "added_at": m.added_at, "ended_at": m.ended_at}


def _member_division(partner: Any, division_id: int) -> Any:
    for d in mine.member_divisions(partner):
        if d.pk == division_id:
            return d
    raise field_error("division_id", "division_not_found", NotFound().message)


@router.get("/mine/partners", response={200: list[ResourcePartnerOut], **errors(401, 403)}, summary="The partners I act for")
def my_partners(request: ApiRequest) -> Any:
    return [_partner(p) for p in mine.my_partners(request.auth)]


@router.get("/mine/offers", response={200: PartnerOfferPage, **errors(400, 401, 403, 404)}, summary="My partner's offers")
def my_offers(request: ApiRequest, filters: Query[PartnerOfferFilter]) -> Any:
    partner = mine.my_partner(request.auth, filters.partner_id)
    page = paginate(mine.my_offers(request.auth, partner), filters)
    page["results"] = [_mine_offer(o) for o in page["results"]]
    return page


@router.post("/mine/offers", response={201: PartnerOfferOut, **errors(400, 401, 403, 404)}, summary="Register my partner's offer")
def my_offer_create(request: ApiRequest, payload: PartnerOfferIn) -> Any:
    partner = mine.my_partner(request.auth, payload.partner_id)
    made = services.offer_register(
        actor=request.auth, partner=partner, category=_category(payload.category_id), title=payload.title,
        description=payload.description, quantity=payload.quantity, division=_member_division(partner, payload.division_id),
        available_from=payload.available_from, available_until=payload.available_until, latitude=payload.latitude,
        longitude=payload.longitude, reach_km=payload.reach_km)
    return Status(201, _mine_offer(mine.my_offer_get(request.auth, made.pk)))


@router.get("/mine/offers/{id:resource_offer_id}", response={200: PartnerOfferOut, **errors(401, 403, 404)},
            summary="One of my partner's offers")
def my_offer_detail(request: ApiRequest, resource_offer_id: int) -> Any:
    return _mine_offer(mine.my_offer_get(request.auth, resource_offer_id))


@router.put("/mine/offers/{id:resource_offer_id}", response={200: PartnerOfferOut, **errors(400, 401, 403, 404, 409)},
            summary="Edit my partner's offer")
def my_offer_update(request: ApiRequest, resource_offer_id: int, payload: PartnerOfferEditIn) -> Any:
    """Name the version you read (`stale_offer` if it changed since); once part is committed only the title, the
    description and the quantity change (`offer_committed`), never below what is committed (`below_committed`)."""
    found = mine.my_offer_get(request.auth, resource_offer_id)
    services.offer_update(
        actor=request.auth, offer=found, version=payload.version, title=payload.title, description=payload.description,
        quantity=payload.quantity, division=_member_division(found.partner, payload.division_id),
        available_from=payload.available_from, available_until=payload.available_until, latitude=payload.latitude,
        longitude=payload.longitude, reach_km=payload.reach_km)
    return _mine_offer(mine.my_offer_get(request.auth, resource_offer_id))


@router.post("/mine/offers/{id:resource_offer_id}/withdraw", response={200: PartnerOfferOut, **errors(401, 403, 404)},
             summary="Withdraw my partner's offer")
def my_offer_withdraw(request: ApiRequest, resource_offer_id: int) -> Any:
    services.offer_withdraw(actor=request.auth, offer=mine.my_offer_get(request.auth, resource_offer_id))
    return _mine_offer(mine.my_offer_get(request.auth, resource_offer_id))


@router.get("/mine/matches", response={200: PartnerMatchPage, **errors(400, 401, 403, 404)}, summary="Matches of my partner's offers")
def my_matches(request: ApiRequest, filters: Query[PartnerOfferFilter]) -> Any:
    partner = mine.my_partner(request.auth, filters.partner_id)
    page = paginate(mine.my_matches(request.auth, partner), filters)
    page["results"] = [_mine_match(m) for m in page["results"]]
    return page


@router.get("/mine/matches/{id:resource_match_id}", response={200: PartnerMatchDetailOut, **errors(401, 403, 404)},
            summary="One match of my partner's offers")
def my_match_detail(request: ApiRequest, resource_match_id: int) -> Any:
    return _mine_match_detail(request, resource_match_id)


@router.post("/mine/matches/{id:resource_match_id}/deliveries", response={201: PartnerMatchDetailOut, **errors(400, 401, 403, 404, 409)},
             summary="Record my partner's delivery")
def my_delivery_create(request: ApiRequest, resource_match_id: int, payload: ResourceDeliveryIn) -> Any:
    services.delivery_record(actor=request.auth, match=mine.my_match_get(request.auth, resource_match_id),
                             quantity=payload.quantity, delivered_on=payload.delivered_on, note=payload.note)
    return Status(201, _mine_match_detail(request, resource_match_id))


@router.get("/mine/gifts", response={200: list[ResourceGiftOut], **errors(400, 401, 403, 404)}, summary="What my partner gave in a year")
def my_gifts(request: ApiRequest, filters: Query[PartnerGiftFilter]) -> Any:
    partner = mine.my_partner(request.auth, filters.partner_id)
    year = filters.year or mine.my_gift_years(partner)[0]
    return [{"partner_id": g.partner.pk, "partner": g.partner.name, "partner_kind": g.partner.kind, "category": g.category.name,
             "kind": g.category.kind, "unit": g.category.unit, "delivered": quantity_value(g.delivered, g.category.kind),
             "confirmed": quantity_value(g.confirmed, g.category.kind), "deliveries": g.deliveries, "needs": g.needs}
            for g in mine.my_gifts(request.auth, partner, year)]


@router.get("/partners/{id:resource_partner_id}/members", response={200: list[PartnerMemberOut], **errors(401, 403, 404)},
            summary="A partner's own staff")
def partner_members(request: ApiRequest, resource_partner_id: int) -> Any:
    partner = mine.partner_managed_get(request.auth, resource_partner_id)
    return [_member(m) for m in mine.members_of(request.auth, partner)]


@router.post("/partners/{id:resource_partner_id}/members", response={201: PartnerMemberOut, **errors(400, 401, 403, 404, 409)},
             summary="Add a partner's staff member")
def partner_member_add(request: ApiRequest, resource_partner_id: int, payload: PartnerMemberIn) -> Any:
    partner = mine.partner_to_manage(request.auth, resource_partner_id)
    person = mine.person_by_login(payload.username)
    if person is None:
        raise field_error("username", "login_not_found", NotFound().message)
    made = services.partner_member_add(actor=request.auth, partner=partner, person=person, title=payload.title)
    return Status(201, _member(mine.member_get(request.auth, partner, made.pk)))


@router.post("/partners/{id:resource_partner_id}/members/{id:resource_member_id}/end",
             response={200: PartnerMemberOut, **errors(401, 403, 404)}, summary="End a partner's staff membership")
def partner_member_end(request: ApiRequest, resource_partner_id: int, resource_member_id: int) -> Any:
    partner = mine.partner_managed_get(request.auth, resource_partner_id)
    services.partner_member_end(actor=request.auth, member=mine.member_get(request.auth, partner, resource_member_id))
    return _member(mine.member_get(request.auth, partner, resource_member_id))
