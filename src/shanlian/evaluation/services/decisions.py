"""From the experts' marks to the grade: the committee's decision (never above what the score earns; 3A and above
only after a site inspection), the public notice with its objections and answers, and the award, which writes the
grade to the organization with its validity and numbers its certificate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.core.audit import audit_log
from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, field_error, lazy_format
from shanlian.core.identifiers import clean_phone
from shanlian.core.inputs import Checks, model_text
from shanlian.core.transitions import transition
from shanlian.grants.models import ServiceProject
from shanlian.orgs.models import Station
from shanlian.orgs.services import organization_grade_set

from .. import scoring
from ..access import require_committee
from ..eligibility import require_eligible
from ..models import (
    Assessment,
    AssessmentStatus,
    FrameworkKind,
    GradeBand,
    Objection,
    RaterKind,
    Rating,
    Reviewer,
    ReviewerStatus,
    result_label,
    results_of,
)
from ..satisfaction_counts import Pool, project_pools, station_pools
from .assessments import leaves_of


def grade_rank(grade: str, kind: str = FrameworkKind.GRADE) -> int:
    """A result's place among its kind's (a grade 1A … 5A; a station's pass, good, excellent): 0 for none."""
    order = results_of(kind)
    return order.index(grade) + 1 if grade in order else 0


def survey_marks(assessment: Assessment, leaves: list[scoring.Leaf] | None = None) -> dict[int, Decimal]:
    """The leaves marked from satisfaction surveys (`Indicator.source`): each leaf's points × the subject's
    satisfaction rate in the call's year, pooled over the station's surveys and its projects' (a station's
    assessment) or the stations the organization runs and the projects it leads; nothing when the framework has no
    such leaf or the surveys are too few (then the raters' marks count)."""
    leaves = leaves if leaves is not None else leaves_of(assessment.framework_id)
    surveyed = [leaf for leaf in leaves if leaf.source == "satisfaction"]
    if not surveyed:
        return {}
    year = assessment.call.year
    if assessment.station_id is not None:
        stations = [assessment.station_id]
        projects = list(ServiceProject.objects.filter(station_id=assessment.station_id).values_list("pk", flat=True))
    else:
        stations = list(Station.objects.filter(agency_id=assessment.organization_id).values_list("pk", flat=True))
        projects = list(ServiceProject.objects.filter(lead_id=assessment.organization_id).exclude(station_id__in=stations)
                        .values_list("pk", flat=True))
    pool = Pool()
    for part in [*station_pools(station_ids=stations, year=year).values(), *project_pools(project_ids=projects, year=year).values()]:
        pool.merge(part)
    rate = pool.rate
    if rate is None or not pool.enough:
        return {}
    return {leaf.id: scoring.q2(leaf.points * rate) for leaf in surveyed}


def reviewed_marks(assessment: Assessment, leaves: list[scoring.Leaf] | None = None) -> dict[int, Decimal]:
    """Each indicator's mark as the committee reads it: the mean over the raters who marked it (experts and site
    inspectors; a station's purchaser and supervisor, their part), or, for a leaf marked from satisfaction surveys,
    the surveys' mark."""
    marks = scoring.mean_marks(Rating.objects.filter(assessment=assessment).exclude(kind=RaterKind.SELF)
                               .values_list("indicator_id", "points"))
    return {**marks, **survey_marks(assessment, leaves)}


def reviewed_total(assessment: Assessment) -> Any:
    """The assessment's score (see `reviewed_marks`)."""
    leaves = leaves_of(assessment.framework_id)
    return scoring.total(leaves, reviewed_marks(assessment, leaves))


def _require_reviews_in(assessment: Assessment) -> None:
    reviewers = list(Reviewer.objects.filter(assessment=assessment).exclude(status=ReviewerStatus.RECUSED))
    experts = [r for r in reviewers if r.role == RaterKind.EXPERT]
    pending = [r for r in reviewers if r.status != ReviewerStatus.SUBMITTED]
    missing = scoring.outside_kinds(leaves_of(assessment.framework_id)) - {r.role for r in reviewers}
    if missing:
        raise Conflict("raters_missing", lazy_format(_("Name %(who)s first."), {"who": "、".join(
            str(RaterKind(k).label) for k in sorted(missing))}))
    if len(experts) < assessment.call.reviewers or pending:
        raise Conflict("reviews_pending", lazy_format(_("%(done)s of %(all)s reviews are in; decide when every expert has submitted."),
                                                      {"done": sum(1 for r in reviewers if r.status == ReviewerStatus.SUBMITTED),
                                                       "all": max(len(reviewers), assessment.call.reviewers)}))


@transaction.atomic
def assessment_decide(*, actor: Any, assessment: Assessment, grade: str = "", named: bool = False, note: str = "") -> Assessment:
    """The committee's decision after expert review, put on public notice for the call's days. A grade call: a grade
    up to the one the score earns (lower, or none, with a reason); from EVALUATION_SITE_INSPECTION_FROM up only after
    a submitted site inspection. A brand call: named a brand organization or not (named only at or above the call's
    pass mark; not naming one that reaches it needs a reason). A station call: a result (pass, good, excellent) up
    to the one the score earns, as for a grade, with no site inspection."""
    require_committee(actor, assessment.call.region)
    locked = Assessment.objects.select_for_update().select_related("call", "framework").get(pk=assessment.pk)
    if locked.status != AssessmentStatus.REVIEW:
        raise Conflict("not_in_review", _("The committee decides once expert review is done."))
    _require_reviews_in(locked)
    note = model_text(Assessment, "decision_note", note, field="note")
    score = reviewed_total(locked)
    if locked.call.kind == FrameworkKind.BRAND:
        grade, earned = "", ""
        reaches = locked.call.pass_mark is None or score >= locked.call.pass_mark
        if named and not reaches:
            raise field_error("named", "below_pass_mark", lazy_format(
                _("A score of %(score)s is below this batch's %(mark)s."), {"score": score, "mark": locked.call.pass_mark}))
        if not named and reaches and not note:
            raise field_error("note", "reason_required", _("Say why an organization reaching the pass mark is not named."))
    else:
        named, kind = False, locked.call.kind
        if grade not in ("", *results_of(kind)):
            raise field_error("grade", "invalid_grade", _("A grade is one of 1A to 5A, or none.") if kind == FrameworkKind.GRADE
                              else _("A result is pass, good or excellent, or none."))
        earned = scoring.grade_for(score, GradeBand.objects.filter(framework=locked.framework).values_list("grade", "minimum"))
        if grade_rank(grade, kind) > grade_rank(earned, kind):
            raise field_error("grade", "grade_above_score", lazy_format(
                _("A score of %(score)s earns %(earned)s at most."),
                {"score": score, "earned": result_label(kind, earned) if earned else _("no grade")}))
        if grade != earned and not note:
            raise field_error("note", "reason_required", _("Say why the grade differs from the one the score earns."))
        site_from = domain_setting("EVALUATION_SITE_INSPECTION_FROM")
        if kind == FrameworkKind.GRADE and grade_rank(grade) >= grade_rank(site_from) and not Reviewer.objects.filter(
                assessment=locked, role=RaterKind.SITE, status=ReviewerStatus.SUBMITTED).exists():
            raise Conflict("site_inspection_required", lazy_format(
                _("A grade of %(grade)s or above needs a site inspection first."), {"grade": site_from}))
    now = timezone.now()
    until = now + dt.timedelta(days=locked.call.notice_days)
    return transition(locked, to=AssessmentStatus.NOTICE, allowed_from=[AssessmentStatus.REVIEW], actor=actor,
                      action="evaluation.assessment.decide",
                      changes=lambda a: {"total": score, "grade": grade, "named": named, "decision_note": note,
                                         "decided_at": now, "decided_by": actor, "notice_until": until},
                      audit={"total": str(score), "grade": grade, "named": named, "earned": earned,
                             "notice_until": until.isoformat()})


@transaction.atomic
def objection_lodge(*, assessment: Assessment, name: str, contact: str, text: str) -> Objection:
    """Anyone may object while the notice runs, giving a name and a phone to be answered on (kept encrypted)."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != AssessmentStatus.NOTICE or locked.notice_until is None or timezone.now() >= locked.notice_until:
        raise Conflict("notice_over", _("Objections are taken while the public notice runs."))
    checks = Checks()
    name = checks(model_text, Objection, "name", name, required=True)
    phone = checks(clean_phone, contact) if contact else None
    if not contact:
        checks.failed.append(field_error("contact", "required", _("Give a phone number to be answered on.")))
    text = checks(model_text, Objection, "text", text, required=True)
    checks.done()
    objection = Objection.objects.create(assessment=locked, name=name, contact_enc=crypto.encrypt(phone or ""), text=text)
    audit_log(actor=None, action="evaluation.objection.lodge", obj=locked, after={"objection": objection.pk})
    return objection


@transaction.atomic
def objection_answer(*, actor: Any, objection: Objection, answer: str, upheld: bool) -> Objection:
    """The committee answers an objection. Upheld, the decision is withdrawn: the assessment returns to review for a
    new decision and a new notice."""
    assessment = objection.assessment
    require_committee(actor, assessment.call.region)
    locked = Objection.objects.select_for_update().get(pk=objection.pk)
    if locked.answered_at is not None:
        raise Conflict("objection_answered", _("This objection has been answered."))
    answer = model_text(Objection, "answer", answer, required=True)
    if not isinstance(upheld, bool):
        raise field_error("upheld", "invalid_upheld", _("Say whether the objection is upheld."))
    locked.answer, locked.upheld, locked.answered_by, locked.answered_at = answer, upheld, actor, timezone.now()
    locked.save(update_fields=["answer", "upheld", "answered_by", "answered_at"])
    audit_log(actor=actor, action="evaluation.objection.answer", obj=assessment, after={"objection": locked.pk, "upheld": upheld})
    if upheld:
        transition(assessment, to=AssessmentStatus.REVIEW, allowed_from=[AssessmentStatus.NOTICE], actor=actor,
                   action="evaluation.assessment.reopen",
                   changes=lambda a: {"grade": "", "named": False, "total": None, "decided_at": None, "decided_by": None,
                                      "notice_until": None},
                   audit={"objection": locked.pk})
    return locked


def _certificate_no(assessment: Assessment, on: dt.date) -> str:
    mark = "ST" if assessment.station_id else assessment.grade or "PP"
    prefix = f"{assessment.call.region.code[:6]}-{on.year}-{mark}-"
    taken = Assessment.objects.filter(certificate_no__startswith=prefix).count()
    return f"{prefix}{taken + 1:04d}"


@transaction.atomic
def assessment_award(*, actor: Any, assessment: Assessment) -> Assessment:
    """After the notice ends with every objection answered: the grade is written to the organization (valid
    GRADE_VALID_YEARS from today), or the organization is named a brand organization, or a station's result stands
    (on the assessment: a station holds no grade), with a numbered certificate; a decision of no grade (not named,
    not passed) closes the assessment."""
    require_committee(actor, assessment.call.region)
    locked = Assessment.objects.select_for_update().select_related("call__region", "organization").get(pk=assessment.pk)
    if locked.status in (AssessmentStatus.AWARDED, AssessmentStatus.NOT_GRADED):
        return locked
    if locked.status != AssessmentStatus.NOTICE or locked.notice_until is None:
        raise Conflict("not_on_notice", _("A grade is awarded after its public notice."))
    if timezone.now() < locked.notice_until:
        raise Conflict("notice_running", lazy_format(_("The public notice runs until %(until)s."),
                                                     {"until": timezone.localtime(locked.notice_until).strftime("%Y-%m-%d %H:%M")}))
    if Objection.objects.filter(assessment=locked, answered_at__isnull=True).exists():
        raise Conflict("objections_open", _("Answer every objection first."))
    today = timezone.localdate()
    if not (locked.grade or locked.named):
        return transition(locked, to=AssessmentStatus.NOT_GRADED, allowed_from=[AssessmentStatus.NOTICE], actor=actor,
                          action="evaluation.assessment.not_graded")
    require_eligible(locked.call.kind, locked.organization, today)
    if locked.grade and locked.call.kind == FrameworkKind.GRADE:
        organization_grade_set(actor=actor, organization=locked.organization, grade=locked.grade, awarded_on=today)
    number = _certificate_no(locked, today)
    return transition(locked, to=AssessmentStatus.AWARDED, allowed_from=[AssessmentStatus.NOTICE], actor=actor,
                      action="evaluation.assessment.award",
                      changes=lambda a: {"awarded_on": today, "certificate_no": number}, audit={"certificate": number})
