"""Indicator frameworks: saved as a draft from a tree (typed in, imported from XLSX, or copied from an earlier
version), checked whole (every parent the sum of its children, the first level the framework's total, the levels'
points in order, the grade cut-offs within the total), published once and never changed after, followed by a new
version. A framework that breaks a rule is refused with the indicator it concerns; nothing of it is saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import ValidationFailed, field_error, lazy_format
from shanlian.core.inputs import Checks, decimal_in, int_in, model_text
from shanlian.core.transitions import transition
from shanlian.orgs.models import OrgKind
from shanlian.places.models import Division

from ..access import require_framework_admin
from ..models import (
    MAX_DEPTH,
    Framework,
    FrameworkKind,
    FrameworkStatus,
    GradeBand,
    Indicator,
    IndicatorKind,
    IndicatorSource,
    Scoring,
    results_of,
)

TOTALS = (Decimal(100), Decimal(1000))  # the two scales authorities use
MAX_INDICATORS = 600
LEVELS = 4
TEXT_MAX = 2000


@dataclass
class Node:
    """An indicator as given (by a person, a sheet or a copy): its children, or how it is scored if it is a leaf.
    `levels`: for level scoring, four (descriptor, points) pairs from level 1 to 4. `where`: how to name it in an
    error (a code, or a sheet's row)."""

    name: str
    points: Any
    kind: str = IndicatorKind.NORMAL
    scoring: str = ""
    levels: list[tuple[str, Any]] = field(default_factory=list)
    criteria: str = ""
    evidence_required: bool = False
    source: str = ""  # who marks it besides the subject and the experts (IndicatorSource; a normal leaf only)
    children: list[Node] = field(default_factory=list)
    where: str = ""


def _refuse(where: str, code: str, message: Any) -> ValidationFailed:
    text = lazy_format(_("%(where)s: %(problem)s"), {"where": where, "problem": message}) if where else message
    return field_error("indicators", code, text)


def _points(node: Node, where: str) -> Decimal:
    try:
        value = decimal_in(node.points, field="points", places=2, minimum=Decimal("0.01"), maximum=Decimal(1000))
    except ValidationFailed as exc:
        raise _refuse(where, exc.code, exc.message) from None
    return value


def _check(nodes: list[Node], *, depth: int, prefix: str, count: list[int]) -> list[tuple[Node, str, Decimal]]:
    """Each node with its code and points, in order, every rule of a node checked (the sums by the caller)."""
    out: list[tuple[Node, str, Decimal]] = []
    for position, node in enumerate(nodes, start=1):
        code = f"{prefix}{position}"
        where = node.where or code
        count[0] += 1
        if count[0] > MAX_INDICATORS:
            raise field_error("indicators", "too_many_indicators", lazy_format(
                _("A framework has at most %(n)s indicators."), {"n": MAX_INDICATORS}))
        if depth > MAX_DEPTH:
            raise _refuse(where, "too_deep", lazy_format(_("indicators go at most %(n)s levels deep"), {"n": MAX_DEPTH}))
        name = (node.name or "").strip()
        if not name or len(name) > 200:
            raise _refuse(where, "indicator_name", _("every indicator has a name of at most 200 characters"))
        where = f"{where}「{name}」"
        if node.kind not in IndicatorKind.values:
            raise _refuse(where, "indicator_kind", _("an indicator, a bonus item or a deduction item"))
        if node.kind != IndicatorKind.NORMAL and depth != 1:
            raise _refuse(where, "bonus_not_first_level", _("bonus and deduction items stand on the first level"))
        if len(node.criteria or "") > TEXT_MAX:
            raise _refuse(where, "criteria_too_long", lazy_format(_("at most %(n)s characters of criteria"), {"n": TEXT_MAX}))
        points = _points(node, where)
        out.append((node, code, points))
        if node.children:
            if node.scoring or node.levels:
                raise _refuse(where, "parent_scored", _("only the last level is scored; this indicator has indicators under it"))
            children = _check(node.children, depth=depth + 1, prefix=f"{code}.", count=count)
            own = [c for c in children if c[1].count(".") == code.count(".") + 1]
            total = sum((p for _n, _c, p in own), Decimal(0))
            if total != points:
                raise _refuse(where, "children_sum", lazy_format(
                    _("its indicators add up to %(sum)s points, not its %(points)s"), {"sum": total, "points": points}))
            out.extend(children)
        else:
            _leaf(node, where, points)
    return out


def _leaf(node: Node, where: str, points: Decimal) -> None:
    if node.scoring not in Scoring.values:
        raise _refuse(where, "scoring_required", _("say how it is scored: points, levels 1–4, or yes/no"))
    if node.source not in ("", *IndicatorSource.values):
        raise _refuse(where, "indicator_source",
                      _("marked by the subject and experts, satisfaction surveys, the purchaser or the supervisor"))
    if node.source and node.kind != IndicatorKind.NORMAL:
        raise _refuse(where, "indicator_source", _("a bonus or deduction item is marked by the experts"))
    if node.scoring != Scoring.LEVELS:
        if node.levels:
            raise _refuse(where, "levels_unused", _("only an indicator scored by levels has level descriptors"))
        return
    if len(node.levels) != LEVELS:
        raise _refuse(where, "levels_count", _("an indicator scored by levels describes each of the four levels"))
    given: list[Decimal] = []
    for n, (text, value) in enumerate(node.levels, start=1):
        if not (text or "").strip() or len(text) > 500:
            raise _refuse(where, "level_text", lazy_format(_("level %(n)s needs a descriptor of at most 500 characters"), {"n": n}))
        try:
            given.append(decimal_in(value, field="levels", places=2, minimum=Decimal(0), maximum=points))
        except ValidationFailed:
            raise _refuse(where, "level_points", lazy_format(
                _("level %(n)s gives from 0 to the indicator's %(points)s points"), {"n": n, "points": points})) from None
    if any(b <= a for a, b in zip(given, given[1:], strict=False)) or given[-1] != points:
        raise _refuse(where, "level_points", lazy_format(
            _("the levels give more points as they rise, level 4 the indicator's %(points)s"), {"points": points}))
    node.levels = [(text.strip(), value) for (text, _v), value in zip(node.levels, given, strict=True)]  # as parsed


def _bands(bands: Any, total: Decimal, kind: str) -> list[tuple[str, Decimal]]:
    """Cut-offs: each result once (a grade 1A–5A; a station's pass, good, excellent), higher results from higher
    scores, all within the total."""
    if not isinstance(bands, (list, tuple)):
        raise field_error("bands", "invalid_list", _("Expected a list."))
    order = results_of(kind)
    out: list[tuple[str, Decimal]] = []
    for item in bands:
        grade, minimum = item if isinstance(item, (list, tuple)) and len(item) == 2 else (None, None)
        if grade not in order or any(g == grade for g, _m in out):
            raise field_error("bands", "band_grade", _("Each grade (1A–5A) has one cut-off.") if kind != FrameworkKind.STATION
                              else _("Each result (pass, good, excellent) has one cut-off."))
        value = decimal_in(minimum, field="bands", places=2, minimum=Decimal("0.01"), maximum=total)
        out.append((grade, value))
    ranked = sorted(out, key=lambda gm: order.index(gm[0]))
    if any(b[1] <= a[1] for a, b in zip(ranked, ranked[1:], strict=False)):
        raise field_error("bands", "band_order", _("A higher grade needs a higher score."))
    return out


@dataclass
class Checked:
    rows: list[tuple[Node, str, Decimal]]
    bands: list[tuple[str, Decimal]]


def framework_check(*, total: Decimal, tree: list[Node], bands: Any, kind: str = FrameworkKind.GRADE) -> Checked:
    """Every rule of a framework, without writing: the tree's (above) and the first level's normal items adding up
    to the total."""
    if not tree:
        raise field_error("indicators", "indicators_required", _("A framework needs at least one indicator."))
    rows = _check(tree, depth=1, prefix="", count=[0])
    first = sum((p for n, c, p in rows if "." not in c and n.kind == IndicatorKind.NORMAL), Decimal(0))
    if first != total:
        raise field_error("indicators", "total_sum", lazy_format(
            _("The first-level indicators add up to %(sum)s points; the framework's total is %(total)s."), {"sum": first, "total": total}))
    return Checked(rows=rows, bands=_bands(bands, total, kind))


def _write_tree(framework: Framework, checked: Checked) -> None:
    made: dict[str, Indicator] = {}
    for node, code, points in checked.rows:
        parent_code = code.rsplit(".", 1)[0] if "." in code else None
        made[code] = Indicator.objects.create(
            framework=framework, parent=made[parent_code] if parent_code else None, code=code, level=code.count(".") + 1,
            position=int(code.rsplit(".", 1)[-1]), name=node.name.strip(), points=points, kind=node.kind,
            scoring="" if node.children else node.scoring, criteria=(node.criteria or "").strip(),
            evidence_required=bool(node.evidence_required) and not node.children,
            source="" if node.children else node.source,
            levels=[{"level": n, "text": t, "points": f"{v:.2f}"} for n, (t, v) in enumerate(node.levels, start=1)]
            if not node.children else [])
    GradeBand.objects.bulk_create([GradeBand(framework=framework, grade=g, minimum=m) for g, m in checked.bands])


@transaction.atomic
def framework_save(*, actor: Any, region: Division, kind: str, year: Any, title: str, total: Any, tree: list[Node],
                   bands: Any = (), org_kind: str = "", previous: Framework | None = None) -> Framework:
    """A new draft framework (the next version of its region, kind, kind of organization and year), checked whole."""
    require_framework_admin(actor, region)
    checks = Checks()
    title = checks(model_text, Framework, "title", title, required=True)
    year = checks(int_in, year, field="year", minimum=2000, maximum=2100)
    total = checks(decimal_in, total, field="total", places=2, minimum=Decimal(1), maximum=Decimal(1000))
    checks.done()
    if kind not in FrameworkKind.values:
        raise field_error("kind", "invalid_kind", _("Unknown kind of framework."))
    if org_kind and org_kind not in OrgKind.values:
        raise field_error("org_kind", "invalid_org_kind", _("Unknown kind of organization."))
    if kind == FrameworkKind.STATION and org_kind:
        raise field_error("org_kind", "station_no_org_kind", _("A station framework is for stations, not a kind of organization."))
    if total not in TOTALS:
        raise field_error("total", "total_scale", _("A framework totals 1,000 or 100 points."))
    checked = framework_check(total=total, tree=tree, bands=bands, kind=kind)
    if kind == FrameworkKind.GRADE and not checked.bands:
        raise field_error("bands", "bands_required", _("A grade framework gives the cut-off of each grade."))
    version = (Framework.objects.filter(region=region, kind=kind, org_kind=org_kind, year=year)
               .aggregate(v=Max("version"))["v"] or 0) + 1
    framework = Framework.objects.create(region=region, kind=kind, org_kind=org_kind, year=year, version=version, title=title,
                                         total=total, previous=previous, created_by=actor)
    _write_tree(framework, checked)
    audit_log(actor=actor, action="evaluation.framework.save", obj=framework,
              after={"indicators": len(checked.rows), "total": str(total), "version": version})
    return framework


@transaction.atomic
def framework_replace(*, actor: Any, framework: Framework, tree: list[Node], bands: Any = ()) -> Framework:
    """A draft's indicators and cut-offs replaced whole (a corrected sheet imported again); a published framework
    never changes."""
    require_framework_admin(actor, framework.region)
    locked = Framework.objects.select_for_update().get(pk=framework.pk)
    if locked.status != FrameworkStatus.DRAFT:
        raise field_error("framework", "framework_published", _("A published framework never changes; make a new version."))
    checked = framework_check(total=locked.total, tree=tree, bands=bands, kind=locked.kind)
    if locked.kind == FrameworkKind.GRADE and not checked.bands:
        raise field_error("bands", "bands_required", _("A grade framework gives the cut-off of each grade."))
    locked.bands.all().delete()
    Indicator.objects.filter(framework=locked).order_by("-level").delete()
    _write_tree(locked, checked)
    audit_log(actor=actor, action="evaluation.framework.replace", obj=locked, after={"indicators": len(checked.rows)})
    return locked


def framework_tree(framework: Framework) -> tuple[list[Node], list[tuple[str, Decimal]]]:
    """A saved framework as a tree of nodes again (for a copy, or to check it before publishing)."""
    rows = list(Indicator.objects.filter(framework=framework).order_by("level", "parent_id", "position"))
    nodes: dict[int, Node] = {}
    roots: list[Node] = []
    for row in sorted(rows, key=lambda r: [int(p) for p in r.code.split(".")]):
        node = Node(name=row.name, points=row.points, kind=row.kind, scoring=row.scoring, criteria=row.criteria,
                    evidence_required=row.evidence_required, source=row.source,
                    levels=[(lv["text"], lv["points"]) for lv in row.levels],
                    where=row.code)
        nodes[row.pk] = node
        (nodes[row.parent_id].children if row.parent_id else roots).append(node)
    return roots, [(b.grade, b.minimum) for b in framework.bands.all()]


@transaction.atomic
def framework_publish(*, actor: Any, framework: Framework) -> Framework:
    """Publish a draft (checked once more): from now on assessments are made under it, and it never changes. An
    earlier published version of the same region, kind and year is retired (its assessments stay under it)."""
    require_framework_admin(actor, framework.region)
    tree, bands = framework_tree(framework)
    framework_check(total=framework.total, tree=tree, bands=bands, kind=framework.kind)
    published = transition(framework, to=FrameworkStatus.PUBLISHED, allowed_from=[FrameworkStatus.DRAFT], actor=actor,
                           action="evaluation.framework.publish",
                           changes=lambda f: {"published_by": actor, "published_at": timezone.now()})
    for older in Framework.objects.filter(region=published.region, kind=published.kind, org_kind=published.org_kind,
                                          year=published.year, status=FrameworkStatus.PUBLISHED).exclude(pk=published.pk):
        transition(older, to=FrameworkStatus.RETIRED, allowed_from=[FrameworkStatus.PUBLISHED], actor=actor,
                   action="evaluation.framework.retire", audit={"by": published.pk})
    return published


def framework_new_version(*, actor: Any, framework: Framework, year: Any = None, title: str = "") -> Framework:
    """A draft copy of a framework (for next year, or to correct this year's), to be edited and published."""
    tree, bands = framework_tree(framework)
    return framework_save(actor=actor, region=framework.region, kind=framework.kind, org_kind=framework.org_kind,
                          year=framework.year if year is None else year, title=title or framework.title, total=framework.total,
                          tree=tree, bands=bands, previous=framework)
