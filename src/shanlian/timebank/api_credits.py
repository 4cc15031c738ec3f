"""The volunteer's credits and certificates for an app (the WeChat mini-program), beside api_volunteer: the catalog
and one's redemptions, family and giving credits, service certificates and their PDF.

The same selectors (selectors_volunteer) and services as the volunteer's pages, with their codes and limits; every
operation acts for the caller's own volunteer record (another's redemption or certificate is a 404; not a volunteer:
403 `not_volunteer`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from shanlian.core.conf import domain_setting
from shanlian.core.errors import NotFound, ValidationFailed
from shanlian.core.idempotency import idempotency_key_in
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate

from . import selectors_volunteer as vsel
from . import services
from .api import _h, _me, _redemption_out, volunteer_ref
from .api_volunteer import Key, _created, _replay
from .documents import certificate_pdf, certificate_verify_url
from .models import FamilyLink, Redemption, ServiceCertificate, Volunteer

router = Router(tags=["volunteer"])

CERT_CODE = re.compile(r"^[0-9A-Za-z]{1,16}$")


# -- the catalog and my redemptions -------------------------------------------------------------------


class CatalogItemOut(Schema):
    id: int
    name: str
    description: str
    merchant: str
    station: str
    own_station: bool
    price: str = Field(..., description="Credits per item.")
    stock: int
    per_person_limit: int
    mine: int = Field(..., description="How many you hold already (not cancelled), against the limit per person.")


class CatalogPage(PageOut):
    results: list[CatalogItemOut]
    balance: str = Field(..., description="Your credits.")
    stars: int
    min_stars: int = Field(..., description="Stars needed to spend credits.")
    can_spend: bool


@router.get("/catalog", response={200: CatalogPage, **errors(400, 401, 403)}, summary="What your credits buy")
def catalog_index(request: ApiRequest, filters: Query[PageIn]) -> Any:
    """Items offered with stock, your own station's first; redeem with POST /redemptions."""
    volunteer = _me(request)
    page = paginate(vsel.catalog_for(volunteer=volunteer), filters)  # type: ignore[arg-type]
    page["results"] = [{"id": i.pk, "name": i.name, "description": i.description, "merchant": i.merchant,
                        "station": i.station.name, "own_station": i.station_id == volunteer.station_id, "price": _h(i.price),
                        "stock": i.stock, "per_person_limit": i.per_person_limit, "mine": i.mine} for i in page["results"]]
    stars = services.star_level(volunteer.approved_hours)
    least = domain_setting("TIMEBANK_SPEND_MIN_STARS")
    return {**page, "balance": _h(volunteer.account.balance), "stars": stars, "min_stars": least, "can_spend": stars >= least}


class MyRedemptionOut(Schema):
    id: int
    item: int
    item_name: str
    quantity: int
    credits: str
    status: str = Field(..., description="pending (to collect), fulfilled or cancelled.")
    collect_at: str = Field(..., description="The partner merchant or the station that hands it over.")
    created_at: dt.datetime


class MyRedemptionPage(PageOut):
    results: list[MyRedemptionOut]


@router.get("/me/redemptions", response={200: MyRedemptionPage, **errors(400, 401, 403)}, summary="Your redemptions")
def my_redemptions(request: ApiRequest, filters: Query[PageIn]) -> Any:
    page = paginate(vsel.my_redemptions(volunteer=_me(request)), filters)
    page["results"] = [{"id": r.pk, "item": r.item_id, "item_name": r.item.name, "quantity": r.quantity,
                        "credits": _h(r.credits), "status": r.status, "collect_at": r.item.merchant or r.item.station.name,
                        "created_at": r.created_at} for r in page["results"]]
    return page


class CancelledRedemptionOut(Schema):
    id: int
    item: int
    item_name: str
    quantity: int
    credits: str
    status: str
    balance: str = Field(..., description="Your balance after the credits came back.")


@router.post("/me/redemptions/{id:redemption_id}/cancel", response={200: CancelledRedemptionOut, **errors(400, 401, 403, 404, 409)},
             summary="Cancel a redemption")
