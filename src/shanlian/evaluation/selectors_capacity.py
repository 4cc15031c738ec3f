"""Reading capacity diagnoses and competency assessments as the acting user may: an organization's diagnoses and its
staff's assessments by its managers and by the civil-affairs administrators of its area (a staff member also reads
their own); anything else is not found (and the look is logged). Questionnaires and the advice library are tools,
read by anyone signed in. The numbers: an item's score is the mean of its respondents, a dimension's the mean of its
items; roles whose means lie CAPACITY_DIVERGENCE or more apart are flagged; the peer median is taken over the latest
closed diagnosis of each other organization of the same kind, under a questionnaire of the same dimension codes."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Organization
from shanlian.people.selectors import actor_scope
from shanlian.places.models import Division

from .access import ADMIN_ROLES, ORG_ROLES, is_framework_admin, is_org_representative
from .models import (
    ActionItem,
    ActionStatus,
    Advice,
    Answer,
    Diagnosis,
    DiagnosisStatus,
    Dimension,
    Question,
    Questionnaire,
    Respondent,
    RespondentRole,
)

LEVELS = 4
CENT = Decimal("0.01")
CHOICES_MAX = 500
LEVEL_NAMES = {1: _("Nascent"), 2: _("Emerging"), 3: _("Expanding"), 4: _("Mature")}


def setting(name: str, default: Any) -> Any:
    """A domain setting of this part (SHANLIAN[name]), with its default until the settings name it."""
    return settings.SHANLIAN.get(name, default)


def divergence_threshold() -> Decimal:
    """Roles whose means of a dimension lie this far apart (in levels) are flagged."""
    return Decimal(str(setting("CAPACITY_DIVERGENCE", "1.0")))


def peers_min() -> int:
    """Fewer peers than this and no median is shown (it would tell one organization's scores)."""
    return int(setting("CAPACITY_PEERS_MIN", 3))


def weak_below() -> Decimal:
    """A dimension scoring below this is weak: the report marks it (the advice library has its own thresholds)."""
    return Decimal(str(setting("CAPACITY_WEAK_BELOW", "2.5")))


def rounded(value: Fraction | Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def mean(values: Iterable[Fraction | int]) -> Fraction | None:
    items = list(values)
    return sum((Fraction(v) for v in items), Fraction(0)) / len(items) if items else None


def as_decimal(value: Any) -> Decimal | None:
    """A score as frozen in JSON ("2.75"), or None."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(CENT)
    except ArithmeticError:
        return None


# --- who may do what -------------------------------------------------------------------------------------------------

def may_open_capacity(scope: Scope) -> bool:
    """The capacity pages: the administrators, and the managers of organizations (who see their own)."""
    return scope.is_superuser or scope.has(*ADMIN_ROLES, *ORG_ROLES)


def may_evaluate(scope: Scope, organization: Organization) -> bool:
    """Who starts an organization's diagnosis, keeps its action plan and assesses its staff: its managers, and the
    civil-affairs administrators of its area."""
    return is_org_representative(scope, organization.pk) or is_framework_admin(scope, organization.division)


def require_open(actor: Any) -> Scope:
    scope = actor_scope(actor)
    if not may_open_capacity(scope):
        raise PermissionDenied("not_capacity_staff", _("Only civil-affairs administrators and the managers of organizations "
                                                        "open capacity diagnoses and staff assessments."))
    return scope


def org_scope_q(scope: Scope, prefix: str = "") -> Q:
    """Rows of organizations the actor may evaluate: in their administered area, or managed by them."""
    if scope.is_superuser:
        return Q()
    q = Q(pk__in=[])
    if scope.has(*ADMIN_ROLES):
        q |= scope.path_q(f"{prefix}organization__division__path", scope.admin_paths)
    if scope.has(*ORG_ROLES) and scope.organization_ids:
        q |= Q(**{f"{prefix}organization_id__in": sorted(scope.organization_ids)})
    return q


def organization_choices(scope: Scope) -> QuerySet[Organization]:
    """The organizations the actor may evaluate (at most CHOICES_MAX, by name)."""
    if scope.user_id is None:
        return Organization.objects.none()
    rows = Organization.objects.all()
    if not scope.is_superuser:
        q = Q(pk__in=[])
        if scope.has(*ADMIN_ROLES):
            q |= scope.path_q("division__path", scope.admin_paths)
        if scope.has(*ORG_ROLES) and scope.organization_ids:
            q |= Q(pk__in=sorted(scope.organization_ids))
        rows = rows.filter(q)
    ids = list(rows.order_by("name", "pk").values_list("pk", flat=True)[:CHOICES_MAX])
    return Organization.objects.filter(pk__in=ids).select_related("division").order_by("name", "pk")


def organization_for(scope: Scope, organization_id: int | None) -> Organization | None:
    if organization_id is None:
        return None
    return organization_choices(scope).filter(pk=organization_id).first()


# --- questionnaires and the advice library -----------------------------------------------------------------------------

def questionnaires_visible(scope: Scope, kind: str = "") -> QuerySet[Questionnaire]:
    """Questionnaires are read by anyone signed in (as published frameworks are): the tools, not anyone's answers."""
    if scope.user_id is None:
        return Questionnaire.objects.none()
    rows = Questionnaire.objects.select_related("region").annotate(
        dimension_count=Count("dimensions", distinct=True), question_count=Count("dimensions__questions", distinct=True))
    return rows.filter(kind=kind) if kind else rows


def questionnaire_get(scope: Scope, questionnaire_id: int) -> Questionnaire:
    found = questionnaires_visible(scope).filter(pk=questionnaire_id).first()
    if found is None:
        raise NotFound()
    return found


@dataclass
class QuestionnaireView:
    questionnaire: Questionnaire
    dimensions: list[tuple[Dimension, list[Question]]]
    may_admin: bool

    @property
    def questions(self) -> list[Question]:
        return [q for _d, qs in self.dimensions for q in qs]


def questionnaire_view(scope: Scope | None, questionnaire: Questionnaire) -> QuestionnaireView:
    """Its dimensions with their items, in order, in two queries."""
    dims = list(Dimension.objects.filter(questionnaire=questionnaire).order_by("position"))
    by_dim: dict[int, list[Question]] = defaultdict(list)
    for q in Question.objects.filter(dimension__questionnaire=questionnaire).order_by("dimension__position", "position"):
        by_dim[q.dimension_id].append(q)
    return QuestionnaireView(questionnaire=questionnaire, dimensions=[(d, by_dim[d.pk]) for d in dims],
                             may_admin=scope is not None and is_framework_admin(scope, questionnaire.region))


def covering_regions(division: Division) -> list[str]:
    """The paths of `division` and every division above it."""
    parts = [p for p in division.path.split("/") if p]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def questionnaire_choices(organization: Organization | None, kind: str) -> QuerySet[Questionnaire]:
    """The questionnaires an organization may be diagnosed or assessed under: those of the regions it is in (each
    region's versions, newest first)."""
    rows = Questionnaire.objects.filter(kind=kind).select_related("region")
    if organization is not None:
        rows = rows.filter(region__path__in=covering_regions(organization.division))
    return rows.order_by("-region__path", "-version", "-id")


def regions_administered(scope: Scope) -> list[Division]:
    regions = Division.objects.filter(level__in=("city", "district")).order_by("code")
    return [d for d in regions if is_framework_admin(scope, d)] if not scope.is_superuser else list(regions)


def advice_visible(scope: Scope) -> QuerySet[Advice]:
    if scope.user_id is None:
        return Advice.objects.none()
    return Advice.objects.select_related("region").order_by("region__path", "dimension_code", "below", "id")


def advice_get(scope: Scope, advice_id: int) -> Advice:
    """A line of the library, for its region's administrators to change."""
    found = advice_visible(scope).filter(pk=advice_id).first()
    if found is None or not is_framework_admin(scope, found.region):
        if found is not None:
            access_denied(user_id=scope.user_id, object_type="evaluation.advice", object_id=advice_id)
        raise NotFound()
    return found


def advice_for(organization: Organization, scores: dict[str, Decimal | None]) -> dict[str, list[str]]:
    """Dimension code → the library's advice for its score (the lines of the organization's regions whose threshold
    the score is below)."""
    out: dict[str, list[str]] = defaultdict(list)
    codes = [c for c, s in scores.items() if s is not None]
    rows = Advice.objects.filter(region__path__in=covering_regions(organization.division), dimension_code__in=codes)
    for a in rows.order_by("dimension_code", "below", "id"):
        score = scores.get(a.dimension_code)
        if score is not None and score < a.below:
            out[a.dimension_code].append(a.text)
    return dict(out)


# --- the numbers of a diagnosis --------------------------------------------------------------------------------------

@dataclass
class ItemScore:
    question: Question
    score: Decimal | None
    by_role: dict[str, Decimal | None]
    answers: int


@dataclass
class DimensionScore:
    dimension: Dimension
    score: Decimal | None
    by_role: dict[str, Decimal | None]
    spread: Decimal | None
    divergent: bool
    items: list[ItemScore]


def score_dimensions(dimensions: list[tuple[Dimension, list[Question]]],
                     answers: Iterable[tuple[int, str, int]]) -> list[DimensionScore]:
    """Each dimension's score (the mean of its items, each the mean of its respondents), its roles' means, and whether
    the roles diverge. `answers`: (question id, respondent role, level)."""
    levels: dict[int, list[int]] = defaultdict(list)
    role_levels: dict[tuple[int, str], list[int]] = defaultdict(list)
    roles: set[str] = set()
    for question_id, role, level in answers:
        levels[question_id].append(level)
        role_levels[(question_id, role)].append(level)
        roles.add(role)
    ordered_roles = [r for r in RespondentRole.values if r in roles]
    threshold = divergence_threshold()
    out: list[DimensionScore] = []
    for dimension, questions in dimensions:
        items: list[ItemScore] = []
        item_means: list[Fraction] = []
        role_means: dict[str, list[Fraction]] = defaultdict(list)
        for q in questions:
            m = mean(levels.get(q.pk, []))
            by_role: dict[str, Decimal | None] = {}
            for role in ordered_roles:
                rm = mean(role_levels.get((q.pk, role), []))
                by_role[role] = rounded(rm)
                if rm is not None:
                    role_means[role].append(rm)
            if m is not None:
                item_means.append(m)
            items.append(ItemScore(question=q, score=rounded(m), by_role=by_role, answers=len(levels.get(q.pk, []))))
        dim_roles = {role: rounded(mean(role_means[role])) for role in ordered_roles}
        present = [v for v in dim_roles.values() if v is not None]
        spread = (max(present) - min(present)) if len(present) > 1 else None
        out.append(DimensionScore(dimension=dimension, score=rounded(mean(item_means)), by_role=dim_roles, spread=spread,
                                  divergent=spread is not None and spread >= threshold, items=items))
    return out


def diagnosis_answers(diagnosis: Diagnosis) -> list[tuple[int, str, int]]:
    return list(Answer.objects.filter(respondent__diagnosis=diagnosis, respondent__submitted_at__isnull=False)
                .values_list("question_id", "respondent__role", "level"))


def diagnosis_scores(diagnosis: Diagnosis) -> dict[str, str]:
    """The dimension scores as they are frozen on closing: code → "2.75" (dimensions nobody answered left out)."""
    view = questionnaire_view(None, diagnosis.questionnaire)
    return {d.dimension.code: str(d.score) for d in score_dimensions(view.dimensions, diagnosis_answers(diagnosis))
            if d.score is not None}


def code_set(questionnaire_id: int) -> frozenset[str]:
    return frozenset(Dimension.objects.filter(questionnaire_id=questionnaire_id).values_list("code", flat=True))


def same_code_sets(questionnaire: Questionnaire) -> list[int]:
    """The questionnaires of its kind with exactly its dimension codes (its own versions, and copies elsewhere)."""
    codes: dict[int, set[str]] = defaultdict(set)
    for qid, code in Dimension.objects.filter(questionnaire__kind=questionnaire.kind).values_list("questionnaire_id", "code"):
        codes[qid].add(code)
    mine = codes.get(questionnaire.pk, set())
    return sorted(qid for qid, c in codes.items() if c == mine)


@dataclass
class Peers:
    count: int
    median: dict[str, Decimal]


def peer_median(diagnosis: Diagnosis) -> Peers:
    """The median of each dimension over the latest closed diagnosis of every other organization of the same kind,
    under questionnaires of the same codes; no median below CAPACITY_PEERS_MIN peers."""
    org = diagnosis.organization
    rows = (Diagnosis.objects.filter(status=DiagnosisStatus.CLOSED, questionnaire_id__in=same_code_sets(diagnosis.questionnaire),
                                      organization__kind=org.kind).exclude(organization_id=org.pk)
            .order_by("organization_id", "-started_on", "-id").values_list("organization_id", "scores"))
    latest: dict[int, dict[str, Any]] = {}
    for org_id, scores in rows:
        latest.setdefault(org_id, scores if isinstance(scores, dict) else {})
    if len(latest) < peers_min():
        return Peers(count=len(latest), median={})
    values: dict[str, list[Decimal]] = defaultdict(list)
    for scores in latest.values():
        for code, raw in scores.items():
            value = as_decimal(raw)
            if value is not None:
                values[code].append(value)
    return Peers(count=len(latest), median={code: rounded(Decimal(str(statistics.median(v)))) or Decimal(0)
                                            for code, v in values.items() if len(v) >= peers_min()})


# --- diagnoses ----------------------------------------------------------------------------------------------------------

def diagnoses_visible(scope: Scope) -> QuerySet[Diagnosis]:
    if scope.user_id is None or not may_open_capacity(scope):
        return Diagnosis.objects.none()
    return Diagnosis.objects.filter(org_scope_q(scope)).select_related("organization__division", "questionnaire__region")


def diagnoses_list(scope: Scope, *, status: str = "", organization_id: int | None = None, query: str = "") -> QuerySet[Diagnosis]:
    """The list, each with its respondents, those who answered and its overdue actions counted (one query a page)."""
    today = timezone.localdate()
    rows = diagnoses_visible(scope)
    if status:
        rows = rows.filter(status=status)
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    if query:
        rows = rows.filter(organization__name__contains=query)
    return rows.annotate(
        respondent_count=Count("respondents", distinct=True),
        answered_count=Count("respondents", filter=Q(respondents__submitted_at__isnull=False), distinct=True),
        overdue_count=Count("actions", filter=Q(actions__status=ActionStatus.OPEN, actions__due_on__lt=today), distinct=True),
    ).order_by("-started_on", "-id")


def diagnosis_get(scope: Scope, diagnosis_id: int) -> Diagnosis:
    found = diagnoses_visible(scope).filter(pk=diagnosis_id).first()
    if found is None:
        if Diagnosis.objects.filter(pk=diagnosis_id).exists():
            access_denied(user_id=scope.user_id, object_type="evaluation.diagnosis", object_id=diagnosis_id)
        raise NotFound()
    return found


def action_get(scope: Scope, action_id: int) -> ActionItem:
    found = ActionItem.objects.filter(pk=action_id, diagnosis__in=diagnoses_visible(scope)).select_related(
        "diagnosis__organization__division", "diagnosis__questionnaire").first()
    if found is None:
        if ActionItem.objects.filter(pk=action_id).exists():
            access_denied(user_id=scope.user_id, object_type="evaluation.actionitem", object_id=action_id)
        raise NotFound()
    return found


def overall(scores: dict[str, Any]) -> Decimal | None:
    """The mean of a diagnosis's dimension scores (for lists)."""
    values = [v for v in (as_decimal(s) for s in scores.values()) if v is not None]
    return rounded(sum(values, Decimal(0)) / len(values)) if values else None


@dataclass
class DimensionRow:
    code: str
    name: str
    score: Decimal | None
    by_role: list[tuple[str, Decimal | None]]
    spread: Decimal | None
    divergent: bool
    previous: Decimal | None
    change: Decimal | None
    peer: Decimal | None
    weak: bool
    advice: list[str]
    items: list[ItemScore]


@dataclass
class RespondentRow:
    respondent: Respondent
    answered: bool


@dataclass
class ActionRow:
    action: ActionItem
    dimension: str
    overdue: bool


@dataclass
class DiagnosisReport:
    diagnosis: Diagnosis
    rows: list[DimensionRow]
    roles: list[tuple[str, str]]  # (role, label) of the roles that answered
    respondents: list[RespondentRow]
    actions: list[ActionRow]
    previous: Diagnosis | None
    peers: Peers
    overall: Decimal | None
    may_manage: bool
    threshold: Decimal
    chart: dict[str, Any] = field(default_factory=dict)

    @property
    def answered(self) -> int:
        return sum(1 for r in self.respondents if r.answered)

    @property
    def divergent(self) -> list[DimensionRow]:
        return [r for r in self.rows if r.divergent]

    @property
    def with_advice(self) -> list[DimensionRow]:
        return [r for r in self.rows if r.advice]

    @property
    def overdue(self) -> int:
        return sum(1 for a in self.actions if a.overdue)


def diagnosis_report(scope: Scope | None, diagnosis: Diagnosis) -> DiagnosisReport:
    """Everything the report shows, in a fixed number of queries: the dimension scores (frozen once closed, else as
    answered so far), each role's means and their divergence, the previous diagnosis and the change, the peer median,
    the library's advice for weak dimensions, the respondents and the action plan."""
    view = questionnaire_view(None, diagnosis.questionnaire)
    answers = diagnosis_answers(diagnosis)
    scored = score_dimensions(view.dimensions, answers)
    closed = diagnosis.status == DiagnosisStatus.CLOSED
    frozen = diagnosis.scores if isinstance(diagnosis.scores, dict) else {}
    scores = {d.dimension.code: (as_decimal(frozen.get(d.dimension.code)) if closed else d.score) for d in scored}
    previous = (Diagnosis.objects.filter(pk=diagnosis.previous_id).select_related("questionnaire").first()
                if diagnosis.previous_id else None)
    before = previous.scores if previous is not None and isinstance(previous.scores, dict) else {}
    peers = peer_median(diagnosis)
    advice = advice_for(diagnosis.organization, scores)
    weak = weak_below()
    roles = sorted({role for _q, role, _l in answers}, key=RespondentRole.values.index)
    labels = dict(RespondentRole.choices)
    rows: list[DimensionRow] = []
    for d in scored:
        code = d.dimension.code
        score, prior = scores.get(code), as_decimal(before.get(code))
        rows.append(DimensionRow(
            code=code, name=d.dimension.name, score=score, by_role=[(str(labels[r]), d.by_role.get(r)) for r in roles],
            spread=d.spread, divergent=d.divergent, previous=prior,
            change=score - prior if score is not None and prior is not None else None, peer=peers.median.get(code),
            weak=score is not None and score < weak, advice=advice.get(code, []), items=d.items))
    respondents = [RespondentRow(respondent=r, answered=r.submitted_at is not None)
                   for r in Respondent.objects.filter(diagnosis=diagnosis).order_by("role", "id")]
    today = timezone.localdate()
    names = {r.code: r.name for r in rows}
    actions = [ActionRow(action=a, dimension=names.get(a.dimension_code, a.dimension_code),
                         overdue=a.status == ActionStatus.OPEN and a.due_on < today)
               for a in ActionItem.objects.filter(diagnosis=diagnosis).order_by("status", "due_on", "id")]
    present = [r.score for r in rows if r.score is not None]
    report = DiagnosisReport(
        diagnosis=diagnosis, rows=rows, roles=[(r, str(labels[r])) for r in roles], respondents=respondents, actions=actions,
        previous=previous, peers=peers, overall=rounded(sum(present, Decimal(0)) / len(present)) if present else None,
        may_manage=scope is not None and may_evaluate(scope, diagnosis.organization), threshold=divergence_threshold())
    report.chart = radar_data(report)
    return report


def chart_number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def radar_data(report: DiagnosisReport) -> dict[str, Any]:
    """The radar chart's data (ECharts): this diagnosis, the peer median and the previous diagnosis."""
    d = report.diagnosis
    series = [{"key": "this", "name": str(_("This diagnosis (%(day)s)") % {"day": d.started_on.isoformat()}),
               "value": [chart_number(r.score) for r in report.rows]}]
    if report.peers.median:
        series.append({"key": "peers", "name": str(_("Peer median (%(n)s organizations)") % {"n": report.peers.count}),
                       "value": [chart_number(r.peer) for r in report.rows]})
    if report.previous is not None:
        series.append({"key": "previous", "name": str(_("Previous (%(day)s)") % {"day": report.previous.started_on.isoformat()}),
                       "value": [chart_number(r.previous) for r in report.rows]})
    return {"indicators": [{"name": r.name, "max": LEVELS, "min": 0} for r in report.rows], "series": series}


def today() -> dt.date:
    return timezone.localdate()
