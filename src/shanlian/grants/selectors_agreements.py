"""Reads of grant agreements for their pages and API: which agreements an actor sees (the round's staff, and the
managers of the applicant), each with its money by tranche state, and one agreement laid out for its page: tranches
with their payouts, the budget against what was spent, the evidence per milestone, and who may do what now.

The rules are access's and the services' own: `is_round_staff`, `is_applicant_for` and `require_round_admin`, asked
here so that a page shows only the actions that belong to the reader (the services check everything again)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import PayoutStatus
from shanlian.core.errors import DomainError, NotFound
from shanlian.core.money import Money
from shanlian.core.scoping import Role, Scope

from .access import is_applicant_for, is_round_staff, require_round_admin
from .models import (
    Agreement,
    AgreementStatus,
    BudgetChange,
    BudgetChangeStatus,
    Evidence,
    EvidenceStatus,
    LineCategory,
    Milestone,
    Proposal,
    ProposalStatus,
    Tranche,
    TrancheStatus,
)
from .services.budget import current_lines

PENDING_PAYOUT = (PayoutStatus.REQUESTED, PayoutStatus.APPROVED)


# -- who sees which agreements ------------------------------------------------------------------------------------


def round_staff_q(scope: Scope, prefix: str) -> Q:
    """`access.is_round_staff` as a filter on rounds reached by `prefix` (e.g. "proposal__round__")."""
    if scope.is_superuser:
        return Q()
    fund = f"{prefix}fund__"
    q = Q(pk__in=[])
    if scope.has(Role.FEDERATION_FINANCE) and scope.organization_ids:
        q |= Q(**{f"{fund}custodian_id__in": scope.organization_ids})
    if scope.has(Role.STATION_WORKER, Role.AGENCY_MANAGER) and scope.station_ids:
        q |= Q(**{f"{fund}station_id__in": scope.station_ids})
    if scope.has(Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.STREET_OFFICER):
        q |= scope.path_q(f"{fund}division__path", scope.admin_paths + scope.people_paths)
    return q


def applicant_q(scope: Scope, prefix: str) -> Q:
    """`access.is_applicant_for` as a filter on proposals reached by `prefix` (e.g. "proposal__")."""
    if scope.is_superuser:
        return Q()
    if scope.has(Role.ORG_MANAGER, Role.AGENCY_MANAGER) and scope.organization_ids:
        return Q(**{f"{prefix}applicant_id__in": scope.organization_ids})
    return Q(pk__in=[])


def agreements_list(*, scope: Scope, status: str = "") -> QuerySet[Agreement]:
    """The agreements the actor sees, newest first, each annotated with its money by tranche state (`paid`,
    `pending`: asked for and not yet paid; the rest is still to be asked for)."""
    if scope.user_id is None:
        return Agreement.objects.none()
    qs = (Agreement.objects.filter(round_staff_q(scope, "proposal__round__") | applicant_q(scope, "proposal__"))
          .select_related("proposal__round__fund", "proposal__applicant")
          .annotate(paid=Sum("tranches__amount", filter=Q(tranches__payout__status=PayoutStatus.PAID)),
                    pending=Sum("tranches__amount", filter=Q(tranches__payout__status__in=PENDING_PAYOUT)))
          .order_by("-drafted_at", "-id"))
    if status in AgreementStatus.values:
        qs = qs.filter(status=status)
    return qs


def money_by_state(agreement: Agreement) -> dict[str, Money]:
    """Paid, asked for (waiting for a decision or the payment) and still scheduled, from `agreements_list`'s sums."""
    paid = Money(getattr(agreement, "paid", None) or 0)
    pending = Money(getattr(agreement, "pending", None) or 0)
    return {"paid": paid, "pending": pending, "scheduled": agreement.amount - paid - pending}


def proposals_to_agree(*, scope: Scope, limit: int = 50) -> list[Proposal]:
    """Funded proposals of the actor's rounds that have no agreement yet: the staff's next drafts."""
    if scope.user_id is None or not scope.is_staff_role:
        return []
    drafted = Agreement.objects.filter(proposal=OuterRef("pk"))
    return list(Proposal.objects.filter(round_staff_q(scope, "round__"), status=ProposalStatus.FUNDED, result__funded=True)
                .exclude(Exists(drafted)).select_related("round", "applicant", "result").order_by("round_id", "number")[:limit])


def agreement_of(proposal: Proposal) -> Agreement | None:
    return Agreement.objects.filter(proposal=proposal).first()


