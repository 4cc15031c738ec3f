"""The one rule for "may this be done now": a round's action belongs to a phase, open between its dates."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import Conflict, lazy_format

from .models import GrantRound, Phase, PhaseKind, RoundStatus


def phase_of(round: GrantRound, kind: str) -> Phase | None:
    return next((p for p in round.phases.all() if p.kind == kind), None)


def is_open(round: GrantRound, kind: str, at: datetime | None = None) -> bool:
    phase = phase_of(round, kind)
    moment = at or timezone.now()
    return round.status == RoundStatus.OPEN and phase is not None and phase.opens_at <= moment < phase.closes_at


def require_open(round: GrantRound, kind: str, at: datetime | None = None) -> Phase:
    """The phase, if its actions are open now; else refused, saying when they are (or that the round has none)."""
    phase = phase_of(round, kind)
    label = PhaseKind(kind).label
    if phase is None:
        raise Conflict("phase_missing", lazy_format(_("This round has no %(phase)s phase."), {"phase": label}))
    if round.status != RoundStatus.OPEN:
        raise Conflict("round_not_open", _("This round is not open."))
    moment = at or timezone.now()
    if not phase.opens_at <= moment < phase.closes_at:
        raise Conflict("phase_closed", lazy_format(_("%(phase)s is open from %(opens)s to %(closes)s."), {
            "phase": label, "opens": timezone.localtime(phase.opens_at).strftime("%Y-%m-%d %H:%M"),
            "closes": timezone.localtime(phase.closes_at).strftime("%Y-%m-%d %H:%M")}))
    return phase


def current(round: GrantRound, at: datetime | None = None) -> Phase | None:
    """The phase a round is in: of those open now, the one that opened last (phases may overlap)."""
    moment = at or timezone.now()
    if round.status != RoundStatus.OPEN:
        return None
    running = [p for p in round.phases.all() if p.opens_at <= moment < p.closes_at]
    return max(running, key=lambda p: (p.opens_at, p.pk)) if running else None


def has_closed(round: GrantRound, kind: str, at: datetime | None = None) -> bool:
    phase = phase_of(round, kind)
    return phase is not None and phase.closes_at <= (at or timezone.now())
