"""A call and an organization's part in it: the call opened by the region's administrators, the application
(eligibility read from the records), the self-assessment with evidence per indicator, the submission. In a station
call the agency applies for each station it runs in the region, and assesses it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, NotFound, field_error, lazy_format
from shanlian.core.inputs import Checks, date_window, decimal_in, int_in, model_text
from shanlian.core.transitions import transition
from shanlian.core.uploads import stored_name, upload_in
from shanlian.orgs.models import Organization, Station
from shanlian.places.models import Division, Level

from .. import scoring
from ..access import require_committee, require_org_representative
from ..eligibility import require_eligible
from ..models import (
    Assessment,
    AssessmentStatus,
    Call,
    CallStatus,
    Evidence,
    Framework,
    FrameworkKind,
    FrameworkStatus,
    Indicator,
    IndicatorSource,
    RaterKind,
    Rating,
)

OUTSIDE_SOURCES = (IndicatorSource.PURCHASER, IndicatorSource.SUPERVISOR)
REVIEWERS_MAX = 7
NOTICE_DAYS_MAX = 30
EVIDENCE_PER_INDICATOR = 5
COMMENT_MAX = 500


def leaves_of(framework: Framework | int) -> list[scoring.Leaf]:
    """The framework's scored indicators (its leaves), in code order."""
    framework_id = framework if isinstance(framework, int) else framework.pk
    rows = list(Indicator.objects.filter(framework_id=framework_id).only(
        "id", "code", "name", "points", "kind", "scoring", "levels", "evidence_required", "source", "parent_id"))
    parents = {r.parent_id for r in rows}
    leaves = [scoring.Leaf.of(r) for r in rows if r.pk not in parents]
    return sorted(leaves, key=lambda leaf: [int(p) for p in leaf.code.split(".")])


def codes(items: list[str], shown: int = 10) -> str:
    """Indicator codes in a message: the first few, then an ellipsis."""
    return "、".join(items[:shown]) + ("…" if len(items) > shown else "")


# --- the call ------------------------------------------------------------------------------------------------------

@transaction.atomic
def call_create(*, actor: Any, region: Division, year: int, title: str, opens_on: dt.date, closes_on: dt.date,
                review_until: dt.date, kind: str = FrameworkKind.GRADE, notice_days: int = 7, reviewers: int = 2,
                batch: int | None = None, pass_mark: Any = None) -> Call:
    """Open a call: organizations apply from `opens_on`; a published framework of the region, kind and year must
    exist (each organization is assessed under the one for its kind). A brand call is numbered (第N批) and may set the
    least score to be named. A station call evaluates the region's stations (the agencies apply for theirs)."""
    require_committee(actor, region)
    checks = Checks()
    if kind == FrameworkKind.BRAND:
        batch = checks(int_in, batch, field="batch", minimum=1, maximum=99) if batch is not None else None
        pass_mark = checks(decimal_in, pass_mark, field="pass_mark", places=2, minimum="0.01", maximum=1000) \
            if pass_mark not in (None, "") else None
    else:
        batch, pass_mark = None, None
    if region.level not in (Level.CITY, Level.DISTRICT):
        checks.failed.append(field_error("region", "invalid_region", _("A call is for a city or a district.")))
    if kind not in FrameworkKind.values:
        checks.failed.append(field_error("kind", "invalid_kind", _("Choose what the call evaluates.")))
    year = checks(int_in, year, field="year", minimum=2000, maximum=timezone.localdate().year + 1)
    title = checks(model_text, Call, "title", title, required=True)
    for name, day in (("opens_on", opens_on), ("closes_on", closes_on), ("review_until", review_until)):
        checks(date_window, day, field=name)
    notice_days = checks(int_in, notice_days, field="notice_days", minimum=7, maximum=NOTICE_DAYS_MAX)
    reviewers = checks(int_in, reviewers, field="reviewers", minimum=1, maximum=REVIEWERS_MAX)
    if opens_on and closes_on and closes_on < opens_on:
        checks.failed.append(field_error("closes_on", "dates_reversed", _("Self-assessments are due after the call opens.")))
    if closes_on and review_until and review_until < closes_on:
        checks.failed.append(field_error("review_until", "dates_reversed", _("Expert review ends after self-assessments are due.")))
    checks.done()
    if year is not None and not Framework.objects.filter(region=region, kind=kind, year=year,
                                                         status=FrameworkStatus.PUBLISHED).exists():
        raise Conflict("no_framework", lazy_format(_("Publish the %(year)s framework of %(region)s first."),
                                                   {"year": year, "region": region.name}))
    call = Call(region=region, kind=kind, year=year, title=title, opens_on=opens_on, closes_on=closes_on,
                review_until=review_until, notice_days=notice_days, reviewers=reviewers, status=CallStatus.OPEN,
                batch=batch, pass_mark=pass_mark, created_by=actor)
    call.full_clean()
    call.save()
    audit_log(actor=actor, action="evaluation.call.create", obj=call, after={
        "region": region.pk, "kind": kind, "year": year, "opens_on": opens_on.isoformat(),
        "closes_on": closes_on.isoformat(), "review_until": review_until.isoformat()})
    return call