def proposal_for_agreement(*, scope: Scope, proposal_id: int) -> Proposal:
    """A proposal of one of the actor's rounds (anything else is not found, as if it did not exist)."""
    proposal = (Proposal.objects.select_related("round__fund__division", "applicant", "result")
                .prefetch_related("milestones", "lines", "round__phases").filter(pk=proposal_id).first())
    if proposal is None or not is_round_staff(scope, proposal.round):
        raise NotFound()
    return proposal


# -- one agreement ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sides:
    """How the actor stands to an agreement: the round's staff, the applicant's manager, the fund's signer."""

    staff: bool
    applicant: bool
    admin: bool


Part = TypeVar("Part", Tranche, Evidence, BudgetChange)


def _allowed(check: Callable[[], Any]) -> bool:
    try:
        check()
    except DomainError:
        return False
    return True


def agreement_get(*, scope: Scope, actor: Any, agreement_id: int) -> tuple[Agreement, Sides]:
    """An agreement the actor may see, and how they stand to it; for anyone else it is not found."""
    agreement = (Agreement.objects.select_related("proposal__round__fund__division", "proposal__round__fund__custodian",
                                                  "proposal__applicant", "proposal__result__fund__division", "project")
                 .filter(pk=agreement_id).first())
    if agreement is None or scope.user_id is None:
        raise NotFound()
    round = agreement.proposal.round
    staff, applicant = is_round_staff(scope, round), is_applicant_for(scope, agreement.proposal.applicant_id)
    if not (staff or applicant):
        raise NotFound()
    payer = agreement.proposal.result.fund or round.fund  # the fund that signs and pays (one of the round's)
    admin = all(_allowed(partial(require_round_admin, actor, f)) for f in (round.fund, payer))
    return agreement, Sides(staff=staff, applicant=applicant, admin=admin)


def _part_get(model: type[Part], part_id: int, related: tuple[str, ...], *, scope: Scope, actor: Any) -> tuple[Part, Sides]:
    """A tranche, evidence or budget change: found only when its agreement is (agreement_get), which it carries."""
    agreement_id = model.objects.filter(pk=part_id).values_list("agreement_id", flat=True).first()
    if agreement_id is None:
        raise NotFound()
    agreement, sides = agreement_get(scope=scope, actor=actor, agreement_id=agreement_id)
    part = model.objects.select_related(*related).get(pk=part_id)
    part.agreement = agreement
    return part, sides


def tranche_get(*, scope: Scope, actor: Any, tranche_id: int) -> tuple[Tranche, Sides]:
    return _part_get(Tranche, tranche_id, ("payout", "milestone"), scope=scope, actor=actor)


def evidence_get(*, scope: Scope, actor: Any, evidence_id: int) -> tuple[Evidence, Sides]:
    return _part_get(Evidence, evidence_id, ("milestone", "submitted_by"), scope=scope, actor=actor)


@dataclass
class TrancheRow:
    tranche: Tranche
    state: str  # scheduled, or the payout's status
    state_label: Any
    may_request: bool = False
    waits_for: Milestone | None = None  # its milestone, while its evidence is not accepted


@dataclass
class LineRow:
    n: int
    category: Any
    item: str
    budget: Money
    actual: Money | None


@dataclass
class ChangeLine:
    n: int
    item: str
    before: Money | None  # None: a line the change adds
    after: Money

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class ChangeRow:
    change: BudgetChange
    lines: list[ChangeLine]
    may_decide: bool = False
    may_withdraw: bool = False


def change_lines(change: BudgetChange) -> list[ChangeLine]:
    """A budget change as before and after, line by line."""
    before = {int(row["n"]): Money(row["amount"]) for row in change.lines_before}
    return [ChangeLine(n=int(row["n"]), item=row["item"], before=before.get(int(row["n"])), after=Money(row["amount"]))
            for row in change.lines]


def budget_change_get(*, scope: Scope, actor: Any, change_id: int) -> tuple[BudgetChange, Sides]:
    return _part_get(BudgetChange, change_id, ("requested_by", "decided_by"), scope=scope, actor=actor)


def budget_now(agreement: Agreement) -> list[dict[str, Any]]:
    """The agreement's budget lines as they stand (the latest approved change's, else the proposal's)."""
    return current_lines(agreement)


@dataclass
class MilestoneRow:
    milestone: Milestone
    tranches: list[int]
    evidence: list[Evidence]
    accepted: bool
    open_for_evidence: bool  # nothing waiting for review or accepted: the applicant may show it


