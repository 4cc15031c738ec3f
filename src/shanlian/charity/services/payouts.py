"""Spending with four eyes (募用分离): a station asks, the custodian's finance officer (not the asker)
approves and the money is reserved by ledger holds, the payment is recorded and the holds post.
And the custodian's management fee."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed, field_error, lazy_format
from shanlian.core.idempotency import key_lock, replayed
from shanlian.core.inputs import amount_in, model_text
from shanlian.core.money import Money, fen_sum
from shanlian.core.uploads import sha256_of, stored_name, upload_in
from shanlian.ledger.models import Account, HoldStatus
from shanlian.ledger.services import entry_post, hold_create, hold_post, hold_void

from .. import memos
from ..accounts import federation_cash, federation_fee_income
from ..models import (
    Channel,
    CommunityFund,
    Donation,
    DonationStatus,
    FeeCharge,
    FundStatus,
    Payout,
    PayoutAttachment,
    PayoutDraw,
    PayoutLine,
    PayoutStatus,
    Project,
    ProjectStatus,
)
from ._access import require_custodian_finance, require_fund_raiser


def _file_name(name: str | None) -> str:
    return stored_name(name, PayoutAttachment._meta.get_field("name").max_length or 200)


@transaction.atomic
def payout_request(
    *,
    actor: Any,
    fund: CommunityFund,
    project: Project,
    title: str,
    payee: str,
    lines: list[tuple[str, Any]],
    attachments: list[UploadedFile] | None = None,
    external_id: str = "",
    _by_agreement: bool = False,
) -> Payout:
    """`_by_agreement`: the request is a tranche its grant agreement allows (the grants app checked the milestone)."""
    require_fund_raiser(actor, fund)
    title = model_text(Payout, "title", title)
    payee = model_text(Payout, "payee", payee)
    external_id = model_text(Payout, "external_id", external_id)
    clean: list[tuple[str, Money]] = []
    for n, (item, amount) in enumerate(lines, start=1):
        item = model_text(PayoutLine, "item", item, field="lines")
        if not item:
            raise field_error("lines", "line_item_required", lazy_format(_("Budget line %(n)s needs a description."), {"n": n}))
        clean.append((item, amount_in(amount, field="lines")))
    if external_id:
        key_lock("charity.payout", actor.pk, external_id)  # parallel retries wait here for the first to commit
        existing = Payout.objects.filter(requested_by=actor, external_id=external_id).first()
        if existing is not None:
            stored = [(line.item, line.amount) for line in existing.lines.order_by("id")]
            if (existing.fund_id, existing.project_id, existing.title, existing.payee, stored) != (
                    fund.pk, project.pk, title, payee, clean):
                raise Conflict("idempotency_mismatch", _("This request id was already used for a different payout."))
            return replayed(existing)
    if fund.status != FundStatus.OPEN:
        raise field_error("fund", "fund_closed", _("This fund is closed."))
    if project.fund_id != fund.pk:
        raise field_error("project", "project_not_in_fund", _("This project does not belong to the fund."))
    if project.status != ProjectStatus.ACTIVE:
        raise field_error("project", "project_ended", _("This project has ended."))
    if project.by_agreement and not _by_agreement:
        raise field_error("project", "project_by_agreement",
                          _("This project is paid only by its grant agreement's tranches, each after its milestone is accepted."))
    if fund.restricted and project.purpose != fund.purpose:
        raise field_error("project", "purpose_mismatch", _("A restricted fund pays only for projects of its own purpose."))
    if not title:
        raise field_error("title", "title_required", _("Give the payout a title."))
    if not payee:
        raise field_error("payee", "payee_required", _("Say who is paid."))
    if not clean:
        raise field_error("lines", "lines_required", _("A payout needs at least one budget line."))
    total = sum((m for _i, m in clean), Money(0))
    amount_in(total, field="lines")  # the whole payout within the limit too
    available = _available(fund, project)
    if total > available:
        raise ValidationFailed(
            "insufficient_balance",
            lazy_format(_("The fund can spend %(available)s on this project; the request is for %(total)s."),
            {"available": available, "total": total}),
        )
    for upload in attachments or []:
        upload_in(upload)
    payout = Payout(
        fund=fund, project=project, station=fund.station, title=title, payee=payee, amount=total,
        requested_by=actor, external_id=external_id,
    )
    payout.full_clean(validate_constraints=False)  # the database holds them; same-key requests wait in key_lock
    payout.save()
    PayoutLine.objects.bulk_create([PayoutLine(payout=payout, item=item, amount=m) for item, m in clean])
    for upload in attachments or []:
        PayoutAttachment.objects.create(payout=payout, file=upload, name=_file_name(upload.name), sha256=sha256_of(upload),
                                        uploaded_by=actor)
    audit_log(actor=actor, action="charity.payout.request", obj=payout, after={"amount": str(total), "project": project.pk})
    return payout


def _available(fund: CommunityFund, project: Project) -> Money:
    """What a project can spend now: its restricted money plus the fund's general money, less holds."""
    accounts = Account.objects.filter(pk__in=[project.restricted_account_id, fund.account_id])
    return Money(sum((a.balance - a.held for a in accounts), Decimal("0")))


