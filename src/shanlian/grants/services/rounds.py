"""Setting up a round (over one fund or several of a street), opening it (each fund's share reserved in it), extending a
phase, closing it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import CommunityFund
from shanlian.core.audit import audit_log
from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, field_error, lazy_format
from shanlian.core.inputs import Checks, amount_in, decimal_in, int_in, model_text
from shanlian.core.transitions import transition
from shanlian.places.models import Division

from ..access import require_round_admin, require_round_staff
from ..models import PHASE_ORDER, BallotKind, GrantRound, Phase, PhaseExtension, PhaseKind, RoundFund, RoundStatus, Rule
from .funds import reservations_sync, shares_in

# Every round has these phases; the resident vote is the round's choice (without it the experts' score decides).
REQUIRED_PHASES = tuple(k for k in PHASE_ORDER if k != PhaseKind.VOTE)


def _phases_in(phases: dict[str, tuple[datetime, datetime]], has_vote: bool) -> list[tuple[str, datetime, datetime]]:
    unknown = set(phases) - set(PHASE_ORDER)
    if unknown:
        raise field_error("phases", "unknown_phase", lazy_format(_("Unknown phase: %(kind)s."), {"kind": ", ".join(sorted(unknown))}))
    missing = [k for k in REQUIRED_PHASES if k not in phases]
    if missing:
        raise field_error("phases", "phase_missing", lazy_format(
            _("Give the dates of every phase; missing: %(kinds)s."), {"kinds": "、".join(str(PhaseKind(k).label) for k in missing)}))
    out: list[tuple[str, datetime, datetime]] = []
    for kind in PHASE_ORDER:
        if kind not in phases:
            continue
        opens, closes = phases[kind]
        if not (isinstance(opens, datetime) and isinstance(closes, datetime)) or timezone.is_naive(opens) or timezone.is_naive(closes):
            raise field_error("phases", "invalid_phase_dates", _("A phase opens and closes at a date and time."))
        if closes <= opens:
            raise field_error("phases", "phase_period", lazy_format(
                _("%(phase)s must close after it opens."), {"phase": PhaseKind(kind).label}))
        if out and (opens < out[-1][1] or closes < out[-1][2]):
            raise field_error("phases", "phase_order", lazy_format(
                _("%(phase)s cannot open or close before the phase before it."), {"phase": PhaseKind(kind).label}))
        out.append((kind, opens, closes))
    if not has_vote and PhaseKind.VOTE in phases:
        raise field_error("phases", "vote_without_ballot", _("This round has no vote."))
    return out


@transaction.atomic
def round_create(
    *, actor: Any, fund: CommunityFund, title: str, year: int, budget: Any, phases: dict[str, tuple[datetime, datetime]],
    area: Division | None = None, rule: str = Rule.MES_ADD1_GREEDY, expert_weight: Any = "0",
    ballot_kind: str = BallotKind.APPROVAL, min_choices: Any = 1, max_choices: Any = 5, points: Any = 0,
    knapsack: bool = False, min_grant: Any = None, max_grant: Any = None, reviewers_per_proposal: Any = None,
    blind_review: bool = False, description: str = "", shares: Any = (),
) -> GrantRound:
    """A round in draft: its settings and the dates of its phases (nothing is reserved until it opens). `shares`: the
    parts of the budget other funds of the fund's street give, as (fund, amount) pairs; the fund gives the rest."""
    require_round_admin(actor, fund)
    checks = Checks()
    title = checks(model_text, GrantRound, "title", title, required=True)
    description = checks(model_text, GrantRound, "description", description)
    year = checks(int_in, year, field="year", minimum=2000, maximum=2100)
    money = checks(amount_in, budget, field="budget")
    low = checks(amount_in, domain_setting("GRANTS_MIN_GRANT") if min_grant is None else min_grant, field="min_grant")
    high = checks(amount_in, domain_setting("GRANTS_MAX_GRANT") if max_grant is None else max_grant, field="max_grant")
    weight = checks(decimal_in, expert_weight, field="expert_weight", places=2, minimum=0, maximum=1)
    fewest = checks(int_in, min_choices, field="min_choices", minimum=1, maximum=50)
    most = checks(int_in, max_choices, field="max_choices", minimum=1, maximum=50)
    pts = checks(int_in, points, field="points", minimum=0, maximum=1000)
    reviewers = checks(int_in, domain_setting("GRANTS_MIN_REVIEWERS") if reviewers_per_proposal is None else reviewers_per_proposal,
                       field="reviewers_per_proposal", minimum=domain_setting("GRANTS_MIN_REVIEWERS"), maximum=15)
    checks.done()
    if rule not in Rule.values:
        raise field_error("rule", "invalid_rule", _("Unknown allocation rule."))
    if ballot_kind not in BallotKind.values:
        raise field_error("ballot_kind", "invalid_ballot_kind", _("Unknown kind of ballot."))
    if fewest > most:
        raise field_error("min_choices", "choices_range", _("The fewest projects on a ballot cannot be more than the most."))
    if ballot_kind == BallotKind.CUMULATIVE and rule != Rule.COMBINED:
        raise field_error("rule", "rule_needs_approval",
                          _("Greedy by votes and Equal Shares read approval ballots; a cumulative ballot goes with the combined rule."))
    if ballot_kind == BallotKind.CUMULATIVE and pts < 1:
        raise field_error("points", "points_required", _("A cumulative ballot needs the points each voter shares."))
    if low > high:
        raise field_error("min_grant", "grant_range", _("The smallest grant cannot be more than the largest."))
    if high > money:
        raise field_error("max_grant", "grant_over_budget", _("The largest grant cannot be more than the round's budget."))
    parts = shares_in(actor=actor, lead=fund, budget=money, others=shares)
    if len(parts) > 1 and any(s < low for _f, s in parts):
        raise field_error("shares", "share_below_min_grant", lazy_format(
            _("Each fund gives at least the smallest grant (¥%(min)s): a smaller part could pay no project."),
            {"min": f"{low.amount:,.2f}"}))
    if high > max(s for _f, s in parts):
        raise field_error("max_grant", "grant_over_share",
                          _("The largest grant cannot be more than the largest fund's share: each award is paid from one fund."))
    has_vote = PhaseKind.VOTE in phases
    if rule == Rule.COMBINED and not Decimal(0) < weight <= 1:
        raise field_error("expert_weight", "weight_required",
                          _("The combined rule needs the expert score's weight (above 0, at most 1)."))
    if not has_vote and not (rule == Rule.COMBINED and weight == 1):
        raise field_error("rule", "vote_required",
                          _("Without a resident vote, the experts' score decides: the combined rule with weight 1."))
    dated = _phases_in(phases, has_vote)
    area = area or fund.division
    if not area.path.startswith(fund.division.path):
        raise field_error("area", "area_outside_fund", _("The voting area lies within the fund's street or community."))
    if fund.status != "open":
        raise field_error("fund", "fund_closed", _("This fund is closed."))
    round = GrantRound(
        fund=fund, title=title, year=year, description=description, area=area, budget=money, rule=rule, expert_weight=weight,
        ballot_kind=ballot_kind, min_choices=fewest, max_choices=most, points=pts, knapsack=knapsack, min_grant=low,
        max_grant=high, reviewers_per_proposal=reviewers, blind_review=blind_review, created_by=actor,
    )
    round.full_clean(validate_constraints=False)
    round.save()
    Phase.objects.bulk_create([Phase(round=round, kind=k, opens_at=o, closes_at=c) for k, o, c in dated])
    RoundFund.objects.bulk_create([RoundFund(round=round, fund=f, share=s) for f, s in parts])
    audit_log(actor=actor, action="grants.round.create", obj=round, after={
        "budget": str(money), "rule": rule, "shares": {f.code: str(s.amount) for f, s in parts}})
    return round


