"""Reading grade (and brand) calls and assessments as the acting user may: the committee (the region's
administrators) sees all of its calls; an organization's managers see its own assessments and the calls open to it;
an expert sees the assessments they are assigned (the organization's self-assessment and evidence, their own marks,
never another expert's); the public sees decisions on notice and the grades awarded. Anything else is not found."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from shanlian.core.errors import NotFound
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Organization, Station

from . import scoring
from .access import ADMIN_ROLES, ORG_ROLES, is_framework_admin, is_org_representative
from .eligibility import ineligibility
from .models import (
    Assessment,
    AssessmentStatus,
    Call,
    CallStatus,
    Evidence,
    FrameworkKind,
    GradeBand,
    Indicator,
    IndicatorSource,
    Objection,
    RaterKind,
    Rating,
    Reminder,
    Reviewer,
    ReviewerStatus,
)
from .services.assessments import leaves_of
from .services.decisions import survey_marks

PUBLIC_STATUSES = (AssessmentStatus.NOTICE, AssessmentStatus.AWARDED)


def _admin_q(scope: Scope, lookup: str) -> Q:
    if scope.is_superuser:
        return Q()
    if not scope.has(*ADMIN_ROLES):
        return Q(pk__in=[])
    within = Q(pk__in=[])
    for path in scope.admin_paths:
        within |= Q(**{f"{lookup}__startswith": path})
    return within


def calls_visible(scope: Scope) -> QuerySet[Call]:
    """The calls the actor runs, those open to an organization they manage, and those they review in."""
    if scope.user_id is None:
        return Call.objects.none()
    which = _admin_q(scope, "region__path")
    if scope.has(*ORG_ROLES) and scope.organization_ids:
        paths = list(Organization.objects.filter(pk__in=scope.organization_ids).values_list("division__path", flat=True))
        open_to = Q(pk__in=[])
        for path in paths:
            # a call's region holds the organization: the region's path is a prefix of the organization's
            ancestors = [path[: i + 1] for i, ch in enumerate(path) if ch == "/" and i > 0]
            open_to |= Q(region__path__in=ancestors)
        which |= open_to
    which |= Q(assessments__reviewers__user_id=scope.user_id)
    return (Call.objects.filter(which).distinct().select_related("region")
            .annotate(n=Count("assessments", distinct=True)).order_by("-year", "-opens_on", "-id"))


def call_get(scope: Scope, call_id: int) -> Call:
    found = calls_visible(scope).filter(pk=call_id).first()
    if found is None:
        raise NotFound()
    return found


@dataclass
class BoardRow:
    assessment: Assessment
    experts_done: int
    experts: int
    site: str  # "", "assigned", "submitted"
    expert_total: Decimal | None
    divergent: int  # leaves where the raters disagree


def call_board(call: Call) -> list[BoardRow]:
    """The committee's view of a call: every assessment, its reviews, the experts' mean total, divergent leaves.
    A fixed number of queries, however many assessments."""
    rows = list(Assessment.objects.filter(call=call).select_related("organization", "station", "framework")
                .order_by("organization__name", "station__name"))
    reviewers = defaultdict(list)
    for r in Reviewer.objects.filter(assessment__call=call).exclude(status=ReviewerStatus.RECUSED):
        reviewers[r.assessment_id].append(r)
    marks: dict[int, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for aid, iid, points in Rating.objects.filter(assessment__call=call).exclude(kind=RaterKind.SELF) \
            .values_list("assessment_id", "indicator_id", "points"):
        marks[aid][iid].append(points)
    leaves_by_framework = {fid: leaves_of(fid) for fid in {a.framework_id for a in rows}}
    threshold = Decimal(str(settings.SHANLIAN.get("EVALUATION_DIVERGENCE", scoring.DEFAULT_DIVERGENCE)))
    out = []
    for a in rows:
        leaves = leaves_by_framework[a.framework_id]
        given = marks.get(a.pk, {})
        means = {i: sum(v, Decimal(0)) / len(v) for i, v in given.items()}
        if any(leaf.source == IndicatorSource.SATISFACTION for leaf in leaves):  # a few more queries, only for such frameworks
            means.update(survey_marks(a, leaves))
        total = scoring.total(leaves, means) if given else None
        by_id = {leaf.id: leaf for leaf in leaves}
        divergent = sum(1 for i, v in given.items() if i in by_id and scoring.divergent(v, by_id[i].points, threshold))
        mine = reviewers.get(a.pk, [])
        experts = [r for r in mine if r.role == RaterKind.EXPERT]
        site = next((r.status for r in mine if r.role == RaterKind.SITE), "")
        out.append(BoardRow(assessment=a, experts_done=sum(1 for r in experts if r.status == ReviewerStatus.SUBMITTED),
                            experts=len(experts), site=site, expert_total=total, divergent=divergent))
    return out


# --- one assessment ------------------------------------------------------------------------------------------------

def assessment_get(scope: Scope, assessment_id: int) -> Assessment:
    """The committee of its region, its organization's managers, or an expert assigned to it."""
    a = (Assessment.objects.select_related("call__region", "organization", "station", "framework").filter(pk=assessment_id).first())
    if a is None or not (is_framework_admin(scope, a.call.region) or is_org_representative(scope, a.organization_id)
                         or Reviewer.objects.filter(assessment=a, user_id=scope.user_id or 0).exists()):
        raise NotFound()
    return a