def my_redemption_cancel(request: ApiRequest, redemption_id: int) -> Any:
    """Before it is handed over: the credits come back. Again is quiet; a fulfilled one is 409 `redemption_fulfilled`."""
    volunteer = _me(request)
    mine = Redemption.objects.filter(pk=redemption_id, volunteer=volunteer).first()
    if mine is None:
        raise NotFound()
    services.redemption_cancel(actor=request.auth, redemption=mine)
    return _redemption_out(Redemption.objects.select_related("item").get(pk=mine.pk), volunteer)


# -- family and giving credits ------------------------------------------------------------------------


class FamilyOut(Schema):
    number: str
    name_masked: str
    relation: str
    relation_label: str


class FamilyPage(PageOut):
    results: list[FamilyOut]


def _family_out(link: FamilyLink) -> dict[str, Any]:
    return {**volunteer_ref(link.member), "relation": link.relation, "relation_label": str(link.get_relation_display())}


@router.get("/me/family", response={200: FamilyPage, **errors(400, 401, 403)}, summary="Your family in the time bank")
def my_family(request: ApiRequest, filters: Query[PageIn]) -> Any:
    """The volunteers you may give credits to."""
    page = paginate(vsel.my_family(volunteer=_me(request)), filters)  # type: ignore[arg-type]
    page["results"] = [_family_out(link) for link in page["results"]]
    return page


class FamilyIn(Schema):
    number: str = Field(..., max_length=20, description="Their volunteer number.", examples=["ZY202612345678"])
    real_name: str = Field(..., max_length=32, description="Their real name: both must match their registration.")
    relation: str = Field(..., max_length=16, description="Of: " + ", ".join(FamilyLink.Relation.values) + ".")


@router.post("/me/family", response={200: FamilyOut, 201: FamilyOut, **errors(400, 401, 403)}, summary="Add a family member")
def my_family_add(request: ApiRequest, payload: FamilyIn, response: HttpResponse) -> Any:
    """A volunteer of your family, by their number and real name (`volunteer_not_found` unless both match). Adding
    them again answers 200 with the link made before."""
    volunteer = _me(request)
    member = vsel.family_candidate(number=payload.number, real_name=payload.real_name)
    known = FamilyLink.objects.filter(volunteer=volunteer, member=member).exists()
    link = services.family_link(actor=request.auth, volunteer=volunteer, member=member, relation=payload.relation)
    link.member = member
    return _replay(response, _family_out(link)) if known else Status(201, _family_out(link))


class GiveIn(Schema):
    to: str = Field(..., max_length=20, description="A family member's volunteer number, or `pool` for the community "
                    "pool (for residents in need).", examples=["pool"])
    amount: str = Field(..., max_length=12, description="Credits (hours), in half hours.", examples=["2.5"])


class GiveOut(Schema):
    to: str = Field(..., description="The family member's volunteer number, or `pool`.")
    to_name_masked: str | None
    amount: str
    balance: str = Field(..., description="Your balance now.")
    entry: int = Field(..., description="The ledger entry that moved the credits.")


@router.post("/me/credits/give", response={200: GiveOut, 201: GiveOut, **errors(400, 401, 403, 409)},
             summary="Give credits (idempotent)")
def my_credits_give(request: ApiRequest, payload: GiveIn, response: HttpResponse, idempotency_key: Key = None) -> Any:
    """To a family member you registered (`not_family` for anyone else) or the community pool. More than your balance:
    `insufficient_balance` on `amount`, saying how much you have; above the receiver's cap: `receiver_cap`. The
    `Idempotency-Key` header is required: the same key with the same gift answers 200 with the first."""
    volunteer = _me(request)
    key = idempotency_key_in(idempotency_key)
    to: Volunteer | None = None
    if payload.to.strip().lower() != "pool":
        wanted = payload.to.strip().upper()
        to = next((link.member for link in vsel.my_family(volunteer=volunteer) if link.member.number == wanted), None)
        if to is None:
            raise ValidationFailed("not_family", _("Credits can be given only to family members you have registered."),
                                   fields={"to": [("not_family", _("Credits can be given only to family members you have registered."))]})
    entry = services.credits_give(actor=request.auth, volunteer=volunteer, to=to, amount=payload.amount, external_id=key)
    volunteer.account.refresh_from_db(fields=["balance"])
    moved = entry.postings.filter(account=volunteer.account).values_list("amount", flat=True).first()
    body = {"to": to.number if to is not None else "pool", "to_name_masked": volunteer_ref(to)["name_masked"] if to else None,
            "amount": _h(abs(moved or 0)), "balance": _h(volunteer.account.balance), "entry": entry.pk}
    return _created(entry, response, body)


