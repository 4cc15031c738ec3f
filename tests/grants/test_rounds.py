"""Rounds: set up in draft, opened with their budget reserved in the fund, phases by their dates, extended with a
reason, closed with what is left released."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.core.audit import AuditLog
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.grants import phases
from shanlian.grants import services as gs
from shanlian.grants.models import GrantRound, PhaseExtension, PhaseKind, RoundStatus, Rule
from shanlian.ledger.models import HoldStatus

from .conftest import DAY, hold_of, phases_around

pytestmark = pytest.mark.django_db


def available(fund) -> Decimal:
    fund.account.refresh_from_db()
    return fund.account.balance - fund.account.held


def test_a_round_opens_with_its_budget_reserved_and_its_phases_run_by_date(world):
    before = available(world.fund)
    r = world.round(PhaseKind.NEEDS, open=False)
    assert r.status == RoundStatus.DRAFT and hold_of(r) is None and available(world.fund) == before
    r = gs.round_open(actor=world.admin, round=r)
    assert r.status == RoundStatus.OPEN and hold_of(r).amount == Decimal("60000.00")
    assert available(world.fund) == before - 60000
    assert phases.current(r).kind == PhaseKind.NEEDS and phases.is_open(r, PhaseKind.NEEDS)
    assert not phases.is_open(r, PhaseKind.PROPOSALS)
    # Opening again is quiet; a payout cannot take the reserved money.
    first = hold_of(r)
    gs.round_open(actor=world.admin, round=r)
    assert hold_of(r) == first
    project = cs.project_create(actor=world.admin, fund=world.fund, title="长者饭堂", purpose="elderly", budget="50000",
                                starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
    with pytest.raises(ValidationFailed) as refused:
        cs.payout_request(actor=world.staff, fund=world.fund, project=project, title="助餐", payee="饭堂", lines=[("餐费", "40001")])
    assert refused.value.code == "insufficient_balance"
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):
        assert phases.current(r).kind == PhaseKind.PROPOSALS
        with pytest.raises(Conflict) as closed:
            phases.require_open(r, PhaseKind.NEEDS)
        assert closed.value.code == "phase_closed"


def test_the_round_settings_are_checked_together(world):
    bad = {"title": "", "year": 1800, "budget": "-5", "min_choices": 0}
    with pytest.raises(ValidationFailed) as refused:
        gs.round_create(actor=world.admin, fund=world.fund, phases=phases_around(timezone.now()), **bad)
    assert set(refused.value.fields) >= {"title", "year", "budget", "min_choices"}
    assert not GrantRound.objects.exists()


@pytest.mark.parametrize(("change", "code"), [
    ({"max_grant": "70000"}, "grant_over_budget"),
    ({"min_grant": "30000", "max_grant": "20000"}, "grant_range"),
    ({"min_choices": 4, "max_choices": 2}, "choices_range"),
    ({"ballot_kind": "cumulative", "points": 0, "rule": "combined", "expert_weight": "0.5"}, "points_required"),
    ({"ballot_kind": "cumulative", "points": 10}, "rule_needs_approval"),
    ({"rule": "combined", "expert_weight": "0"}, "weight_required"),
    ({"rule": "lottery"}, "invalid_rule"),
    ({"reviewers_per_proposal": 2}, "too_small"),
])
def test_round_settings_that_do_not_hold_are_refused(world, change, code):
    with pytest.raises(ValidationFailed) as refused:
        world.round(open=False, **change)
    assert code in {refused.value.code, *(c for errs in (refused.value.fields or {}).values() for c, _m in errs)}
    assert not GrantRound.objects.exists()


def test_phases_are_all_there_in_order(world):
    now = timezone.now()
    dates = phases_around(now)
    missing = {k: v for k, v in dates.items() if k != PhaseKind.REVIEW}
    with pytest.raises(ValidationFailed) as refused:
        world.round(open=False, phases=missing)
    assert refused.value.code == "phase_missing"
    backwards = dict(dates)
    backwards[PhaseKind.PROPOSALS] = (dates[PhaseKind.NEEDS][0] - DAY, dates[PhaseKind.NEEDS][1])
    with pytest.raises(ValidationFailed) as refused:
        world.round(open=False, phases=backwards)
    assert refused.value.code == "phase_order"
    empty = dict(dates)
    empty[PhaseKind.VOTE] = (dates[PhaseKind.VOTE][0], dates[PhaseKind.VOTE][0])
    with pytest.raises(ValidationFailed) as refused:
        world.round(open=False, phases=empty)
    assert refused.value.code == "phase_period"


def test_without_a_vote_the_experts_decide(world):
    dates = {k: v for k, v in phases_around(timezone.now()).items() if k != PhaseKind.VOTE}
    with pytest.raises(ValidationFailed) as refused:
        world.round(open=False, phases=dates)
    assert refused.value.code == "vote_required"
    r = world.round(phases=dates, rule=Rule.COMBINED, expert_weight="1")
    assert not phases.is_open(r, PhaseKind.VOTE) and r.phases.count() == 8


def test_only_the_custodian_or_the_area_admins_set_up_and_open_rounds(world):
    for name in ("station_worker", "agency_manager", "expert", "volunteer", "other_worker"):
        with pytest.raises(PermissionDenied):
            gs.round_create(actor=world.city.users[name], fund=world.fund, title="x", year=2026, budget="1000",
                            phases=phases_around(timezone.now()))
    r = world.round(open=False)
    with pytest.raises(PermissionDenied):
        gs.round_open(actor=world.staff, round=r)
    assert gs.round_open(actor=world.city.users["district_admin"], round=r).status == RoundStatus.OPEN


def test_a_budget_the_fund_does_not_have_is_refused_and_nothing_is_opened(world):
    r = world.round(open=False, budget="150000", max_grant="20000")
    with pytest.raises(ValidationFailed) as refused:
        gs.round_open(actor=world.admin, round=r)
    assert refused.value.code == "insufficient_balance"
    r.refresh_from_db()
    assert r.status == RoundStatus.DRAFT and hold_of(r) is None


def test_a_phase_is_extended_with_a_reason_never_past_the_next(world):
    r = world.round(PhaseKind.NEEDS)
    needs = r.phases.get(kind=PhaseKind.NEEDS)
    proposals = r.phases.get(kind=PhaseKind.PROPOSALS)
    with pytest.raises(ValidationFailed) as refused:
        gs.phase_extend(actor=world.staff, round=r, kind=PhaseKind.NEEDS, closes_at=needs.closes_at + DAY, reason="")
    assert refused.value.code == "required"
    with pytest.raises(ValidationFailed) as refused:
        gs.phase_extend(actor=world.staff, round=r, kind=PhaseKind.NEEDS, closes_at=proposals.closes_at + DAY, reason="居民反映时间太短")
    assert refused.value.code == "past_next_phase"
    with pytest.raises(PermissionDenied):
        gs.phase_extend(actor=world.city.users["other_worker"], round=r, kind=PhaseKind.NEEDS, closes_at=needs.closes_at + DAY,
                        reason="居民反映时间太短")
    phase = gs.phase_extend(actor=world.staff, round=r, kind=PhaseKind.NEEDS, closes_at=needs.closes_at + 3 * DAY,
                            reason="居民反映征集时间太短，延长三天")
    assert phase.closes_at == needs.closes_at + 3 * DAY
    ext = PhaseExtension.objects.get()
    assert ext.closed_at_before == needs.closes_at and ext.reason.startswith("居民反映")
    assert AuditLog.objects.filter(action="grants.phase.extend").count() == 1


def test_extending_the_final_reports_keeps_the_budget_reserved_longer(world):
    r = world.round(PhaseKind.EXECUTION)
    reports = r.phases.get(kind=PhaseKind.REPORTS)
    first = hold_of(r)
    gs.phase_extend(actor=world.staff, round=r, kind=PhaseKind.REPORTS, closes_at=reports.closes_at + 30 * DAY, reason="疫情顺延")
    r.refresh_from_db()
    first.refresh_from_db()
    now = hold_of(r)
    assert first.status == HoldStatus.VOIDED and now.status == HoldStatus.PENDING
    assert now.amount == first.amount and now.expires_at > first.expires_at


def test_a_round_closes_after_its_reports_and_releases_what_is_left(world):
    r = world.round(PhaseKind.EXECUTION)
    with pytest.raises(Conflict) as refused:
        gs.round_close(actor=world.admin, round=r)
    assert refused.value.code == "round_running"
    before = available(world.fund)
    with time_machine.travel(timezone.now() + 30 * DAY, tick=False):
        closed = gs.round_close(actor=world.admin, round=r)
    assert closed.status == RoundStatus.CLOSED and hold_of(closed) is None
    assert available(world.fund) == before + 60000
    assert gs.round_close(actor=world.admin, round=closed).status == RoundStatus.CLOSED  # again: quiet
    with pytest.raises(Conflict):
        phases.require_open(closed, PhaseKind.REPORTS)