@dataclass
class AgreementView:
    agreement: Agreement
    sides: Sides
    tranches: list[TrancheRow]
    lines: list[LineRow]
    changes: list[ChangeRow]
    milestones: list[MilestoneRow]
    money: dict[str, Money]
    budget_total: Money
    actual_total: Money | None
    actions: set[str] = field(default_factory=set)
    decidable: set[int] = field(default_factory=set)  # evidence the actor may accept or reject

    @property
    def form_actions(self) -> set[str]:
        """The actions done on this page (changing the draft or the budget is done on its own page)."""
        return self.actions - {"redraft", "budget_change"}


TRANCHE_STATE_LABELS = {"scheduled": _("Scheduled"), **dict(PayoutStatus.choices)}


def tranche_state(tranche: Tranche) -> str:
    if tranche.status == TrancheStatus.SCHEDULED or tranche.payout is None:
        return "scheduled"
    return str(tranche.payout.status)


def agreement_view(*, agreement: Agreement, sides: Sides, user_id: int) -> AgreementView:
    """The agreement as its page shows it to one reader (a handful of queries, whatever its size)."""
    proposal = agreement.proposal
    tranches = list(agreement.tranches.select_related("payout", "milestone").order_by("n"))
    milestones = list(proposal.milestones.order_by("n"))
    evidence = list(agreement.evidence.select_related("submitted_by", "decided_by").order_by("milestone__n", "id"))
    accepted = {e.milestone_id for e in evidence if e.status == EvidenceStatus.ACCEPTED}
    busy = {e.milestone_id for e in evidence if e.status in (EvidenceStatus.PENDING, EvidenceStatus.ACCEPTED)}
    active = agreement.status == AgreementStatus.ACTIVE

    rows: list[TrancheRow] = []
    paid, pending = Money(0), Money(0)
    next_found = False
    for t in tranches:
        state = tranche_state(t)
        row = TrancheRow(tranche=t, state=state, state_label=TRANCHE_STATE_LABELS.get(state, state))
        if state == PayoutStatus.PAID:
            paid += t.amount
        elif state in PENDING_PAYOUT:
            pending += t.amount
        if state != PayoutStatus.PAID and not next_found:
            next_found = True  # tranches are asked for in order: only the first one not yet paid
            if active and sides.staff and state not in PENDING_PAYOUT:
                if t.milestone_id is not None and t.milestone_id not in accepted:
                    row.waits_for = t.milestone
                else:
                    row.may_request = True
        rows.append(row)

    actuals = agreement.actuals or {}
    categories = dict(LineCategory.choices)
    lines = [LineRow(n=int(line["n"]), category=categories.get(line["category"], line["category"]), item=line["item"],
                     budget=Money(line["amount"]), actual=Money(actuals[str(line["n"])]) if str(line["n"]) in actuals else None)
             for line in current_lines(agreement)]
    changes = [ChangeRow(change=c, lines=change_lines(c),
                         may_decide=sides.admin and c.status == BudgetChangeStatus.PENDING and c.requested_by_id != user_id,
                         may_withdraw=sides.applicant and c.status == BudgetChangeStatus.PENDING)
               for c in agreement.budget_changes.select_related("requested_by", "decided_by").order_by("-number")]
    actual_total = sum((Money(v) for v in actuals.values()), Money(0)) if actuals else None

    by_milestone = [MilestoneRow(
        milestone=m, tranches=[t.n for t in tranches if t.milestone_id == m.pk],
        evidence=[e for e in evidence if e.milestone_id == m.pk], accepted=m.pk in accepted,
        open_for_evidence=m.pk not in busy) for m in milestones]

    actions: set[str] = set()
    if agreement.status == AgreementStatus.DRAFT and sides.applicant:
        actions.add("sign_applicant")
    if agreement.status == AgreementStatus.DRAFT and sides.staff:
        actions.add("redraft")
    if agreement.status == AgreementStatus.SIGNED_APPLICANT and sides.admin:
        actions.add("sign_fund")
    if active and sides.applicant and any(m.open_for_evidence for m in by_milestone):
        actions.add("evidence")
    if active and sides.admin:
        actions.add("close")
    if agreement.status != AgreementStatus.CLOSED and sides.applicant and not any(
            c.change.status == BudgetChangeStatus.PENDING for c in changes):
        actions.add("budget_change")
    decidable = {e.pk for e in evidence if sides.staff and e.status == EvidenceStatus.PENDING and e.submitted_by_id != user_id}
    return AgreementView(
        agreement=agreement, sides=sides, tranches=rows, lines=lines, changes=changes, milestones=by_milestone,
        money={"paid": paid, "pending": pending, "scheduled": agreement.amount - paid - pending},
        budget_total=sum((line.budget for line in lines), Money(0)), actual_total=actual_total,
        actions=actions, decidable=decidable)