def call_close(*, actor: Any, call: Call) -> Call:
    require_committee(actor, call.region)
    return transition(call, to=CallStatus.CLOSED, allowed_from=[CallStatus.OPEN], actor=actor, action="evaluation.call.close")


def _framework_for(call: Call, org: Organization) -> Framework:
    found = (Framework.objects.filter(region=call.region, kind=call.kind, year=call.year, status=FrameworkStatus.PUBLISHED)
             .filter(org_kind__in=[org.kind, ""]).order_by("-org_kind", "-version").first())
    if found is None:
        raise Conflict("no_framework", lazy_format(_("This call has no framework for %(kind)s."),
                                                   {"kind": org.get_kind_display()}))
    return found


# --- the organization's part ---------------------------------------------------------------------------------------

@transaction.atomic
def assessment_apply(*, actor: Any, call: Call, organization: Organization, station: Station | None = None) -> Assessment:
    """Apply while the call takes applications; eligibility is read from the records and refused with its reasons.
    The assessment is made, and scored forever, under the framework version published for the organization's kind.
    A station call: the agency applies for a station it runs in the call's region (`station`), once a station."""
    require_org_representative(actor, organization.pk)
    if (call.kind == FrameworkKind.STATION) != (station is not None):
        raise field_error("station", "station_required" if station is None else "not_a_station_call",
                          _("Choose the station to be evaluated.") if station is None else
                          _("This call evaluates organizations, not stations."))
    locked = Call.objects.select_for_update().get(pk=call.pk)
    today = timezone.localdate()
    if locked.status != CallStatus.OPEN or not locked.opens_on <= today <= locked.closes_on:
        raise Conflict("call_not_open", lazy_format(_("This call takes applications from %(opens)s to %(closes)s."),
                                                    {"opens": locked.opens_on.isoformat(), "closes": locked.closes_on.isoformat()}))
    if station is not None:
        if station.agency_id != organization.pk:
            raise field_error("station", "not_your_station", _("The organization does not run this station."))
        if not station.street.path.startswith(locked.region.path):
            raise Conflict("outside_region", _("The station is outside this call's region."))
        existing = Assessment.objects.filter(call=locked, station=station).first()
    else:
        if not organization.division.path.startswith(locked.region.path):
            raise Conflict("outside_region", _("The organization is registered outside this call's region."))
        existing = Assessment.objects.filter(call=locked, organization=organization, station__isnull=True).first()
    if existing is not None:
        return existing
    require_eligible(locked.kind, organization, today)
    assessment = Assessment.objects.create(call=locked, organization=organization, station=station,
                                           framework=_framework_for(locked, organization))
    audit_log(actor=actor, action="evaluation.assessment.apply", obj=assessment,
              after={"call": locked.pk, "organization": organization.pk, "station": station.pk if station else None,
                     "framework": assessment.framework_id})
    return assessment


def _require_self_assessing(assessment: Assessment) -> Assessment:
    locked = Assessment.objects.select_for_update().select_related("call").get(pk=assessment.pk)
    if locked.status != AssessmentStatus.SELF:
        raise Conflict("self_assessment_over", _("The self-assessment has been submitted."))
    if timezone.localdate() > locked.call.closes_on:
        raise Conflict("call_closed", lazy_format(_("Self-assessments were due on %(date)s."),
                                                  {"date": locked.call.closes_on.isoformat()}))
    return locked


def marks_in(leaves: list[scoring.Leaf], marks: Any, *, rater: str, complete: bool,
             surveyed: frozenset[int] = frozenset()) -> dict[int, tuple[Decimal, int | None, str]]:
    """Marks as given ({indicator id: {"level"|"points"|"answer": ..., "comment": ...}}), each checked against its
    leaf's scale: indicator id → (points, level, comment). Only the leaves a `rater` of that kind marks
    (`scoring.rated_by`). `complete`: every one of them must be marked, but those in `surveyed` (marked from
    satisfaction surveys)."""
    if not isinstance(marks, dict):
        raise field_error("marks", "invalid_marks", _("Give the marks by indicator."))
    by_id = {leaf.id: leaf for leaf in leaves}
    checks = Checks()
    out: dict[int, tuple[Decimal, int | None, str]] = {}
    for key, mark in marks.items():
        try:
            leaf = by_id[int(key)]
        except (KeyError, TypeError, ValueError):
            raise field_error("marks", "unknown_indicator", lazy_format(
                _("Indicator %(key)s is not a scored indicator of this framework."), {"key": str(key)[:20]})) from None
        if not scoring.rated_by(leaf, rater):
            raise field_error(f"marks.{leaf.id}", "not_your_indicator", lazy_format(
                _("%(code)s %(name)s is marked by %(who)s."),
                {"code": leaf.code, "name": leaf.name,
                 "who": IndicatorSource(leaf.source).label if leaf.source in OUTSIDE_SOURCES else _("the subject and the experts")}))
        mark = mark if isinstance(mark, dict) else {"points": mark}
        value = checks(scoring.mark_value, leaf, level=mark.get("level"), points=mark.get("points"),
                       answer=mark.get("answer"), field=f"marks.{leaf.id}")
        comment = checks(model_text, Rating, "comment", mark.get("comment", ""), field=f"marks.{leaf.id}.comment")
        if value is not None:
            out[leaf.id] = (value[0], value[1], comment or "")
    checks.done()
    if complete:
        missing = [leaf.code for leaf in leaves if scoring.rated_by(leaf, rater) and leaf.id not in out and leaf.id not in surveyed]
        if missing:
            raise field_error("marks", "marks_incomplete", lazy_format(
                _("Mark every indicator: %(codes)s not yet marked."), {"codes": codes(missing)}))
    return out


