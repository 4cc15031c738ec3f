"""Receipts numbered without gaps per issuer and year, and the disclosure reports made for the public."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import MoneyField


class ReceiptSequence(models.Model):
    """The next receipt number of an issuer in a year; locked while a number is taken, so numbers have
    no gaps even when many receipts are issued at once."""

    issuer = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "year"], name="charity_receipt_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.issuer_id}/{self.year}: {self.last_number}"


class ReceiptStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    VOIDED = "voided", _("Voided")


class Receipt(models.Model):
    """One receipt per donation. A voided number stays voided (its row stays, marked); a donation with an
    issued receipt cannot change."""

    issuer = models.ForeignKey("orgs.Organization", verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="receipts")
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    donation = models.ForeignKey("charity.Donation", verbose_name=_("donation"), on_delete=models.PROTECT, related_name="receipts")
    # What the receipt says, as it said it when issued.
    donor_name = models.CharField(_("donor"), max_length=128)
    amount = MoneyField(_("amount"))
    status = models.CharField(_("status"), max_length=8, choices=ReceiptStatus.choices, default=ReceiptStatus.ISSUED)
    verification_code = models.CharField(_("verification code"), max_length=16, unique=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year", "number"], name="charity_receipt_number_unique"),
            models.UniqueConstraint(fields=["donation"], condition=Q(status="issued"), name="charity_receipt_one_per_donation"),
            models.CheckConstraint(condition=Q(number__gte=1), name="charity_receipt_number_positive"),
            models.CheckConstraint(
                condition=Q(status="issued", voided_at__isnull=True) | Q(status="voided", voided_at__isnull=False)
                & ~Q(void_reason=""),
                name="charity_receipt_voided_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.year}-{self.number:06d}"


class DisclosureReport(models.Model):
    """A disclosure made for the public: quarterly for fundraising and projects longer than 6 months,
    and a final one after the end. Content is frozen as JSON when made (the public sees what was filed)."""

    class Kind(models.TextChoices):
        QUARTERLY = "quarterly", _("Quarterly report")
        FINAL = "final", _("Final report")
        ANNUAL = "annual", _("Annual report")

    subject_type = models.CharField(max_length=16)  # campaign | project | fund
    subject_id = models.BigIntegerField()
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    content = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("disclosure report")
        verbose_name_plural = _("disclosure reports")
        ordering = ["-period_end", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind", "period_start", "period_end"], name="charity_report_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id} {self.kind} {self.period_end}"