# -- service certificates -----------------------------------------------------------------------------


class CertificateIn(Schema):
    period_start: dt.date = Field(..., description="The first day it covers.")
    period_end: dt.date | None = Field(None, description="The last day it covers; default today.")


class CertificateOut(Schema):
    code: str = Field(..., description="Its verification code.", examples=["7K2M9Q4XW1AB"])
    period_start: dt.date
    period_end: dt.date
    hours: str = Field(..., description="Approved hours in the period.")
    records: int
    by_month: list[list[str]] = Field(..., description="[month, hours] pairs.")
    by_organizer: list[list[Any]] = Field(..., description="[organizer, hours, records].")
    issued_at: dt.datetime
    verify_url: str = Field(..., description="The public page where anyone can check it (the name masked).")
    pdf_url: str = Field(..., description="The certificate as PDF (this API, signed in).")


class CertificatePage(PageOut):
    results: list[CertificateOut]


def certificate_out(c: ServiceCertificate, request: HttpRequest) -> dict[str, Any]:
    return {"code": c.code, "period_start": c.period_start, "period_end": c.period_end, "hours": _h(c.hours),
            "records": int(c.content.get("records", 0)), "by_month": c.content.get("by_month", []),
            "by_organizer": c.content.get("by_organizer", []), "issued_at": c.issued_at,
            "verify_url": certificate_verify_url(c, request=request),
            "pdf_url": reverse("api:timebank_certificate_pdf", kwargs={"code": c.code})}


@router.post("/me/certificates", response={200: CertificateOut, 201: CertificateOut, **errors(400, 401, 403, 409)},
             summary="Issue your service certificate (idempotent)")
def my_certificate_issue(request: ApiRequest, payload: CertificateIn, response: HttpResponse, idempotency_key: Key = None) -> Any:
    """Your approved hours in a period, by month and by organizer, frozen with a verification code (`no_hours` when
    there are none, `period_in_future`, `invalid_period`). The `Idempotency-Key` header is required: the same key with
    the same period answers 200 with the certificate issued then."""
    volunteer = _me(request)
    key = idempotency_key_in(idempotency_key)
    cert = services.certificate_issue(actor=request.auth, volunteer=volunteer, period_start=payload.period_start,
                                      period_end=payload.period_end or timezone.localdate(), idempotency_key=key)
    return _created(cert, response, certificate_out(cert, request))


@router.get("/me/certificates", response={200: CertificatePage, **errors(400, 401, 403)}, summary="Your service certificates")
def my_certificates(request: ApiRequest, filters: Query[PageIn]) -> Any:
    page = paginate(vsel.my_certificates(volunteer=_me(request)), filters)
    page["results"] = [certificate_out(c, request) for c in page["results"]]
    return page


def _my_cert(request: ApiRequest, code: str) -> ServiceCertificate:
    volunteer = _me(request)
    if not CERT_CODE.match(code):
        raise NotFound("certificate_not_found")
    return vsel.my_certificate(volunteer=volunteer, code=code)


@router.get("/me/certificates/{code}", response={200: CertificateOut, **errors(401, 403, 404)}, summary="One of your certificates")
def my_certificate(request: ApiRequest, code: str) -> Any:
    return certificate_out(_my_cert(request, code), request)


_PDF = {200: {"description": "The certificate, in Chinese, with its verification QR code.",
              "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/me/certificates/{code}/pdf", response={200: None, **errors(401, 403, 404)}, summary="Your certificate as PDF",
            url_name="timebank_certificate_pdf", openapi_extra={"responses": _PDF})
def my_certificate_pdf(request: ApiRequest, code: str) -> Any:
    """The same document as the certificate page's; only yours (another's is a 404)."""
    cert = _my_cert(request, code)
    out = HttpResponse(certificate_pdf(cert, request=request), content_type="application/pdf")
    out["Content-Disposition"] = f'inline; filename="certificate-{cert.code}.pdf"'
    out["Cache-Control"] = "private, no-store"
    return out

