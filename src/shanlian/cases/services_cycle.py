"""Every write of the case cycle's first half: opening a case, correcting it, assessments, the service plan and its
approval. States move through `core.transitions.transition`; a case or a plan is changed only by someone passing the
version they read, checked by a conditional UPDATE (`bump`), so of two concurrent writers one wins and the other is
refused with `stale`. Texts about the person are encrypted; the audit log names what changed, never the values."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.core.audit import access_denied, audit_log
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, field_error
from shanlian.core.inputs import Checks, int_in, text_in
from shanlian.core.scoping import Scope
from shanlian.core.transitions import transition
from shanlian.people.selectors import actor_scope, signed_in_scope

from . import access, instruments
from ._common import _locked, _past_day, _team
from .access import Sight
from .models import (
    OPEN_STATUSES,
    Assessment,
    AssessmentKind,
    Beneficiary,
    BeneficiaryStatus,
    CareKind,
    Case,
    CaseSource,
    CaseStatus,
    Goal,
    Instrument,
    Plan,
    PlanStatus,
)
from .models.cycle import VISIT_DAYS_MAX

PROBLEM_MAX = 1000
NOTES_MAX = 2000
REASON_MAX = 500
GOALS_MAX = 10
PLAN_YEARS_MAX = 2


def bump(model: type[models.Model], pk: int, version: Any, **values: Any) -> int:
    """Move a row's version from `version` to the next one, with `values`, in one conditional UPDATE … WHERE version = n:
    a writer who read an older version is refused (`stale`), and of two concurrent writers only the first wins (the
    second waits for the first's row lock, then finds the version moved)."""
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 2**31 - 1:
        raise field_error("version", "invalid_version", _("Send the version you read."))
    if not model._default_manager.filter(pk=pk, version=version).update(version=F("version") + 1, **values):
        raise Conflict("stale", _("Someone changed this after you opened it: reload it and make your change again."))
    return version + 1


def case_team(actor: Any, case: Case) -> Scope:
    """The case team writes about the case (as about its beneficiary); officers are refused, anyone else gets a 404."""
    return _team(actor, case.beneficiary)


def supervisor(actor: Any, case: Case) -> Scope:
    """The station's supervisor (the agency's manager) decides on plans and closures; the rest of the team is refused
    (`not_supervisor`), anyone who does not see the case gets a 404."""
    scope = signed_in_scope(actor)
    if access.station_sight(scope, case.station) is Sight.NONE:
        access_denied(user_id=scope.user_id, object_type="cases.case", object_id=case.pk)
        raise NotFound()
    if not access.is_supervisor(scope, case.station):
        raise PermissionDenied("not_supervisor", _("Only the supervisor (the agency's manager) approves plans and closures."))
    return scope


def _open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise Conflict("case_closed", _("This case is closed."))


def _owner(checks: Checks, owner: Any, case_station_id: int) -> None:
    if owner is None or not actor_scope(owner).is_station_staff(case_station_id):
        checks.failed.append(field_error("owner", "not_station_staff", _("The case worker must be one of the station's staff.")))


# --- cases ----------------------------------------------------------------------------------------------------------

@transaction.atomic
def case_open(*, actor: Any, beneficiary: Beneficiary, source: str, problem: str, opened_on: dt.date | None = None,
              owner: Any = None) -> Case:
    """A case for a beneficiary at their station, owned by a worker of the station (the actor by default). One open case
    per beneficiary (`case_open`, also a conditional unique constraint)."""
    _team(actor, beneficiary)
    owner = owner or actor
    checks = Checks()
    if source not in CaseSource.values:
        checks.failed.append(field_error("source", "invalid_choice", _("Choose how the case came to the station.")))
    text = checks(text_in, problem, field="problem", max_length=PROBLEM_MAX, required=True, multiline=True)
    opened_on = opened_on or timezone.localdate()
    _past_day(checks, opened_on, "opened_on")
    _owner(checks, owner, beneficiary.station_id)
    checks.done()
    locked = _locked(beneficiary)  # two workers opening a case for one person: one waits, then sees the other's
    if locked.status != BeneficiaryStatus.ACTIVE:
        raise Conflict("beneficiary_closed", _("This person is no longer served by the station."))
    if Case.objects.filter(beneficiary=locked, status__in=OPEN_STATUSES).exists():
        raise Conflict("case_open", _("This person already has an open case."))
    made = Case.objects.create(beneficiary=locked, station_id=locked.station_id, owner=owner, opened_on=opened_on, source=source,
                               problem_enc=crypto.encrypt(text), opened_by=actor)
    audit_log(actor=actor, action="cases.case_open", obj=made, after={
        "beneficiary": locked.pk, "station": locked.station_id, "owner": owner.pk, "source": source,
        "opened_on": opened_on.isoformat()})
    return made


@transaction.atomic
def case_update(*, actor: Any, case: Case, version: int, owner: Any = None, source: str | None = None,
                problem: str | None = None) -> Case:
    """Change the worker, the source or the presenting problem of an open case, under the version read (`stale`)."""
    case_team(actor, case)
    _open(case)
    checks = Checks()
    values: dict[str, Any] = {}
    if owner is not None and owner.pk != case.owner_id:
        _owner(checks, owner, case.station_id)
        values["owner"] = owner
    if source is not None and source != case.source:
        if source not in CaseSource.values:
            checks.failed.append(field_error("source", "invalid_choice", _("Choose how the case came to the station.")))
        values["source"] = source
    if problem is not None:
        text = checks(text_in, problem, field="problem", max_length=PROBLEM_MAX, required=True, multiline=True)
        if text is not None and text != crypto.decrypt(case.problem_enc):
            values["problem_enc"] = crypto.encrypt(text)
    checks.done()
    new_version = bump(Case, case.pk, version, **values)
    audit_log(actor=actor, action="cases.case_update", obj=case, after={
        "changed": sorted(k.removesuffix("_enc") for k in values), "version": new_version})
    return Case.objects.select_related("beneficiary", "station", "station__street").get(pk=case.pk)


# --- assessments ----------------------------------------------------------------------------------------------------

# The states in which each kind of assessment is made.
ASSESS_WHEN = {
    AssessmentKind.BASELINE: (CaseStatus.INTAKE, CaseStatus.ASSESSED),
    AssessmentKind.REVIEW: (CaseStatus.IN_SERVICE, CaseStatus.REVIEWING),
    AssessmentKind.FINAL: (CaseStatus.REVIEWING,),
}


@transaction.atomic
def assessment_record(*, actor: Any, case: Case, instrument: Instrument, kind: str, answers: dict[str, Any],
                      assessed_on: dt.date | None = None, notes: str = "") -> Assessment:
    """Answers to an instrument, checked item by item against it and scored by `instruments.score`. A baseline moves the
    case from intake to assessed; a review or final assessment is made during service and review (`invalid_transition`
    otherwise)."""
    case_team(actor, case)
    checks = Checks()
    if kind not in AssessmentKind.values:
        checks.failed.append(field_error("kind", "invalid_choice", _("Choose the kind of assessment.")))
    if not instrument.active:
        checks.failed.append(field_error("instrument", "invalid_choice", _("Choose an active instrument.")))
    assessed_on = assessed_on or timezone.localdate()
    _past_day(checks, assessed_on, "assessed_on")
    if isinstance(assessed_on, dt.date) and assessed_on < case.opened_on:
        checks.failed.append(field_error("assessed_on", "before_case_opened", _("This day comes before the case was opened.")))
    note = checks(text_in, notes, field="notes", max_length=NOTES_MAX, multiline=True) or ""
    total = checks(instruments.score, instrument, answers)
    checks.done()
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status not in ASSESS_WHEN[AssessmentKind(kind)]:
        raise Conflict("invalid_transition", _("This kind of assessment does not fit the case's stage now."))
    made = Assessment.objects.create(case=locked, instrument=instrument, kind=kind, assessed_on=assessed_on,
                                     answers_enc=crypto.encrypt(json.dumps({k: str(answers[k]) for k in sorted(answers)})),
                                     score=total, band=instruments.band(instrument, total), notes_enc=crypto.encrypt(note),
                                     recorded_by=actor)
    if kind == AssessmentKind.BASELINE and locked.status == CaseStatus.INTAKE:
        transition(locked, to=CaseStatus.ASSESSED, allowed_from=[CaseStatus.INTAKE], actor=actor, action="cases.case_assessed")
    audit_log(actor=actor, action="cases.assessment_record", obj=made, after={
        "case": locked.pk, "instrument": instrument.code, "kind": kind, "score": total, "assessed_on": assessed_on.isoformat()})
    return made


# --- plans ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GoalIn:
    text: str
    care_kind: str
    instrument: Instrument | None = None
    target_score: int | None = None


def _goals(checks: Checks, case: Case, goals: Sequence[GoalIn]) -> list[dict[str, Any]]:
    """Each goal's text and kind of care, and its measure: an instrument the case was assessed with (the latest such
    score is the baseline) and a target within the instrument's range."""
    if not goals:
        checks.failed.append(field_error("goals", "goals_required", _("Write at least one goal.")))
        return []
    if len(goals) > GOALS_MAX:
        checks.failed.append(field_error("goals", "too_many", _("At most 10 goals.")))
        return []
    out = []
    for n, goal in enumerate(goals, start=1):
        text = checks(text_in, goal.text, field=f"goal_{n}_text", max_length=200, required=True)
        if goal.care_kind not in CareKind.values:
            checks.failed.append(field_error(f"goal_{n}_care_kind", "invalid_choice", _("Choose the kind of care.")))
        row: dict[str, Any] = {"order": n, "text": text, "care_kind": goal.care_kind, "instrument": None,
                               "baseline_score": None, "target_score": None}
        if goal.instrument is not None or goal.target_score is not None:
            if goal.instrument is None or goal.target_score is None:
                checks.failed.append(field_error(f"goal_{n}_target", "measure_incomplete",
                                                 _("A measure needs both the instrument and a target score.")))
            else:
                baseline = (Assessment.objects.filter(case=case, instrument=goal.instrument)
                            .order_by("-assessed_on", "-id").values_list("score", flat=True).first())
                if baseline is None:
                    checks.failed.append(field_error(f"goal_{n}_instrument", "measure_without_baseline",
                                                     _("Assess the person with this instrument first: its score is the baseline.")))
                target = checks(int_in, goal.target_score, field=f"goal_{n}_target", minimum=goal.instrument.min_score,
                                maximum=goal.instrument.max_score)
                row.update(instrument=goal.instrument, baseline_score=baseline, target_score=target)
        out.append(row)
    return out


@transaction.atomic
def plan_write(*, actor: Any, case: Case, goals: Sequence[GoalIn], starts_on: dt.date, ends_on: dt.date, summary: str = "",
               home_visit_days: int | None = None, version: int | None = None) -> Plan:
    """Write the plan of an assessed case (first time: no version), or change a draft or returned plan under the version
    read (`stale`). A plan being approved or approved is not changed (`invalid_transition`)."""
    case_team(actor, case)
    checks = Checks()
    note = checks(text_in, summary, field="summary", max_length=NOTES_MAX, multiline=True) or ""
    if home_visit_days is not None:
        home_visit_days = checks(int_in, home_visit_days, field="home_visit_days", minimum=1, maximum=VISIT_DAYS_MAX)
    for name, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not isinstance(day, dt.date):
            checks.failed.append(field_error(name, "required", _("This field is required.")))
    if isinstance(starts_on, dt.date) and isinstance(ends_on, dt.date):
        if ends_on <= starts_on:
            checks.failed.append(field_error("ends_on", "dates_reversed", _("The end comes before the start.")))
        elif (ends_on - starts_on).days > 366 * PLAN_YEARS_MAX or starts_on < case.opened_on:
            checks.failed.append(field_error("ends_on", "date_out_of_range",
                                             _("A plan runs from the case's opening for at most two years.")))
    rows = _goals(checks, case, goals)
    checks.done()
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status != CaseStatus.ASSESSED:
        raise Conflict("invalid_transition", _("A plan is written after the assessment, before it is submitted."))
    values = {"summary_enc": crypto.encrypt(note), "starts_on": starts_on, "ends_on": ends_on, "home_visit_days": home_visit_days}
    plan = Plan.objects.filter(case=locked).first()
    if plan is None:
        if version is not None:
            raise Conflict("stale", _("Someone changed this after you opened it: reload it and make your change again."))
        plan = Plan.objects.create(case=locked, written_by=actor, **values)
        action = "cases.plan_write"
    else:
        if plan.status not in (PlanStatus.DRAFT, PlanStatus.RETURNED):
            raise Conflict("invalid_transition", _("A submitted or approved plan is not changed."))
        if version is None:
            raise field_error("version", "invalid_version", _("Send the version you read."))
        bump(Plan, plan.pk, version, **values)
        plan.goals.all().delete()  # a draft's goals: nothing refers to them before approval
        action = "cases.plan_update"
    Goal.objects.bulk_create([Goal(plan=plan, **row) for row in rows])
    plan.refresh_from_db()
    audit_log(actor=actor, action=action, obj=plan, after={
        "case": locked.pk, "goals": [[r["care_kind"], r["instrument"].code if r["instrument"] else None] for r in rows],
        "home_visit_days": home_visit_days, "version": plan.version})
    return plan


@transaction.atomic
def plan_submit(*, actor: Any, plan: Plan, version: int) -> Plan:
    """The worker submits the plan as read (version) to the supervisor: the case waits for approval."""
    case_team(actor, plan.case)
    bump(Plan, plan.pk, version)
    transition(plan.case, to=CaseStatus.PLAN_SUBMITTED, allowed_from=[CaseStatus.ASSESSED], actor=actor,
               action="cases.case_plan_submitted")
    return transition(plan, to=PlanStatus.SUBMITTED, allowed_from=[PlanStatus.DRAFT, PlanStatus.RETURNED], actor=actor,
                      action="cases.plan_submit", changes=lambda p: {"submitted_by": actor, "submitted_at": timezone.now()})


def _not_own(scope: Scope, actor: Any, case: Case, submitted_by_id: int | None, code: str) -> None:
    if not scope.is_superuser and actor.pk in (submitted_by_id, case.owner_id):
        raise PermissionDenied(code, _("A worker does not approve their own plan or closure: the supervisor does."))


@transaction.atomic
def plan_approve(*, actor: Any, plan: Plan, version: int) -> Plan:
    """The supervisor approves the plan as read (version); the case goes into service, with the plan's visit rhythm.
    Refused to the worker who submitted it or owns the case (`own_plan`)."""
    scope = supervisor(actor, plan.case)
    _not_own(scope, actor, plan.case, plan.submitted_by_id, "own_plan")
    bump(Plan, plan.pk, version)
    done = transition(plan, to=PlanStatus.APPROVED, allowed_from=[PlanStatus.SUBMITTED], actor=actor, action="cases.plan_approve",
                      changes=lambda p: {"decided_by": actor, "decided_at": timezone.now(), "return_reason": ""})
    transition(plan.case, to=CaseStatus.IN_SERVICE, allowed_from=[CaseStatus.PLAN_SUBMITTED], actor=actor,
               action="cases.case_in_service", changes=lambda c: {"home_visit_days": done.home_visit_days})
    return done


@transaction.atomic
def plan_return(*, actor: Any, plan: Plan, version: int, reason: str) -> Plan:
    """The supervisor returns the plan with a reason; the case is back to assessed for the worker to change it."""
    scope = supervisor(actor, plan.case)
    _not_own(scope, actor, plan.case, plan.submitted_by_id, "own_plan")
    why = text_in(reason, field="reason", max_length=REASON_MAX, required=True)
    bump(Plan, plan.pk, version)
    done = transition(plan, to=PlanStatus.RETURNED, allowed_from=[PlanStatus.SUBMITTED], actor=actor, action="cases.plan_return",
                      changes=lambda p: {"decided_by": actor, "decided_at": timezone.now(), "return_reason": why},
                      audit={"reason": why})
    transition(plan.case, to=CaseStatus.ASSESSED, allowed_from=[CaseStatus.PLAN_SUBMITTED], actor=actor,
               action="cases.case_plan_returned")
    return done

