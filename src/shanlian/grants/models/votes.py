"""The resident vote: one ballot per verified resident; paper ballots keyed twice; the allocation's results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import MoneyField

from .proposals import Proposal
from .rounds import GrantRound


class BallotChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    PAPER = "paper", _("Paper")


class Ballot(models.Model):
    """A resident's ballot; changed (its choices replaced) until the vote closes."""

    round = models.ForeignKey(GrantRound, on_delete=models.PROTECT, related_name="ballots")
    voter = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("places.Division", on_delete=models.PROTECT, related_name="+")  # as on record when cast
    channel = models.CharField(max_length=8, choices=BallotChannel.choices)
    paper_number = models.CharField(max_length=20, blank=True)
    cast_at = models.DateTimeField()
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "voter"], name="grants_ballot_one_per_voter")]
        # The turnout counts a round's ballots by community and channel from this index alone.
        indexes = [models.Index(fields=["round", "community", "channel"], name="grants_ballot_turnout")]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.voter_id}"


class BallotChoice(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="choices")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveSmallIntegerField(default=1)  # 1 on an approval ballot

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "proposal"], name="grants_choice_once"),
            models.CheckConstraint(condition=Q(points__gte=1), name="grants_choice_points_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} × {self.points}"


class PaperStatus(models.TextChoices):
    PENDING = "pending", _("Keyed once")
    COUNTED = "counted", _("Both keyings agree: counted")
    MISMATCH = "mismatch", _("The keyings differ")


class PaperKeying(models.Model):
    """One staff member's keying of a paper ballot; a second, by someone else, that agrees counts it."""

    round = models.ForeignKey(GrantRound, on_delete=models.PROTECT, related_name="paper_keyings")
    paper_number = models.CharField(_("paper ballot number"), max_length=20)
    voter = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    choices = models.JSONField()  # [[proposal_id, points], ...] sorted by proposal id
    keyed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    keyed_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=PaperStatus.choices, default=PaperStatus.PENDING)
    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "paper_number", "keyed_by"], name="grants_keying_once_each")]

    def __str__(self) -> str:
        return self.paper_number


class Result(models.Model):
    """A proposal's outcome in its round's allocation, with the reason given to everyone."""

    round = models.ForeignKey(GrantRound, on_delete=models.PROTECT, related_name="results")
    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="result")
    rank = models.PositiveIntegerField()
    votes = models.PositiveIntegerField(_("votes"))  # supporters (approval) or points (cumulative)
    expert_score = models.DecimalField(_("expert score"), max_digits=7, decimal_places=4, null=True, blank=True)
    funded = models.BooleanField(_("funded"))
    amount = MoneyField(_("award"), default=0)
    # The fund of the round that pays the award (a funded result only).
    fund = models.ForeignKey("charity.CommunityFund", verbose_name=_("paid from"), on_delete=models.PROTECT, related_name="+",
                             null=True, blank=True)
    # Why, as a code and its numbers (grants.allocation.Reason), worded in the reader's language when shown.
    reason_code = models.CharField(_("reason"), max_length=32)
    reason_params = models.JSONField(default=dict)
    # A staff override of the computed outcome, with its reason (public).
    overridden = models.BooleanField(default=False)
    override_reason = models.CharField(max_length=300, blank=True)
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "rank"]
        constraints = [
            models.CheckConstraint(condition=(Q(funded=True) & Q(amount__gt=0)) | (Q(funded=False) & Q(amount=0)),
                                   name="grants_result_award"),
            models.CheckConstraint(condition=Q(funded=True, fund__isnull=False) | Q(funded=False, fund__isnull=True),
                                   name="grants_result_fund_iff_funded"),
            models.CheckConstraint(condition=Q(overridden=False) | ~Q(override_reason=""), name="grants_result_override_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.reason_code}"