@transaction.atomic
def round_open(*, actor: Any, round: GrantRound) -> GrantRound:
    """Open a round: each fund's share of the budget is reserved in it (no payout can take it), and its phases run by
    their dates. Whoever opens it may reserve money in every one of its funds."""
    require_round_admin(actor, round.fund)
    for rf in RoundFund.objects.select_related("fund__division").filter(round=round):
        require_round_admin(actor, rf.fund)
    before = GrantRound.objects.select_for_update().get(pk=round.pk).status
    opened = transition(round, to=RoundStatus.OPEN, allowed_from=[RoundStatus.DRAFT], actor=actor, action="grants.round.open")
    if before == RoundStatus.DRAFT:
        reservations_sync(actor=actor, round=opened)
    return opened


@transaction.atomic
def round_close(*, actor: Any, round: GrantRound) -> GrantRound:
    """Close a round after its final reports: whatever is still reserved goes back to the fund."""
    require_round_admin(actor, round.fund)
    locked = GrantRound.objects.select_for_update().get(pk=round.pk)
    if locked.status == RoundStatus.OPEN and timezone.now() < locked.phases.get(kind=PhaseKind.REPORTS).closes_at:
        raise Conflict("round_running", _("A round closes after its final-reports phase."))
    closed = transition(locked, to=RoundStatus.CLOSED, allowed_from=[RoundStatus.OPEN, RoundStatus.DRAFT], actor=actor,
                        action="grants.round.close", changes=lambda r: {"closed_at": timezone.now()})
    reservations_sync(actor=actor, round=closed)
    return closed


