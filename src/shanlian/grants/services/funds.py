"""A round's money in its funds. A round draws on one fund or on several funds of a street, each for a share of the
budget. Which fund pays each award, and what each fund still holds for the round, are decided here and nowhere else:
- each fund's share is reserved (a ledger hold) from the opening until the allocation;
- then each fund holds its awards not yet signed; a signed award leaves the reservation for its project;
- whatever is left is released when the round closes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import CommunityFund
from shanlian.charity.services import fund_reserve
from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, field_error, lazy_format
from shanlian.core.inputs import amount_in
from shanlian.core.money import Money

from ..access import require_round_admin
from ..models import GrantRound, PhaseKind, Proposal, Result, RoundFund, RoundStatus

MAX_FUNDS = 8


def shares_in(*, actor: Any, lead: CommunityFund, budget: Money, others: Any) -> list[tuple[CommunityFund, Money]]:
    """The funds' shares of a new round: the other funds' parts (each a fund of the lead fund's street or community,
    open, which the actor may reserve money in), and the lead fund the rest of the budget, above zero."""
    if not isinstance(others, (list, tuple)):
        raise field_error("shares", "invalid_list", _("Expected a list."))
    if len(others) > MAX_FUNDS - 1:
        raise field_error("shares", "too_many_funds", lazy_format(_("A round draws on at most %(n)s funds."), {"n": MAX_FUNDS}))
    out: list[tuple[CommunityFund, Money]] = []
    for item in others:
        fund, amount = item if isinstance(item, (list, tuple)) and len(item) == 2 else (None, None)
        if not isinstance(fund, CommunityFund):
            raise field_error("shares", "unknown_fund", _("Choose each fund from the list."))
        fund = CommunityFund.objects.select_related("division").get(pk=fund.pk)  # as it stands now (open or closed)
        share = amount_in(amount, field="shares")
        if fund.pk == lead.pk or any(f.pk == fund.pk for f, _s in out):
            raise field_error("shares", "fund_twice", lazy_format(_("%(fund)s is named twice."), {"fund": fund.name}))
        if not fund.division.path.startswith(lead.division.path):
            raise field_error("shares", "fund_outside_street", lazy_format(
                _("%(fund)s is not a fund of %(area)s."), {"fund": fund.name, "area": lead.division.name}))
        if fund.status != "open":
            raise field_error("shares", "fund_closed", lazy_format(_("%(fund)s is closed."), {"fund": fund.name}))
        require_round_admin(actor, fund)
        out.append((fund, share))
    rest = budget - sum((s for _f, s in out), Money(0))
    if rest <= Money(0):
        raise field_error("shares", "lead_share", lazy_format(
            _("The other funds give ¥%(others)s of the ¥%(budget)s budget; %(fund)s must give the rest, above zero."),
            {"others": f"{(budget - rest).amount:,.2f}", "budget": f"{budget.amount:,.2f}", "fund": lead.name}))
    return [(lead, rest), *out]


def _reserved(rf: RoundFund) -> Money:
    if rf.hold is not None:
        rf.hold.refresh_from_db(fields=["amount", "status"])  # a grant out of it may have voided it meanwhile
    return rf.reserved


def _unsigned_awards(round: GrantRound) -> dict[int, Money]:
    """Fund id → its awards in the round whose agreement has not yet come into force (no project yet)."""
    rows = (Result.objects.filter(round=round, funded=True).exclude(proposal__agreement__project__isnull=False)
            .values("fund_id").annotate(total=Sum("amount")))
    return {r["fund_id"]: Money(r["total"]) for r in rows}


def _until(round: GrantRound) -> datetime:
    reports = round.phases.get(kind=PhaseKind.REPORTS)
    return reports.closes_at + timedelta(days=domain_setting("GRANTS_HOLD_GRACE_DAYS"))


@transaction.atomic
def reservations_sync(*, actor: Any, round: GrantRound, longer: bool = False) -> None:
    """Re-make each fund's reservation at what it should hold now (above); `longer`: all of them kept to the final
    reports' new close. Callers lock the round. The shares were reserved by someone who could, when the round opened,
    and no fund is ever made to hold more than its share, so no further access check is made here."""
    if round.status == RoundStatus.OPEN:
        awards = _unsigned_awards(round) if Result.objects.filter(round=round).exists() else None
    until = _until(round)
    for rf in RoundFund.objects.select_for_update(of=("self",)).select_related("fund__division", "hold").filter(round=round):
        want = Money(0) if round.status != RoundStatus.OPEN else (
            Money(rf.share) if awards is None else awards.get(rf.fund_id, Money(0)))
        if want == _reserved(rf) and not (longer and want):
            if not want and rf.hold_id is not None:  # released elsewhere (a grant out of it): no longer the fund's reservation
                rf.hold = None
                rf.save(update_fields=["hold"])
            continue
        rf.hold = fund_reserve(actor=actor, fund=rf.fund, amount=want, until=until, source="grants.round",
                               memo=f"{round.title}预留资金", previous=rf.hold, _skip_access=True)
        rf.save(update_fields=["hold"])


# --- which fund pays an award ---------------------------------------------------------------------------------------


@dataclass
class Room:
    """A fund of the round as the choice of payer sees it: what its share has left after its awards."""

    fund: CommunityFund
    left: Money


def rooms(round: GrantRound, *, without: Result | None = None) -> list[Room]:
    """Each fund of the round with its share less its awards (less all but `without`), in the order they were named."""
    awarded = Result.objects.filter(round=round, funded=True)
    if without is not None:
        awarded = awarded.exclude(pk=without.pk)
    spent = {r["fund_id"]: Money(r["total"]) for r in awarded.values("fund_id").annotate(total=Sum("amount"))}
    return [Room(rf.fund, Money(rf.share) - spent.get(rf.fund_id, Money(0)))
            for rf in RoundFund.objects.filter(round=round).select_related("fund__division").order_by("id")]


def _serves(fund: CommunityFund, categories: set[str]) -> bool:
    return not fund.restricted or fund.purpose in categories


def _places(proposal: Proposal) -> tuple[set[str], list[str]]:
    needs = list(proposal.needs.values_list("category", "community__path"))
    return {c for c, _p in needs}, [p for _c, p in needs]


def payer(proposal: Proposal, cost: Money, funds: list[Room]) -> Room | None:
    """The fund that pays an award: one with room for it and whose purpose the proposal serves (a restricted fund pays
    only for its purpose, going by the needs the proposal answers). Restricted funds first (their money has no other
    use), then the fund nearest the needs' communities, then the one with the most left; ties go to the first named."""
    categories, paths = _places(proposal)

    def nearness(room: Room) -> int:
        return max((len(room.fund.division.path) for p in paths if p.startswith(room.fund.division.path)), default=0)

    fits = [(i, r) for i, r in enumerate(funds) if r.left >= cost and _serves(r.fund, categories)]
    if not fits:
        return None
    return min(fits, key=lambda ir: (not ir[1].fund.restricted, -nearness(ir[1]), -ir[1].left.amount, ir[0]))[1]