@transaction.atomic
def payout_approve(*, actor: Any, payout: Payout, note: str = "") -> Payout:
    """Approve and reserve: the project's restricted money first, then the fund's general money."""
    require_custodian_finance(actor, payout.fund)
    note = model_text(Payout, "decision_note", note, field="note")
    locked = (Payout.objects.select_for_update()
              .select_related("fund__account", "project__restricted_account", "fund__custodian").get(pk=payout.pk))
    if locked.status in (PayoutStatus.APPROVED, PayoutStatus.PAID):
        return locked
    if locked.status != PayoutStatus.REQUESTED:
        raise Conflict("payout_decided", _("This payout was already decided."))
    if locked.requested_by_id == actor.pk:
        raise PermissionDenied("four_eyes", _("Whoever asked for a payout cannot approve it."))
    cash = federation_cash(locked.fund.custodian)
    expires = timezone.now() + timedelta(days=domain_setting("CHARITY_PAYOUT_HOLD_DAYS"))
    remaining = locked.amount.amount
    draws = []
    for account, restricted in ((locked.project.restricted_account, True), (locked.fund.account, False)):
        account.refresh_from_db(fields=["balance", "held"])
        take = min(remaining, account.balance - account.held)
        if take > 0:
            hold = hold_create(debit_account=account, credit_account=cash, amount=take, expires_at=expires,
                               memo=memos.payout(locked.title), source="charity.payout", external_id=f"{locked.pk}:{account.pk}",
                               actor=actor)
            draws.append(PayoutDraw(payout=locked, account=account, amount=Money(take), hold=hold, restricted=restricted))
            remaining -= take
    if remaining > 0:
        raise ValidationFailed(
            "insufficient_balance",
            lazy_format(_("The fund can spend %(available)s on this project; the request is for %(total)s."),
            {"available": locked.amount - Money(remaining), "total": locked.amount}),
        )
    PayoutDraw.objects.bulk_create(draws)
    locked.status, locked.decided_by, locked.decided_at, locked.decision_note = PayoutStatus.APPROVED, actor, timezone.now(), note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_log(actor=actor, action="charity.payout.approve", obj=locked, after={"amount": str(locked.amount)})
    return locked


@transaction.atomic
def payout_reject(*, actor: Any, payout: Payout, note: str) -> Payout:
    require_custodian_finance(actor, payout.fund)
    note = model_text(Payout, "decision_note", note, field="note")
    if not note:
        raise field_error("note", "reason_required", _("Say why the payout is rejected."))
    locked = Payout.objects.select_for_update().get(pk=payout.pk)
    if locked.status == PayoutStatus.REJECTED:
        return locked
    if locked.status != PayoutStatus.REQUESTED:
        raise Conflict("payout_decided", _("This payout was already decided."))
    if locked.requested_by_id == actor.pk:
        raise PermissionDenied("four_eyes", _("Whoever asked for a payout cannot decide on it."))
    locked.status, locked.decided_by, locked.decided_at = PayoutStatus.REJECTED, actor, timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_log(actor=actor, action="charity.payout.reject", obj=locked, after={"note": locked.decision_note})
    return locked


