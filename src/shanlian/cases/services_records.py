"""Every write of the case cycle's second half: service records (never deleted, corrected with a trace), reviews
measured against the plan's goals, closure with the supervisor's approval, and referrals made only under a valid
consent (`services.consent_require`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, PermissionDenied, field_error
from shanlian.core.inputs import Checks, int_in, text_in
from shanlian.core.transitions import transition
from shanlian.orgs.models import Organization
from shanlian.people.models import Person
from shanlian.people.selectors import actor_scope

from . import instruments
from ._common import _past_day
from .models import (
    Assessment,
    AssessmentKind,
    CareKind,
    Case,
    CaseStatus,
    GoalResult,
    PlanStatus,
    Purpose,
    RecordKind,
    Referral,
    ReferralStatus,
    Review,
    ReviewGoal,
    ReviewKind,
    ServiceRecord,
)
from .models.cycle import MINUTES_MAX, PERSON_TIMES_MAX
from .services import consent_require
from .services_cycle import NOTES_MAX, REASON_MAX, _not_own, _open, bump, case_team, supervisor

HELPERS_MAX = 10


# --- service records ------------------------------------------------------------------------------------------------

def _record_values(checks: Checks, case: Case, *, kind: str, care_kind: str, served_on: Any, minutes: Any, person_times: Any,
                   notes: str, co_workers: Sequence[Any], volunteers: Sequence[Person]) -> dict[str, Any]:
    if kind not in RecordKind.values:
        checks.failed.append(field_error("kind", "invalid_choice", _("Choose the kind of service.")))
    if care_kind not in CareKind.values:
        checks.failed.append(field_error("care_kind", "invalid_choice", _("Choose the kind of care.")))
    _past_day(checks, served_on, "served_on")
    if isinstance(served_on, dt.date) and served_on < case.opened_on:
        checks.failed.append(field_error("served_on", "before_case_opened", _("This day comes before the case was opened.")))
    values = {
        "kind": kind, "care_kind": care_kind, "served_on": served_on,
        "minutes": checks(int_in, minutes, field="minutes", minimum=1, maximum=MINUTES_MAX),
        "person_times": checks(int_in, person_times, field="person_times", minimum=1, maximum=PERSON_TIMES_MAX),
        "notes_enc": crypto.encrypt(checks(text_in, notes, field="notes", max_length=NOTES_MAX, multiline=True) or ""),
    }
    if len(co_workers) > HELPERS_MAX or len(volunteers) > HELPERS_MAX:
        checks.failed.append(field_error("co_workers", "too_many", _("At most 10 others.")))
    elif any(not actor_scope(u).is_station_staff(case.station_id) for u in co_workers):
        checks.failed.append(field_error("co_workers", "not_station_staff", _("Name only the station's staff as workers.")))
    return values


@transaction.atomic
def record_add(*, actor: Any, case: Case, kind: str, care_kind: str, served_on: dt.date, minutes: int, person_times: int = 1,
               notes: str = "", co_workers: Sequence[Any] = (), volunteers: Sequence[Person] = ()) -> ServiceRecord:
    """A visit or session of an open case, by the actor (with other workers and volunteers); notes encrypted."""
    case_team(actor, case)
    _open(case)
    checks = Checks()
    values = _record_values(checks, case, kind=kind, care_kind=care_kind, served_on=served_on, minutes=minutes,
                            person_times=person_times, notes=notes, co_workers=co_workers, volunteers=volunteers)
    checks.done()
    made = ServiceRecord.objects.create(case=case, station_id=case.station_id, worker=actor, recorded_by=actor, **values)
    made.co_workers.set(co_workers)
    made.volunteers.set(volunteers)
    audit_log(actor=actor, action="cases.record_add", obj=made, after={
        "case": case.pk, "kind": kind, "care_kind": care_kind, "served_on": served_on.isoformat(), "minutes": values["minutes"],
        "person_times": values["person_times"]})
    return made


@transaction.atomic
def record_correct(*, actor: Any, record: ServiceRecord, reason: str, kind: str, care_kind: str, served_on: dt.date,
                   minutes: int, person_times: int = 1, notes: str = "", co_workers: Sequence[Any] = (),
                   volunteers: Sequence[Person] = ()) -> ServiceRecord:
    """A record is never changed: the correction is a new record pointing to it, with the reason; the old one stays, no
    longer current. A record already corrected is refused (`already_corrected`): correct the correction."""
    case = Case.objects.select_related("beneficiary", "station").get(pk=record.case_id)
    case_team(actor, case)
    checks = Checks()
    why = checks(text_in, reason, field="reason", max_length=200, required=True)
    values = _record_values(checks, case, kind=kind, care_kind=care_kind, served_on=served_on, minutes=minutes,
                            person_times=person_times, notes=notes, co_workers=co_workers, volunteers=volunteers)
    checks.done()
    old = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if not old.current or ServiceRecord.objects.filter(corrects=old).exists():
        raise Conflict("already_corrected", _("This record has been corrected already: correct the latest version."))
    old.current = False
    old.save(update_fields=["current"])
    made = ServiceRecord.objects.create(case=case, station_id=case.station_id, worker=actor, recorded_by=actor, corrects=old,
                                        correction_reason=why, **values)
    made.co_workers.set(co_workers)
    made.volunteers.set(volunteers)
    audit_log(actor=actor, action="cases.record_correct", obj=made, before={"record": old.pk, "served_on": old.served_on.isoformat(),
                                                                           "minutes": old.minutes, "kind": old.kind},
              after={"reason": why, "served_on": served_on.isoformat(), "minutes": values["minutes"], "kind": kind})
    return made


# --- reviews --------------------------------------------------------------------------------------------------------

def _after_score(case: Case, goal: Any, day: dt.date) -> int | None:
    """The goal's score after: the latest review or final assessment with its instrument on or before the day."""
    return (Assessment.objects.filter(case=case, instrument_id=goal.instrument_id, assessed_on__lte=day,
                                      kind__in=[AssessmentKind.REVIEW, AssessmentKind.FINAL])
            .order_by("-assessed_on", "-id").values_list("score", flat=True).first())


