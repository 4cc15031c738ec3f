"""Reading needs and proposals: the public lists of a round, one proposal, and an applicant's own."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import NotFound
from shanlian.core.scoping import Role
from shanlian.people.selectors import actor_scope

from .access import is_applicant_for
from .models import BudgetLine, GrantRound, Milestone, Need, Proposal, ProposalStatus

# Proposals the public sees: all but drafts (withdrawn and not-feasible ones stay on the record, with the reason).
PRIVATE = (ProposalStatus.DRAFT,)


def needs_public(round: GrantRound) -> QuerySet[Need]:
    """A round's needs as residents see them: duplicates merged away, most supported first, each with
    `proposal_count`, the public proposals answering it."""
    return (Need.objects.filter(round=round, merged_into__isnull=True).select_related("community")
            .annotate(proposal_count=Count("proposals", filter=~Q(proposals__status__in=PRIVATE), distinct=True))
            .order_by("-supporters", "id"))


def _with_parts(rows: QuerySet[Proposal]) -> QuerySet[Proposal]:
    return rows.select_related("round", "applicant").prefetch_related(
        Prefetch("lines", queryset=BudgetLine.objects.order_by("n")),
        Prefetch("milestones", queryset=Milestone.objects.order_by("n")),
        Prefetch("needs", queryset=Need.objects.order_by("id")),
    )


def proposals_public(round: GrantRound) -> QuerySet[Proposal]:
    """A round's proposals by number, drafts left out, their budget lines, milestones and needs loaded in three
    queries whatever their number."""
    return _with_parts(Proposal.objects.filter(round=round).exclude(status__in=PRIVATE)).order_by("number")


def proposal_detail(proposal: Proposal | int, *, actor: Any = None) -> Proposal:
    """One proposal with its parts, revisions and attachments. A draft is its applicant's alone (and the superuser's):
    to anyone else it is not found."""
    pk = proposal.pk if isinstance(proposal, Proposal) else proposal
    found = (_with_parts(Proposal.objects.filter(pk=pk))
             .select_related("screened_by", "round__fund")
             .prefetch_related("revisions", "attachments").first())
    if found is None:
        raise NotFound("proposal_not_found", _("No such proposal."))
    if found.status in PRIVATE:
        scope = actor_scope(actor)
        if scope.user_id is None or not is_applicant_for(scope, found.applicant_id):
            raise NotFound("proposal_not_found", _("No such proposal."))
    return found


def my_proposals(actor: Any) -> QuerySet[Proposal]:
    """The proposals of the organizations the actor proposes for, drafts included, newest round first."""
    scope = actor_scope(actor)
    if scope.user_id is None:
        return Proposal.objects.none()
    if scope.has(Role.ORG_MANAGER, Role.AGENCY_MANAGER):
        mine = Q(applicant_id__in=scope.organization_ids)
    elif scope.is_superuser:
        mine = Q(submitted_by_id=scope.user_id)
    else:
        return Proposal.objects.none()
    return _with_parts(Proposal.objects.filter(mine)).order_by("-round__year", "-round_id", "number")