@dataclass
class LeafRow:
    indicator: Indicator
    depth: int
    leaf: bool
    self_mark: Any = None  # Rating or None
    marks: list[Any] = field(default_factory=list)  # the other raters' Ratings the viewer may see
    mine: Any = None  # the viewer's own Rating as a reviewer
    markable: bool = False  # the viewer marks this leaf (as the organization or as the rater they are named)
    mean: Decimal | None = None
    surveyed: Decimal | None = None  # the mark satisfaction surveys give this leaf, when they do
    divergent: bool = False
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class AssessmentView:
    assessment: Assessment
    rows: list[LeafRow]
    role: str  # "committee", "organization", "expert" (any rater named: an expert, a purchaser's officer)
    reviewer: Reviewer | None  # the viewer's assignment, as a rater
    reviewers: list[Reviewer]
    objections: list[Objection]
    self_total: Decimal
    reviewed_total: Decimal | None
    earned: str
    bands: list[tuple[str, Decimal]]
    ineligible: list[Any]
    leaves: int
    marked: int  # leaves the organization has marked
    outside: set[str]  # the raters besides the organization and the experts the framework needs (a station's)


def assessment_view(scope: Scope, assessment: Assessment) -> AssessmentView:
    a = assessment
    committee = is_framework_admin(scope, a.call.region)
    own = is_org_representative(scope, a.organization_id)
    reviewer = Reviewer.objects.filter(assessment=a, user_id=scope.user_id or 0).exclude(status=ReviewerStatus.RECUSED).first()
    role = "committee" if committee else "organization" if own else "expert"
    marker = RaterKind.SELF if role == "organization" else reviewer.role if reviewer else ""
    indicators = sorted(Indicator.objects.filter(framework=a.framework), key=lambda r: [int(p) for p in r.code.split(".")])
    parents = {r.parent_id for r in indicators}
    ratings = list(Rating.objects.filter(assessment=a).select_related("rater").order_by("kind", "rater_id"))
    evidence = defaultdict(list)
    for e in Evidence.objects.filter(assessment=a).order_by("id"):
        evidence[e.indicator_id].append(e)
    decided = a.status in (AssessmentStatus.NOTICE, AssessmentStatus.AWARDED, AssessmentStatus.NOT_GRADED)
    threshold = Decimal(str(settings.SHANLIAN.get("EVALUATION_DIVERGENCE", scoring.DEFAULT_DIVERGENCE)))
    rows = []
    by_leaf: dict[int, list[Rating]] = defaultdict(list)
    for r in ratings:
        by_leaf[r.indicator_id].append(r)
    reviewed_marks: dict[int, Decimal] = {}
    for ind in indicators:
        row = LeafRow(indicator=ind, depth=ind.level, leaf=ind.pk not in parents, evidence=evidence.get(ind.pk, []))
        if row.leaf:
            row.markable = bool(marker) and scoring.rated_by(scoring.Leaf.of(ind), marker)
            here = by_leaf.get(ind.pk, [])
            row.self_mark = next((r for r in here if r.kind == RaterKind.SELF), None)
            others = [r for r in here if r.kind != RaterKind.SELF]
            row.mine = next((r for r in others if r.rater_id == scope.user_id), None)
            if committee or (own and decided):
                row.marks = others
            values = [r.points for r in others]
            if values:
                reviewed_marks[ind.pk] = sum(values, Decimal(0)) / len(values)
                row.mean = scoring.q2(reviewed_marks[ind.pk])
                row.divergent = scoring.divergent(values, ind.points, threshold) if (committee or own and decided) else False
        rows.append(row)
    leaves = [scoring.Leaf.of(r.indicator) for r in rows if r.leaf]
    surveyed = survey_marks(a, leaves)
    for row in rows:
        if row.indicator.pk in surveyed:
            row.surveyed = row.mean = surveyed[row.indicator.pk]
    reviewed_marks.update(surveyed)
    self_marks = {r.indicator.pk: r.self_mark.points for r in rows if r.leaf and r.self_mark is not None}
    bands = [(b.grade, b.minimum) for b in GradeBand.objects.filter(framework=a.framework).order_by("-minimum")]
    reviewed = scoring.total(leaves, reviewed_marks) if reviewed_marks and (committee or decided) else None
    return AssessmentView(
        assessment=a, rows=rows, role=role, reviewer=reviewer,
        reviewers=list(Reviewer.objects.filter(assessment=a).select_related("user").order_by("role", "id")) if committee else [],
        objections=list(Objection.objects.filter(assessment=a).order_by("lodged_at")) if committee else [],
        self_total=scoring.total(leaves, self_marks), reviewed_total=reviewed,
        earned=scoring.grade_for(reviewed, bands) if reviewed is not None else "", bands=bands,
        ineligible=ineligibility(a.call.kind, a.organization, timezone.localdate()) if a.status == AssessmentStatus.SELF else [],
        leaves=sum(1 for leaf in leaves if scoring.rated_by(leaf, RaterKind.SELF)), marked=len(self_marks),
        outside=scoring.outside_kinds(leaves))


