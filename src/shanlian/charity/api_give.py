"""The donor's journey for an app (the WeChat mini-program), under /api/give: appeals and their progress, one appeal
with what it gives to and its matching pools, starting a payment and following it, and the donor's own gifts with
their receipts and ledger proofs.

The same selectors and services as the donor's pages (selectors.give, services.payments.payment_start): what a page
refuses, this refuses with the same code. Who: a signed-in resident (the donor role every resident gets at sign-up);
staff logins and their machine tokens get 403 `not_donor`. A payment or a gift of anyone else is a 404, as if it did
not exist. Paying is the provider's business: the answer says what the app opens or hands to the provider's SDK
(`pay`), so a new provider (WeChat Pay, Alipay) is a new class in charity.payments, not a change here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from ninja.params import HeaderEx, P

from shanlian.core.addresses import public_url
from shanlian.core.conf import domain_setting
from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.idempotency import KEY_DESCRIPTION, REPLAYED_HEADER, idempotency_key_in, was_replayed
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.people.selectors import actor_scope

from . import payments as pay
from .api_schemas import Ref, local_iso, yuan
from .intake.requests import fund_named, project_named
from .models import Campaign, Donation, PaymentIntent, PaymentStatus
from .permissions import gives_by_api
from .selectors import give as sel
from .selectors.public import receipt_verify_url
from .services import payments as pay_services

router = Router(tags=["give"])

SLUG = re.compile(r"^[-A-Za-z0-9_]{1,60}$")
REF = re.compile(r"^pi_[0-9a-f]{32}$")


def _donor(request: ApiRequest) -> Any:
    if not gives_by_api(actor_scope(request.auth)):
        raise PermissionDenied("not_donor", _("Giving in the app is for residents who signed up; sign in with your own account."))
    return request.auth


def _campaign(slug: str) -> Campaign:
    if not SLUG.match(slug):
        raise NotFound("campaign_not_found", None)
    return sel.campaign_public_get(slug=slug)


# -- appeals --------------------------------------------------------------------------------------------


class GiveProgressOut(Schema):
    goal: str = Field(..., examples=["100000.00"])
    raised: str = Field(..., description="Gifts and their matching gifts so far.", examples=["2350.00"])
    gifts: int
    percent: int = Field(..., description="Of the goal, rounded down; may pass 100.")


class CampaignOut(Schema):
    slug: str = Field(..., examples=["gd-2026"])
    title: str
    organizer: Ref
    status: str = Field(..., description="open or closed.")
    starts_at: str
    ends_at: str
    accepts_gifts: bool = Field(..., description="Open, and between its start and its end now.")
    record_number: str = Field(..., description="The public fundraising record number (慈善中国), if any.")
    progress: GiveProgressOut


class CampaignPage(PageOut):
    results: list[CampaignOut]


class TargetOut(Schema):
    fund: str = Field(..., description="The fund's code: send it as `fund` to give to it.")
    fund_name: str
    project: int | None = Field(..., description="The project's id (a restricted gift, 定向), or null for the fund's "
                                "general use: send it as `project`.")
    project_title: str | None


class PoolOut(Schema):
    sponsor: str
    ratio: str = Field(..., description="Yuan matched per yuan given.", examples=["1.00"])
    per_donor_cap: str
    per_day_cap: str
    total_cap: str
    matched: str
    remaining: str = Field(..., description="What the pool can still add.")


class RecentGiftOut(Schema):
    name: str = Field(..., description="Masked (张**) unless the donor chose to show it.")
    amount: str
    match: str | None
    received_at: str
    message: str


class CampaignDetailOut(CampaignOut):
    description: str
    not_started: bool
    targets: list[TargetOut]
    pools: list[PoolOut]
    recent: list[RecentGiftOut]


def _progress(campaign: Campaign) -> dict[str, Any]:
    p = sel.progress_of(campaign)
    return {"goal": yuan(p.goal), "raised": yuan(p.raised), "gifts": p.gifts, "percent": p.percent}


def campaign_out(c: Campaign, *, now: Any = None) -> dict[str, Any]:
    """From a campaign read by `campaigns_public` (organizer joined, progress annotated): no query."""
    return {"slug": c.slug, "title": c.title, "organizer": {"id": c.organizer_id, "name": c.organizer.name}, "status": c.status,
            "starts_at": local_iso(c.starts_at), "ends_at": local_iso(c.ends_at),
            "accepts_gifts": sel.accepts_gifts(c, now=now), "record_number": c.record_number, "progress": _progress(c)}


@router.get("/campaigns", response={200: CampaignPage, **errors(400, 401, 403)}, summary="Appeals, open ones first")
def campaigns_index(request: ApiRequest, filters: Query[PageIn]) -> Any:
    """Open appeals (newest first), then closed ones, each with its progress. Drafts are not shown."""
    _donor(request)
    page = paginate(sel.campaigns_public(), filters)
    now = timezone.now()
    page["results"] = [campaign_out(c, now=now) for c in page["results"]]
    return page


@router.get("/campaigns/{slug}", response={200: CampaignDetailOut, **errors(401, 403, 404)}, summary="One appeal")
def campaigns_detail(request: ApiRequest, slug: str) -> Any:
    """What it gives to (`targets`: a fund's general use or one of its projects), its matching pools with what they
    can still add, and its latest gifts (names masked)."""
    _donor(request)
    c = _campaign(slug)
    now = timezone.now()
    return {
        **campaign_out(c, now=now), "description": c.description, "not_started": now < c.starts_at,
        "targets": [{"fund": t.fund.code, "fund_name": t.fund.name, "project": t.project_id,
                     "project_title": t.project.title if t.project is not None else None}
                    for t in sel.campaign_targets(campaign=c)],
        "pools": [{"sponsor": p.sponsor, "ratio": f"{p.ratio:.2f}", "per_donor_cap": yuan(p.per_donor_cap),
                   "per_day_cap": yuan(p.per_day_cap), "total_cap": yuan(p.total_cap), "matched": yuan(p.matched),
                   "remaining": yuan(p.remaining)} for p in sel.campaign_pools(campaign=c)],
        "recent": [{"name": g.name, "amount": yuan(g.amount), "match": yuan(g.match) if g.match is not None else None,
                    "received_at": local_iso(g.received_at), "message": g.message}
                   for g in sel.campaign_recent_gifts(campaign=c)],
    }


# -- payments -------------------------------------------------------------------------------------------


class PaymentIn(Schema):
    fund: str = Field(..., max_length=40, description="A target's fund code (see the appeal's `targets`).")
    project: int | None = Field(None, ge=1, le=10**18, description="A target's project id, for a restricted gift.")
    amount: str = Field(..., max_length=32, description="Yuan, as a string, at most two decimals, above zero; at most "
                        "the limit of one online gift.", examples=["50.00"])
    donor_name: str = Field("", max_length=128, description="Empty to give anonymously.")
    show_name: bool = Field(False, description="Show the name on the appeal's public list of gifts.")
    message: str = Field("", max_length=200)
    provider: str | None = Field(None, max_length=16, description="The payment provider; default the first one offered.")


class PayActionOut(Schema):
    kind: str = Field(..., description="`open_url`: open `url` (a web view); `sdk`: hand `params` to the provider's SDK "
                      "(e.g. wx.requestPayment).", examples=[pay.OPEN_URL])
    url: str
    params: dict[str, str]


class PaymentOut(Schema):
    ref: str = Field(..., description="The payment's reference: follow it at GET /api/give/payments/{ref}.")
    status: str = Field(..., description="created (waiting to be paid), succeeded or failed.")
    provider: str
    campaign: str
    fund: str
    project: int | None
    amount: str
    created_at: str
    expires_at: str = Field(..., description="Unpaid after this, the payment is given up (a late success still counts).")
    pay: PayActionOut | None = Field(..., description="What to do to pay, while the payment waits; null after.")
    gift: int | None = Field(..., description="The gift's id once paid: GET /api/give/gifts/{id}.")


def payment_out(intent: PaymentIntent) -> dict[str, Any]:
    ttl = timedelta(minutes=domain_setting("CHARITY_PAYMENT_TTL_MINUTES"))
    action = None
    if intent.status == PaymentStatus.CREATED:
        try:
            a = pay.provider(intent.provider).pay_action(intent)
        except KeyError:  # the provider was switched off since
            a = None
        action = {"kind": a.kind, "url": a.url, "params": dict(a.params)} if a is not None else None
    return {"ref": intent.ref, "status": intent.status, "provider": intent.provider, "campaign": intent.campaign.slug,
            "fund": intent.fund.code, "project": intent.project_id, "amount": yuan(intent.amount),
            "created_at": local_iso(intent.created_at), "expires_at": local_iso(intent.created_at + ttl), "pay": action,
            "gift": intent.donation_id}


@router.post("/campaigns/{slug}/payments", response={200: PaymentOut, 201: PaymentOut, **errors(400, 401, 403, 404, 409)},
             summary="Start paying a gift (idempotent)")
def payments_create(
    request: ApiRequest,
    slug: str,
    payload: PaymentIn,
    response: HttpResponse,
    idempotency_key: HeaderEx[str | None, P(alias="Idempotency-Key", description=KEY_DESCRIPTION)] = None,
) -> Any:
    """Opens a payment for a gift to one of the appeal's targets: everything the gift would be refused for is refused
    now, with the give page's codes (`campaign_not_open`, `campaign_target_mismatch`, `amount_too_large`, ...). Then do
    what `pay` says; the gift is recorded when the provider confirms it (follow `status`). The `Idempotency-Key` header
    is required: the same key with the same gift answers 200 with the first payment and `Idempotent-Replayed: true`;
    with another gift, 409 `idempotency_mismatch`."""
    user = _donor(request)
    key = idempotency_key_in(idempotency_key)
    campaign = _campaign(slug)
    fund = fund_named(payload.fund)
    project = project_named(payload.project)
    names = pay.provider_names()
    intent = pay_services.payment_start(
        campaign=campaign, fund=fund, project=project, amount=payload.amount, donor_name=payload.donor_name,
        show_name=payload.show_name, donor_user=user, message=payload.message, idempotency_key=key,
        provider_name=payload.provider or (names[0] if names else pay.FakePay.name),
    )
    body = payment_out(sel.intent_get(ref=intent.ref))
    if was_replayed(intent):
        response[REPLAYED_HEADER] = "true"
        return Status(200, body)
    return Status(201, body)


def _my_intent(request: ApiRequest, ref: str) -> PaymentIntent:
    if not REF.match(ref):
        raise NotFound("payment_not_found", None)
    intent = sel.intent_get(ref=ref)
    if intent.donor_user_id != request.auth.pk:
        raise NotFound("payment_not_found", None)
    return intent


@router.get("/payments/{ref}", response={200: PaymentOut, **errors(401, 403, 404)}, summary="One of your payments")
def payments_detail(request: ApiRequest, ref: str) -> Any:
    """Where a payment is: waiting (with what to do to pay), paid (with the gift's id) or failed. Only your own."""
    _donor(request)
    return payment_out(_my_intent(request, ref))


# -- my gifts -------------------------------------------------------------------------------------------


class GiftReceiptOut(Schema):
    number: str = Field(..., examples=["GZCS-2026-000123"])
    verification_code: str
    verify_url: str = Field(..., description="The public page where anyone can check the receipt.")
    issued_at: str
    pdf_url: str = Field(..., description="The receipt as PDF (this API, signed in).")


class GiftOut(Schema):
    id: int
    ref: str | None = Field(..., description="The payment's reference, for an online gift.")
    campaign: str | None
    campaign_title: str | None
    fund: str
    fund_name: str
    project: int | None
    project_title: str | None
    amount: str
    match_amount: str = Field(..., description="What a sponsor's pool added to it.")
    channel: str
    status: str = Field(..., description="confirmed or refunded.")
    received_at: str
    receipt: GiftReceiptOut | None = Field(..., description="Null until the federation issues it.")
    proof_url: str = Field(..., description="The gift's ledger proof (this API): inclusion under a published seal.")
    page_url: str | None = Field(..., description="The gift's page on the website (where the money went), to share.")


class GiftPage(PageOut):
    results: list[GiftOut]


class GivePayoutLineOut(Schema):
    title: str
    project: str
    amount: str
    paid_at: str | None


class TrailOut(Schema):
    payouts_count: int = Field(..., description="What the fund has paid to projects since the gift.")
    payouts_total: str
    payouts: list[GivePayoutLineOut] = Field(..., description="The latest of them.")
    general_balance: str = Field(..., description="What the fund holds now for general use.")
    restricted_balance: str
    project_balance: str | None = Field(..., description="What the gift's project holds now, for a restricted gift.")


class GiftDetailOut(GiftOut):
    donor_name: str
    show_name: bool
    message: str
    sealed: bool = Field(..., description="False until the ledger is next sealed (see seal_minutes); then `proof`.")
    seal_minutes: int
    proof: dict[str, Any] | None
    trail: TrailOut


def gift_out(d: Donation, request: HttpRequest) -> dict[str, Any]:
    """From a gift read by `donor_gifts` (fund, project, campaign, match, payment joined; issued receipts fetched)."""
    match = getattr(d, "match", None)
    intent = getattr(d, "intent", None)
    receipt = d.issued_receipts[0] if d.issued_receipts else None  # type: ignore[attr-defined]
    return {
        "id": d.pk, "ref": intent.ref if intent is not None else None,
        "campaign": d.campaign.slug if d.campaign is not None else None,
        "campaign_title": d.campaign.title if d.campaign is not None else None,
        "fund": d.fund.code, "fund_name": d.fund.name, "project": d.project_id,
        "project_title": d.project.title if d.project is not None else None, "amount": yuan(d.amount),
        "match_amount": yuan(match.amount if match is not None and not match.refunded else None), "channel": d.channel,
        "status": d.status, "received_at": local_iso(d.received_at),
        "receipt": None if receipt is None else {
            "number": receipt.display_number, "verification_code": receipt.verification_code,
            "verify_url": receipt_verify_url(receipt, request=request),
            "issued_at": local_iso(receipt.issued_at),
            "pdf_url": reverse("api:give_gift_receipt_pdf", kwargs={"donation_id": d.pk})},
        "proof_url": reverse("api:give_gift_proof", kwargs={"donation_id": d.pk}),
        "page_url": public_url(reverse("give:gift", kwargs={"ref": intent.ref}), request=request) if intent is not None else None,
    }


def _my_gift(request: ApiRequest, donation_id: int) -> Donation:
    gift = sel.donor_gifts(user=request.auth).filter(pk=donation_id).first()
    if gift is None:
        raise NotFound("gift_not_found", None)
    return gift


@router.get("/gifts", response={200: GiftPage, **errors(400, 401, 403)}, summary="Your gifts")
def gifts_index(request: ApiRequest, filters: Query[PageIn]) -> Any:
    """The gifts linked to your account, newest first, with their matching gifts, receipt numbers and proof links."""
    page = paginate(sel.donor_gifts(user=_donor(request)), filters)
    page["results"] = [gift_out(d, request) for d in page["results"]]
    return page


@router.get("/gifts/{id:donation_id}", response={200: GiftDetailOut, **errors(400, 401, 403, 404)}, summary="One of your gifts")
def gifts_detail(request: ApiRequest, donation_id: int) -> Any:
    """The gift with its receipt, where the fund's money went since (payouts to projects, what it holds now) and its
    ledger proof (with the entry's own data, which names you: only you get it)."""
    _donor(request)
    d = _my_gift(request, donation_id)
    trail = sel.money_trail(donation=d)
    proof = sel.gift_proof(donation=d, with_leaf_data=True)
    return {
        **gift_out(d, request), "donor_name": d.donor_name, "show_name": d.show_name, "message": d.message,
        "sealed": proof is not None, "seal_minutes": sel.seal_interval_minutes(), "proof": proof,
        "trail": {"payouts_count": trail.payouts_count, "payouts_total": yuan(trail.payouts_total),
                  "payouts": [{"title": p.title, "project": p.project.title, "amount": yuan(p.amount),
                               "paid_at": local_iso(p.paid_at)} for p in trail.payouts],
                  "general_balance": yuan(trail.general_balance), "restricted_balance": yuan(trail.restricted_balance),
                  "project_balance": yuan(trail.project_balance) if trail.project_balance is not None else None},
    }


@router.get("/gifts/{id:donation_id}/proof", response={200: dict[str, Any], **errors(400, 401, 403, 404)},
            summary="Your gift's ledger proof", url_name="give_gift_proof")
def gifts_proof(request: ApiRequest, donation_id: int) -> Any:
    """The inclusion proof of the gift's ledger entry under the latest published seal, as the gift's page offers it;
    404 `gift_not_sealed` until the ledger is next sealed."""
    _donor(request)
    proof = sel.gift_proof(donation=_my_gift(request, donation_id), with_leaf_data=True)
    if proof is None:
        raise NotFound("gift_not_sealed", _("This gift's ledger entry is not sealed yet."))
    return proof


_PDF = {200: {"description": "The receipt, A5, in Chinese with English underneath.",
              "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/gifts/{id:donation_id}/receipt.pdf", response={200: None, **errors(400, 401, 403, 404)},
            summary="Your gift's receipt as PDF", url_name="give_gift_receipt_pdf", openapi_extra={"responses": _PDF})
def gifts_receipt_pdf(request: ApiRequest, donation_id: int) -> Any:
    """The receipt the donor downloads from the gift's page; 404 `receipt_not_found` until it is issued."""
    from .pdf import donor_receipt_doc, receipt_pdf

    _donor(request)
    d = _my_gift(request, donation_id)
    receipt = sel.gift_receipt(donation=d)
    if receipt is None:
        raise NotFound("receipt_not_found", None)
    out = HttpResponse(receipt_pdf(donor_receipt_doc(receipt=receipt, donation=d, request=request)), content_type="application/pdf")
    out["Content-Disposition"] = f'attachment; filename="receipt-{receipt.display_number}.pdf"'
    out["Cache-Control"] = "private, no-store"
    return out
