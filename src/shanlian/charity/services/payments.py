"""Online gifts: a payment intent when the donor presses give, the provider's signed webhook that settles
it, and the job that gives up on intents nobody paid.

The intake is exactly-once however the provider calls back:

- every verified event is stored once in `WebhookEvent` (unique provider + event id); a duplicate
  delivery is answered from there and writes nothing;
- the intent row is locked while an event is applied, so concurrent deliveries queue on it; the gift
  is posted with (source, external_id) = ("pay:<provider>", intent ref), which the donation and the
  ledger entry both keep unique, so even two different events for the same payment post one gift;
- a success is recorded whenever it comes (after the intent's TTL, after the campaign closed, after a
  failure): the money was taken. The gift is dated when the donor pressed give, inside the campaign;
- a failure after a success is ignored; an amount that differs from the intent is refused and logged.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed, field_error
from shanlian.core.idempotency import replayed
from shanlian.core.inputs import amount_in, text_problem
from shanlian.core.money import Money

from ..models import Campaign, CampaignStatus, Channel, CommunityFund, PaymentIntent, PaymentStatus, Project, WebhookEvent
from ..payments import FAILED, SUCCEEDED, PaymentProvider, provider
from .donations import ANONYMOUS, donation_record, target_check, target_resolve

logger = logging.getLogger("shanlian.charity.payments")

# Outcomes stored with an event that answer the provider with an error, now and on every redelivery.
AMOUNT_MISMATCH = "amount_mismatch"
REJECTED = "rejected"
ERROR_OUTCOMES = {AMOUNT_MISMATCH, REJECTED}


def _new_ref() -> str:
    """128 random bits: the ref is the donor's key to their gift page, so it must not be guessable."""
    return f"pi_{secrets.token_hex(16)}"


def _provider(name: str) -> PaymentProvider:
    try:
        return provider(name)
    except KeyError:
        raise NotFound("unknown_provider", _("Unknown payment provider.")) from None


def _same_intent(existing: PaymentIntent, *, campaign: Campaign, fund: CommunityFund, project: Project | None,
                 amount: Money) -> PaymentIntent:
    mine = (existing.campaign_id, existing.fund_id, existing.project_id, existing.amount)
    theirs = (campaign.pk, fund.pk, getattr(project, "pk", None), amount)
    if mine != theirs:
        raise Conflict("idempotency_mismatch", _("This request id was already used for a different gift."))
    return replayed(existing)


@transaction.atomic
def payment_start(
    *,
    campaign: Campaign,
    fund: CommunityFund,
    project: Project | None = None,
    amount: Any,
    donor_name: str,
    show_name: bool,
    donor_user: Any = None,
    message: str = "",
    idempotency_key: str = "",
    provider_name: str = "fakepay",
) -> PaymentIntent:
    """Open a payment for an online gift. Everything `donation_record` would refuse is refused here,
    before the donor pays. The same idempotency key (per donor account) returns the first intent (`was_replayed`)."""
    money = amount_in(amount, maximum="ONLINE_GIFT")
    user = donor_user if getattr(donor_user, "is_authenticated", False) and getattr(donor_user, "pk", None) else None
    key = (idempotency_key or "").strip()
    if len(key) > 128:
        raise field_error("idempotency_key", "idempotency_key_too_long", _("The request id is at most 128 characters."))
    if key:
        existing = PaymentIntent.objects.filter(donor_user=user, idempotency_key=key).first()
        if existing is not None:
            return _same_intent(existing, campaign=campaign, fund=fund, project=project, amount=money)
    name = (donor_name or "").strip()
    if len(name) > 128:
        raise field_error("donor_name", "donor_name_too_long", _("A name is at most 128 characters."))
    name = name or ANONYMOUS
    message = (message or "").strip()
    if len(message) > 200:
        raise field_error("message", "message_too_long", _("A message is at most 200 characters."))
    prov = _provider(provider_name)
    target_resolve(fund, project, campaign)
    target_check(fund, project, campaign, timezone.now(), late_ok=False)
    intent = PaymentIntent(
        ref=_new_ref(), provider=prov.name, campaign=campaign, fund=fund, project=project, amount=money,
        donor_name=name, show_name=bool(show_name) and name != ANONYMOUS, donor_user=user,
        donor_key=f"user:{user.pk}" if user is not None else "", message=message, idempotency_key=key,
    )
    intent.full_clean(exclude=["donation"])
    try:
        with transaction.atomic():
            intent.save()
    except IntegrityError:
        # The same donor pressed give twice at once with the same key: the other request won.
        existing = PaymentIntent.objects.filter(donor_user=user, idempotency_key=key).first()
        if existing is None:
            raise
        return _same_intent(existing, campaign=campaign, fund=fund, project=project, amount=money)
    audit_log(actor=user, action="charity.payment.start", obj=intent,
              after={"amount": str(money), "campaign": campaign.pk, "fund": fund.pk, "project": getattr(project, "pk", None)})
    return intent


