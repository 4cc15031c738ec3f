"""Spending: payouts requested by a station and approved by the custodian (four eyes), and the
custodian's management fee."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import MoneyField


class PayoutStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    APPROVED = "approved", _("Approved, to be paid")
    REJECTED = "rejected", _("Rejected")
    PAID = "paid", _("Paid")
    LAPSED = "lapsed", _("Lapsed (not paid in time)")


class Payout(models.Model):
    """Money from a fund for one of its projects (募用分离): a station worker asks, a finance officer of
    the custodian federation who is not the requester decides, the payment is recorded. Approval
    reserves the money with ledger holds; recording the payment posts them."""

    fund = models.ForeignKey("charity.CommunityFund", verbose_name=_("fund"), on_delete=models.PROTECT, related_name="payouts")
    project = models.ForeignKey("charity.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="payouts")
    station = models.ForeignKey(
        "orgs.Station", verbose_name=_("station"), null=True, blank=True, on_delete=models.PROTECT, related_name="payouts"
    )
    title = models.CharField(_("title"), max_length=128)
    payee = models.CharField(_("payee"), max_length=128)
    amount = MoneyField(_("amount"))
    status = models.CharField(_("status"), max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="payouts_requested"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="payouts_decided",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("payment recorded by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    external_id = models.CharField(_("request id"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charity_payout_positive"),
            # Four eyes, in the database too: whoever decides is never whoever asked.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")), name="charity_payout_four_eyes"
            ),
            models.CheckConstraint(
                condition=Q(status="requested", decided_by__isnull=True)
                | (~Q(status="requested") & Q(decided_by__isnull=False)),
                name="charity_payout_decided_iff_not_requested",
            ),
            models.CheckConstraint(
                condition=Q(status="paid", paid_at__isnull=False) | (~Q(status="paid") & Q(paid_at__isnull=True)),
                name="charity_payout_paid_at_iff_paid",
            ),
            models.UniqueConstraint(
                fields=["requested_by", "external_id"], condition=~Q(external_id=""), name="charity_payout_idempotency"
            ),
        ]
        indexes = [
            models.Index(fields=["fund", "status"], name="charity_payout_fund_status"),
            models.Index(fields=["project", "paid_at"], name="charity_payout_project_paid"),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.amount}"


class PayoutLine(models.Model):
    payout = models.ForeignKey(Payout, verbose_name=_("payout"), on_delete=models.PROTECT, related_name="lines")
    item = models.CharField(_("budget line"), max_length=128)
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="charity_payout_line_positive")]

    def __str__(self) -> str:
        return f"{self.item} {self.amount}"


class PayoutAttachment(models.Model):
    payout = models.ForeignKey(Payout, verbose_name=_("payout"), on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to="payouts/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PayoutDraw(models.Model):
    """Which account an approved payout takes from (the project's restricted money first, then the fund's
    general money), reserved by a ledger hold until the payment is recorded."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="draws")
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    amount = MoneyField()
    hold = models.OneToOneField("ledger.Hold", on_delete=models.PROTECT, related_name="+")
    restricted = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="charity_draw_positive")]

    def __str__(self) -> str:
        return f"{self.payout_id}: {self.amount}"


class FeeCharge(models.Model):
    """The custodian's management fee on a fund's income for a period; one per fund and period."""

    fund = models.ForeignKey("charity.CommunityFund", verbose_name=_("fund"), on_delete=models.PROTECT, related_name="fees")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    base = MoneyField(_("income the fee is taken on"))
    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=4)
    amount = MoneyField(_("fee"))
    entry = models.OneToOneField("ledger.Entry", on_delete=models.PROTECT, related_name="+")
    charged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("management fee")
        verbose_name_plural = _("management fees")
        ordering = ["-period_end"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "period_start", "period_end"], name="charity_fee_once_per_period"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="charity_fee_positive"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="charity_fee_period"),
        ]

    def __str__(self) -> str:
        return f"{self.fund_id} {self.period_start}–{self.period_end}: {self.amount}"
