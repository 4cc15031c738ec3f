"""Expert review of assessments: experts assigned by the one optimal assignment (core.assignment, as for grant
proposals), recused automatically when tied to the organization (people.selectors_experts, the pool's one rule), a
site inspector for assessments heading for 3A and above, in a station call the purchaser's officer and the
supervisor, and each reviewer's marks of the indicators they mark (`scoring.rated_by`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from shanlian.core import assignment as solver
from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, PermissionDenied, field_error, lazy_format
from shanlian.core.inputs import model_text
from shanlian.core.scoping import Role
from shanlian.core.transitions import transition
from shanlian.people.models import RoleGrant
from shanlian.people.selectors_experts import WORKS_FOR, Recusal, assignable, expert_conflicts, expert_pool

from .. import scoring
from ..access import purchaser_officers, require_committee, require_expert, require_purchaser
from ..models import Assessment, AssessmentStatus, Call, CallStatus, RaterKind, Reviewer, ReviewerStatus
from .assessments import leaves_of, marks_in, ratings_write
from .decisions import survey_marks

ACTIVE = (ReviewerStatus.ASSIGNED, ReviewerStatus.SUBMITTED)
EXPERTS_MAX = 300
# What an organization's evaluation is about, for matching experts' fields: governance and finance always.
ORG_FIELDS = frozenset({"governance", "finance"})


def _recorded(message: Any) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)[:200]


def recusal_reason(recusal: Recusal) -> str:
    if recusal.kind == WORKS_FOR:
        return _recorded(_("Works for the organization."))
    if recusal.note:
        return _recorded(lazy_format(_("Tied to the organization: %(note)s"), {"note": recusal.note}))
    return _recorded(_("Tied to the organization."))


def _experts_in(experts: Any) -> list[int]:
    if not isinstance(experts, list | tuple) or not experts:
        raise field_error("experts", "invalid_experts", _("Choose the experts from the expert pool."))
    if len(experts) > EXPERTS_MAX:
        raise field_error("experts", "too_many_experts", lazy_format(_("At most %(max)s experts at a time."), {"max": EXPERTS_MAX}))
    ids: list[int] = sorted({i for i in (getattr(e, "pk", e) for e in experts) if isinstance(i, int) and not isinstance(i, bool)})
    holders = set(RoleGrant.objects.filter(user_id__in=ids, role=Role.EXPERT, revoked_at__isnull=True,
                                           user__is_active=True).values_list("user_id", flat=True))
    if len(holders) != len(ids) or len(ids) != len(experts):
        raise field_error("experts", "not_an_expert", _("Choose only experts of the pool."))
    return ids


@transaction.atomic
def reviewers_assign(*, actor: Any, call: Call, experts: list[Any]) -> list[Reviewer]:
    """Give every submitted assessment of the call its number of experts, by one optimal assignment over the whole
    call: loads as even as they can be, each expert within their ceiling, none tied to the organization or away.
    Run again, it tops up (recused reviewers are replaced, anyone found tied since steps back). All or nothing.
    Assessments given their experts move to expert review."""
    require_committee(actor, call.region)
    locked = Call.objects.select_for_update().get(pk=call.pk)
    if locked.status != CallStatus.OPEN:
        raise Conflict("call_closed", _("This call is closed."))
    chosen = _experts_in(experts)
    rows = list(Assessment.objects.select_for_update().filter(
        call=locked, status__in=[AssessmentStatus.SUBMITTED, AssessmentStatus.REVIEW]).order_by("id"))
    if not rows:
        raise Conflict("nothing_to_assign", _("No submitted self-assessment awaits experts."))
    existing = list(Reviewer.objects.select_for_update().filter(assessment__in=rows, role=RaterKind.EXPERT).order_by("id"))
    org_of = {a.pk: a.organization_id for a in rows}
    conflicts = expert_conflicts(user_ids=set(chosen) | {r.user_id for r in existing}, organization_ids=set(org_of.values()),
                                 on=timezone.localdate())
    stale = [r for r in existing if r.status == ReviewerStatus.ASSIGNED and (r.user_id, org_of[r.assessment_id]) in conflicts]
    stale_ids = {r.pk for r in stale}
    live = [r for r in existing if r.status in ACTIVE and r.pk not in stale_ids]
    load = Counter(Reviewer.objects.filter(assessment__call=locked, status__in=ACTIVE).exclude(pk__in=stale_ids)
                   .values_list("user_id", flat=True).order_by())
    pool = assignable(expert_pool(on=timezone.localdate(), user_ids=chosen), load=load)
    have = Counter(r.assessment_id for r in live)
    items: list[solver.Item[int]] = [solver.Item(key=a.pk, need=max(0, locked.reviewers - have[a.pk]), fields=ORG_FIELDS) for a in rows]
    excluded = {(r.assessment_id, r.user_id) for r in existing}
    excluded |= {(a.pk, e.key) for a in rows for e in pool if (e.key, a.organization_id) in conflicts}
    plan = solver.assign(items, pool, excluded=excluded)
    if not plan.complete:
        short = Assessment.objects.filter(pk__in=list(plan.short)).select_related("organization")
        names = {a.pk: a.organization.name for a in short}
        need, eligible = next(iter(plan.short.values()))
        raise field_error("experts", "not_enough_reviewers", lazy_format(
            _("Not enough experts may review %(orgs)s (needs %(need)s more, %(eligible)s eligible)."),
            {"orgs": "、".join(sorted(names.values())), "need": need, "eligible": eligible}))
    for r in stale:
        _recuse(actor=actor, reviewer=r, reason=recusal_reason(conflicts[(r.user_id, org_of[r.assessment_id])]))
    Reviewer.objects.bulk_create([Reviewer(assessment_id=aid, user_id=uid, role=RaterKind.EXPERT) for aid, uid in plan.pairs])
    for a in rows:
        if a.status == AssessmentStatus.SUBMITTED:
            transition(a, to=AssessmentStatus.REVIEW, allowed_from=[AssessmentStatus.SUBMITTED], actor=actor,
                       action="evaluation.assessment.review")
    audit_log(actor=actor, action="evaluation.reviewers.assign", obj=locked, after={
        "assigned": [[aid, uid] for aid, uid in plan.pairs], "recused": sorted(stale_ids), "max_load": plan.max_load})
    return list(Reviewer.objects.filter(assessment__call=locked, role=RaterKind.EXPERT, status__in=ACTIVE)
                .select_related("assessment__organization", "user").order_by("assessment_id", "id"))


NAMED_ROLES = (RaterKind.SITE, RaterKind.PURCHASER, RaterKind.SUPERVISOR)


@transaction.atomic
def rater_name(*, actor: Any, assessment: Assessment, user: Any, role: str = RaterKind.SITE) -> Reviewer:
    """Name one more rater of an assessment under review: the expert who inspects on site (required before a
    decision of 3A or above); in a station call whose framework has their part, the supervisor (an expert of the
    pool, untied) and the purchaser's officer (a street officer of the station's street)."""
    require_committee(actor, assessment.call.region)
    # No outer join under FOR UPDATE (PostgreSQL refuses it): the station, which may be none, is read after.
    locked = Assessment.objects.select_for_update().select_related("framework").get(pk=assessment.pk)
    if locked.status != AssessmentStatus.REVIEW:
        raise Conflict("not_in_review", _("Raters are named while the assessment is under expert review."))
    if role not in NAMED_ROLES:
        raise field_error("role", "invalid_role", _("Name a site inspector, the supervisor or the purchaser's officer."))
    if role != RaterKind.SITE and role not in scoring.outside_kinds(leaves_of(locked.framework)):
        raise field_error("role", "role_not_in_framework", lazy_format(
            _("This framework has no indicators for %(role)s."), {"role": RaterKind(role).label}))
    user_id = getattr(user, "pk", None)
    if role == RaterKind.PURCHASER:
        if locked.station is None or user_id not in purchaser_officers(locked.station):
            raise field_error("user", "not_purchaser", _("Choose a street officer of the station's street."))
    else:
        [user_id] = _experts_in([user])
        recusal = expert_conflicts(user_ids=[user_id], organization_ids=[locked.organization_id], on=timezone.localdate())
        if recusal:
            raise Conflict("reviewer_tied", lazy_format(_("This expert may not rate the organization: %(why)s"),
                                                        {"why": recusal_reason(next(iter(recusal.values())))}))
    if Reviewer.objects.filter(assessment=locked, user_id=user_id).exists():
        raise Conflict("already_reviewer", _("This person already rates this assessment; name another."))
    if role != RaterKind.SITE and Reviewer.objects.filter(assessment=locked, role=role).exclude(status=ReviewerStatus.RECUSED).exists():
        raise Conflict("rater_named", lazy_format(_("%(role)s has been named."), {"role": RaterKind(role).label}))
    reviewer = Reviewer.objects.create(assessment=locked, user_id=user_id, role=role)
    audit_log(actor=actor, action="evaluation.rater.name", obj=locked, after={"user": user_id, "role": role})
    return reviewer


def _recuse(*, actor: Any, reviewer: Reviewer, reason: str) -> Reviewer:
    return transition(reviewer, to=ReviewerStatus.RECUSED, allowed_from=[ReviewerStatus.ASSIGNED], actor=actor,
                      action="evaluation.review.recuse", changes=lambda _r: {"recusal_reason": reason}, audit={"reason": reason})


def _require_own(actor: Any, reviewer: Reviewer) -> None:
    if reviewer.role == RaterKind.PURCHASER:
        require_purchaser(actor, reviewer.assessment.station)
    else:
        require_expert(actor)
    if reviewer.user_id != actor.pk:
        raise PermissionDenied("not_your_review", _("Only the expert assigned may do this."))


@transaction.atomic
def evaluation_recuse(*, actor: Any, reviewer: Reviewer, reason: str) -> Reviewer:
    """The expert steps back, saying why; the next assignment run replaces them."""
    _require_own(actor, reviewer)
    why = model_text(Reviewer, "recusal_reason", reason, field="reason", required=True)
    locked = Reviewer.objects.select_for_update().get(pk=reviewer.pk)
    if locked.status == ReviewerStatus.SUBMITTED:
        raise Conflict("review_submitted", _("This review has been submitted."))
    return _recuse(actor=actor, reviewer=locked, reason=why)


@transaction.atomic
def evaluation_review_submit(*, actor: Any, reviewer: Reviewer, marks: Any, comment: str = "") -> Reviewer:
    """A reviewer's marks of every indicator they mark (an expert's or a site inspector's: all but those of a station's
    purchaser and supervisor; theirs: their part), once, while the assessment is under review."""
    _require_own(actor, reviewer)
    locked = Reviewer.objects.select_for_update().select_related("assessment__call", "assessment__framework").get(pk=reviewer.pk)
    if locked.status == ReviewerStatus.SUBMITTED:
        raise Conflict("review_submitted", _("This review has been submitted."))
    if locked.status == ReviewerStatus.RECUSED:
        raise Conflict("review_recused", _("You stepped back from this review."))
    assessment = locked.assessment
    if assessment.status != AssessmentStatus.REVIEW:
        raise Conflict("not_in_review", _("This assessment is no longer under review."))
    if locked.role != RaterKind.PURCHASER and expert_conflicts(user_ids=[actor.pk], organization_ids=[assessment.organization_id],
                                                               on=timezone.localdate()):
        raise Conflict("reviewer_tied", _("You are tied to this organization: step back from this review."))
    leaves = leaves_of(assessment.framework)
    surveyed = frozenset(survey_marks(assessment, leaves))  # the surveys mark these: a rater may leave them
    given = marks_in(leaves, marks, rater=locked.role, complete=True, surveyed=surveyed)
    note = model_text(Reviewer, "comment", comment, field="comment")
    ratings_write(assessment=assessment, kind=locked.role, rater=actor, marks=given)
    return transition(locked, to=ReviewerStatus.SUBMITTED, allowed_from=[ReviewerStatus.ASSIGNED], actor=actor,
                      action="evaluation.review.submit", changes=lambda _r: {"submitted_at": timezone.now(), "comment": note})
