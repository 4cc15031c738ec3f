"""Reads of the case cycle, through the actor's scope as for beneficiaries: the case team (the station's workers and
their supervisor) sees the case with its texts (each such read logged); the street, district and city officers see it
masked (no name, no texts); anyone else gets a 404, logged. The caseload, the case's timeline, visits due, and the
supervisor's approval queue."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.core.audit import access_denied, audit_log
from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Organization
from shanlian.people.selectors import actor_scope, station_staff_users
from shanlian.timebank.selectors_manage import station_volunteers

from . import access, instruments
from .access import Sight
from .models import (
    OPEN_STATUSES,
    Assessment,
    Beneficiary,
    CareArea,
    Case,
    CaseStatus,
    Goal,
    Instrument,
    LivingSituation,
    Plan,
    PlanStatus,
    RecordKind,
    Referral,
    Review,
    ReviewGoal,
    ServiceRecord,
)
from .selectors import consent_state

HELPERS_OFFERED = 50  # volunteers offered on the visit form (a phone's list), by volunteer number
NEXT_STEP = {
    CaseStatus.INTAKE: _("Assess (baseline)"),
    CaseStatus.ASSESSED: _("Write the plan and submit it"),
    CaseStatus.PLAN_SUBMITTED: _("Waiting for the supervisor's approval of the plan"),
    CaseStatus.IN_SERVICE: _("Serve and record visits; review against the goals"),
    CaseStatus.REVIEWING: _("Continue the service or ask to close"),
    CaseStatus.CLOSURE_SUBMITTED: _("Waiting for the supervisor's approval of the closure"),
    CaseStatus.CLOSED: CaseStatus.CLOSED.label,
}


def home_visit_days() -> int:
    return int(settings.SHANLIAN.get("CASES_HOME_VISIT_DAYS", 30))


def instruments_active() -> QuerySet[Instrument]:
    return Instrument.objects.filter(active=True).order_by("code")


def _elder_alone() -> Exists:
    through = Beneficiary.categories.through
    return Exists(through.objects.filter(beneficiary_id=OuterRef("beneficiary_id"), category__area=CareArea.ELDERLY))


def _last_visit() -> Subquery:
    return Subquery(ServiceRecord.objects.filter(case_id=OuterRef("pk"), kind=RecordKind.HOME_VISIT, current=True)
                    .order_by("-served_on").values("served_on")[:1])


def with_visits(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Each case with its last home visit and whether it is an elder living alone (the rhythm's two inputs)."""
    alone = ExpressionWrapper(Q(_elder_alone()) & Q(beneficiary__living_situation=LivingSituation.ALONE),
                              output_field=BooleanField())
    return qs.annotate(last_visit=_last_visit(), alone_elder=alone)


def visit_interval(case: Case) -> int | None:
    """Days between home visits: the plan's rhythm, else the default for an elder living alone, else none."""
    if case.home_visit_days:
        return case.home_visit_days
    return home_visit_days() if getattr(case, "alone_elder", False) else None


def next_visit_on(case: Case) -> dt.date | None:
    days = visit_interval(case)
    if days is None or case.status == CaseStatus.CLOSED:
        return None
    return (getattr(case, "last_visit", None) or case.opened_on) + dt.timedelta(days=days)


def _scope(actor: Any) -> Scope:
    scope = actor_scope(actor)
    if not access.may_open_cases(scope):
        raise PermissionDenied("not_case_reader", _("Only stations' staff and area officers open beneficiaries' records."))
    return scope


def cases_visible(actor: Any, *, mine: bool = False, status: str = "", open_only: bool = True) -> QuerySet[Case]:
    """The cases an actor sees (the case team's stations; officers' areas), with what the caseload shows."""
    scope = _scope(actor)
    qs = Case.objects.filter(access.visible_q(scope))
    if mine:
        qs = qs.filter(owner_id=scope.user_id)
    if status:
        qs = qs.filter(status=status)
    elif open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    # What a caseload row shows (the beneficiary's name, the station, the state and dates): not the encrypted columns.
    return (qs.select_related("beneficiary__person", "station")
            .only(*LIST_FIELDS).order_by("-opened_on", "-id"))


LIST_FIELDS = ("id", "beneficiary_id", "station_id", "owner_id", "opened_on", "status", "home_visit_days", "version",
               "beneficiary__id", "beneficiary__living_situation", "beneficiary__person_id", "beneficiary__station_id",
               "beneficiary__person__id", "beneficiary__person__real_name", "station__id", "station__name", "station__street_id",
               "station__agency_id")


