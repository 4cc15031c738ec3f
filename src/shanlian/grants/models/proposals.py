"""What residents need, and what community groups propose to do about it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import Purpose
from shanlian.core.money import Money, MoneyField

from .rounds import GrantRound


class NeedSource(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    STATION = "station", _("Station")


class Need(models.Model):
    """A community need named in the needs phase; the category is the charity purpose it falls under."""

    round = models.ForeignKey(GrantRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="needs")
    text = models.TextField(_("need"))
    category = models.CharField(_("category"), max_length=16, choices=Purpose.choices)
    community = models.ForeignKey("places.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("named by"), max_length=8, choices=NeedSource.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    station = models.ForeignKey("orgs.Station", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    # A duplicate merged by staff points at the need it joined (its supporters counted there).
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, related_name="merged", null=True, blank=True)
    supporters = models.PositiveIntegerField(_("supporters"), default=0)
    created_at = models.DateTimeField(_("named"), auto_now_add=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["round", "-supporters", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(merged_into=F("id")), name="grants_need_not_merged_into_itself"),
            models.CheckConstraint(condition=~Q(source="station") | Q(station__isnull=False), name="grants_need_station_named"),
        ]

    def __str__(self) -> str:
        return self.text[:40]


class NeedSupport(models.Model):
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["need", "user"], name="grants_need_support_once")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.need_id}"


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for changes")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    FEASIBLE = "feasible", _("Feasible")
    INFEASIBLE = "infeasible", _("Not feasible")
    FUNDED = "funded", _("Funded")
    NOT_FUNDED = "not_funded", _("Not funded")


class Proposal(models.Model):
    round = models.ForeignKey(GrantRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="proposals")
    number = models.PositiveIntegerField(_("number"))  # per round, from 1, shown as the project's public number
    applicant = models.ForeignKey("orgs.Organization", verbose_name=_("applicant"), on_delete=models.PROTECT,
                                  related_name="grant_proposals")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=64)
    summary = models.TextField(_("summary"))
    beneficiaries = models.CharField(_("beneficiaries"), max_length=200)
    beneficiary_count = models.PositiveIntegerField(_("number of beneficiaries"))
    outcomes = models.TextField(_("expected outcomes"))
    requested = MoneyField(_("amount requested"))  # the sum of the budget lines, exactly
    co_funding = MoneyField(_("co-funding"), default=0)
    co_funding_source = models.CharField(_("co-funding from"), max_length=200, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    needs = models.ManyToManyField(Need, verbose_name=_("needs answered"), related_name="proposals", blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    note = models.CharField(_("note to the applicant"), max_length=500, blank=True)  # why returned
    # Feasibility screening: the price staff accept (at most what was asked), or why not feasible (public).
    accepted_price = MoneyField(_("accepted price"), null=True, blank=True)
    screening_note = models.CharField(_("screening note"), max_length=500, blank=True)
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    screened_at = models.DateTimeField(_("screened"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="grants_proposal_number"),
            models.CheckConstraint(condition=Q(requested__gt=0), name="grants_proposal_requested_positive"),
            models.CheckConstraint(condition=Q(co_funding__gte=0), name="grants_proposal_co_funding"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="grants_proposal_period"),
            models.CheckConstraint(
                condition=Q(accepted_price__isnull=True) | (Q(accepted_price__gt=0) & Q(accepted_price__lte=F("requested"))),
                name="grants_proposal_accepted_price"),
            models.CheckConstraint(condition=~Q(status="feasible") | Q(accepted_price__isnull=False),
                                   name="grants_proposal_feasible_priced"),
            models.CheckConstraint(condition=~Q(status="infeasible") | ~Q(screening_note=""),
                                   name="grants_proposal_infeasible_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.number:02d} {self.title}"

    @property
    def cost(self) -> Money:
        """What the round would pay: the accepted price once screened, else what was asked."""
        return self.accepted_price if self.accepted_price is not None else self.requested


class LineCategory(models.TextChoices):
    PERSONNEL = "personnel", _("Personnel")
    MATERIALS = "materials", _("Materials")
    ACTIVITIES = "activities", _("Activities")
    VENUE = "venue", _("Venue")
    PUBLICITY = "publicity", _("Publicity")
    TRANSPORT = "transport", _("Transport")
    ADMIN = "admin", _("Administration")
    OTHER = "other", _("Other")


class BudgetLine(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="lines")
    n = models.PositiveSmallIntegerField()
    category = models.CharField(_("category"), max_length=12, choices=LineCategory.choices)
    item = models.CharField(_("item"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=10)
    unit_price = MoneyField(_("unit price"))
    amount = MoneyField(_("amount"))  # quantity x unit price, exactly (a product finer than the fen is refused)

    class Meta:
        ordering = ["proposal", "n"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "n"], name="grants_line_n"),
            models.CheckConstraint(condition=Q(quantity__gt=0) & Q(unit_price__gt=0) & Q(amount__gt=0),
                                   name="grants_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.amount}"


class Milestone(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="milestones")
    n = models.PositiveSmallIntegerField()
    title = models.CharField(_("milestone"), max_length=100)
    due_on = models.DateField(_("due on"))

    class Meta:
        ordering = ["proposal", "n"]
        constraints = [models.UniqueConstraint(fields=["proposal", "n"], name="grants_milestone_n")]

    def __str__(self) -> str:
        return self.title


class ProposalRevision(models.Model):
    """Each submitted version as it was (lines and milestones included): a revision is kept, never overwritten."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveSmallIntegerField()
    content = models.JSONField()
    note = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposal", "number"]
        constraints = [models.UniqueConstraint(fields=["proposal", "number"], name="grants_revision_number")]

    def __str__(self) -> str:
        return f"{self.proposal_id} v{self.number}"


class ProposalAttachment(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="grants/proposals/%Y/%m/")
    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
