"""On PostgreSQL: concurrent redemptions never oversell an item or overspend a balance."""

from __future__ import annotations

import pytest
from django.db import connection

from shanlian.core.errors import DomainError
from shanlian.ledger.selectors import balances_mismatched
from shanlian.timebank import services as ts
from shanlian.timebank.models import CatalogItem, Redemption

from ..charity.test_concurrency import race
from .test_services import _late

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="SQLite serialises all writers; the race exists only on PostgreSQL")


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_racing_redemptions_neither_oversell_nor_overspend(bank, city, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (1, 300, 600, 1000, 1500)}
    r = _late(bank, city, "9")
    ts.hours_agency_approve(actor=bank.agency, record=ts.hours_approve(actor=bank.organizer, record=r))
    # 9 credits; items cost 2: the balance allows 4, the stock 3
    item = ts.catalog_item_create(actor=bank.organizer, station=city.stations["北京街"], name="社区食堂餐券", price="2", stock=3,
                                  per_person_limit=10)
    results = race(12, lambda i: ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=item,
                                                      idempotency_key=f"k{i}").pk)
    ok = [x for x in results if isinstance(x, int)]
    assert len(ok) == 3 and all(isinstance(x, DomainError) and x.code == "out_of_stock" for x in results if x not in ok)
    assert CatalogItem.objects.get(pk=item.pk).stock == 0
    # the same balance raced by two items: 3 credits left, four try to spend 2 each on a well-stocked item
    more = ts.catalog_item_create(actor=bank.organizer, station=city.stations["北京街"], name="义诊", price="2", stock=50,
                                  per_person_limit=10)
    results = race(4, lambda i: ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=more, idempotency_key=f"m{i}").pk)
    assert sum(isinstance(x, int) for x in results) == 1
    bank.vol.account.refresh_from_db()
    assert bank.vol.account.balance == 1 and Redemption.objects.count() == 4 and not balances_mismatched()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_redemptions_with_one_key_make_one(bank, city, settings):
    """Parallel retries of one redemption: one 201, the rest the same redemption (200) or 409 request_in_progress."""
    from ..charity.test_same_key_races import _check, _post_all

    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (1, 300, 600, 1000, 1500)}
    r = _late(bank, city, "9")
    ts.hours_agency_approve(actor=bank.agency, record=ts.hours_approve(actor=bank.organizer, record=r))
    item = ts.catalog_item_create(actor=bank.organizer, station=city.stations["北京街"], name="社区食堂餐券", price="2", stock=30,
                                  per_person_limit=10)
    _check(_post_all(bank.vol_user, "/api/timebank/redemptions", {"item": item.pk, "quantity": 1}, "redeem-race-1"))
    assert Redemption.objects.filter(idempotency_key="redeem-race-1").count() == 1
    bank.vol.account.refresh_from_db()
    assert bank.vol.account.balance == 7 and not balances_mismatched()