@transaction.atomic
def payout_pay(*, actor: Any, payout: Payout, payment_reference: str) -> Payout:
    """Record that the bank paid: the reserved holds post, exactly once."""
    require_custodian_finance(actor, payout.fund)
    payment_reference = model_text(Payout, "payment_reference", payment_reference)
    if not payment_reference:
        raise field_error("payment_reference", "reference_required", _("Enter the bank's payment reference."))
    locked = Payout.objects.select_for_update().get(pk=payout.pk)
    if locked.status == PayoutStatus.PAID:
        if locked.payment_reference != payment_reference:
            raise Conflict("payout_paid_other_reference", lazy_format(
                _("This payout was already recorded as paid with the bank reference %(reference)s."),
                {"reference": locked.payment_reference}))
        return locked
    if locked.status != PayoutStatus.APPROVED:
        raise Conflict("payout_not_approved", _("Only an approved payout can be paid."))
    for draw in locked.draws.select_related("hold"):
        hold_post(hold=draw.hold, actor=actor)
    locked.status, locked.paid_by, locked.paid_at = PayoutStatus.PAID, actor, timezone.now()
    locked.payment_reference = payment_reference
    locked.save(update_fields=["status", "paid_by", "paid_at", "payment_reference"])
    audit_log(actor=actor, action="charity.payout.pay", obj=locked, after={"reference": locked.payment_reference})
    return locked


def payouts_lapse_expired() -> int:
    """The job behind `shanlian charity lapse-payouts`: approved payouts whose holds expired lapse and
    their money is released."""
    lapsed = 0
    now = timezone.now()
    for payout in Payout.objects.filter(status=PayoutStatus.APPROVED, draws__hold__expires_at__lte=now).distinct():
        with transaction.atomic():
            locked = Payout.objects.select_for_update().get(pk=payout.pk)
            if locked.status != PayoutStatus.APPROVED:
                continue
            for draw in locked.draws.select_related("hold"):
                if draw.hold.status == HoldStatus.PENDING:
                    hold_void(hold=draw.hold)
            locked.status = PayoutStatus.LAPSED
            locked.save(update_fields=["status"])
            audit_log(actor=None, action="charity.payout.lapse", obj=locked)
            lapsed += 1
    return lapsed


def fee_base(fund: CommunityFund, start: date, end: date) -> Money:
    """Income a fee may be taken on: gifts received in the period, not refunded, not goods or start
    money; restricted gifts only if the agreement allows."""
    q = Q(fund=fund, status=DonationStatus.CONFIRMED, received_at__date__gte=start, received_at__date__lte=end)
    rows = Donation.objects.filter(q).exclude(channel__in=[Channel.GOODS, Channel.SEED])
    if not fund.fee_on_restricted:
        rows = rows.filter(project__isnull=True)
    return Money.from_fen(rows.aggregate(fen=fen_sum("amount"))["fen"] or 0)


@transaction.atomic
def fee_charge(*, actor: Any, fund: CommunityFund, period_start: date, period_end: date) -> FeeCharge:
    """Take the custodian's management fee for a period from the fund's general money, once."""
    require_custodian_finance(actor, fund)
    if period_end < period_start:
        raise field_error("period_end", "invalid_period", _("The end is before the start."))
    if period_end >= timezone.localdate():
        raise field_error("period_end", "period_not_over", _("A fee is taken only for a period that is over."))
    existing = FeeCharge.objects.filter(fund=fund, period_start=period_start, period_end=period_end).first()
    if existing is not None:
        return existing
    if FeeCharge.objects.filter(fund=fund, period_start__lte=period_end, period_end__gte=period_start).exists():
        raise Conflict("fee_period_overlaps", _("A fee was already taken for part of this period."))
    if not fund.fee_rate:
        raise ValidationFailed("no_fee_agreed", _("This fund's agreement sets no management fee."))
    base = fee_base(fund, period_start, period_end)
    amount = Money((base.amount * fund.fee_rate).quantize(Decimal("0.01"), rounding=ROUND_DOWN))
    if not amount.is_positive():
        raise ValidationFailed("no_fee_income", _("There is no income in this period to take a fee on."))
    entry = entry_post(legs=[(fund.account, amount.amount), (federation_fee_income(fund.custodian), -amount.amount)],
                       memo=memos.fee(fund.name, period_start, period_end), source="charity.fee",
                       external_id=f"{fund.pk}:{period_start}:{period_end}", actor=actor)
    fee = FeeCharge.objects.create(fund=fund, period_start=period_start, period_end=period_end, base=base, rate=fund.fee_rate,
                                   amount=amount, entry=entry, charged_by=actor)
    audit_log(actor=actor, action="charity.fee.charge", obj=fee, after={"base": str(base), "amount": str(amount)})
    return fee