def goal_result(goal: Any, after: int | None) -> str | None:
    """Met when the target is reached, partly when the score moved the right way from the baseline, else not met; None
    for a goal without a measure (the worker says)."""
    if goal.instrument is None or after is None:
        return None
    if instruments.reached(goal.instrument, after, goal.target_score):
        return GoalResult.MET
    if instruments.improved(goal.instrument, goal.baseline_score, after):
        return GoalResult.PARTLY
    return GoalResult.NOT_MET


@transaction.atomic
def review_record(*, actor: Any, case: Case, kind: str, reviewed_on: dt.date | None = None, summary: str = "",
                  results: Mapping[int, str] | None = None, after_scores: Mapping[int, int] | None = None) -> Review:
    """A review of a case in service, goal by goal against the approved plan: the score before (the goal's baseline),
    after (given, or the latest review assessment with the goal's instrument) and the result (computed for a measured
    goal unless given; required for the others). The case moves to reviewing."""
    case_team(actor, case)
    results, after_scores = dict(results or {}), dict(after_scores or {})
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status not in (CaseStatus.IN_SERVICE, CaseStatus.REVIEWING):
        raise Conflict("invalid_transition", _("A review comes after the plan is approved and the service has begun."))
    plan = locked.plan
    goals = list(plan.goals.select_related("instrument"))
    checks = Checks()
    if kind not in ReviewKind.values:
        checks.failed.append(field_error("kind", "invalid_choice", _("Choose the kind of review.")))
    reviewed_on = reviewed_on or timezone.localdate()
    _past_day(checks, reviewed_on, "reviewed_on")
    note = checks(text_in, summary, field="summary", max_length=NOTES_MAX, multiline=True) or ""
    unknown = (set(results) | set(after_scores)) - {g.pk for g in goals}
    if unknown:
        checks.failed.append(field_error("results", "unknown_goal", _("This goal is not in the case's plan.")))
    rows = []
    for goal in goals:
        after = after_scores.get(goal.pk)
        if after is not None and goal.instrument is not None:
            after = checks(int_in, after, field=f"goal_{goal.order}_after", minimum=goal.instrument.min_score,
                           maximum=goal.instrument.max_score)
        elif goal.instrument is not None and isinstance(reviewed_on, dt.date):
            after = _after_score(locked, goal, reviewed_on)
        else:
            after = None
        result = results.get(goal.pk) or goal_result(goal, after)
        if result not in GoalResult.values:
            checks.failed.append(field_error(f"goal_{goal.order}_result", "result_required",
                                             _("Say whether this goal was met.")))
        rows.append(ReviewGoal(goal=goal, before_score=goal.baseline_score, after_score=after, result=result or ""))
    checks.done()
    made = Review.objects.create(case=locked, kind=kind, reviewed_on=reviewed_on, summary_enc=crypto.encrypt(note),
                                 recorded_by=actor)
    for row in rows:
        row.review = made
    ReviewGoal.objects.bulk_create(rows)
    transition(locked, to=CaseStatus.REVIEWING, allowed_from=[CaseStatus.IN_SERVICE], actor=actor, action="cases.case_reviewing")
    audit_log(actor=actor, action="cases.review_record", obj=made, after={
        "case": locked.pk, "kind": kind, "reviewed_on": reviewed_on.isoformat(),
        "results": {str(r.goal.order): r.result for r in rows}, "plan_status": PlanStatus.APPROVED})
    return made


@transaction.atomic
def case_resume(*, actor: Any, case: Case, version: int) -> Case:
    """After a review, service goes on under the same plan."""
    case_team(actor, case)
    bump(Case, case.pk, version)
    return transition(case, to=CaseStatus.IN_SERVICE, allowed_from=[CaseStatus.REVIEWING], actor=actor, action="cases.case_resume")


# --- closure --------------------------------------------------------------------------------------------------------

