"""The charity API's request and answer shapes, and the functions that turn rows into answers.

Amounts leave the API as strings of yuan with two decimals ("1234.50"), never as JSON numbers; times
as ISO 8601 in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Schema

from shanlian.core.money import Money
from shanlian.core.schemas import PageIn, PageOut

from .models import Campaign, CommunityFund, Donation, MatchGift, Payout, PayoutStatus, Receipt
from .selectors.public import receipt_verify_url
from .selectors.staff import fund_money


def yuan(value: Any) -> str:
    """"1234.50": an amount as the API writes it."""
    if value is None:
        return "0.00"
    amount = value.amount if isinstance(value, Money) else Decimal(value)
    return f"{amount:.2f}"


def local_iso(value: datetime | None) -> str | None:
    """ISO 8601 in the project's time zone (Asia/Shanghai: nothing activates another). The default zone directly,
    not `localtime`'s request-local one: the intake gateway formats every answer outside Django's request cycle,
    where that look-up was a tenth of its event loop's time (py-spy)."""
    return value.astimezone(timezone.get_default_timezone()).isoformat() if value is not None else None


class Ref(Schema):
    id: int
    name: str


# -- funds ------------------------------------------------------------------------------------------


class FundOut(Schema):
    code: str
    name: str
    division: Ref
    custodian: Ref
    station: Ref | None
    restricted: bool
    purpose: str
    status: str
    money: str = Field(..., description="Money held for the fund: general plus its projects' restricted money (goods "
                       "are not money: see goods_value).", examples=["10000.00"])
    general: str = Field(..., description="The fund's general (unrestricted) money.")
    restricted_money: str = Field(..., description="Restricted gifts to its projects (定向).")
    held: str = Field(..., description="Reserved for approved payouts not yet paid.")
    available: str = Field(..., description="Money less held.")
    goods_value: str = Field(..., description="Goods received and not yet given out, at the value they were received at.")


class FundPage(PageOut):
    results: list[FundOut]


def fund_out(fund: CommunityFund) -> dict[str, Any]:
    """From a fund read by selectors.staff.funds_list (accounts joined, restricted money annotated): no query."""
    money = fund_money(fund)
    return {
        "code": fund.code, "name": fund.name, "division": {"id": fund.division_id, "name": fund.division.name},
        "custodian": {"id": fund.custodian_id, "name": fund.custodian.name},
        "station": {"id": fund.station_id, "name": fund.station.name} if fund.station is not None else None,
        "restricted": fund.restricted, "purpose": fund.purpose, "status": fund.status,
        "money": yuan(money.money), "general": yuan(money.general), "restricted_money": yuan(money.restricted),
        "held": yuan(money.held), "available": yuan(money.available), "goods_value": yuan(money.goods),
    }


class StatementFilter(Schema):
    start: str | None = Field(None, description="First day (YYYY-MM-DD, Asia/Shanghai), inclusive.")
    end: str | None = Field(None, description="Last day (YYYY-MM-DD, Asia/Shanghai), inclusive.")
    cursor: int | None = Field(None, description="The `next_cursor` of the previous page.")
    limit: int = Field(50, ge=1, le=200)


class StatementLineOut(Schema):
    entry_id: int
    booked_on: str = Field(..., description="The day the money moved (YYYY-MM-DD, Asia/Shanghai).")
    posted_at: str = Field(..., description="When the entry was recorded; a statement's period is by this time.")
    memo: str
    kind: str = Field(..., examples=["gift"], description="gift, payout, fee, leftover, refund, goods_out or other.")
    amount: str = Field(..., description="Signed from the fund's side: + money in, - money out.")
    balance_after: str | None


class RestrictedOut(Schema):
    project: Ref
    amount: str


class StatementOut(Schema):
    fund: str
    start: str | None
    end: str | None
    opening: str
    closing: str
    total_in: str
    total_out: str = Field(..., description="Positive: opening + total_in - total_out = closing.")
    holdings: str = Field(..., description="What the fund holds now: money plus goods at value (the lines, the opening "
                          "and the closing count both).")
    money: str = Field(..., description="Money only: general plus restricted.")
    goods_value: str = Field(..., description="Goods in stock, at value.")
    held: str
    restricted: list[RestrictedOut]
    lines: list[StatementLineOut] = Field(..., description="Newest first.")
    has_more: bool
    next_cursor: int | None = Field(None, description="Pass as `cursor` for the next (older) lines.")


