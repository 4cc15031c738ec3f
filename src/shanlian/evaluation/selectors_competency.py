"""Reading core-staff competency assessments and coaching sessions as the acting user may: an organization's staff by
its managers and by the civil-affairs administrators of its area (a staff member also reads their own)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Organization, Station
from shanlian.people.models import Person, RoleGrant
from shanlian.people.selectors import people_list

from .models import (
    CoachingSession,
    Dimension,
    Question,
    StaffAssessment,
    StaffScore,
)
from .selectors_capacity import (
    CHOICES_MAX,
    as_decimal,
    chart_number,
    may_open_capacity,
    org_scope_q,
    questionnaire_view,
)

# --- competency assessments ------------------------------------------------------------------------------------------

def _assessment_scope_q(scope: Scope) -> Q:
    q = org_scope_q(scope)
    if scope.person_id is not None and not scope.is_superuser:
        q |= Q(person_id=scope.person_id)
    return q


def assessments_visible(scope: Scope) -> QuerySet[StaffAssessment]:
    """Assessments of staff of the organizations the actor evaluates, and the actor's own."""
    if scope.user_id is None:
        return StaffAssessment.objects.none()
    return StaffAssessment.objects.filter(_assessment_scope_q(scope)).select_related("person", "organization", "questionnaire")


def assessments_list(scope: Scope, *, organization_id: int | None = None, query: str = "") -> QuerySet[StaffAssessment]:
    rows = assessments_visible(scope)
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    if query:
        rows = rows.filter(person__real_name__contains=query)
    return rows.select_related("assessor").order_by("-assessed_on", "-id")


def staff_of(organization: Organization) -> QuerySet[Person]:
    """The organization's people: whoever holds a role over it or its stations, and whoever it has assessed or coached."""
    stations = Station.objects.filter(agency=organization).values("pk")
    grants = RoleGrant.objects.filter(Q(organization=organization) | Q(station__in=stations), revoked_at__isnull=True)
    users = grants.values("user_id")
    assessed = StaffAssessment.objects.filter(organization=organization).values("person_id")
    coached = CoachingSession.people.through.objects.filter(coachingsession__organization=organization).values("person_id")
    return Person.objects.filter(Q(user_id__in=users) | Q(pk__in=assessed) | Q(pk__in=coached))


def staff_choices(scope: Scope, organization: Organization, query: str = "") -> QuerySet[Person]:
    """Whom the actor may assess or coach for the organization: its people, and (found by `query`) people of the
    actor's area."""
    ids = list(staff_of(organization).order_by("real_name", "pk").values_list("pk", flat=True)[:CHOICES_MAX])
    if query:
        ids += list(people_list(scope=scope, query=query).values_list("pk", flat=True)[:20])
    return Person.objects.filter(pk__in=ids).select_related("division").order_by("real_name", "pk")


def may_name_staff(scope: Scope, organization: Organization, person: Person) -> bool:
    """A staff member named for an organization: one of its people, or someone in the actor's area."""
    return (staff_of(organization).filter(pk=person.pk).exists()
            or people_list(scope=scope).filter(pk=person.pk).exists())


@dataclass
class CompetencyLine:
    code: str
    name: str
    scores: list[Decimal | None]


@dataclass
class PersonReport:
    person: Person
    assessments: list[StaffAssessment]
    lines: list[CompetencyLine]
    latest: list[tuple[Dimension, list[tuple[Question, int | None, str]]]]
    sessions: list[CoachingSession]
    chart: dict[str, Any]


def staff_person_report(scope: Scope, person_id: int) -> PersonReport:
    """One staff member's individual report: their assessments in order, each competency's scores over time (the
    trend), the latest assessment item by item with the descriptor of the level reached, and the coaching they had."""
    rows = list(assessments_visible(scope).filter(person_id=person_id).order_by("assessed_on", "id"))
    if not rows:
        if Person.objects.filter(pk=person_id).exists():
            access_denied(user_id=scope.user_id, object_type="people.person", object_id=person_id)
        raise NotFound()
    latest_row = rows[-1]
    names: dict[str, str] = {}
    for d in Dimension.objects.filter(questionnaire_id__in={r.questionnaire_id for r in rows}).order_by("position"):
        names.setdefault(d.code, d.name)
    view = questionnaire_view(None, latest_row.questionnaire)
    for d, _qs in view.dimensions:
        names[d.code] = d.name
    order = [d.code for d, _qs in view.dimensions] + sorted(set(names) - {d.code for d, _qs in view.dimensions})
    lines = [CompetencyLine(code=c, name=names[c], scores=[as_decimal((r.scores or {}).get(c)) for r in rows]) for c in order]
    given = dict(StaffScore.objects.filter(assessment=latest_row).values_list("question_id", "level"))
    latest = [(d, [(q, given.get(q.pk), _descriptor(q, given.get(q.pk))) for q in qs]) for d, qs in view.dimensions]
    own = scope.person_id == person_id
    sessions = list((CoachingSession.objects.select_related("organization", "coach") if own else coaching_visible(scope))
                    .filter(people__pk=person_id).order_by("-held_on", "-id")[:100])
    chart = {"dates": [r.assessed_on.isoformat() for r in rows],
             "series": [{"name": line.name, "data": [chart_number(s) for s in line.scores]} for line in lines]}
    return PersonReport(person=latest_row.person, assessments=list(reversed(rows)), lines=lines, latest=latest,
                        sessions=sessions, chart=chart)


def _descriptor(question: Question, level: int | None) -> str:
    texts = question.descriptors if isinstance(question.descriptors, list) else []
    return str(texts[level - 1]) if level is not None and 1 <= level <= len(texts) else ""


def coaching_visible(scope: Scope) -> QuerySet[CoachingSession]:
    if scope.user_id is None or not may_open_capacity(scope):
        return CoachingSession.objects.none()
    return CoachingSession.objects.filter(org_scope_q(scope)).select_related("organization", "coach")


def coaching_list(scope: Scope, *, organization_id: int | None = None, year: int | None = None) -> QuerySet[CoachingSession]:
    rows = coaching_visible(scope)
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    if year is not None:
        rows = rows.filter(held_on__year=year)
    return rows.annotate(coached=Count("people", distinct=True)).order_by("-held_on", "-id")


@dataclass
class CoachingTotal:
    organization_id: int
    organization: str
    year: int
    sessions: int
    person_times: int


def coaching_totals(scope: Scope, *, organization_id: int | None = None, year: int | None = None) -> list[CoachingTotal]:
    """Sessions (场次) and person-times (人次) per organization and year, in one query."""
    rows = coaching_visible(scope)
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    if year is not None:
        rows = rows.filter(held_on__year=year)
    grouped = (rows.annotate(year=ExtractYear("held_on")).values("organization_id", "organization__name", "year")
               .annotate(sessions=Count("id"), person_times=Sum("person_times")).order_by("-year", "organization__name"))
    return [CoachingTotal(organization_id=g["organization_id"], organization=g["organization__name"], year=g["year"],
                          sessions=g["sessions"], person_times=g["person_times"] or 0) for g in grouped[:CHOICES_MAX]]
