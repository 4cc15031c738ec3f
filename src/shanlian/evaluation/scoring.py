"""How an assessment is scored, in one place: what a mark of a leaf is worth, an assessment's total, the grade its
total earns, and when raters disagree. Pure functions over a framework's leaves: the services write with them and
the selectors and dashboards read with them, so a score is computed one way whoever asks.

A leaf's points under several raters are their mean; the total is the leaves of the tree plus the bonus items minus
the deduction items, never below zero. Numbers are Decimals with two places, half up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import ValidationFailed, field_error, lazy_format

from .models import IndicatorKind, IndicatorSource, RaterKind, Scoring

CENT = Decimal("0.01")
DEFAULT_DIVERGENCE = Decimal("0.30")  # raters further apart than this share of a leaf's points: flagged


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Leaf:
    """What scoring needs of a leaf indicator."""

    id: int
    code: str
    name: str
    points: Decimal
    kind: str
    scoring: str
    levels: tuple[Decimal, ...]  # points of levels 1–4 (level scoring)
    evidence_required: bool
    source: str = ""  # who marks it besides the subject and the experts (IndicatorSource; blank: they do)

    @classmethod
    def of(cls, indicator: Any) -> Leaf:
        return cls(id=indicator.pk, code=indicator.code, name=indicator.name, points=indicator.points, kind=indicator.kind,
                   scoring=indicator.scoring, evidence_required=indicator.evidence_required, source=indicator.source,
                   levels=tuple(Decimal(str(lv["points"])) for lv in indicator.levels or ()))


# The leaves each rater marks: the subject, the experts and site inspectors those with no source of their own and those
# satisfaction surveys mark (which they may leave: the surveys' mark counts when they are enough); a purchaser and a
# supervisor only theirs. The one rule: services check marks with it, pages offer inputs with it.
OUTSIDE = {IndicatorSource.PURCHASER: RaterKind.PURCHASER, IndicatorSource.SUPERVISOR: RaterKind.SUPERVISOR}


def rated_by(leaf: Leaf, kind: str) -> bool:
    """Whether a rater of `kind` marks this leaf."""
    outside = OUTSIDE.get(leaf.source)  # type: ignore[call-overload]
    return kind == outside if outside is not None else kind in (RaterKind.SELF, RaterKind.EXPERT, RaterKind.SITE)


def outside_kinds(leaves: Iterable[Leaf]) -> set[str]:
    """The raters besides the subject and the experts a framework needs (a station's purchaser, its supervisor)."""
    return {OUTSIDE[leaf.source] for leaf in leaves if leaf.source in OUTSIDE}  # type: ignore[index]


def mark_value(leaf: Leaf, *, level: Any = None, points: Any = None, answer: Any = None,
               field: str = "points") -> tuple[Decimal, int | None]:
    """The points a mark gives, and its level: a level 1–4 (level scoring), yes or no (yes/no: all or nothing), or
    points from 0 to the leaf's (points scoring, two places). Anything else is refused with the leaf's code."""
    def refuse(code: str, message: Any) -> ValidationFailed:
        return field_error(field, code, lazy_format(_("%(code)s %(name)s: %(problem)s"),
                                                   {"code": leaf.code, "name": leaf.name, "problem": message}))

    if leaf.scoring == Scoring.LEVELS:
        if isinstance(level, bool) or not isinstance(level, int | str) or str(level).strip() not in {"1", "2", "3", "4"}:
            raise refuse("level_out_of_scale", _("choose a level from 1 to 4"))
        n = int(str(level).strip())
        return leaf.levels[n - 1], n
    if leaf.scoring == Scoring.YES_NO:
        if answer not in (True, False, "yes", "no"):
            raise refuse("answer_required", _("answer yes or no"))
        return (leaf.points if answer in (True, "yes") else Decimal("0.00")), None
    try:
        value = Decimal(str(points).strip())
    except Exception:  # noqa: BLE001 - any unreadable input is the same refusal
        raise refuse("points_out_of_scale", lazy_format(_("give points from 0 to %(max)s"), {"max": leaf.points})) from None
    if not value.is_finite() or value < 0 or value > leaf.points or value != value.quantize(CENT):
        raise refuse("points_out_of_scale", lazy_format(_("give points from 0 to %(max)s, in steps of 0.01"),
                                                        {"max": leaf.points}))
    return value, None


def total(leaves: Sequence[Leaf], marks: Mapping[int, Decimal]) -> Decimal:
    """The total of one set of marks (a leaf without a mark gives nothing)."""
    out = Decimal(0)
    for leaf in leaves:
        value = marks.get(leaf.id)
        if value is None:
            continue
        out += -value if leaf.kind == IndicatorKind.DEDUCTION else value
    return q2(max(out, Decimal(0)))


def mean_marks(ratings: Iterable[tuple[int, Decimal]]) -> dict[int, Decimal]:
    """Each leaf's mean over the raters who marked it."""
    sums: dict[int, list[Decimal]] = defaultdict(list)
    for indicator_id, points in ratings:
        sums[indicator_id].append(points)
    return {i: sum(v, Decimal(0)) / len(v) for i, v in sums.items()}


def grade_for(score: Decimal, bands: Iterable[tuple[str, Decimal]]) -> str:
    """The highest grade whose cut-off the score reaches, or ''."""
    for grade, minimum in sorted(bands, key=lambda b: b[1], reverse=True):
        if score >= minimum:
            return grade
    return ""


def spread(values: Sequence[Decimal], points: Decimal) -> Decimal:
    """How far apart raters are on a leaf, as a share of its points (0 with fewer than two)."""
    if len(values) < 2 or points <= 0:
        return Decimal(0)
    return (max(values) - min(values)) / points


def divergent(values: Sequence[Decimal], points: Decimal, threshold: Decimal = DEFAULT_DIVERGENCE) -> bool:
    return spread(values, points) > threshold
