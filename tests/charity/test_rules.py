"""The intake's rules (charity/intake/rules.py), each written once: what they decide, on their own. Every path's
tests (test_api, test_api_batch, test_import, test_payments, test_staff_pages, test_intake_paths) show the paths
use them."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from django.utils import timezone

from shanlian.charity.intake.rows import GiftRow
from shanlian.charity.intake.rules import PoolRoom, Stored, same_gift, target_problems
from shanlian.charity.intake.targets import Target
from shanlian.charity.models import CampaignStatus, MatchPool

NOW = dt.datetime(2026, 9, 5, 10, 0, tzinfo=dt.UTC)
OPEN = Target(label="gd/f", fund_id=1, fund_code="f", fund_open=True, credit_account_id=5, custodian_id=9, campaign_id=3,
              campaign_slug="gd", campaign_status=CampaignStatus.OPEN, starts_at=NOW - dt.timedelta(days=1),
              ends_at=NOW + dt.timedelta(days=1), pools=(7,))


def codes(problems):
    return [code for code, _params in problems]


def test_an_open_target_takes_a_gift_inside_the_period():
    assert target_problems(OPEN, NOW, latest=NOW) == []
    assert codes(target_problems(OPEN, NOW + dt.timedelta(days=2))) == ["campaign_out_of_period"]
    assert codes(target_problems(OPEN, NOW + dt.timedelta(minutes=1), latest=NOW)) == ["received_in_future"]


def test_the_one_rule_for_late_gifts():
    closed = replace(OPEN, campaign_status=CampaignStatus.CLOSED)
    draft = replace(OPEN, campaign_status=CampaignStatus.DRAFT)
    # Reported after the close (an API call, a batch, a file): refused.
    assert codes(target_problems(closed, NOW)) == ["campaign_not_open"]
    # A payment this system saw begin while the campaign was open, confirmed after the close: taken.
    assert target_problems(closed, NOW, late_ok=True) == []
    # ... but only inside the period, and never for a campaign that was not opened.
    assert codes(target_problems(closed, NOW + dt.timedelta(days=2), late_ok=True)) == ["campaign_out_of_period"]
    assert codes(target_problems(draft, NOW, late_ok=True)) == ["campaign_not_open"]


def test_closed_fund_ended_project_and_a_match_without_a_pool_are_each_refused():
    target = replace(OPEN, fund_open=False, project_id=4, project_active=False, pools=())
    assert codes(target_problems(target, NOW, match=Decimal("1.00"))) == ["fund_closed", "project_ended", "match_without_pool"]
    assert codes(target_problems(replace(OPEN, pools=()), NOW)) == []  # no match asked: no pool needed


def _stored(**changes) -> Stored:
    base = Stored(pk=1, entry_id=2, fund_id=1, project_id=None, campaign_id=3, point_id=None, channel="online",
                  amount=Decimal("50.00"), donor_name="张三", show_name=False, donor_key="p1", message="", received_at=NOW,
                  goods=None, match=Decimal("50.00"))
    return replace(base, **changes)


def _row(**changes) -> GiftRow:
    row = GiftRow(external_id="k", received_at=NOW, donor="张三", amount=Decimal("50"), fund_id=1, custodian_id=9,
                  credit_account_id=5, campaign_id=3, donor_key="p1")
    for name, value in changes.items():
        setattr(row, name, value)
    return row


def test_the_same_gift_is_the_same_in_every_field_sent():
    assert same_gift(_stored(), _row(), "online", time_sent=True, match_sent=False)
    for change in ({"amount": Decimal("50.01")}, {"fund_id": 2}, {"campaign_id": None}, {"donor": "李四"},
                   {"donor_key": "p2"}, {"message": "加油"}, {"show_name": True}, {"point_id": 8}, {"project_id": 4},
                   {"goods": ("大米", Decimal("2"), "袋")}):
        assert not same_gift(_stored(), _row(**change), "online", time_sent=False, match_sent=False), change
    assert not same_gift(_stored(), _row(), "import", time_sent=False, match_sent=False)
    # The time and the match count only when the sender gave them.
    later = _row(received_at=NOW + dt.timedelta(seconds=1))
    assert same_gift(_stored(), later, "online", time_sent=False, match_sent=False)
    assert not same_gift(_stored(), later, "online", time_sent=True, match_sent=False)
    assert same_gift(_stored(), _row(match=Decimal("20")), "online", time_sent=False, match_sent=False)
    assert not same_gift(_stored(), _row(match=Decimal("20")), "online", time_sent=False, match_sent=True)


@pytest.mark.django_db
def test_the_sponsors_rule_and_a_given_match_spend_the_same_room(books):
    """The books' pool: 1:1, at most 100 per donor, 1,000 a day, 1,500 in all (and 1,500 deposited)."""
    day, pools = timezone.localdate(), (books.pool.pk,)
    room = PoolRoom(pools, [day], ["p1", "p2"])
    assert room.match_for(Decimal("60"), donor_key="p1", day=day, pools=pools) == (books.pool.pk, Decimal("60.00"))
    assert room.match_for(Decimal("60"), donor_key="p1", day=day, pools=pools) == (books.pool.pk, Decimal("40.00"))  # per donor
    assert room.match_for(Decimal("60"), donor_key="p1", day=day, pools=pools) is None
    assert room.take(Decimal("850"), day=day, pools=pools) == books.pool.pk  # 100 + 850 = 950 of the day's 1,000
    assert room.take(Decimal("60"), day=day, pools=pools)[0] == "match_exceeds_day_cap"
    assert room.match_for(Decimal("0.99"), donor_key="p2", day=day, pools=pools) == (books.pool.pk, Decimal("0.99"))
    assert room.take(Decimal("600"), day=day + dt.timedelta(days=1), pools=pools)[0] == "match_exceeds_pool"  # 549.01 left
    # The writer's check under the locks: what is still to be added must fit.
    fresh = PoolRoom(pools, [day])
    assert fresh.holds({books.pool.pk: Decimal("1000")}) and not fresh.holds({books.pool.pk: Decimal("1500.01")})
    MatchPool.objects.filter(pk=books.pool.pk).update(active=False)
    assert not PoolRoom(pools, [day]).holds({books.pool.pk: Decimal("1")})
    assert PoolRoom(pools, [day]).match_for(Decimal("5"), donor_key="p3", day=day, pools=pools) is None
