"""A funded proposal's grant agreement (协议资助): signed by both sides, paid in tranches against milestones."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import MoneyField

from .proposals import Milestone, Proposal


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Drafted")
    SIGNED_APPLICANT = "signed_app", _("Signed by the applicant")
    ACTIVE = "active", _("In force")  # signed by both sides: the award is the project's
    CLOSED = "closed", _("Closed")


class Agreement(models.Model):
    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="agreement")
    # The fund's project made when the agreement comes into force; its payouts are the tranches.
    project = models.OneToOneField("charity.Project", on_delete=models.PROTECT, related_name="grant_agreement",
                                   null=True, blank=True)
    amount = MoneyField(_("award"))
    payee = models.CharField(_("payee"), max_length=128)
    reporting_dates = models.JSONField(_("reporting dates"), default=list)  # ISO dates of progress reports
    status = models.CharField(_("status"), max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(auto_now_add=True)
    signed_by_applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    signed_by_applicant_at = models.DateTimeField(null=True, blank=True)
    signed_by_fund = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    signed_by_fund_at = models.DateTimeField(null=True, blank=True)
    final_report = models.TextField(_("final report"), blank=True)
    actuals = models.JSONField(_("spent per budget line"), default=dict)  # {"line n": "yuan"}, with the final report
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("grant agreement")
        verbose_name_plural = _("grant agreements")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="grants_agreement_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=["draft", "signed_app"]) | Q(project__isnull=False, signed_by_fund__isnull=False),
                                   name="grants_agreement_in_force_signed"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.amount}"


class TrancheStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    REQUESTED = "requested", _("Payout requested")


class Tranche(models.Model):
    """A part of the award, paid by a payout of the fund's project once its milestone's evidence is accepted (the
    first, an advance, may have no milestone). The tranches add up to the award exactly."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="tranches")
    n = models.PositiveSmallIntegerField()
    amount = MoneyField(_("amount"))
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    status = models.CharField(max_length=10, choices=TrancheStatus.choices, default=TrancheStatus.SCHEDULED)
    payout = models.OneToOneField("charity.Payout", on_delete=models.PROTECT, related_name="tranche", null=True, blank=True)

    class Meta:
        ordering = ["agreement", "n"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "n"], name="grants_tranche_n"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="grants_tranche_positive"),
            models.CheckConstraint(condition=Q(status="scheduled") | Q(payout__isnull=False), name="grants_tranche_payout"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}#{self.n} {self.amount}"


class EvidenceStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Not accepted")


class Evidence(models.Model):
    """What the applicant shows for a milestone (what was done, person-times, sessions); staff accept it or not."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="evidence")
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="evidence")
    text = models.TextField(_("what was done"))
    person_times = models.PositiveIntegerField(_("person-times served"), default=0)
    sessions = models.PositiveIntegerField(_("sessions"), default=0)
    status = models.CharField(max_length=8, choices=EvidenceStatus.choices, default=EvidenceStatus.PENDING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["agreement", "milestone", "id"]

    def __str__(self) -> str:
        return f"{self.milestone_id}: {self.status}"


class BudgetChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class BudgetChange(models.Model):
    """The applicant asks to change an agreement's budget lines (调整预算); a round admin other than the requester
    decides. The lines of the latest approved change are the agreement's budget (the proposal's lines until then);
    `lines_before` keeps the budget it replaced, so each change reads as a before and after."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="budget_changes")
    number = models.PositiveSmallIntegerField(_("number"))  # per agreement, from 1
    lines = models.JSONField(_("new budget lines"))  # [{"n", "category", "item", "quantity", "unit", "unit_price", "amount"}]
    lines_before = models.JSONField(_("budget lines before"))
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=BudgetChangeStatus.choices, default=BudgetChangeStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("budget change")
        verbose_name_plural = _("budget changes")
        ordering = ["agreement", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="grants_budget_change_number"),
            # One request waits at a time: a second is refused by the database too, whatever races.
            models.UniqueConstraint(fields=["agreement"], condition=Q(status="pending"), name="grants_budget_change_one_pending"),
            models.CheckConstraint(condition=~Q(decided_by=F("requested_by")), name="grants_budget_change_four_eyes"),
            models.CheckConstraint(condition=Q(status__in=["pending", "withdrawn"]) | Q(decided_by__isnull=False, decided_at__isnull=False),
                                   name="grants_budget_change_decided"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}/{self.number}: {self.status}"
