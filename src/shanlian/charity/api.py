"""The charity API: donation intake (Idempotency-Key), funds and their statements, payouts with four
eyes, receipts. Thin: every write is one service call, every read one staff selector.

Who sees what is the staff pages' rule (selectors.staff): a federation's finance officers see the funds
their federation holds in custody; station workers and agency managers their stations' and streets'
funds; street officers their street's; city and district administrators their area's. An object outside
that is a 404, as if it did not exist; a caller with none of these roles gets a 403.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.params import HeaderEx, P

from shanlian.core.errors import Conflict, DomainError, PermissionDenied, field_error
from shanlian.core.idempotency import KEY_DESCRIPTION, REPLAYED_HEADER, idempotency_key_in, was_replayed
from shanlian.core.inputs import date_window
from shanlian.core.schemas import ApiRequest, PageIn, errors, paginate
from shanlian.core.scoping import Scope
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
    payout_out,
    receipt_out,
    statement_out,
)
from .intake import groupcommit
from .intake.batch import CREATED as GIFT_CREATED
from .intake.batch import REPLAYED as GIFT_REPLAYED
from .intake.batch import BatchGiftIn, donation_batch_record
from .intake.requests import GiftRequest, aware, fund_named, group_gift, project_named
from .models import (
    Channel,
    Donation,
    Payout,
    PayoutLine,
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


def _grouped(request: ApiRequest, response: HttpResponse, gift: GiftRequest, key: str) -> Any:
    """The gift through this process's group committer: the answer, or None for the direct path."""
    outcome = groupcommit.committer().submit(actor=request.auth, gift=gift.batch_gift(key))
    if outcome is None:
        return None
    if outcome.status == GIFT_CREATED:
        return Status(201, gift.created(outcome))
    if outcome.status == GIFT_REPLAYED or outcome.code in ("idempotency_mismatch", "external_id_duplicate"):
        # Stored before (or by a twin request in the same group): answered from the stored gift, as ever, compared
        # with the request looked up afresh, not with what the process remembers.
        body = GiftRequest(gift.payload).answer(f"api:{request.auth.pk}", key)
        if body is not None:
            return _replay(response, body)
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
    gift = GiftRequest(payload)
    services.target_resolve(gift.fund, gift.project, gift.campaign)  # before the key's stored gift, as every path
    source = f"api:{request.auth.pk}"
    replayed = gift.answer(source, key)
    if replayed is not None:
        return _replay(response, replayed)
    online = payload.channel == Channel.ONLINE
    if online and not is_custodian_finance(scope, gift.fund):
        raise PermissionDenied("online_needs_custodian_finance",
                               _("Only a finance officer of the fund's custodian federation may record online gifts."))
    try:
        donation = services.donation_record(
            actor=request.auth, fund=gift.fund, amount=gift.amount, channel=payload.channel, donor_name=payload.donor_name,
            show_name=payload.show_name, project=gift.project, campaign=gift.campaign, point=gift.point,
            donor_key=payload.donor_key, goods=gift.goods, message=payload.message,
            received_at=aware(payload.received_at) if payload.received_at is not None else None,
            source=source, external_id=key, _skip_access=online, _key_checked=True,
        )
    except (IntegrityError, Conflict) as exc:
        # A concurrent request with the same key committed first: this one is its retry (or a misuse of the key).
        if isinstance(exc, DomainError) and exc.code not in ("idempotency_mismatch", "entry_conflict"):
            raise
        replayed = gift.answer(source, key)
        if replayed is None:
            raise
        return _replay(response, replayed)
    body = donation_out(donation, gift.fund, gift.campaign)
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
    fund = fund_named(payload.fund)
    project = project_named(payload.project)
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
