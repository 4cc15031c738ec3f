"""Receipts: one per gift, numbered without gaps per issuer and year even when issued concurrently
(the issuer's sequence row is locked while a number is taken); a voided number stays voided."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, field_error
from shanlian.core.idempotency import replayed
from shanlian.core.inputs import model_text

from ..models import Channel, Donation, DonationStatus, Receipt, ReceiptSequence, ReceiptStatus
from ._access import require_custodian_finance

# Crockford-style alphabet: no I, L, O, U, so a code read aloud or typed from paper is unambiguous.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


@transaction.atomic
def receipt_issue(*, actor: Any, donation: Donation, _skip_access: bool = False) -> Receipt:
    """Issue the receipt for a gift (the custodian federation issues). Issuing again returns the issued one."""
    if not _skip_access:
        require_custodian_finance(actor, donation.fund)
    locked = Donation.objects.select_for_update().select_related("fund__custodian").get(pk=donation.pk)
    current = locked.receipts.filter(status=ReceiptStatus.ISSUED).first()
    if current is not None:
        return replayed(current)
    if locked.status != DonationStatus.CONFIRMED:
        raise Conflict("donation_refunded", _("A refunded gift gets no receipt."))
    if locked.channel in (Channel.SEED,):
        raise Conflict("no_receipt_for_seed", _("The federation's own start money gets no receipt."))
    issuer = locked.fund.custodian
    year = timezone.localdate().year
    ReceiptSequence.objects.bulk_create([ReceiptSequence(issuer=issuer, year=year)], ignore_conflicts=True)
    sequence = ReceiptSequence.objects.select_for_update().get(issuer=issuer, year=year)
    number = sequence.last_number + 1
    ReceiptSequence.objects.filter(pk=sequence.pk).update(last_number=number)
    receipt = Receipt.objects.create(
        issuer=issuer, year=year, number=number, donation=locked, donor_name=locked.donor_name, amount=locked.amount,
        verification_code=_verification_code(), issued_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_log(actor=actor, action="charity.receipt.issue", obj=receipt, after={"number": receipt.display_number})
    return receipt


@transaction.atomic
def receipt_void(*, actor: Any, receipt: Receipt, reason: str) -> Receipt:
    """Void a receipt: its number stays used and shows as void on the verification page."""
    require_custodian_finance(actor, receipt.donation.fund)
    reason = model_text(Receipt, "void_reason", reason, field="reason")
    if not reason:
        raise field_error("reason", "reason_required", _("Say why the receipt is voided."))
    locked = Receipt.objects.select_for_update().get(pk=receipt.pk)
    if locked.status == ReceiptStatus.VOIDED:
        return locked
    locked.status, locked.voided_by, locked.voided_at, locked.void_reason = (
        ReceiptStatus.VOIDED, actor, timezone.now(), reason)
    locked.save(update_fields=["status", "voided_by", "voided_at", "void_reason"])
    audit_log(actor=actor, action="charity.receipt.void", obj=locked, after={"reason": locked.void_reason})
    return locked
