"""The charity API: donation intake (Idempotency-Key), funds and their statements, payouts with four
eyes, receipts. Thin: every write is one service call, every read one staff selector.

Who sees what is the staff pages' rule (selectors.staff): a federation's finance officers see the funds
their federation holds in custody; station workers and agency managers their stations' and streets'
funds; street officers their street's; city and district administrators their area's. An object outside
that is a 404, as if it did not exist; a caller with none of these roles gets a 403.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.params import HeaderEx, P

from shanlian.core.errors import Conflict, DomainError, PermissionDenied, field_error
from shanlian.core.idempotency import KEY_DESCRIPTION, KEY_PATTERN, REPLAYED_HEADER, idempotency_key_in, was_replayed
from shanlian.core.inputs import date_window, find_bad_text
from shanlian.core.schemas import ApiRequest, PageIn, errors, paginate
from shanlian.core.scoping import Role, Scope
from shanlian.orgs.models import DonationPoint
from shanlian.people.selectors import actor_scope

from . import services
from .api_schemas import (
    BatchIn,
    BatchOut,
    DonationIn,
    DonationOut,
    FundPage,
    NoteIn,
    PayIn,
    PayoutFilter,
    PayoutIn,
    PayoutOut,
    PayoutPage,
    ReasonIn,
    ReceiptOut,
    RejectIn,
    StatementFilter,
    StatementOut,
    batch_out,
    donation_out,
    fund_out,
    local_iso,
    payout_out,
    receipt_out,
    statement_out,
    yuan,
)
from .intake import groupcommit
from .intake.batch import CREATED as GIFT_CREATED
from .intake.batch import REPLAYED as GIFT_REPLAYED
from .intake.batch import BatchGiftIn, BatchGiftResult, donation_batch_record
from .models import (
    Campaign,
    Channel,
    CommunityFund,
    Donation,
    DonationStatus,
    Payout,
    PayoutLine,
    Project,
    Receipt,
    ReceiptStatus,
)
from .selectors.disclosure import fund_statement
from .selectors.public import receipt_verify_url
from .selectors.staff import donation_get, fund_get, funds_list, payout_get, payouts_list, receipt_get, staff_may_open
from .services._access import is_custodian_finance

router = Router(tags=["charity"])

_ENTRY = Donation._meta.get_field("entry")


def _staff_scope(request: ApiRequest) -> Scope:
    scope = actor_scope(request.auth)
    if not staff_may_open(scope):
        raise PermissionDenied("not_charity_staff", _("Only charity staff may use this."))
    return scope


def _replay(response: HttpResponse, body: dict[str, Any]) -> Status[dict[str, Any]]:
    response[REPLAYED_HEADER] = "true"
    return Status(200, body)


# -- what a request body names ------------------------------------------------------------------------
# Funds, projects, campaigns and points are public facts, so an unknown one is bad input (400) rather than a
# 404; whether the caller may use it is the service's question (403).


def _fund_named(code: str) -> CommunityFund:
    fund = CommunityFund.objects.select_related("division", "custodian", "account").filter(code=code).first()
    if fund is None:
        raise field_error("fund", "unknown_fund", _("There is no fund with this code."))
    return fund


def _project_named(project_id: int | None) -> Project | None:
    if project_id is None:
        return None
    project = Project.objects.select_related("restricted_account").filter(pk=project_id).first()
    if project is None:
        raise field_error("project", "unknown_project", _("There is no such project."))
    return project


def _campaign_named(slug: str | None) -> Campaign | None:
    if not slug:
        return None
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is None:
        raise field_error("campaign", "unknown_campaign", _("There is no campaign with this code."))
    return campaign


def _point_named(point_id: int | None) -> DonationPoint | None:
    if point_id is None:
        return None
    point = DonationPoint.objects.select_related("station__street").filter(pk=point_id).first()
    if point is None:
        raise field_error("point", "unknown_point", _("There is no such donation point."))
    return point


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


# -- donations ----------------------------------------------------------------------------------------


class _Gift:
    """A donation request resolved to rows, and the test whether a stored gift is this request again."""

    def __init__(self, payload: DonationIn, *, known: tuple[CommunityFund, Campaign | None] | None = None) -> None:
        self.payload = payload
        if known is not None:  # the group path: the fund and campaign from `_recent` (no project, point or goods)
            self.fund, self.campaign = known
            self.project = self.point = None
        else:
            self.fund = _fund_named(payload.fund)
            self.project = _project_named(payload.project)
            self.campaign = _campaign_named(payload.campaign)
            self.point = _point_named(payload.point)
        self.amount = services.gift_amount_in(payload.amount, channel=payload.channel)
        self.goods: services.Goods | None = None
        if payload.goods is not None:
            self.goods = services.goods_in(services.Goods(item=payload.goods.item, quantity=payload.goods.quantity,
                                                          unit=payload.goods.unit))

    def same_as(self, d: Donation) -> bool:
        p = self.payload
        name = (p.donor_name or "").strip() or services.ANONYMOUS
        stored = (d.fund_id, d.project_id, d.campaign_id, d.point_id, d.amount, d.channel, d.donor_name, d.show_name,
                  d.donor_key, d.message)
        asked = (self.fund.pk, getattr(self.project, "pk", None), getattr(self.campaign, "pk", None),
                 getattr(self.point, "pk", None), self.amount, p.channel, name, p.show_name and name != services.ANONYMOUS,
                 p.donor_key.strip(), p.message.strip())
        if stored != asked:
            return False
        if p.received_at is not None and d.received_at != _aware(p.received_at):
            return False
        if self.goods is not None:
            return (d.goods_item, d.goods_unit, d.goods_quantity) == (self.goods.item, self.goods.unit, self.goods.quantity)
        return True

    def answer(self, d: Donation) -> dict[str, Any]:
        if not self.same_as(d):
            raise Conflict("idempotency_mismatch", _("This Idempotency-Key was already used for a different gift."))
        return donation_out(d, self.fund, self.campaign)

    def batch_gift(self, key: str) -> BatchGiftIn:
        p = self.payload
        return BatchGiftIn(
            idempotency_key=key, amount=str(self.amount.amount), fund=self.fund.code,
            campaign=self.campaign.slug if self.campaign is not None else "", donor_name=p.donor_name, donor_key=p.donor_key,
            received_at=_aware(p.received_at).isoformat() if p.received_at is not None else None,
        )

    def created(self, r: BatchGiftResult) -> dict[str, Any]:
        """`donation_out` of the gift the group just wrote, from what the writer knows (no read)."""
        return {
            "id": r.donation_id, "fund": self.fund.code, "project": None,
            "campaign": self.campaign.slug if self.campaign is not None else None, "amount": yuan(r.amount),
            "match_amount": yuan(r.match), "channel": Channel.ONLINE.value,
            "donor_name": (self.payload.donor_name or "").strip() or services.ANONYMOUS,
            "received_at": local_iso(r.received_at), "entry_id": r.entry_id, "status": DonationStatus.CONFIRMED.value,
            "external_id": r.idempotency_key,
        }


def _groupable(p: DonationIn) -> bool:
    """An online gift the batch path stores exactly as `donation_record` would: no project, point, goods,
    message or public name (the batch path writes none of these)."""
    name = (p.donor_name or "").strip() or services.ANONYMOUS
    return (p.channel == Channel.ONLINE and p.project is None and p.point is None and p.goods is None and p.message == ""
            and not (p.show_name and name != services.ANONYMOUS))


class Recent:
    """Values remembered by this process for a few seconds. The group path remembers a caller's scope (only when it
    lets the caller record online gifts), a fund and a campaign; the intake gateway a token's user. Only ever a
    shortcut: the committer reads the funds and campaigns for every group and refuses what no longer holds, and a
    refused gift goes down the direct path, which looks everything up again. A caller's roles are those of at most
    `seconds` ago."""

    def __init__(self, seconds: float = 5.0, size: int = 1000) -> None:
        self.seconds, self.size = seconds, size
        self.data: dict[tuple[str, Any], tuple[float, Any]] = {}

    def get(self, key: tuple[str, Any], load: Any, *, may_load: bool = True) -> Any:
        """The remembered value, or `load()` remembered (unless None); with `may_load` False a value not
        remembered raises `NotRemembered` instead (the intake gateway's event loop never waits for the database)."""
        hit = self.data.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        if not may_load:
            raise NotRemembered(key)
        value = load()
        if value is not None:
            self.put(key, value)
        return value

    def put(self, key: tuple[str, Any], value: Any) -> None:
        if len(self.data) >= self.size:
            self.data.clear()
        self.data[key] = (time.monotonic() + self.seconds, value)


class NotRemembered(LookupError):
    """`Recent.get(..., may_load=False)` needed the database."""


_recent = Recent()


def group_gift(user: Any, payload: DonationIn, key: str | None, *, may_load: bool = True) -> _Gift | None:
    """The request as a gift for the group path, from what this process remembers; None: take the direct path
    (which answers every error as it always has). With `may_load` False, raises `NotRemembered` where it
    would have to read the database."""
    if not _groupable(payload) or not key or not KEY_PATTERN.match(key):
        return None
    if find_bad_text([payload.fund, payload.campaign, payload.donor_name, payload.donor_key]) is not None:
        return None  # Django's parser refuses it with its code (a NUL would fail the look-ups below on PostgreSQL)
    recent = _recent.get

    def scope() -> Scope | None:
        fresh = actor_scope(user)
        return fresh if staff_may_open(fresh) and (fresh.is_superuser or fresh.has(Role.FEDERATION_FINANCE)) else None

    found = recent(("scope", user.pk), scope, may_load=may_load)
    fund = recent(("fund", payload.fund), lambda: CommunityFund.objects.only("pk", "code", "custodian_id")
                  .filter(code=payload.fund).first(), may_load=may_load)
    campaign = recent(("campaign", payload.campaign), lambda: Campaign.objects.only("pk", "slug")
                      .filter(slug=payload.campaign).first(), may_load=may_load) if payload.campaign else None
    if found is None or fund is None or (payload.campaign and campaign is None) or not is_custodian_finance(found, fund):
        return None
    try:
        return _Gift(payload, known=(fund, campaign))
    except DomainError:
        return None


def _grouped(request: ApiRequest, response: HttpResponse, gift: _Gift, key: str) -> Any:
    """The gift through this process's group committer: the answer, or None for the direct path."""
    outcome = groupcommit.committer().submit(actor=request.auth, gift=gift.batch_gift(key))
    if outcome is None:
        return None
    if outcome.status == GIFT_CREATED:
        return Status(201, gift.created(outcome))
    if outcome.status == GIFT_REPLAYED or outcome.code in ("idempotency_mismatch", "external_id_duplicate"):
        # Stored before (or by a twin request in the same group): answered from the stored gift, as ever.
        existing = Donation.objects.filter(source=f"api:{request.auth.pk}", external_id=key).first()
        if existing is not None:  # compared with the request looked up afresh, not with what the process remembers
            return _replay(response, _Gift(gift.payload).answer(existing))
    return None  # refused: the direct path answers with its own codes and messages


@router.post(
    "/donations", response={200: DonationOut, 201: DonationOut, **errors(400, 401, 403, 409)},
    summary="Record a gift (idempotent)",
)
def donations_create(
    request: ApiRequest,
    payload: DonationIn,
    response: HttpResponse,
    idempotency_key: HeaderEx[str | None, P(alias="Idempotency-Key", description=KEY_DESCRIPTION)] = None,
) -> Any:
    """Records one gift and posts it to the ledger, with its matching gift (if any) in the same entry.

    Station staff record cash, bank transfers and goods; a finance officer of the fund's custodian federation
    (with a machine token) may also record `online` gifts a payment platform took, e.g. on Giving Day.
    The `Idempotency-Key` header is required and belongs to the caller: the same key with the same body answers
    200 with the first gift and `Idempotent-Replayed: true`; with a different body, 409 `idempotency_mismatch`.
    After a network error or a 5xx, retry with the same key: the gift is recorded once."""
    if groupcommit.enabled():
        grouped = group_gift(request.auth, payload, idempotency_key)
        if grouped is not None:
            answer = _grouped(request, response, grouped, idempotency_key or "")
            if answer is not None:
                return answer
    scope = _staff_scope(request)
    key = idempotency_key_in(idempotency_key)
    gift = _Gift(payload)
    source = f"api:{request.auth.pk}"
    existing = Donation.objects.filter(source=source, external_id=key).first()
    if existing is not None:
        return _replay(response, gift.answer(existing))
    online = payload.channel == Channel.ONLINE
    if online and not is_custodian_finance(scope, gift.fund):
        raise PermissionDenied("online_needs_custodian_finance",
                               _("Only a finance officer of the fund's custodian federation may record online gifts."))
    try:
        donation = services.donation_record(
            actor=request.auth, fund=gift.fund, amount=gift.amount, channel=payload.channel, donor_name=payload.donor_name,
            show_name=payload.show_name, project=gift.project, campaign=gift.campaign, point=gift.point,
            donor_key=payload.donor_key, goods=gift.goods, message=payload.message,
            received_at=_aware(payload.received_at) if payload.received_at is not None else None,
            source=source, external_id=key, _skip_access=online, _key_checked=True,
        )
    except (IntegrityError, Conflict) as exc:
        # A concurrent request with the same key committed first: this one is its retry (or a misuse of the key).
        if isinstance(exc, DomainError) and exc.code not in ("idempotency_mismatch", "entry_conflict"):
            raise
        existing = Donation.objects.filter(source=source, external_id=key).first()
        if existing is None:
            raise
        return _replay(response, gift.answer(existing))
    body = gift.answer(donation)
    if not _ENTRY.is_cached(donation):
        # The service read this gift rather than built it (a concurrent retry committed it between our look-up
        # and the service's own): a gift it builds carries the entry it just posted.
        return _replay(response, body)
    return Status(201, body)


@router.post("/donations/batch", response={200: BatchOut, **errors(400, 401, 403, 409)},
             summary="Record up to 1000 online gifts (idempotent per gift)")
def donations_batch(request: ApiRequest, payload: BatchIn) -> Any:
    """A payment platform forwards Giving-Day gifts in batches, with a machine token of a finance officer of the
    funds' custodian federation. Each gift carries its own `idempotency_key`, the same key space as the
    `Idempotency-Key` of POST /donations. Each gift's answer: `created`, `replayed` (the key was used before for
    the same gift: the first gift's ids) or `refused` with a code (bad input, a fund outside the caller's
    custody, or `idempotency_mismatch`). A bad gift refuses only itself; the others are written in one
    transaction, all or none. Sending the same batch again after an error is safe."""
    result = donation_batch_record(actor=request.auth, gifts=[BatchGiftIn(**g.dict()) for g in payload.gifts])
    return batch_out(result)


# -- funds ------------------------------------------------------------------------------------------


@router.get("/funds", response={200: FundPage, **errors(400, 401, 403)}, summary="Funds you work with")
def funds_index(request: ApiRequest, filters: Query[PageIn]) -> Any:
    """Finance officers: the funds their federation holds; station staff: their stations' and streets' funds;
    administrators: their area's. With each fund's money."""
    page = paginate(funds_list(scope=_staff_scope(request)), filters)
    page["results"] = [fund_out(f) for f in page["results"]]
    return page


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise field_error(field, "invalid_date", _("Enter a date as YYYY-MM-DD.")) from None
    return date_window(day, field=field)


@router.get("/funds/{code}/statement", response={200: StatementOut, **errors(400, 401, 403, 404)}, summary="A fund's statement")
def funds_statement(request: ApiRequest, code: str, filters: Query[StatementFilter]) -> Any:
    """Opening and closing balance of a period, money in and out, and the movements newest first with the
    balance after each, `limit` at a time: pass `next_cursor` back as `cursor` for older lines."""
    fund = fund_get(scope=_staff_scope(request), code=code)
    start, end = _day(filters.start, "start"), _day(filters.end, "end")
    if start and end and end < start:
        raise field_error("end", "invalid_period", _("The end is before the start."))
    st = fund_statement(fund=fund, start=start, end=end, cursor=filters.cursor, limit=filters.limit)
    return statement_out(st, start=filters.start, end=filters.end)


# -- payouts ----------------------------------------------------------------------------------------

_LINES = Prefetch("lines", queryset=PayoutLine.objects.order_by("id"))


def _payout_fresh(payout_id: int) -> Payout:
    """Re-read a payout the caller just changed (already checked in scope), shaped for `payout_out`."""
    return Payout.objects.select_related("fund", "project", "requested_by").prefetch_related(_LINES).get(pk=payout_id)


@router.post("/payouts", response={200: PayoutOut, 201: PayoutOut, **errors(400, 401, 403, 409)}, summary="Request a payout")
def payouts_create(
    request: ApiRequest,
    payload: PayoutIn,
    response: HttpResponse,
    idempotency_key: HeaderEx[str | None, P(alias="Idempotency-Key", description=KEY_DESCRIPTION)] = None,
) -> Any:
    """A station asks for money from a fund for one of its projects, in budget lines; a finance officer of the
    custodian federation who is not the requester decides. With an `Idempotency-Key`, a retry answers 200 with
    the first request."""
    _staff_scope(request)
    key = idempotency_key_in(idempotency_key, required=False)
    fund = _fund_named(payload.fund)
    project = _project_named(payload.project)
    assert project is not None
    payout = services.payout_request(
        actor=request.auth, fund=fund, project=project, title=payload.title, payee=payload.payee,
        lines=[(line.item, line.amount) for line in payload.lines], external_id=key,
    )
    if was_replayed(payout):
        return _replay(response, payout_out(_payout_fresh(payout.pk)))
    return Status(201, payout_out(_payout_fresh(payout.pk)))


def _payouts(scope: Scope, *, status: str = "", fund_code: str = "") -> QuerySet[Payout]:
    return payouts_list(scope=scope, status=status, fund_code=fund_code).prefetch_related(_LINES)


@router.get("/payouts", response={200: PayoutPage, **errors(400, 401, 403)}, summary="Payouts of the funds you work with")
def payouts_index(request: ApiRequest, filters: Query[PayoutFilter]) -> Any:
    """Newest first; `status=requested` is the approval queue."""
    qs = _payouts(_staff_scope(request), status=filters.status or "", fund_code=filters.fund or "")
    page = paginate(qs, filters)
    page["results"] = [payout_out(p) for p in page["results"]]
    return page


def _payout_seen(request: ApiRequest, payout_id: int) -> Payout:
    return payout_get(scope=_staff_scope(request), payout_id=payout_id)


@router.get("/payouts/{id:payout_id}", response={200: PayoutOut, **errors(400, 401, 403, 404)}, summary="One payout")
def payouts_detail(request: ApiRequest, payout_id: int) -> Any:
    return payout_out(_payout_seen(request, payout_id))


@router.post("/payouts/{id:payout_id}/approve", response={200: PayoutOut, **errors(400, 401, 403, 404, 409)},
             summary="Approve a payout")
def payouts_approve(request: ApiRequest, payout_id: int, payload: NoteIn | None = None) -> Any:
    """A finance officer of the custodian who did not ask for it approves; the money is reserved until the
    payment is recorded. Approving again is quiet."""
    payout = _payout_seen(request, payout_id)
    services.payout_approve(actor=request.auth, payout=payout, note=payload.note if payload is not None else "")
    return payout_out(_payout_fresh(payout_id))


@router.post("/payouts/{id:payout_id}/reject", response={200: PayoutOut, **errors(400, 401, 403, 404, 409)},
             summary="Reject a payout")
def payouts_reject(request: ApiRequest, payout_id: int, payload: RejectIn) -> Any:
    payout = _payout_seen(request, payout_id)
    services.payout_reject(actor=request.auth, payout=payout, note=payload.note)
    return payout_out(_payout_fresh(payout_id))


@router.post("/payouts/{id:payout_id}/pay", response={200: PayoutOut, **errors(400, 401, 403, 404, 409)},
             summary="Record that a payout was paid")
def payouts_pay(request: ApiRequest, payout_id: int, payload: PayIn) -> Any:
    """The bank paid: the reserved money leaves the fund, exactly once (recording it again is quiet)."""
    payout = _payout_seen(request, payout_id)
    services.payout_pay(actor=request.auth, payout=payout, payment_reference=payload.payment_reference)
    return payout_out(_payout_fresh(payout_id))


# -- receipts ---------------------------------------------------------------------------------------


def _receipt_fresh(receipt_id: int) -> Receipt:
    return Receipt.objects.select_related("issuer").get(pk=receipt_id)


@router.post("/donations/{id:donation_id}/receipt", response={200: ReceiptOut, 201: ReceiptOut, **errors(400, 401, 403, 404, 409)},
             summary="Issue the receipt for a gift")
def receipts_issue(request: ApiRequest, donation_id: int) -> Any:
    """The custodian federation issues one receipt per gift, numbered without gaps per year. Asking again
    answers 200 with the receipt already issued."""
    donation = donation_get(scope=_staff_scope(request), donation_id=donation_id)
    receipt = services.receipt_issue(actor=request.auth, donation=donation)
    return Status(200 if was_replayed(receipt) else 201, receipt_out(_receipt_fresh(receipt.pk), request=request))


@router.post("/receipts/{id:receipt_id}/void", response={200: ReceiptOut, **errors(400, 401, 403, 404, 409)},
             summary="Void a receipt")
def receipts_void(request: ApiRequest, receipt_id: int, payload: ReasonIn) -> Any:
    """The number stays used and shows as void on the public verification page."""
    receipt = receipt_get(scope=_staff_scope(request), receipt_id=receipt_id)
    services.receipt_void(actor=request.auth, receipt=receipt, reason=payload.reason)
    return receipt_out(_receipt_fresh(receipt_id), request=request)


@router.get("/receipts/{id:receipt_id}", response={200: ReceiptOut, **errors(400, 401, 403, 404)}, summary="One receipt")
def receipts_detail(request: ApiRequest, receipt_id: int) -> Any:
    return receipt_out(receipt_get(scope=_staff_scope(request), receipt_id=receipt_id), request=request)


_PDF = {200: {"description": "The receipt, A5, in Chinese with English underneath.",
              "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/receipts/{id:receipt_id}/pdf", response={200: None, **errors(400, 401, 403, 404)}, summary="A receipt as PDF",
            openapi_extra={"responses": _PDF})
def receipts_pdf(request: ApiRequest, receipt_id: int) -> Any:
    from .pdf import ReceiptDoc, receipt_pdf

    receipt = receipt_get(scope=_staff_scope(request), receipt_id=receipt_id)
    donation = receipt.donation
    with translation.override(settings.LANGUAGE_CODE):
        channel = str(Channel(donation.channel).label)
    doc = ReceiptDoc(
        issuer_name=receipt.issuer.name, issuer_credit_code=receipt.issuer.credit_code, number=receipt.display_number,
        issued_at=receipt.issued_at, donor_name=receipt.donor_name, amount=receipt.amount.amount,
        purpose=donation.project.title if donation.project is not None else donation.fund.name, channel=channel,
        verify_url=receipt_verify_url(receipt, request=request), verification_code=receipt.verification_code,
        voided=receipt.status == ReceiptStatus.VOIDED,
    )
    out = HttpResponse(receipt_pdf(doc), content_type="application/pdf")
    out["Content-Disposition"] = f'inline; filename="receipt-{receipt.display_number}.pdf"'
    out["Cache-Control"] = "private, no-store"
    return out