@transaction.atomic
def closure_request(*, actor: Any, case: Case, version: int, summary: str) -> Case:
    """The worker asks to close a reviewed case (`review_required` before a review), with a summary (encrypted)."""
    case_team(actor, case)
    note = text_in(summary, field="summary", max_length=NOTES_MAX, required=True, multiline=True)
    if case.status == CaseStatus.REVIEWING and not Review.objects.filter(case=case).exists():
        raise Conflict("review_required", _("Review the case against its goals before asking to close it."))
    bump(Case, case.pk, version)
    return transition(case, to=CaseStatus.CLOSURE_SUBMITTED, allowed_from=[CaseStatus.REVIEWING], actor=actor,
                      action="cases.closure_request",
                      changes=lambda c: {"closure_submitted_by": actor, "closure_summary_enc": crypto.encrypt(note),
                                         "closure_return_reason": ""})


@transaction.atomic
def closure_approve(*, actor: Any, case: Case, version: int) -> Case:
    """The supervisor closes the case (not the worker who asked or owns it: `own_closure`)."""
    scope = supervisor(actor, case)
    _not_own(scope, actor, case, case.closure_submitted_by_id, "own_closure")
    bump(Case, case.pk, version)
    today = timezone.localdate()
    return transition(case, to=CaseStatus.CLOSED, allowed_from=[CaseStatus.CLOSURE_SUBMITTED], actor=actor,
                      action="cases.closure_approve", changes=lambda c: {"closure_decided_by": actor, "closed_on": today})


@transaction.atomic
def closure_return(*, actor: Any, case: Case, version: int, reason: str) -> Case:
    scope = supervisor(actor, case)
    _not_own(scope, actor, case, case.closure_submitted_by_id, "own_closure")
    why = text_in(reason, field="reason", max_length=REASON_MAX, required=True)
    bump(Case, case.pk, version)
    return transition(case, to=CaseStatus.REVIEWING, allowed_from=[CaseStatus.CLOSURE_SUBMITTED], actor=actor,
                      action="cases.closure_return", changes=lambda c: {"closure_decided_by": actor, "closure_return_reason": why},
                      audit={"reason": why})


# --- referrals ------------------------------------------------------------------------------------------------------

def referral_send(*, actor: Any, case: Case, organization: Organization, reason: str,
                  referred_on: dt.date | None = None) -> Referral:
    """A referral to an organization, only under a consent for referral naming it, given and neither withdrawn nor
    expired on the day (`consent_missing`, `consent_withdrawn`, `consent_expired`); a refusal is logged too."""
    case_team(actor, case)
    _open(case)
    checks = Checks()
    why = checks(text_in, reason, field="reason", max_length=NOTES_MAX, required=True, multiline=True)
    referred_on = referred_on or timezone.localdate()
    _past_day(checks, referred_on, "referred_on")
    if organization.pk in (case.station.agency_id,):
        checks.failed.append(field_error("organization", "own_agency", _("Refer to another organization than the station's own.")))
    checks.done()
    try:
        consent = consent_require(case.beneficiary, Purpose.REFERRAL, organization, on=referred_on)
    except PermissionDenied as exc:  # logged outside any transaction, so the refusal stays in the log
        audit_log(actor=actor, action="cases.referral.denied", obj=case, after={"organization": organization.pk, "code": exc.code})
        raise
    assert consent is not None and why is not None
    return _referral_create(actor, case, organization, consent, why, referred_on)


@transaction.atomic
def _referral_create(actor: Any, case: Case, organization: Organization, consent: Any, why: str,
                     referred_on: dt.date) -> Referral:
    made = Referral.objects.create(case=case, organization=organization, consent=consent, referred_on=referred_on,
                                   reason_enc=crypto.encrypt(why), status_on=referred_on, recorded_by=actor)
    audit_log(actor=actor, action="cases.referral_send", obj=made, after={
        "case": case.pk, "organization": organization.pk, "consent": consent.pk, "referred_on": referred_on.isoformat()})
    return made


REFERRAL_FROM = {ReferralStatus.ACCEPTED: [ReferralStatus.SENT], ReferralStatus.DECLINED: [ReferralStatus.SENT],
                 ReferralStatus.COMPLETED: [ReferralStatus.ACCEPTED]}


@transaction.atomic
def referral_update(*, actor: Any, referral: Referral, status: str, outcome: str = "") -> Referral:
    """What the receiving organization answered: accepted or declined, then completed (`invalid_transition` otherwise)."""
    case_team(actor, referral.case)
    if status not in REFERRAL_FROM:
        raise field_error("status", "invalid_choice", _("Choose accepted, declined or completed."))
    note = text_in(outcome, field="outcome", max_length=200)
    today = timezone.localdate()
    return transition(referral, to=status, allowed_from=REFERRAL_FROM[ReferralStatus(status)], actor=actor,
                      action="cases.referral_update", changes=lambda r: {"status_on": max(today, r.referred_on), "outcome": note})