# --- the organization's and the expert's lists -----------------------------------------------------------------------

def assessments_of(scope: Scope) -> QuerySet[Assessment]:
    """The assessments of the organizations the actor manages."""
    if not scope.has(*ORG_ROLES) and not scope.is_superuser:
        return Assessment.objects.none()
    return (Assessment.objects.filter(organization_id__in=scope.organization_ids)
            .select_related("call", "organization", "station").order_by("-call__year", "-id"))


def reviews_of(user: Any) -> list[Reviewer]:
    return list(Reviewer.objects.filter(user=user).select_related("assessment__organization", "assessment__station", "assessment__call")
                .order_by("status", "-assessment__call__year", "id"))


def open_calls_for(scope: Scope) -> list[tuple[Call, Organization, list[Any]]]:
    """For each organization the actor manages, the open calls of regions holding it, with why it is not eligible;
    a station call, while a station it runs in the region has not applied."""
    if not scope.has(*ORG_ROLES):
        return []
    today = timezone.localdate()
    orgs = list(Organization.objects.filter(pk__in=scope.organization_ids).select_related("division"))
    calls = list(Call.objects.filter(status=CallStatus.OPEN, opens_on__lte=today, closes_on__gte=today).select_related("region"))
    applied = set(Assessment.objects.filter(organization__in=orgs, call__in=calls).values_list("call_id", "organization_id", "station_id"))
    stations: dict[int, list[tuple[int, str]]] = defaultdict(list)
    out: list[tuple[Call, Organization, list[Any]]] = []
    if any(c.kind == FrameworkKind.STATION for c in calls):
        for station_id, agency_id, path in Station.objects.filter(agency__in=orgs).values_list("pk", "agency_id", "street__path"):
            stations[agency_id].append((station_id, path))
    for org in orgs:
        for call in calls:
            if call.kind == FrameworkKind.STATION:
                waiting = [sid for sid, path in stations[org.pk] if path.startswith(call.region.path)
                           and (call.pk, org.pk, sid) not in applied]
                if waiting:
                    out.append((call, org, []))
            elif org.division.path.startswith(call.region.path) and (call.pk, org.pk, None) not in applied:
                out.append((call, org, ineligibility(call.kind, org, today)))
    return out


# --- public ----------------------------------------------------------------------------------------------------------

def notices_public() -> QuerySet[Assessment]:
    """Decisions on public notice now, and the grades awarded (latest first)."""
    return (Assessment.objects.filter(status__in=PUBLIC_STATUSES).select_related("organization", "station", "call__region")
            .order_by("-decided_at", "organization__name"))


def notice_public_get(assessment_id: int) -> Assessment:
    found = notices_public().filter(pk=assessment_id).first()
    if found is None:
        raise NotFound()
    return found


def certificate_public_get(number: str) -> Assessment:
    if not number.isprintable():  # a NUL or a control character names no certificate (and PostgreSQL refuses NUL)
        raise NotFound()
    found = Assessment.objects.filter(status=AssessmentStatus.AWARDED, certificate_no=number) \
        .select_related("organization", "station", "call__region").first()
    if found is None:
        raise NotFound()
    return found


def latest_award(organization_id: int, *, brand: bool = False) -> Assessment | None:
    """The organization's latest grade certificate (or, `brand`, its naming as a brand organization)."""
    return (Assessment.objects.filter(organization_id=organization_id, status=AssessmentStatus.AWARDED, named=brand)
            .select_related("organization", "call__region").order_by("-awarded_on", "-id").first())


def reminders_for(user: Any, limit: int = 20) -> list[Reminder]:
    """The actor's reminders not yet read, newest first."""
    return list(Reminder.objects.filter(user=user, read_at__isnull=True).order_by("-created_at", "-id")[:limit])
