"""Micro-wishes for other systems (a WeChat mini-program, the city's platform), under the same scopes as the pages: the
wall, a wish's public data, the leaderboard and the counts with no login; a signed-in person's claims, withdrawals and
replies; the station's case team's wishes, messages, fulfilments and confirmations; counts per station and year for
the station's staff and the officers above."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from shanlian.core.errors import field_error
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.core.uploads import MAX_BYTES

from . import selectors as sel
from . import services, services_fulfil
from .models import Wish, WishClaim, WishFulfilment, WishMessage
from .selectors_stats import station_year_counts
from .services import MESSAGE_MAX, NOTE_MAX

router = Router(tags=["wishes"])


# --- schemas ---------------------------------------------------------------------------------------------------------

class WishPublicOut(Schema):
    id: int
    number: str
    headline: str = Field(..., description="e.g. 越秀区·北京街道·盐运西社区 一位独居长者的心愿：一台电风扇")
    title: str
    description: str
    wish_for: str
    kind: str
    value: Decimal
    fulfilled_value: Decimal
    needed_by: dt.date
    status: str = Field(..., description="open, claimed, fulfilled (delivered), confirmed (fulfilled) or expired")
    district: str
    street: str
    community: str


class WishWallPage(PageOut):
    results: list[WishPublicOut]


class WishWallFilter(PageIn):
    state: Literal["open", "claimed", "done"] = "open"
    district_id: int | None = Field(None, ge=1, le=2**62)
    street_id: int | None = Field(None, ge=1, le=2**62)
    kind: Literal["", "goods", "money", "service"] = ""


class WishLeaderOut(Schema):
    label: str
    wishes: int = Field(..., description="Wishes fulfilled (confirmed by the station), not claimed.")
    value: Decimal


class WishWallCountsOut(Schema):
    open: int
    claimed: int
    fulfilled: int
    value_fulfilled: Decimal
    claimants: int


class WishClaimIn(Schema):
    kind: Literal["self", "party", "company"] = "self"
    party_branch: str = Field("", max_length=64)
    party_members: int | None = Field(None, ge=0, le=100000)
    company_name: str = Field("", max_length=100)
    credit_code: str = Field("", max_length=40)
    contact: str = Field("", max_length=64)


class WishMessageOut(Schema):
    id: int
    from_station: bool
    text: str
    sent_at: dt.datetime


class WishClaimOut(Schema):
    id: int
    wish: WishPublicOut
    kind: str
    party_branch: str
    party_members: int
    company_name: str
    credit_code: str
    status: str
    claimed_at: dt.datetime
    expires_at: dt.datetime
    messages: list[WishMessageOut]
    delivered: Decimal


class WishMyClaimPage(PageOut):
    results: list[WishClaimOut]


class WishMessageIn(Schema):
    text: str = Field(..., max_length=MESSAGE_MAX)


class WishIn(Schema):
    beneficiary_id: int = Field(..., ge=1, le=2**62)
    title: str = Field(..., max_length=40)
    description: str = Field("", max_length=300)
    private_note: str = Field("", max_length=NOTE_MAX)
    wish_for: str = Field(..., max_length=16)
    kind: str = Field(..., max_length=8)
    value: str = Field(..., max_length=40, description="Yuan, at most 2 decimals, above zero, at most WISHES_VALUE_CAP.")
    needed_by: dt.date


class WishEditIn(Schema):
    version: int = Field(..., ge=1, le=2**31 - 1, description="The version you read; a wish changed since is refused (409).")
    title: str | None = Field(None, max_length=40)
    description: str | None = Field(None, max_length=300)
    private_note: str | None = Field(None, max_length=NOTE_MAX)
    wish_for: str | None = Field(None, max_length=16)
    kind: str | None = Field(None, max_length=8)
    value: str | None = Field(None, max_length=40)
    needed_by: dt.date | None = None


class WishCancelIn(Schema):
    reason: str = Field(..., max_length=200)


class WishFulfilmentIn(Schema):
    kind: str = Field(..., max_length=8, description="goods, money or service")
    value: str = Field(..., max_length=40)
    delivered_on: dt.date | None = None
    goods_item: str = Field("", max_length=64)
    goods_quantity: str = Field("", max_length=40)
    goods_unit: str = Field("", max_length=16)
    channel: Literal["cash", "transfer"] = "cash"
    project_id: int | None = Field(None, ge=1, le=2**62, description="A project of the wish's fund to restrict money to.")
    note: str = Field("", max_length=200)


class WishFulfilmentOut(Schema):
    id: int
    kind: str
    value: Decimal
    goods_item: str
    goods_quantity: Decimal | None
    goods_unit: str
    donation_id: int | None
    delivered_on: dt.date


class WishConfirmIn(Schema):
    photo_base64: str = Field("", max_length=(MAX_BYTES * 4) // 3 + 8, description="The photo (JPEG or PNG), base64.")
    photo_name: str = Field("photo.jpg", max_length=128)
    acknowledged_by: str = Field("", max_length=12, description="beneficiary, guardian or family")
    acknowledged_how: str = Field("", max_length=12, description="signature, verbal or thumbprint")
    acknowledged_on: dt.date | None = None
    note: str = Field("", max_length=200)


class WishStationClaimOut(Schema):
    id: int
    claimant: str = Field(..., description="The claimant's name (the case team); the public name for the officers.")
    kind: str
    party_members: int
    company_name: str
    contact: str
    status: str
    claimed_at: dt.datetime
    expires_at: dt.datetime


class WishOut(Schema):
    id: int
    number: str
    station_id: int
    beneficiary_id: int
    beneficiary: str = Field(..., description="The name for the case team; masked for the officers above.")
    private_note: str = Field(..., description="The case team only; empty for the officers above.")
    title: str
    description: str
    wish_for: str
    kind: str
    value: Decimal
    fulfilled_value: Decimal
    needed_by: dt.date
    status: str
    on_wall: bool = Field(..., description="Shown on the public wall: false once the consent it was posted under is withdrawn or expired.")
    version: int
    headline: str
    claim: WishStationClaimOut | None
    messages: list[WishMessageOut] = Field(..., description="The case team only.")
    fulfilments: list[WishFulfilmentOut]


class WishRowOut(Schema):
    id: int
    number: str
    station_id: int
    title: str
    kind: str
    value: Decimal
    fulfilled_value: Decimal
    needed_by: dt.date
    status: str


class WishStationPage(PageOut):
    results: list[WishRowOut]


class WishStationFilter(PageIn):
    status: str = Field("", max_length=10)
    q: str = Field("", max_length=40)


class WishStationYearOut(Schema):
    station_id: int
    station: str
    year: int
    registered: int
    fulfilled: int
    value_fulfilled: Decimal
    claimants: int
    party_person_times: int
    median_days: float | None


class WishStatsFilter(Schema):
    year: int | None = Field(None, ge=2000, le=2100)


# --- rows ------------------------------------------------------------------------------------------------------------

def _public(wish: Wish) -> dict[str, Any]:
    p = sel.public_wish(wish)
    return {"id": p.id, "number": p.number, "headline": p.headline, "title": p.title, "description": p.description,
            "wish_for": p.wish_for, "kind": p.kind, "value": p.value.amount, "fulfilled_value": p.fulfilled_value.amount,
            "needed_by": p.needed_by, "status": p.status, "district": p.district, "street": p.street, "community": p.community}


def _message(m: WishMessage) -> dict[str, Any]:
    return {"id": m.pk, "from_station": m.from_station, "text": m.text, "sent_at": m.sent_at}


def _claim(c: WishClaim) -> dict[str, Any]:
    return {"id": c.pk, "wish": _public(c.wish), "kind": c.kind, "party_branch": c.party_branch, "party_members": c.party_members,
            "company_name": c.company_name, "credit_code": c.credit_code, "status": c.status, "claimed_at": c.claimed_at,
            "expires_at": c.expires_at, "messages": [_message(m) for m in c.messages.all()],
            "delivered": sum((f.value.amount for f in c.fulfilments.all()), Decimal("0"))}


def _fulfilment(f: WishFulfilment) -> dict[str, Any]:
    return {"id": f.pk, "kind": f.kind, "value": f.value.amount, "goods_item": f.goods_item, "goods_quantity": f.goods_quantity,
            "goods_unit": f.goods_unit, "donation_id": f.donation_id, "delivered_on": f.delivered_on}


def _detail(request: ApiRequest, wish_id: int) -> dict[str, Any]:
    f = sel.wish_file(request.auth, sel.wish_get(request.auth, wish_id))
    w = f.wish
    claim = None
    if f.claim is not None:
        c = f.claim
        claim = {"id": c.pk, "claimant": f.claimant_name, "kind": c.kind, "party_members": c.party_members,
                 "company_name": c.company_name, "contact": c.contact if f.team else "", "status": c.status,
                 "claimed_at": c.claimed_at, "expires_at": c.expires_at}
    return {"id": w.pk, "number": w.number, "station_id": w.station_id, "beneficiary_id": w.beneficiary_id,
            "beneficiary": f.beneficiary_name, "private_note": f.private_note, "title": w.title, "description": w.description,
            "wish_for": w.wish_for, "kind": w.kind, "value": w.value.amount, "fulfilled_value": w.fulfilled_value.amount,
            "needed_by": w.needed_by, "status": w.status, "on_wall": f.on_wall, "version": w.version, "headline": f.public.headline,
            "claim": claim,
            "messages": [_message(m) for m in f.messages], "fulfilments": [_fulfilment(x) for x in f.fulfilments]}


# --- the public wall -------------------------------------------------------------------------------------------------

@router.get("/wall", auth=None, response={200: WishWallPage, **errors(400)}, summary="The wish wall (public)")
def wall(request: ApiRequest, filters: Query[WishWallFilter]) -> dict[str, Any]:
    out = paginate(sel.wall(state=filters.state, district_id=filters.district_id, street_id=filters.street_id, kind=filters.kind),
                   filters)
    out["results"] = [_public(w) for w in out["results"]]
    return out


@router.get("/wall/{id:wish_id}", auth=None, response={200: WishPublicOut, **errors(404)}, summary="One wish (public)")
def wall_wish(request: ApiRequest, wish_id: int) -> dict[str, Any]:
    return _public(sel.wish_public_get(wish_id))


@router.get("/leaderboard", auth=None, response={200: list[WishLeaderOut]}, summary="Claimants by wishes fulfilled (public)")
def leaderboard(request: ApiRequest) -> list[dict[str, Any]]:
    return [{"label": x.label, "wishes": x.wishes, "value": x.value.amount} for x in sel.leaderboard()]


@router.get("/counts", auth=None, response={200: WishWallCountsOut}, summary="The wall's counts (public)")
def counts(request: ApiRequest) -> dict[str, Any]:
    c = sel.wall_counts()
    return {"open": c.open, "claimed": c.claimed, "fulfilled": c.fulfilled, "value_fulfilled": c.value_fulfilled.amount,
            "claimants": c.claimants}


# --- claimants -------------------------------------------------------------------------------------------------------

@router.post("/wall/{id:wish_id}/claim", response={201: WishClaimOut, **errors(400, 401, 403, 404, 409)}, summary="Claim a wish")
def claim(request: ApiRequest, wish_id: int, payload: WishClaimIn) -> Any:
    wish = sel.wish_public_get(wish_id)
    made = services.wish_claim(actor=request.auth, wish=wish, kind=payload.kind, party_branch=payload.party_branch,
                               party_members=payload.party_members, company_name=payload.company_name,
                               credit_code=payload.credit_code, contact=payload.contact)
    return Status(201, _claim(sel.claim_get(request.auth, made.pk)))


@router.get("/my-claims", response={200: WishMyClaimPage, **errors(400, 401)}, summary="My claims, with the station's messages")
def my_claims(request: ApiRequest, page: Query[PageIn]) -> dict[str, Any]:
    out = paginate(sel.my_claims(request.auth), page)
    out["results"] = [_claim(c) for c in out["results"]]
    return out


@router.post("/claims/{id:wish_claim_id}/withdraw", response={200: WishClaimOut, **errors(401, 404, 409)}, summary="Withdraw my claim")
def claim_withdraw(request: ApiRequest, wish_claim_id: int) -> dict[str, Any]:
    services.claim_withdraw(actor=request.auth, claim=sel.claim_get(request.auth, wish_claim_id))
    return _claim(sel.claim_get(request.auth, wish_claim_id))


@router.post("/claims/{id:wish_claim_id}/messages", response={201: WishMessageOut, **errors(400, 401, 404, 409)},
             summary="Reply to the station")
def claim_reply(request: ApiRequest, wish_claim_id: int, payload: WishMessageIn) -> Any:
    made = services.message_reply(actor=request.auth, claim=sel.claim_get(request.auth, wish_claim_id), text=payload.text)
    return Status(201, _message(made))


# --- the station -----------------------------------------------------------------------------------------------------

@router.get("/station", response={200: WishStationPage, **errors(400, 401, 403)}, summary="The stations' wishes")
def station_list(request: ApiRequest, filters: Query[WishStationFilter]) -> dict[str, Any]:
    qs = sel.wishes_visible(request.auth, status=filters.status, query=filters.q)
    out = paginate(qs, filters)
    out["results"] = [{"id": w.pk, "number": w.number, "station_id": w.station_id, "title": w.title, "kind": w.kind,
                       "value": w.value.amount, "fulfilled_value": w.fulfilled_value.amount, "needed_by": w.needed_by,
                       "status": w.status} for w in out["results"]]
    return out


@router.post("/station", response={201: WishOut, **errors(400, 401, 403, 404, 409)}, summary="Post a wish for a beneficiary")
def register(request: ApiRequest, payload: WishIn) -> Any:
    from shanlian.cases.selectors import beneficiary_get

    beneficiary = beneficiary_get(request.auth, payload.beneficiary_id)
    made = services.wish_register(actor=request.auth, beneficiary=beneficiary, title=payload.title, description=payload.description,
                                  private_note=payload.private_note, wish_for=payload.wish_for, kind=payload.kind,
                                  value=payload.value, needed_by=payload.needed_by)
    return Status(201, _detail(request, made.pk))


@router.get("/station/{id:wish_id}", response={200: WishOut, **errors(401, 404)}, summary="One wish (its station's view)")
def station_wish(request: ApiRequest, wish_id: int) -> dict[str, Any]:
    return _detail(request, wish_id)


@router.post("/station/{id:wish_id}/edit", response={200: WishOut, **errors(400, 401, 403, 404, 409)},
             summary="Edit an open wish (version check)")
def edit(request: ApiRequest, wish_id: int, payload: WishEditIn) -> dict[str, Any]:
    changes = {k: v for k, v in payload.dict().items() if k != "version" and v is not None}
    services.wish_update(actor=request.auth, wish=sel.wish_get(request.auth, wish_id), version=payload.version, **changes)
    return _detail(request, wish_id)


@router.post("/station/{id:wish_id}/cancel", response={200: WishOut, **errors(400, 401, 403, 404, 409)}, summary="Cancel a wish")
def cancel(request: ApiRequest, wish_id: int, payload: WishCancelIn) -> dict[str, Any]:
    services.wish_cancel(actor=request.auth, wish=sel.wish_get(request.auth, wish_id), reason=payload.reason)
    return _detail(request, wish_id)


@router.post("/station/{id:wish_id}/messages", response={201: WishMessageOut, **errors(400, 401, 403, 404, 409)},
             summary="Message the claimant (where and when to hand over)")
def message(request: ApiRequest, wish_id: int, payload: WishMessageIn) -> Any:
    return Status(201, _message(services.message_send(actor=request.auth, wish=sel.wish_get(request.auth, wish_id), text=payload.text)))


@router.post("/station/{id:wish_id}/fulfilments", response={201: WishFulfilmentOut, **errors(400, 401, 403, 404, 409)},
             summary="Record what was given (goods, money or service)")
def fulfil(request: ApiRequest, wish_id: int, payload: WishFulfilmentIn) -> Any:
    wish = sel.wish_get(request.auth, wish_id)
    project = None
    if payload.project_id is not None:
        project = next((p for p in services_fulfil.projects_for(wish) if p.pk == payload.project_id), None)
        if project is None:
            raise field_error("project_id", "project_not_in_fund", _("This project does not belong to the wish's fund."))
    made = services_fulfil.wish_fulfil(
        actor=request.auth, wish=wish, kind=payload.kind, value=payload.value, delivered_on=payload.delivered_on,
        goods_item=payload.goods_item, goods_quantity=payload.goods_quantity or None, goods_unit=payload.goods_unit,
        channel=payload.channel, project=project, note=payload.note)
    return Status(201, _fulfilment(made))


@router.post("/station/{id:wish_id}/confirm", response={200: WishOut, **errors(400, 401, 403, 404, 409)},
             summary="Confirm with a photo and the beneficiary's acknowledgement")
def confirm(request: ApiRequest, wish_id: int, payload: WishConfirmIn) -> dict[str, Any]:
    wish = sel.wish_get(request.auth, wish_id)
    photo = None
    if payload.photo_base64:
        try:
            raw = base64.b64decode(payload.photo_base64, validate=True)
        except (binascii.Error, ValueError):
            raise field_error("photo", "invalid_attachment", _("The photo is not valid base64.")) from None
        photo = SimpleUploadedFile(payload.photo_name or "photo.jpg", raw)
    services_fulfil.wish_confirm(actor=request.auth, wish=wish, photo=photo, acknowledged_by=payload.acknowledged_by,
                                 acknowledged_how=payload.acknowledged_how, acknowledged_on=payload.acknowledged_on,
                                 note=payload.note)
    return _detail(request, wish_id)


@router.get("/stats", response={200: list[WishStationYearOut], **errors(400, 401, 403)}, summary="Counts per station and year")
def stats(request: ApiRequest, filters: Query[WishStatsFilter]) -> list[dict[str, Any]]:
    rows = station_year_counts(request.auth, year=filters.year or timezone.localdate().year)
    return [{**r.__dict__, "value_fulfilled": r.value_fulfilled.amount} for r in rows]