def ratings_write(*, assessment: Assessment, kind: str, rater: Any, marks: dict[int, tuple[Decimal, int | None, str]]) -> None:
    """One rater's marks, replacing theirs of the same leaves (the one writer of `Rating`)."""
    existing = {r.indicator_id: r for r in Rating.objects.filter(assessment=assessment, kind=kind, rater=rater)}
    new, changed = [], []
    for indicator_id, (points, level, comment) in marks.items():
        row = existing.get(indicator_id)
        if row is None:
            new.append(Rating(assessment=assessment, indicator_id=indicator_id, kind=kind, rater=rater, points=points,
                              level=level, comment=comment))
        elif (row.points, row.level, row.comment) != (points, level, comment):
            row.points, row.level, row.comment, row.rated_at = points, level, comment, timezone.now()
            changed.append(row)
    Rating.objects.bulk_create(new)
    if changed:
        Rating.objects.bulk_update(changed, ["points", "level", "comment", "rated_at"])


@transaction.atomic
def self_rate(*, actor: Any, assessment: Assessment, marks: Any) -> Assessment:
    """Save the organization's own marks (some or all), until it submits."""
    require_org_representative(actor, assessment.organization_id)
    locked = _require_self_assessing(assessment)
    given = marks_in(leaves_of(locked.framework), marks, rater=RaterKind.SELF, complete=False)
    ratings_write(assessment=locked, kind=RaterKind.SELF, rater=actor, marks=given)
    audit_log(actor=actor, action="evaluation.assessment.self_rate", obj=locked, after={"marked": sorted(given)})
    return locked


@transaction.atomic
def evidence_add(*, actor: Any, assessment: Assessment, indicator: Indicator, upload: Any) -> Evidence:
    require_org_representative(actor, assessment.organization_id)
    locked = _require_self_assessing(assessment)
    if indicator.framework_id != locked.framework_id:
        raise NotFound("indicator_not_found", _("No such indicator in this framework."))
    file = upload_in(upload, field="file")
    if Evidence.objects.filter(assessment=locked, indicator=indicator).count() >= EVIDENCE_PER_INDICATOR:
        raise field_error("file", "too_many_files", lazy_format(_("At most %(n)s files an indicator."), {"n": EVIDENCE_PER_INDICATOR}))
    evidence = Evidence(assessment=locked, indicator=indicator, name=stored_name(file.name, 128), size=file.size or 0,
                        uploaded_by=actor)
    evidence.file.save(evidence.name, file, save=False)
    evidence.save()
    audit_log(actor=actor, action="evaluation.evidence.add", obj=locked, after={"indicator": indicator.code, "file": evidence.name})
    return evidence


@transaction.atomic
def assessment_submit(*, actor: Any, assessment: Assessment) -> Assessment:
    """Submit the self-assessment: every indicator marked, evidence attached wherever the framework requires it."""
    require_org_representative(actor, assessment.organization_id)
    locked = _require_self_assessing(assessment)
    leaves = leaves_of(locked.framework)
    marked = dict(Rating.objects.filter(assessment=locked, kind=RaterKind.SELF).values_list("indicator_id", "points"))
    missing = [leaf.code for leaf in leaves if scoring.rated_by(leaf, RaterKind.SELF) and leaf.id not in marked]
    if missing:
        raise field_error("marks", "marks_incomplete", lazy_format(
            _("Mark every indicator: %(codes)s not yet marked."), {"codes": codes(missing)}))
    proven = set(Evidence.objects.filter(assessment=locked).values_list("indicator_id", flat=True))
    unproven = [leaf.code for leaf in leaves if leaf.evidence_required and scoring.rated_by(leaf, RaterKind.SELF)
                and leaf.id not in proven]
    if unproven:
        raise field_error("evidence", "evidence_missing", lazy_format(
            _("Attach evidence to %(codes)s: the framework requires it."), {"codes": codes(unproven)}))
    self_total = scoring.total(leaves, marked)
    return transition(locked, to=AssessmentStatus.SUBMITTED, allowed_from=[AssessmentStatus.SELF], actor=actor,
                      action="evaluation.assessment.submit",
                      changes=lambda a: {"submitted_at": timezone.now(), "self_total": self_total},
                      audit={"self_total": str(self_total)})