@transaction.atomic
def phase_extend(*, actor: Any, round: GrantRound, kind: str, closes_at: datetime, reason: str) -> Phase:
    """Keep a phase open longer, with the reason recorded and shown; never past the close of the phase after it."""
    require_round_staff(actor, round)
    reason = model_text(PhaseExtension, "reason", reason, required=True)
    if kind not in PHASE_ORDER:
        raise field_error("kind", "unknown_phase", lazy_format(_("Unknown phase: %(kind)s."), {"kind": kind}))
    locked = GrantRound.objects.select_for_update().get(pk=round.pk)
    if locked.status == RoundStatus.CLOSED:
        raise Conflict("round_closed", _("This round is closed."))
    phases = {p.kind: p for p in locked.phases.all()}
    phase = phases.get(kind)
    if phase is None:
        raise field_error("kind", "phase_missing", lazy_format(_("This round has no %(phase)s phase."), {"phase": PhaseKind(kind).label}))
    if not isinstance(closes_at, datetime) or timezone.is_naive(closes_at):
        raise field_error("closes_at", "invalid_phase_dates", _("A phase opens and closes at a date and time."))
    if closes_at <= phase.closes_at:
        raise field_error("closes_at", "not_later", _("An extension closes the phase later than now planned."))
    if phase.closes_at <= timezone.now():
        raise Conflict("phase_over", _("This phase is over; it can no longer be extended."))
    later = [phases[k] for k in PHASE_ORDER[PHASE_ORDER.index(kind) + 1:] if k in phases]
    if later and closes_at > later[0].closes_at:
        raise field_error("closes_at", "past_next_phase", lazy_format(
            _("%(phase)s closes on %(closes)s; extend it first."), {
                "phase": later[0].get_kind_display(), "closes": timezone.localtime(later[0].closes_at).strftime("%Y-%m-%d %H:%M")}))
    PhaseExtension.objects.create(phase=phase, closed_at_before=phase.closes_at, closes_at_after=closes_at, reason=reason,
                                  extended_by=actor)
    before = phase.closes_at
    phase.closes_at = closes_at
    phase.save(update_fields=["closes_at"])
    if kind == PhaseKind.REPORTS and locked.status == RoundStatus.OPEN:
        reservations_sync(actor=actor, round=locked, longer=True)  # reserved while the round runs
    audit_log(actor=actor, action="grants.phase.extend", obj=phase, before={"closes_at": before.isoformat()},
              after={"closes_at": closes_at.isoformat(), "reason": reason})
    return phase