def statement_out(st: Any, *, start: str | None, end: str | None) -> dict[str, Any]:
    return {
        "fund": st.fund.code, "start": start, "end": end, "opening": yuan(st.opening), "closing": yuan(st.closing),
        "total_in": yuan(st.total_in), "total_out": yuan(st.total_out), "holdings": yuan(st.holdings), "money": yuan(st.money),
        "goods_value": yuan(st.goods), "held": yuan(st.held),
        "restricted": [{"project": {"id": p.pk, "name": p.title}, "amount": yuan(m)} for p, m in st.restricted],
        "has_more": st.has_more, "next_cursor": st.next_cursor,
        "lines": [
            {"entry_id": line.entry_id, "booked_on": line.booked_on.isoformat(), "posted_at": local_iso(line.posted_at),
             "memo": line.memo, "kind": str(line.kind),
             "amount": yuan(line.amount), "balance_after": yuan(line.balance_after) if line.balance_after is not None else None}
            for line in st.lines
        ],
    }


# -- donations ----------------------------------------------------------------------------------------


class GoodsIn(Schema):
    item: str
    quantity: str = Field(..., examples=["20"])
    unit: str = Field(..., examples=["箱"])


class DonationIn(Schema):
    fund: str = Field(..., description="The fund's code.", examples=["yx-bjj"])
    amount: str = Field(..., description="Yuan, as a string, at most two decimals, above zero.", examples=["100.00"])
    channel: Literal["cash", "transfer", "goods", "online"] = Field(
        ..., description="Station staff record cash, transfer and goods; `online` (a payment platform's intake) only a "
        "finance officer of the fund's custodian federation.")
    donor_name: str = Field("", max_length=128, description="Empty for an anonymous gift.")
    show_name: bool = Field(False, description="The donor agreed to show their name in public.")
    project: int | None = Field(None, description="A project id: the gift is restricted to it (定向捐赠).")
    campaign: str | None = Field(None, description="A campaign's code: the gift counts for it and may be matched.")
    point: int | None = Field(None, description="The donation point where the gift was received.")
    donor_key: str = Field("", max_length=128, description="Who the donor is for matching caps (the payer id).")
    received_at: datetime | None = Field(None, description="When the money arrived; default now.")
    message: str = Field("", max_length=200)
    goods: GoodsIn | None = Field(None, description="For channel goods: what was given.")


class DonationOut(Schema):
    id: int
    fund: str
    project: int | None
    campaign: str | None
    amount: str = Field(..., examples=["100.00"])
    match_amount: str = Field(..., description="The sponsor's matching gift posted with it.", examples=["0.00"])
    channel: str
    donor_name: str
    received_at: str = Field(..., description="ISO 8601 in Asia/Shanghai.", examples=["2026-09-09T10:00:00+08:00"])
    entry_id: int
    status: str
    external_id: str = Field(..., description="The Idempotency-Key it was recorded under.")


def donation_out(donation: Donation, fund: CommunityFund, campaign: Campaign | None) -> dict[str, Any]:
    match = Money(0)
    if donation.campaign_id is not None:  # only campaign gifts can be matched: no query for the others
        match = Money(MatchGift.objects.filter(donation=donation).values_list("amount", flat=True).first() or 0)
    return {
        "id": donation.pk, "fund": fund.code, "project": donation.project_id,
        "campaign": campaign.slug if campaign is not None else None, "amount": yuan(donation.amount),
        "match_amount": yuan(match), "channel": donation.channel, "donor_name": donation.donor_name,
        "received_at": local_iso(donation.received_at), "entry_id": donation.entry_id, "status": donation.status,
        "external_id": donation.external_id,
    }


class BatchGiftIn(Schema):
    idempotency_key: str = Field(..., description="The platform's id of this gift: 1-128 characters of A-Z a-z 0-9 _ . : -. "
                                 "The same key as `Idempotency-Key` in POST /donations: one gift either way.",
                                 examples=["gd:tx:000123"])
    fund: str = Field("", description="The fund's code; may be left out when `campaign` raises for one fund only.",
                      examples=["yx-bjj"])
    campaign: str = Field("", description="A campaign's code, or CAMPAIGN/FUND.", examples=["gd-2026"])
    amount: str = Field(..., description="Yuan, as a string, at most two decimals, above zero.", examples=["100.00"])
    donor_name: str = Field("", description="Empty for an anonymous gift.")
    donor_key: str = Field("", description="Who the donor is for matching caps (the payer id).")
    received_at: str | None = Field(None, description="ISO 8601; without an offset Asia/Shanghai; default now.",
                                    examples=["2026-09-05T10:23:11+08:00"])
    match: str | None = Field(None, description="Left out: the campaign's matching pool matches the gift as for POST "
                              "/donations. Given: the match the platform applied (\"0\" for none), drawn whole from the "
                              "first pool with room.")


class BatchIn(Schema):
    gifts: list[BatchGiftIn] = Field(..., description="1 to 1000 online gifts.")