def with_rhythm(cases: Sequence[Case]) -> list[Case]:
    """A page of cases with their last home visit and whether each is an elder living alone (`with_visits`), asked in one
    query by the page's ids: asked of a whole area's list, PostgreSQL works out the elders of every beneficiary."""
    found = {c.pk: c for c in with_visits(Case.objects.filter(pk__in=[c.pk for c in cases])).only("id")}
    for c in cases:
        c.last_visit, c.alone_elder = found[c.pk].last_visit, found[c.pk].alone_elder  # type: ignore[attr-defined]
    return list(cases)


def visits_due(actor: Any, on: dt.date | None = None, *, mine: bool = False) -> QuerySet[Case]:
    """Open cases whose home visit is due on the day: an elder living alone not visited for CASES_HOME_VISIT_DAYS, or a
    case whose plan sets its own rhythm, counted from the last home visit (or the opening). One SQL filter: the rhythm
    takes few values, each compared with its own cut-off."""
    on = on or timezone.localdate()
    listed = cases_visible(actor, mine=mine)
    qs = with_visits(listed).annotate(anchor=Coalesce(F("last_visit"), F("opened_on")))
    due = Q(home_visit_days__isnull=True, alone_elder=True, anchor__lte=on - dt.timedelta(days=home_visit_days()))
    for days in listed.exclude(home_visit_days=None).order_by().values_list("home_visit_days", flat=True).distinct():
        due |= Q(home_visit_days=days, anchor__lte=on - dt.timedelta(days=days or 0))
    return qs.filter(due).order_by("anchor", "id")


def case_get(actor: Any, case_id: int) -> Case:
    """The case, if the actor sees it at all; otherwise the look is logged and answered as not found."""
    scope = actor_scope(actor)
    found = (with_visits(Case.objects.filter(pk=case_id))
             .select_related("beneficiary__person", "station__street", "owner").first())
    if found is None or access.station_sight(scope, found.station) is Sight.NONE:
        access_denied(user_id=scope.user_id, object_type="cases.case", object_id=case_id)
        raise NotFound()
    return found


def beneficiary_name(case: Case, sight: Sight) -> str:
    name = case.beneficiary.person.real_name
    return name if sight is Sight.VALUES else crypto.mask_name(name)


@dataclass
class Entry:
    """One line of the case's timeline."""

    day: dt.date
    kind: str  # assessment, plan, record, review, referral
    obj: Any
    text: str = ""  # decrypted notes or summary, for the case team only
    extra: Any = None


@dataclass
class CaseFile:
    case: Case
    sight: Sight
    name: str
    problem: str
    plan: Plan | None
    goals: list[Goal]
    assessments: list[Assessment]
    records: list[ServiceRecord]
    reviews: list[Review]
    outcome: list[ReviewGoal]
    referrals: list[Referral]
    timeline: list[Entry] = field(default_factory=list)
    next_visit: dt.date | None = None
    supervisor: bool = False
    closure_summary: str = ""

    @property
    def values(self) -> bool:
        return self.sight is Sight.VALUES


def case_file(actor: Any, case: Case, *, log: bool = True) -> CaseFile:
    """The case as the actor may see it, its timeline newest first. The case team's read is logged (`cases.case_read`)."""
    scope = actor_scope(actor)
    seen = access.station_sight(scope, case.station)
    if seen is Sight.NONE:
        access_denied(user_id=scope.user_id, object_type="cases.case", object_id=case.pk)
        raise NotFound()
    show = seen is Sight.VALUES
    plan = Plan.objects.filter(case=case).select_related("submitted_by", "decided_by").first()
    goals = list(plan.goals.select_related("instrument")) if plan else []
    assessments = list(case.assessments.select_related("instrument", "recorded_by").order_by("-assessed_on", "-id"))
    records = list(case.records.select_related("worker", "corrects").prefetch_related("volunteers", "co_workers")
                   .order_by("-served_on", "-id"))
    reviews = list(case.reviews.select_related("recorded_by").prefetch_related(
        Prefetch("goals", queryset=ReviewGoal.objects.select_related("goal__instrument").order_by("goal__order"))
    ).order_by("-reviewed_on", "-id"))
    referrals = list(case.referrals.select_related("organization", "consent").order_by("-referred_on", "-id"))

    def text(enc: str) -> str:
        return crypto.decrypt(enc) if show else ""

    timeline = [Entry(a.assessed_on, "assessment", a, text(a.notes_enc), instruments.band_label(a.instrument, a.band))
                for a in assessments]
    timeline += [Entry(r.served_on, "record", r, text(r.notes_enc)) for r in records]
    timeline += [Entry(r.reviewed_on, "review", r, text(r.summary_enc), list(r.goals.all())) for r in reviews]
    timeline += [Entry(r.referred_on, "referral", r, text(r.reason_enc)) for r in referrals]
    if plan is not None:
        timeline.append(Entry(timezone.localdate(plan.submitted_at) if plan.submitted_at else plan.starts_on, "plan", plan,
                              text(plan.summary_enc)))
    timeline.sort(key=lambda e: (e.day, e.kind), reverse=True)
    if show and log:
        audit_log(actor=actor, action="cases.case_read", obj=case, after={
            "beneficiary": case.beneficiary_id, "records": len(records), "assessments": len(assessments)})
    return CaseFile(case=case, sight=seen, name=beneficiary_name(case, seen), problem=text(case.problem_enc), plan=plan,
                    goals=goals, assessments=assessments, records=records, reviews=reviews,
                    outcome=list(reviews[0].goals.all()) if reviews else [], referrals=referrals, timeline=timeline,
                    next_visit=next_visit_on(case), supervisor=access.is_supervisor(scope, case.station),
                    closure_summary=text(case.closure_summary_enc))