# -- the webhook intake ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    created: datetime
    ref: str
    payment_id: str
    amount: str
    payer: str
    raw: dict[str, Any]


def _parse(body: bytes) -> Event:
    bad = ValidationFailed("bad_event", _("The callback is not a payment event we understand."))
    try:
        raw = json.loads(body.decode("utf-8"))
        data = raw["data"]
        fields = (raw["id"], raw["type"], data["ref"], data.get("payment_id", ""), data["amount"], data.get("payer", ""))
        if type(raw["created"]) is not int:  # seconds since 1970, as sent: not a bool, a float or a string
            raise ValueError
        created = datetime.fromtimestamp(raw["created"], tz=UTC)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError, OverflowError, OSError):
        raise bad from None
    if not all(isinstance(v, str) for v in fields) or not raw["id"]:
        raise bad
    # Each field within its column and free of control characters; anything else is not an event we sent a
    # payment for (refused, never cut).
    if any(text_problem(v, max_length=n) for v, n in zip(fields, (64, 32, 40, 64, 24, 128), strict=True)):
        raise bad
    return Event(id=raw["id"], type=raw["type"], created=created, ref=data["ref"], payment_id=data.get("payment_id", ""),
                 amount=data["amount"], payer=data.get("payer", ""), raw=raw)


def _error_for(outcome: str) -> DomainError:
    if outcome == AMOUNT_MISMATCH:
        return ValidationFailed(AMOUNT_MISMATCH, _("The amount paid differs from the amount of the gift; nothing was recorded."))
    return Conflict("gift_rejected", _("The payment could not be recorded as a gift; it has been logged for a refund."))


def webhook_handle(*, provider_name: str, body: bytes, headers: Any) -> str:
    """Verify and apply one provider callback; returns the outcome (the same for a redelivered event).

    Refused with PermissionDenied(`bad_signature`) and nothing written when the signature is missing,
    wrong or too old; with ValidationFailed(`amount_mismatch`) when the amount differs from the intent
    (the event is stored and logged, nothing is posted)."""
    prov = _provider(provider_name)
    if not prov.verify(body, headers):
        logger.warning("webhook %s: bad signature (%d bytes)", prov.name, len(body))
        raise PermissionDenied("bad_signature", _("The callback's signature is missing, wrong or too old."))
    event = _parse(body)
    outcome, error = _apply(prov.name, event)
    if error is not None:
        raise error
    if outcome in ERROR_OUTCOMES:
        raise _error_for(outcome)
    return outcome


@transaction.atomic
def _apply(provider_name: str, event: Event) -> tuple[str, DomainError | None]:
    # Lock the intent first: every delivery about one payment queues here (always intent, then event).
    # (of=self: the campaign row is not locked, or every gift of a Giving Day would queue on it.)
    intent = (PaymentIntent.objects.select_for_update(of=("self",))
              .filter(ref=event.ref, provider=provider_name).select_related("campaign").first())
    record = WebhookEvent(provider=provider_name, event_id=event.id, type=event.type, intent=intent,
                          occurred_at=event.created, outcome="processing", payload=event.raw)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        seen = WebhookEvent.objects.get(provider=provider_name, event_id=event.id)
        logger.info("webhook %s: duplicate event %s answered as %s", provider_name, event.id, seen.outcome)
        return seen.outcome, None

    error: DomainError | None = None
    if intent is None:
        outcome = "unknown_intent"
        logger.warning("webhook %s: event %s for unknown payment %s", provider_name, event.id, event.ref)
    elif event.type == SUCCEEDED:
        outcome, error = _succeed(intent, event)
    elif event.type == FAILED:
        outcome = _fail(intent, event)
    else:
        outcome = "ignored_type"
    record.outcome = outcome
    record.save(update_fields=["outcome"])
    if intent is not None:
        PaymentIntent.objects.filter(pk=intent.pk).update(last_event_at=timezone.now())
    return outcome, error


