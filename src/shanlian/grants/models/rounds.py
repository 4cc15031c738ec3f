"""A micro-venture round (社区公益微创投) and its dated phases."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import Money, MoneyField
from shanlian.ledger.models import HoldStatus


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")  # its phases run by their dates
    CLOSED = "closed", _("Closed")


class PhaseKind(models.TextChoices):
    """In the order a round runs them; a phase's actions open and close with its dates."""

    NEEDS = "needs", _("Needs collection")
    PROPOSALS = "proposals", _("Call for proposals")
    SCREENING = "screening", _("Feasibility screening")
    REVIEW = "review", _("Expert review")
    VOTE = "vote", _("Resident vote")
    ALLOCATION = "allocation", _("Allocation")
    AGREEMENTS = "agreements", _("Agreements")
    EXECUTION = "execution", _("Execution")
    REPORTS = "reports", _("Final reports")


PHASE_ORDER: tuple[str, ...] = tuple(PhaseKind.values)


class Rule(models.TextChoices):
    GREEDY = "greedy", _("Greedy by votes")
    MES = "mes", _("Method of Equal Shares")
    MES_ADD1_GREEDY = "mes-add1-greedy", _("Method of Equal Shares, completed (add-one, then greedy)")
    COMBINED = "combined", _("Combined score (experts and votes)")


class RoundKind(models.TextChoices):
    """A micro-venture round funds what residents and experts choose; a design contest (项目设计大赛) runs the same
    phases without a resident vote, the experts' score alone deciding, and its winners join the project registry."""

    MICRO_VENTURE = "micro_venture", _("Micro-venture round")
    DESIGN_CONTEST = "contest", _("Design contest")


class BallotKind(models.TextChoices):
    APPROVAL = "approval", _("Approval (tick the projects you support)")
    CUMULATIVE = "cumulative", _("Cumulative (share your points)")


class GrantRound(models.Model):
    fund = models.ForeignKey("charity.CommunityFund", verbose_name=_("fund"), on_delete=models.PROTECT,
                             related_name="grant_rounds")
    title = models.CharField(_("title"), max_length=128)
    kind = models.CharField(_("kind of round"), max_length=16, choices=RoundKind.choices, default=RoundKind.MICRO_VENTURE)
    year = models.PositiveSmallIntegerField(_("year"))
    description = models.TextField(_("description"), blank=True)
    # Who may vote: verified residents whose community on record lies in this area (the fund's street by default).
    area = models.ForeignKey("places.Division", verbose_name=_("voting area"), on_delete=models.PROTECT, related_name="+")
    # The sum of the funds' shares (RoundFund): the lead fund above and any other funds of its street.
    budget = MoneyField(_("budget"))
    rule = models.CharField(_("allocation rule"), max_length=16, choices=Rule.choices, default=Rule.MES_ADD1_GREEDY)
    # The combined rule: the expert score's weight (votes weigh the rest), declared before voting opens.
    expert_weight = models.DecimalField(_("weight of the expert score"), max_digits=3, decimal_places=2, default=0)
    ballot_kind = models.CharField(_("ballot"), max_length=12, choices=BallotKind.choices, default=BallotKind.APPROVAL)
    min_choices = models.PositiveSmallIntegerField(_("fewest projects on a ballot"), default=1)
    max_choices = models.PositiveSmallIntegerField(_("most projects on a ballot"), default=5)
    points = models.PositiveSmallIntegerField(_("points per ballot (cumulative)"), default=0)
    knapsack = models.BooleanField(_("a ballot's projects cost at most the budget"), default=False)
    min_grant = MoneyField(_("smallest grant"))
    max_grant = MoneyField(_("largest grant"))
    reviewers_per_proposal = models.PositiveSmallIntegerField(_("reviewers per proposal"), default=3)
    blind_review = models.BooleanField(_("blind review (reviewers do not see the applicant)"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("micro-venture round")
        verbose_name_plural = _("micro-venture rounds")
        ordering = ["-year", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="grants_round_budget_positive"),
            models.CheckConstraint(condition=Q(min_grant__gt=0) & Q(max_grant__gte=F("min_grant")),
                                   name="grants_round_grant_range"),
            models.CheckConstraint(condition=Q(max_grant__lte=F("budget")), name="grants_round_grant_within_budget"),
            models.CheckConstraint(condition=Q(min_choices__gte=1) & Q(max_choices__gte=F("min_choices")),
                                   name="grants_round_choices_range"),
            models.CheckConstraint(condition=Q(expert_weight__gte=0) & Q(expert_weight__lte=1),
                                   name="grants_round_expert_weight_range"),
            models.CheckConstraint(condition=Q(reviewers_per_proposal__gte=1), name="grants_round_reviewers_positive"),
            models.CheckConstraint(condition=~Q(ballot_kind="cumulative") | Q(points__gte=1),
                                   name="grants_round_cumulative_has_points"),
            models.CheckConstraint(condition=Q(status="closed", closed_at__isnull=False) | ~Q(status="closed"),
                                   name="grants_round_closed_at"),
            # A design contest is decided by the experts alone: the combined rule with the expert score's weight 1.
            models.CheckConstraint(condition=~Q(kind="contest") | Q(rule="combined", expert_weight=1),
                                   name="grants_round_contest_by_experts"),
        ]

    def __str__(self) -> str:
        return self.title


class RoundFund(models.Model):
    """A fund's share of a round's budget (a round may draw on several funds of a street), and the part of it still
    reserved in the fund (a ledger hold): the share until the allocation, then the fund's awards not yet signed."""

    round = models.ForeignKey(GrantRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="funds")
    fund = models.ForeignKey("charity.CommunityFund", verbose_name=_("fund"), on_delete=models.PROTECT, related_name="+")
    share = MoneyField(_("share of the budget"))
    hold = models.OneToOneField("ledger.Hold", verbose_name=_("reservation"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("fund of a round")
        verbose_name_plural = _("funds of a round")
        ordering = ["round", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "fund"], name="grants_round_fund_once"),
            models.CheckConstraint(condition=Q(share__gt=0), name="grants_round_fund_share_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.fund_id}: {self.share}"

    @property
    def reserved(self) -> Money:
        """What the fund holds for the round now: its hold while pending, else nothing."""
        return Money(self.hold.amount) if self.hold is not None and self.hold.status == HoldStatus.PENDING else Money(0)


class Phase(models.Model):
    round = models.ForeignKey(GrantRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(_("phase"), max_length=12, choices=PhaseKind.choices)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["round", "opens_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "kind"], name="grants_phase_once"),
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="grants_phase_period"),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class PhaseExtension(models.Model):
    """A phase kept open longer, and why (shown with the round)."""

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="extensions")
    closed_at_before = models.DateTimeField(_("closed before"))
    closes_at_after = models.DateTimeField(_("closes now"))
    reason = models.CharField(_("reason"), max_length=200)
    extended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    extended_at = models.DateTimeField(_("extended"), auto_now_add=True)

    class Meta:
        ordering = ["phase", "id"]
        constraints = [models.CheckConstraint(condition=Q(closes_at_after__gt=F("closed_at_before")),
                                              name="grants_extension_later")]

    def __str__(self) -> str:
        return self.reason