def workers_for(case: Case) -> list[Any]:
    """Who may own the case: the station's social workers and the agency's managers."""
    return list(station_staff_users(case.station))


def record_helpers(case: Case, worker: Any) -> tuple[list[Any], list[Any]]:
    """Whom a service record may name beside its worker: the station's other staff and its registered volunteers."""
    return ([u for u in workers_for(case) if u.pk != worker.pk],
            [v.person for v in station_volunteers(station=case.station)[:HELPERS_OFFERED]])


def assessment_answers(assessment: Assessment) -> dict[str, str]:
    """The answers (for the case team's pages and API only: health data)."""
    return json.loads(crypto.decrypt(assessment.answers_enc) or "{}")


def record_get(actor: Any, record_id: int) -> ServiceRecord:
    found = ServiceRecord.objects.filter(pk=record_id).only("pk", "case_id").first()
    if found is None:
        raise NotFound()
    case = case_get(actor, found.case_id)
    return ServiceRecord.objects.select_related("case").prefetch_related("volunteers", "co_workers").get(pk=found.pk, case=case)


def plan_get(actor: Any, plan_id: int) -> Plan:
    found = Plan.objects.filter(pk=plan_id).values_list("case_id", flat=True).first()
    if found is None:
        raise NotFound()
    case = case_get(actor, found)
    plan = Plan.objects.get(pk=plan_id)
    plan.case = case
    return plan


def referral_get(actor: Any, referral_id: int) -> Referral:
    found = Referral.objects.filter(pk=referral_id).values_list("case_id", flat=True).first()
    if found is None:
        raise NotFound()
    case = case_get(actor, found)
    referral = Referral.objects.select_related("organization").get(pk=referral_id)
    referral.case = case
    return referral


def approvals(actor: Any) -> tuple[list[Plan], list[Case]]:
    """The supervisor's queue: plans and closures waiting at the stations of the agencies they manage."""
    scope = actor_scope(actor)
    if not access.may_supervise(scope):
        raise PermissionDenied("not_supervisor", _("Only the supervisor (the agency's manager) approves plans and closures."))
    where = Q() if scope.is_superuser else Q(station__agency_id__in=scope.organization_ids)
    plans = list(Plan.objects.filter(status=PlanStatus.SUBMITTED, case__in=Case.objects.filter(where))
                 .select_related("case__beneficiary__person", "case__station", "case__owner", "submitted_by")
                 .prefetch_related("goals").order_by("submitted_at", "id")[:200])
    closures = list(Case.objects.filter(where, status=CaseStatus.CLOSURE_SUBMITTED)
                    .select_related("beneficiary__person", "station", "owner", "closure_submitted_by").order_by("updated_at", "id")[:200])
    return plans, closures


def referral_organizations(case: Case, on: dt.date | None = None) -> list[Organization]:
    """The organizations a valid referral consent of the person names (the choices of the referral form)."""
    day = on or timezone.localdate()
    out: dict[int, Organization] = {}
    for consent in case.beneficiary.consents.filter(purpose="referral").prefetch_related("organizations"):
        if consent_state(consent, day) == "valid":
            for org in consent.organizations.all():
                out[org.pk] = org
    return sorted(out.values(), key=lambda o: o.name)


def organizations_for_referral() -> QuerySet[Organization]:
    return Organization.objects.order_by("name")