def _succeed(intent: PaymentIntent, event: Event) -> tuple[str, DomainError | None]:
    try:
        paid = Money(event.amount)
    except DomainError:
        paid = None
    if paid != intent.amount:
        logger.error("webhook %s: payment %s paid %r but the gift is %s; refused", intent.provider, intent.ref,
                     event.amount, intent.amount)
        audit_log(actor=None, action="charity.payment.amount_mismatch", obj=intent,
                  after={"event": event.id, "paid": event.amount, "expected": str(intent.amount)})
        return AMOUNT_MISMATCH, None
    if intent.status == PaymentStatus.SUCCEEDED:
        return "already_succeeded", None
    now = timezone.now()
    late = (now > intent.created_at + timedelta(minutes=domain_setting("CHARITY_PAYMENT_TTL_MINUTES"))
            or intent.campaign.status == CampaignStatus.CLOSED or now > intent.campaign.ends_at)
    try:
        donation = donation_record(
            actor=None, fund=intent.fund, project=intent.project, campaign=intent.campaign, amount=intent.amount,
            channel=Channel.ONLINE, donor_name=intent.donor_name, show_name=intent.show_name, donor_user=intent.donor_user,
            donor_key=event.payer or intent.donor_key or f"intent:{intent.ref}", message=intent.message,
            received_at=intent.created_at, source=f"pay:{intent.provider}", external_id=intent.ref, late_ok=True,
            _skip_access=True,
        )
    except DomainError as exc:
        # The money was taken but the gift cannot be booked (say the fund closed meanwhile): a person
        # must refund it. The event is kept; the provider is answered with an error.
        logger.error("webhook %s: payment %s cannot be recorded (%s); refund needed", intent.provider, intent.ref, exc.code)
        audit_log(actor=None, action="charity.payment.rejected", obj=intent, after={"event": event.id, "code": exc.code})
        return REJECTED, exc
    before = intent.status
    intent.status, intent.donation, intent.settled_at = PaymentStatus.SUCCEEDED, donation, now
    intent.provider_payment_id = event.payment_id or intent.provider_payment_id
    intent.save(update_fields=["status", "donation", "settled_at", "provider_payment_id"])
    audit_log(actor=None, action="charity.payment.succeed", obj=intent,
              before={"status": before}, after={"status": intent.status, "donation": donation.pk, "late": late})
    return ("succeeded_late" if late else "succeeded"), None


def _fail(intent: PaymentIntent, event: Event) -> str:
    if intent.status == PaymentStatus.SUCCEEDED:
        return "ignored_after_success"
    if intent.status == PaymentStatus.FAILED:
        return "already_failed"
    intent.status, intent.settled_at = PaymentStatus.FAILED, timezone.now()
    intent.provider_payment_id = event.payment_id or intent.provider_payment_id
    intent.save(update_fields=["status", "settled_at", "provider_payment_id"])
    audit_log(actor=None, action="charity.payment.fail", obj=intent, after={"event": event.id})
    return "failed"


def intents_expire(*, now: datetime | None = None) -> int:
    """The job: intents still waiting after CHARITY_PAYMENT_TTL_MINUTES are marked failed. A success
    that arrives later is still recorded (see `webhook_handle`)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=domain_setting("CHARITY_PAYMENT_TTL_MINUTES"))
    with transaction.atomic():
        # One UPDATE with the state in its WHERE: on PostgreSQL a row an intake holds locked is re-checked
        # after that intake commits, so a payment that just succeeded is never marked failed.
        count = PaymentIntent.objects.filter(status=PaymentStatus.CREATED, created_at__lt=cutoff).update(
            status=PaymentStatus.FAILED, settled_at=now)
        if count:
            audit_log(actor=None, action="charity.payment.expire", object_type="charity.paymentintent",
                      after={"count": count, "before": cutoff.isoformat()})
    return count
