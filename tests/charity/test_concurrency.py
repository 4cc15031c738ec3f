"""Concurrency and database guards on PostgreSQL: receipts numbered without gaps under concurrent
issuing, matching caps never exceeded by concurrent gifts, gifts and receipts frozen by triggers."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from shanlian.charity import services as cs
from shanlian.charity.models import Donation, MatchGift, Receipt
from shanlian.core.money import Money
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries

from .helpers import race

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="SQLite serialises all writers; the race and the triggers exist only on PostgreSQL")


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_have_no_gaps(books, city):
    gifts = [cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount=f"{20 + i}", channel="cash",
                                donor_name=f"捐赠人{i}") for i in range(12)]
    users = [city.users["finance"], books.finance2]
    results = race(12, lambda i: cs.receipt_issue(actor=users[i % 2], donation=gifts[i]).number)
    assert sorted(results) == list(range(1, 13)), results  # type: ignore[type-var]
    # and issuing the same gift's receipt concurrently gives one receipt
    g = cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="9", channel="cash", donor_name="x")
    same = race(6, lambda i: cs.receipt_issue(actor=users[i % 2], donation=g).pk)
    assert len(set(same)) == 1 and Receipt.objects.filter(donation=g).count() == 1


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_matched_gifts_respect_the_caps(books, city):
    # 20 donors give 100 each at once; the pool matches at most 1,000 a day.
    results = race(20, lambda i: cs.donation_record(
        actor=None, fund=books.fund, amount="100", channel="online", donor_name=f"网友{i}", campaign=books.campaign,
        donor_key=f"u{i}", source="test", external_id=f"g{i}", _skip_access=True).pk)
    assert all(isinstance(r, int) for r in results), results
    books.pool.refresh_from_db()
    total = sum((m.amount for m in MatchGift.objects.all()), Money(0))
    assert total == books.pool.matched_total == Money("1000.00")
    assert not unbalanced_entries() and not balances_mismatched()


@on_postgres
def test_database_refuses_to_change_a_gift_or_a_receipt(books, city):
    d = cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="10", channel="cash", donor_name="x")
    r = cs.receipt_issue(actor=city.users["finance"], donation=d)
    with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic():
        Donation.objects.filter(pk=d.pk).update(amount="11.00")
    with pytest.raises(IntegrityError, match="issued receipt"), transaction.atomic():
        Donation.objects.filter(pk=d.pk).update(status="refunded", refund_entry=d.entry)
    with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic():
        Receipt.objects.filter(pk=r.pk).update(number=99)
    with pytest.raises(IntegrityError, match="never deleted"), transaction.atomic():
        Receipt.objects.filter(pk=r.pk).delete()
