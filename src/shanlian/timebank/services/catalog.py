"""Spending credits: a catalog of services and goods; redemptions that never oversell or overspend."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, ValidationFailed, field_error, lazy_format
from shanlian.core.idempotency import replayed
from shanlian.core.inputs import int_in, model_text, text_in
from shanlian.core.money import Hours
from shanlian.ledger.services import entry_post, entry_reverse
from shanlian.orgs.models import Station

from .. import memos
from ..models import CatalogItem, Redemption, RedemptionStatus, Volunteer
from ._access import require_organizer, require_self, scope_of
from .accounts import redeemed
from .volunteers import positive_hours, star_level


@transaction.atomic
def catalog_item_create(*, actor: Any, station: Station, name: str, price: Any, stock: int, per_person_limit: int = 1,
                        merchant: str = "", description: str = "") -> CatalogItem:
    require_organizer(actor, station)
    value = positive_hours(price, field="price")
    if value.value > domain_setting("TIMEBANK_BALANCE_CAP"):  # no one can hold more credits than the cap
        raise field_error("price", "too_large", lazy_format(_("At most %(max)s credits."), {"max": domain_setting("TIMEBANK_BALANCE_CAP")}))
    stock = int_in(stock, field="stock", minimum=0, maximum=100_000)
    per_person_limit = int_in(per_person_limit, field="per_person_limit", minimum=1, maximum=99)
    name = model_text(CatalogItem, "name", name)
    if not name:
        raise field_error("name", "name_required", _("Give the item a name."))
    item = CatalogItem.objects.create(
        station=station, name=name, price=value, stock=stock, per_person_limit=per_person_limit,
        merchant=model_text(CatalogItem, "merchant", merchant), description=model_text(CatalogItem, "description", description),
    )
    audit_log(actor=actor, action="timebank.catalog.create", obj=item)
    return item


def pickup_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(6))


@transaction.atomic
def redemption_create(*, actor: Any, volunteer: Volunteer, item: CatalogItem, quantity: int = 1, idempotency_key: str = "") -> Redemption:
    """Spend credits on an item. The ledger's guarded account refuses overspending, and the stock is taken
    last by one conditional UPDATE (never below zero, and a CHECK constraint on PostgreSQL as well), so the
    item's row, which every redemption of a popular item needs, is locked only for the commit. The
    volunteer's own row serialises their redemptions (the limit per person). The same idempotency key
    returns the first redemption."""
    require_self(actor, volunteer)
    if not 1 <= int(quantity) <= 99:
        raise field_error("quantity", "invalid_quantity", _("Enter a quantity."))
    # The volunteer's row first: parallel retries of one key wait here, then find the first one's redemption.
    fresh = Volunteer.objects.select_for_update(no_key=True).get(pk=volunteer.pk)
    if idempotency_key:
        existing = Redemption.objects.filter(volunteer=volunteer, idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.item_id != item.pk or existing.quantity != quantity:
                raise Conflict("idempotency_mismatch", _("This request id was already used for a different redemption."))
            return replayed(existing)
    if star_level(fresh.approved_hours) < domain_setting("TIMEBANK_SPEND_MIN_STARS"):
        raise ValidationFailed("star_required", lazy_format(_("Spending credits needs a %(n)s-star volunteer (%(h)s approved hours)."),
                               {"n": domain_setting("TIMEBANK_SPEND_MIN_STARS"), "h": domain_setting("TIMEBANK_STAR_HOURS")[0]}))
    current = CatalogItem.objects.get(pk=item.pk)
    if not current.active:
        raise ValidationFailed("item_inactive", _("This item is no longer offered."))
    if current.stock < quantity:
        raise ValidationFailed("out_of_stock", lazy_format(_("Only %(n)s left."), {"n": current.stock}))
    taken = Redemption.objects.filter(item=current, volunteer=volunteer).exclude(status=RedemptionStatus.CANCELLED).aggregate(
        q=Sum("quantity"))["q"] or 0
    if taken + quantity > current.per_person_limit:
        raise ValidationFailed("limit_reached", lazy_format(_("At most %(n)s per person."), {"n": current.per_person_limit}))
    credits = current.price.value * quantity
    entry = entry_post(legs=[(volunteer.account, credits), (redeemed(), -credits)],
                       memo=memos.redeem(current.name, quantity), source=f"timebank.redeem:{volunteer.pk}",
                       external_id=idempotency_key, actor=actor)
    try:
        with transaction.atomic():
            redemption = Redemption.objects.create(item=current, volunteer=volunteer, quantity=quantity, credits=Hours(credits),
                                                   idempotency_key=idempotency_key, entry=entry, pickup_code=pickup_code())
    except IntegrityError:
        raise Conflict("duplicate_request", _("This redemption was already made.")) from None
    audit_log(actor=actor, action="timebank.redeem", obj=redemption, after={"item": current.pk, "credits": str(credits)})
    # Last: take the stock. Another redemption may have taken the last ones since the read above; then
    # nothing is written (the transaction rolls back with the error).
    if not CatalogItem.objects.filter(pk=current.pk, active=True, stock__gte=quantity).update(stock=F("stock") - quantity):
        left = CatalogItem.objects.filter(pk=current.pk).values_list("stock", flat=True).first() or 0
        raise ValidationFailed("out_of_stock", lazy_format(_("Only %(n)s left."), {"n": left}))
    return redemption


@transaction.atomic
def redemption_fulfil(*, actor: Any, redemption: Redemption, pickup_code: Any) -> Redemption:
    """Handed over, once the volunteer shows the pickup code on their phone (whoever collects is who redeemed)."""
    locked = Redemption.objects.select_for_update().select_related("item__station").get(pk=redemption.pk)
    require_organizer(actor, locked.item.station)
    if locked.status == RedemptionStatus.FULFILLED:
        return locked
    if locked.status != RedemptionStatus.PENDING:
        raise Conflict("redemption_cancelled", _("This redemption was cancelled."))
    typed = text_in(pickup_code, field="pickup_code", max_length=12).replace(" ", "")
    if locked.pickup_code and not secrets.compare_digest(typed.encode(), locked.pickup_code.encode()):
        raise field_error("pickup_code", "pickup_code_wrong",
                          _("The pickup code does not match: ask for the code on the volunteer's phone."))
    locked.status, locked.fulfilled_by, locked.closed_at = RedemptionStatus.FULFILLED, actor, timezone.now()
    locked.save(update_fields=["status", "fulfilled_by", "closed_at"])
    audit_log(actor=actor, action="timebank.redeem.fulfil", obj=locked)
    return locked


@transaction.atomic
def redemption_cancel(*, actor: Any, redemption: Redemption) -> Redemption:
    """Cancel before fulfilment (the volunteer or the provider): credits come back by a reversing entry."""
    locked = Redemption.objects.select_for_update().select_related("item__station", "volunteer").get(pk=redemption.pk)
    scope = scope_of(actor)
    if scope.person_id != locked.volunteer.person_id:
        require_organizer(actor, locked.item.station)
    if locked.status == RedemptionStatus.CANCELLED:
        return locked
    if locked.status == RedemptionStatus.FULFILLED:
        raise Conflict("redemption_fulfilled", _("A fulfilled redemption cannot be cancelled."))
    reversal = entry_reverse(entry=locked.entry, memo=memos.cancel(locked.pk), actor=actor)
    item = CatalogItem.objects.select_for_update().get(pk=locked.item_id)
    CatalogItem.objects.filter(pk=item.pk).update(stock=item.stock + locked.quantity)
    locked.status, locked.refund_entry, locked.closed_at = RedemptionStatus.CANCELLED, reversal, timezone.now()
    locked.save(update_fields=["status", "refund_entry", "closed_at"])
    audit_log(actor=actor, action="timebank.redeem.cancel", obj=locked)
    return locked
