"""Expert review: the round's rubric, reviewers assigned by load with recusal, and each reviewer's one set of scores."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from shanlian.core import assignment as solver
from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed, field_error, lazy_format
from shanlian.core.inputs import Checks, decimal_in, id_param, int_in, model_text, text_in
from shanlian.core.scoping import Role
from shanlian.core.transitions import transition
from shanlian.people.models import RoleGrant
from shanlian.people.selectors_experts import TIE, WORKS_FOR, Recusal, assignable, expert_pool

from .. import phases
from ..access import require_expert, require_round_staff
from ..models import (
    Assignment,
    AssignmentStatus,
    Criterion,
    GrantRound,
    PhaseKind,
    Proposal,
    ProposalStatus,
    ReviewerTie,
    RoundStatus,
    Score,
)
from ..selectors_review import ACTIVE, reviewer_conflicts

CRITERIA_MAX = 12
LEVELS_MAX = 20
SCORE_CEILING = 100  # the highest a criterion's highest score may be
WEIGHT_CEILING = 100
LEVEL_TEXT_MAX = 200
COMMENT_MAX = 2000
EXPERTS_MAX = 200  # experts handed to one assignment run


def _recorded(message: Any, limit: int = 200) -> str:
    """A reason the system writes into a record: in the default language (whoever's request it came by), and
    shortened to its column with an ellipsis (it is derived, not typed)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(message)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _conflict_reason(conflict: Recusal) -> str:
    if conflict.kind == WORKS_FOR:
        return _recorded(_("Works for the applicant."))
    if conflict.note:
        return _recorded(lazy_format(_("Declared a tie to the applicant: %(note)s"), {"note": conflict.note}))
    return _recorded(_("Declared a tie to the applicant."))


def _require_review_not_over(round: GrantRound) -> None:
    """The round is open and its expert review has not closed (it may not have opened yet)."""
    if round.status != RoundStatus.OPEN or phases.phase_of(round, PhaseKind.REVIEW) is None \
            or phases.has_closed(round, PhaseKind.REVIEW):
        phases.require_open(round, PhaseKind.REVIEW)  # refuses, saying why (no such phase, round not open, closed)


def _recuse(*, actor: Any, assignment: Assignment, reason: str) -> Assignment:
    """The one move to RECUSED (a reviewer stepping back, a declared tie, a tie found at assignment)."""
    return transition(assignment, to=AssignmentStatus.RECUSED, allowed_from=[AssignmentStatus.ASSIGNED], actor=actor,
                      action="grants.review.recuse", changes=lambda _a: {"recusal_reason": reason}, audit={"reason": reason})


def _require_reviewer(actor: Any, assignment: Assignment) -> None:
    require_expert(actor)
    if assignment.reviewer_id != actor.pk:
        raise PermissionDenied("not_your_review", _("Only the reviewer assigned to this proposal may do this."))


# --- the rubric ----------------------------------------------------------------------------------------------------

def _levels_in(value: Any, *, field: str, max_score: int) -> list[dict[str, Any]]:
    if not isinstance(value, list | tuple) or not value:
        raise field_error(field, "levels_required", _("Describe the levels of the criterion, the first from 0."))
    if len(value) > LEVELS_MAX:
        raise field_error(field, "too_many_levels", lazy_format(_("At most %(max)s levels."), {"max": LEVELS_MAX}))
    out: list[dict[str, Any]] = []
    for j, level in enumerate(value):
        at = f"{field}[{j}]"
        if not isinstance(level, dict):
            raise field_error(at, "invalid_level", _("A level is its lowest score (from) and what it means (text)."))
        low = int_in(level.get("from"), field=f"{at}.from", minimum=0, maximum=SCORE_CEILING)
        text = text_in(level.get("text"), field=f"{at}.text", max_length=LEVEL_TEXT_MAX, required=True)
        if j == 0 and low != 0:
            raise field_error(f"{at}.from", "levels_start_at_zero", _("The first level starts at 0."))
        if out and low <= out[-1]["from"]:
            raise field_error(f"{at}.from", "levels_not_increasing", _("Each level starts above the one before it."))
        if low > max_score:
            raise field_error(f"{at}.from", "level_above_max", lazy_format(
                _("A level cannot start above the highest score (%(max)s)."), {"max": max_score}))
        out.append({"from": low, "text": text})
    return out


def _criteria_in(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list | tuple):
        raise field_error("criteria", "invalid_criteria", _("Give the rubric as a list of criteria."))
    if not 1 <= len(raw) <= CRITERIA_MAX:
        raise field_error("criteria", "criteria_count", lazy_format(_("A rubric has 1 to %(max)s criteria."), {"max": CRITERIA_MAX}))
    checks = Checks()
    out: list[dict[str, Any]] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        at = f"criteria[{i}]"
        if not isinstance(item, dict):
            checks.failed.append(field_error(at, "invalid_criterion", _("A criterion has a name, a weight, a highest score and levels.")))
            continue
        name = checks(model_text, Criterion, "name", item.get("name"), field=f"{at}.name", required=True)
        weight = checks(decimal_in, item.get("weight"), field=f"{at}.weight", places=2, minimum="0.01", maximum=WEIGHT_CEILING)
        top = checks(int_in, item.get("max_score"), field=f"{at}.max_score", minimum=1, maximum=SCORE_CEILING)
        levels = checks(_levels_in, item.get("levels"), field=f"{at}.levels", max_score=SCORE_CEILING if top is None else top)
        if name is not None and name in names:
            checks.failed.append(field_error(f"{at}.name", "duplicate_criterion", _("Two criteria have this name.")))
        names.add(name or "")
        out.append({"name": name, "weight": weight, "max_score": top, "levels": levels})
    checks.done()
    return out


@transaction.atomic
def criteria_set(*, actor: Any, round: GrantRound, criteria: list[dict[str, Any]]) -> list[Criterion]:
    """The round's rubric, replacing the one before: set by the round's staff before expert review opens, so every
    reviewer marks against the same lines (and never once a score exists)."""
    require_round_staff(actor, round)
    locked = GrantRound.objects.select_for_update().get(pk=round.pk)
    if locked.status == RoundStatus.CLOSED:
        raise Conflict("round_closed", _("This round is closed."))
    if Score.objects.filter(assignment__proposal__round=locked).exists():
        raise Conflict("rubric_in_use", _("Reviewers have scored against this rubric; it can no longer change."))
    review = phases.phase_of(locked, PhaseKind.REVIEW)
    if review is not None and review.opens_at <= timezone.now():
        raise Conflict("review_started", _("Expert review has opened; the rubric can no longer change."))
    rows = _criteria_in(criteria)
    before = list(Criterion.objects.filter(round=locked).order_by("n").values("name", "weight", "max_score"))
    Criterion.objects.filter(round=locked).delete()
    made = [Criterion(round=locked, n=n, **row) for n, row in enumerate(rows, start=1)]
    for c in made:
        c.full_clean(validate_unique=False, validate_constraints=False)
    Criterion.objects.bulk_create(made)
    audit_log(actor=actor, action="grants.criteria.set", obj=locked,
              before={"criteria": [{**c, "weight": str(c["weight"])} for c in before]},
              after={"criteria": [{"name": r["name"], "weight": str(r["weight"]), "max_score": r["max_score"]} for r in rows]})
    return list(Criterion.objects.filter(round=locked).order_by("n"))


# --- ties and recusal ----------------------------------------------------------------------------------------------

@transaction.atomic
def tie_declare(*, actor: Any, round: GrantRound, organization: Any, note: str = "") -> ReviewerTie:
    """An expert declares a tie to an organization (family, a former employer, a board seat): they are recused from
    its proposals in the round, those already assigned and not yet submitted included. Declaring again changes nothing."""
    require_expert(actor)
    locked = GrantRound.objects.select_for_update().get(pk=round.pk)  # in step with an assignment run
    if locked.status == RoundStatus.CLOSED:
        raise Conflict("round_closed", _("This round is closed."))
    note = model_text(ReviewerTie, "note", note)
    tie, created = ReviewerTie.objects.get_or_create(round=locked, reviewer=actor, organization=organization,
                                                     defaults={"note": note})
    if created:
        audit_log(actor=actor, action="grants.tie.declare", obj=tie, after={"organization": organization.pk, "note": note})
    reason = _conflict_reason(Recusal(TIE, tie.note))
    pending = Assignment.objects.filter(proposal__round=locked, proposal__applicant=organization, reviewer=actor,
                                        status=AssignmentStatus.ASSIGNED).order_by("id")
    for a in pending:
        _recuse(actor=actor, assignment=a, reason=reason)
    return tie


@transaction.atomic
def review_recuse(*, actor: Any, assignment: Assignment, reason: str) -> Assignment:
    """The reviewer steps back from a proposal, saying why, before submitting; the next assignment run replaces them."""
    _require_reviewer(actor, assignment)
    locked = Assignment.objects.select_for_update(of=("self",)).select_related("proposal__round").get(pk=assignment.pk)
    if locked.status == AssignmentStatus.RECUSED:
        return locked
    if locked.status == AssignmentStatus.SUBMITTED:
        raise Conflict("review_submitted", _("This review has been submitted."))
    _require_review_not_over(locked.proposal.round)
    why = model_text(Assignment, "recusal_reason", reason, field="reason", required=True)
    return _recuse(actor=actor, assignment=locked, reason=why)


# --- assignment ----------------------------------------------------------------------------------------------------

def _require_assigning(round: GrantRound) -> None:
    """Reviewers are assigned once screening has closed, until expert review closes."""
    _require_review_not_over(round)
    if not phases.is_open(round, PhaseKind.REVIEW) and not phases.has_closed(round, PhaseKind.SCREENING):
        screening = phases.phase_of(round, PhaseKind.SCREENING)
        closes = timezone.localtime(screening.closes_at).strftime("%Y-%m-%d %H:%M") if screening else "—"
        raise Conflict("screening_not_over", lazy_format(
            _("Reviewers are assigned once feasibility screening closes (%(closes)s)."), {"closes": closes}))


def _experts_in(experts: Any) -> list[int]:
    """The ids of the experts given, each holding the expert role (an active grant, an active login)."""
    if not isinstance(experts, list | tuple):
        raise field_error("experts", "invalid_experts", _("Choose the experts from the expert pool."))
    ids = {getattr(e, "pk", None) for e in experts}
    if len(ids) > EXPERTS_MAX:
        raise field_error("experts", "too_many_experts", lazy_format(_("At most %(max)s experts at a time."), {"max": EXPERTS_MAX}))
    holders = set(RoleGrant.objects.filter(user_id__in=[i for i in ids if isinstance(i, int)], role=Role.EXPERT,
                                           revoked_at__isnull=True, user__is_active=True).values_list("user_id", flat=True))
    outsiders = [e for e in experts if getattr(e, "pk", None) not in holders]
    if outsiders:
        names = "、".join(getattr(e, "first_name", "") or str(getattr(e, "username", e)) for e in outsiders)
        raise field_error("experts", "not_an_expert", lazy_format(_("Not in the expert pool: %(names)s."), {"names": names}))
    return sorted(i for i in ids if isinstance(i, int))


# What a proposal is about, for matching experts' fields: its needs' purposes.
PURPOSE_FIELDS = {"elderly": "elderly", "hardship": "hardship", "children": "children", "disability": "disability",
                  "education": "children", "governance": "community", "emergency": "hardship", "general": "social_work"}


def _proposal_fields(proposal_ids: list[int]) -> dict[int, frozenset[str]]:
    out: dict[int, set[str]] = {pid: set() for pid in proposal_ids}
    for pid, category in Proposal.needs.through.objects.filter(proposal_id__in=proposal_ids).values_list(
            "proposal_id", "need__category"):
        out[pid].add(PURPOSE_FIELDS.get(category, "social_work"))
    return {pid: frozenset(fields or {"social_work"}) for pid, fields in out.items()}


@transaction.atomic
def reviews_assign(*, actor: Any, round: GrantRound, experts: list[Any]) -> list[Assignment]:
    """Give each feasible proposal the round's number of reviewers from `experts`, by one optimal assignment
    (core.assignment): loads in the round as even as they can be, each expert within their ceiling, never one tied
    to the applicant or away, and among equally even plans the most experts who know the proposal's field. Run again,
    it tops up: reviews already assigned stay, recused ones (and any assigned reviewer found tied since) are
    replaced. All or nothing: if a proposal cannot be covered, nothing is written. Returns the round's active
    assignments."""
    require_round_staff(actor, round)
    locked = GrantRound.objects.select_for_update().get(pk=round.pk)
    _require_assigning(locked)
    chosen = _experts_in(experts)
    proposals = list(Proposal.objects.filter(round=locked, status=ProposalStatus.FEASIBLE).order_by("number")
                     .values_list("id", "number", "applicant_id"))
    existing = list(Assignment.objects.select_for_update(of=("self",)).filter(proposal__round=locked).order_by("id"))
    applicant = {pid: org for pid, _n, org in proposals}
    conflicts = reviewer_conflicts(round_id=locked.pk, reviewer_ids=set(chosen) | {a.reviewer_id for a in existing},
                                   organization_ids=set(applicant.values()))
    # Reviewers assigned earlier who are now found tied to the applicant (a role or a tie since) step back.
    stale = [a for a in existing if a.status == AssignmentStatus.ASSIGNED and a.proposal_id in applicant
             and (a.reviewer_id, applicant[a.proposal_id]) in conflicts]
    stale_ids = {a.pk for a in stale}
    load = Counter(a.reviewer_id for a in existing if a.status in ACTIVE and a.pk not in stale_ids)
    pool = assignable(expert_pool(on=timezone.localdate(), user_ids=chosen), load=load)
    active = Counter(a.proposal_id for a in existing if a.status in ACTIVE and a.pk not in stale_ids)
    fields = _proposal_fields(list(applicant))
    items: list[solver.Item[int]] = [solver.Item(key=pid, need=max(0, locked.reviewers_per_proposal - active[pid]), fields=fields[pid])
             for pid, _n, _org in proposals]
    excluded = {(a.proposal_id, a.reviewer_id) for a in existing}
    excluded |= {(pid, e.key) for pid, org in applicant.items() for e in pool if (e.key, org) in conflicts}
    plan = solver.assign(items, pool, excluded=excluded)
    if not plan.complete:
        number = {pid: n for pid, n, _org in proposals}
        short = sorted((number[pid], need, eligible) for pid, (need, eligible) in plan.short.items())
        raise field_error("experts", "not_enough_reviewers", lazy_format(
            _("Not enough experts may review proposal No. %(numbers)s (needs %(need)s more, %(eligible)s eligible)."),
            {"numbers": "、".join(str(n) for n, _need, _e in short), "need": short[0][1], "eligible": short[0][2]}))
    for a in stale:
        _recuse(actor=actor, assignment=a, reason=_conflict_reason(conflicts[(a.reviewer_id, applicant[a.proposal_id])]))
    Assignment.objects.bulk_create([Assignment(proposal_id=pid, reviewer_id=user_id) for pid, user_id in plan.pairs])
    skipped = {str(n): sorted(u for u in chosen if (u, org) in conflicts) for _pid, n, org in proposals}
    audit_log(actor=actor, action="grants.reviews.assign", obj=locked, after={
        "assigned": [[pid, user_id] for pid, user_id in plan.pairs], "recused": sorted(stale_ids),
        "skipped": {n: users for n, users in skipped.items() if users}, "max_load": plan.max_load,
        "field_matches": plan.field_matches})
    return list(Assignment.objects.filter(proposal__round=locked, proposal__status=ProposalStatus.FEASIBLE, status__in=ACTIVE)
                .select_related("proposal", "reviewer").order_by("proposal__number", "id"))


# --- scores --------------------------------------------------------------------------------------------------------

def _score_in(value: Any, *, criterion: Criterion) -> int:
    field = f"scores.{criterion.pk}"
    message = lazy_format(_("%(criterion)s is scored with a whole number from 0 to %(max)s."),
                          {"criterion": criterion.name, "max": criterion.max_score})
    try:
        return int_in(value, field=field, minimum=0, maximum=criterion.max_score)
    except ValidationFailed:
        raise field_error(field, "score_out_of_rubric", message) from None


def _scores_in(raw: Any, criteria: list[Criterion], checks: Checks) -> dict[int, int]:
    incomplete = field_error("scores", "scores_incomplete", _("Score every criterion of the rubric, each once."))
    if not isinstance(raw, dict):
        raise incomplete
    by_id = {c.pk: c for c in criteria}
    given: dict[int, Any] = {}
    for key, value in raw.items():
        cid = key if isinstance(key, int) and not isinstance(key, bool) else id_param(key)
        if cid is None or cid not in by_id or cid in given:
            raise incomplete
        given[cid] = value
    if set(given) != set(by_id):
        raise incomplete
    out = {cid: checks(_score_in, value, criterion=by_id[cid]) for cid, value in sorted(given.items())}
    return out


@transaction.atomic
def review_submit(*, actor: Any, assignment: Assignment, scores: dict[Any, Any], comment: str = "") -> Assignment:
    """The assigned reviewer's scores, one whole number per criterion of the rubric, while expert review is open;
    once submitted, a review stands (submitting again is refused)."""
    _require_reviewer(actor, assignment)
    locked = Assignment.objects.select_for_update(of=("self",)).select_related("proposal__round").get(pk=assignment.pk)
    if locked.status == AssignmentStatus.SUBMITTED:
        raise Conflict("review_submitted", _("This review has been submitted."))
    if locked.status == AssignmentStatus.RECUSED:
        raise Conflict("review_recused", _("You stepped back from this review."))
    proposal, round = locked.proposal, locked.proposal.round
    phases.require_open(round, PhaseKind.REVIEW)
    if proposal.status != ProposalStatus.FEASIBLE:
        raise Conflict("proposal_not_in_review", _("This proposal is no longer under review."))
    if reviewer_conflicts(round_id=round.pk, reviewer_ids=[actor.pk], organization_ids=[proposal.applicant_id]):
        raise Conflict("reviewer_tied", _("You work for the applicant or declared a tie to it: step back from this review."))
    criteria = list(Criterion.objects.filter(round=round).order_by("n"))
    if not criteria:
        raise Conflict("no_rubric", _("This round has no rubric yet."))
    checks = Checks()
    values = _scores_in(scores, criteria, checks)
    text = checks(text_in, comment, field="comment", max_length=COMMENT_MAX, multiline=True)
    checks.done()
    Score.objects.bulk_create([Score(assignment=locked, criterion_id=cid, value=v) for cid, v in values.items()])
    now = timezone.now()
    return transition(locked, to=AssignmentStatus.SUBMITTED, allowed_from=[AssignmentStatus.ASSIGNED], actor=actor,
                      action="grants.review.submit", changes=lambda _a: {"submitted_at": now, "comment": text},
                      audit={"scores": {str(cid): v for cid, v in values.items()}})
