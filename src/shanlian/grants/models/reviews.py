"""Expert review: a rubric per round, assignments (with recusal), scores."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .proposals import Proposal
from .rounds import GrantRound


class Criterion(models.Model):
    """One line of a round's rubric: a weight, the highest score, and what each level means (as data)."""

    round = models.ForeignKey(GrantRound, on_delete=models.CASCADE, related_name="criteria")
    n = models.PositiveSmallIntegerField()
    name = models.CharField(_("criterion"), max_length=64)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)
    max_score = models.PositiveSmallIntegerField(_("highest score"))
    # [{"from": 0, "text": "..."}, {"from": 4, "text": "..."}, ...]: the lowest score of each level and its descriptor.
    levels = models.JSONField(_("levels"), default=list)

    class Meta:
        ordering = ["round", "n"]
        constraints = [
            models.UniqueConstraint(fields=["round", "n"], name="grants_criterion_n"),
            models.CheckConstraint(condition=Q(weight__gt=0) & Q(max_score__gte=1), name="grants_criterion_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ReviewerTie(models.Model):
    """A reviewer's declared tie to an organization (family, a former employer, a board seat): recused from its proposals."""

    round = models.ForeignKey(GrantRound, on_delete=models.CASCADE, related_name="ties")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "reviewer", "organization"], name="grants_tie_once")]

    def __str__(self) -> str:
        return f"{self.reviewer_id} ~ {self.organization_id}"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    SUBMITTED = "submitted", _("Submitted")
    RECUSED = "recused", _("Recused")


class Assignment(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grant_reviews")
    status = models.CharField(max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED)
    comment = models.TextField(_("comment"), blank=True)
    recusal_reason = models.CharField(max_length=200, blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposal", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "reviewer"], name="grants_assignment_once"),
            models.CheckConstraint(condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                                   name="grants_assignment_submitted_at"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id} → {self.proposal_id}"


class Score(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "criterion"], name="grants_score_once")]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.value}"