class BatchGiftOut(Schema):
    index: int = Field(..., description="The gift's place in the request, from 0.")
    idempotency_key: str
    status: Literal["created", "replayed", "refused"]
    id: int | None = Field(None, description="The donation (created or replayed).")
    entry_id: int | None = None
    fund: str | None = None
    campaign: str | None = None
    amount: str | None = None
    match_amount: str | None = None
    received_at: str | None = None
    code: str | None = Field(None, description="Why the gift was refused.", examples=["idempotency_mismatch"])
    message: str | None = None


class BatchOut(Schema):
    created: int
    replayed: int
    refused: int
    gifts: list[BatchGiftOut]


def batch_out(result: Any) -> dict[str, Any]:
    """From `intake.batch.BatchResult`: no query."""
    gifts = []
    for g in result.gifts:
        row: dict[str, Any] = {"index": g.index, "idempotency_key": g.idempotency_key, "status": g.status}
        if g.status == "refused":
            row.update(code=g.code, message=g.message)
        else:
            row.update(id=g.donation_id, entry_id=g.entry_id, fund=g.fund, campaign=g.campaign, amount=yuan(g.amount),
                       match_amount=yuan(g.match), received_at=local_iso(g.received_at))
        gifts.append(row)
    return {"created": result.count("created"), "replayed": result.count("replayed"), "refused": result.count("refused"),
            "gifts": gifts}


# -- payouts ----------------------------------------------------------------------------------------


class PayoutLineIn(Schema):
    item: str
    amount: str = Field(..., examples=["1200.00"])


class PayoutIn(Schema):
    fund: str = Field(..., description="The fund's code.")
    project: int
    title: str
    payee: str
    lines: list[PayoutLineIn] = Field(..., description="Budget lines; the payout is their sum.")


class PayoutLineOut(Schema):
    item: str
    amount: str


class PayoutOut(Schema):
    id: int
    fund: str
    project: Ref
    title: str
    payee: str
    amount: str
    status: PayoutStatus
    lines: list[PayoutLineOut]
    requested_by: str
    requested_at: str
    decided_at: str | None
    decision_note: str
    paid_at: str | None
    payment_reference: str


class PayoutPage(PageOut):
    results: list[PayoutOut]


class PayoutFilter(PageIn):
    status: PayoutStatus | None = Field(None, description="`requested` is the approval queue.")
    fund: str | None = Field(None, description="Only this fund's payouts (its code).")


class NoteIn(Schema):
    note: str = Field("", max_length=300)


class RejectIn(Schema):
    note: str = Field(..., description="Why the payout is rejected.")


class PayIn(Schema):
    payment_reference: str = Field(..., description="The bank's payment reference.")


def payout_out(payout: Payout) -> dict[str, Any]:
    """From a payout with fund, project, requested_by joined and lines prefetched: no query."""
    return {
        "id": payout.pk, "fund": payout.fund.code, "project": {"id": payout.project_id, "name": payout.project.title},
        "title": payout.title, "payee": payout.payee, "amount": yuan(payout.amount), "status": payout.status,
        "lines": [{"item": line.item, "amount": yuan(line.amount)} for line in payout.lines.all()],
        "requested_by": payout.requested_by.get_full_name() or payout.requested_by.get_username(),
        "requested_at": local_iso(payout.requested_at), "decided_at": local_iso(payout.decided_at),
        "decision_note": payout.decision_note, "paid_at": local_iso(payout.paid_at), "payment_reference": payout.payment_reference,
    }


# -- receipts ---------------------------------------------------------------------------------------


class ReasonIn(Schema):
    reason: str


class ReceiptOut(Schema):
    id: int
    number: str = Field(..., examples=["2026-000123"])
    year: int
    issuer: Ref
    donation: int
    donor_name: str
    amount: str
    status: str
    verification_code: str
    verify_url: str = Field(..., description="The public page where anyone can check the receipt.")
    issued_at: str
    voided_at: str | None
    void_reason: str


def receipt_out(receipt: Receipt, *, request: HttpRequest | None) -> dict[str, Any]:
    return {
        "id": receipt.pk, "number": receipt.display_number, "year": receipt.year,
        "issuer": {"id": receipt.issuer_id, "name": receipt.issuer.name}, "donation": receipt.donation_id,
        "donor_name": receipt.donor_name, "amount": yuan(receipt.amount), "status": receipt.status,
        "verification_code": receipt.verification_code, "verify_url": receipt_verify_url(receipt, request=request),
        "issued_at": local_iso(receipt.issued_at), "voided_at": local_iso(receipt.voided_at), "void_reason": receipt.void_reason,
    }
