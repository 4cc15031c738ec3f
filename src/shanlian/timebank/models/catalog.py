"""What credits buy: services and goods from stations and partner merchants."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import HoursField


class CatalogItem(models.Model):
    station = models.ForeignKey("orgs.Station", verbose_name=_("station"), on_delete=models.PROTECT, related_name="catalog")
    merchant = models.CharField(_("partner merchant"), max_length=128, blank=True)
    name = models.CharField(_("name"), max_length=128)
    description = models.CharField(_("description"), max_length=300, blank=True)
    price = HoursField(_("price in credits"))
    stock = models.IntegerField(_("stock"))
    per_person_limit = models.PositiveSmallIntegerField(_("limit per person"), default=1)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("catalog item")
        verbose_name_plural = _("catalog items")
        ordering = ["station", "price", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="timebank_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gt=0), name="timebank_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the provider")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled and refunded")


class Redemption(models.Model):
    item = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="redemptions")
    volunteer = models.ForeignKey("timebank.Volunteer", on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveSmallIntegerField(default=1)
    credits = HoursField(_("credits"))
    status = models.CharField(_("status"), max_length=10, choices=RedemptionStatus.choices, default=RedemptionStatus.PENDING)
    idempotency_key = models.CharField(max_length=128, blank=True)
    # Shown on the volunteer's phone; the station checks it when handing over (who collects is who redeemed).
    pickup_code = models.CharField(_("pickup code"), max_length=6, blank=True)
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    refund_entry = models.OneToOneField("ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    fulfilled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="timebank_redemption_quantity"),
            models.UniqueConstraint(fields=["volunteer", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="timebank_redemption_idempotency"),
            models.CheckConstraint(condition=~Q(status="cancelled") | Q(refund_entry__isnull=False), name="timebank_cancel_refunded"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} x{self.quantity} {self.status}"