def no_room(proposal: Proposal, cost: Money, funds: list[Room]) -> Conflict:
    return Conflict("no_fund_room", lazy_format(
        _("No fund of the round has ¥%(cost)s left for %(title)s (left: %(rooms)s)."),
        {"cost": f"{cost.amount:,.2f}", "title": proposal.title,
         "rooms": "；".join(f"{r.fund.name} ¥{r.left.amount:,.2f}" for r in funds)}))


def payer_check(result: Result, fund: CommunityFund) -> None:
    """A fund chosen by staff to pay an award: one of the round's, with room for it, serving the proposal's purpose."""
    funds = rooms(result.round, without=result)
    room = next((r for r in funds if r.fund.pk == fund.pk), None)
    if room is None:
        raise field_error("fund", "fund_not_in_round", _("This fund is not one of the round's."))
    if not _serves(fund, _places(result.proposal)[0]):
        raise field_error("fund", "fund_purpose", lazy_format(
            _("%(fund)s pays only for %(purpose)s."), {"fund": fund.name, "purpose": fund.get_purpose_display()}))
    if room.left < Money(result.amount):
        raise Conflict("no_fund_room", lazy_format(_("%(fund)s has ¥%(left)s left, less than the award of ¥%(cost)s."), {
            "fund": fund.name, "left": f"{room.left.amount:,.2f}", "cost": f"{Money(result.amount).amount:,.2f}"}))

