"""Migrations grants 0005–0007 move a round's reservation from the round to its fund's row (RoundFund) and name the
fund of each award; going back, the reservation returns to the round. Both directions keep the same hold."""

from __future__ import annotations

import pytest
from django.utils import timezone

from shanlian.grants.models import PhaseKind, Result, RoundFund
from shanlian.grants.services.funds import reservations_sync
from tests.migrating import ONCE_ON_POSTGRESQL, migrate, migrate_to_latest

from .conftest import proposal

BEFORE, AFTER = [("grants", "0004_ballot_turnout_index")], [("grants", "0007_round_funds_rules")]


@ONCE_ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_the_round_s_reservation_moves_to_its_fund_s_row_and_back(world):
    r = world.round(PhaseKind.AGREEMENTS)
    funded, not_funded = proposal(world, r, 1, "18000", status="funded"), proposal(world, r, 2, "9000", status="not_funded")
    Result.objects.create(round=r, proposal=funded, rank=1, votes=12, funded=True, amount="18000", fund=r.fund,
                          reason_code="greedy_funded", reason_params={"approvals": 12}, decided_at=timezone.now())
    Result.objects.create(round=r, proposal=not_funded, rank=2, votes=3, funded=False, reason_code="does_not_fit",
                          reason_params={}, decided_at=timezone.now())
    reservations_sync(actor=world.admin, round=r)
    hold_id = RoundFund.objects.get(round=r).hold_id
    try:
        old = migrate(BEFORE).loader.project_state(BEFORE).apps
        assert old.get_model("grants", "GrantRound").objects.get(pk=r.pk).hold_id == hold_id
        old.get_model("grants", "Result").objects.all()  # the table stands without the fund column
        migrate(AFTER)
    finally:
        migrate_to_latest()  # leave the schema as the rest of the suite expects, whatever happened
    row = RoundFund.objects.get(round=r)
    assert (row.fund_id, row.share, row.hold_id) == (world.fund.pk, r.budget, hold_id)
    assert dict(Result.objects.values_list("proposal__number", "fund_id")) == {1: world.fund.pk, 2: None}
