"""On PostgreSQL: two people claim one wish at the same moment; exactly one wins, the other is told `already_claimed`."""

from __future__ import annotations

import pytest
from django.db import connection

from shanlian.core.errors import DomainError
from shanlian.wishes import services as ws
from shanlian.wishes.models import Wish, WishClaim
from tests.charity.helpers import race

from .conftest import build_site

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="SQLite serialises all writers; the race exists only on PostgreSQL")


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_claims_at_once_one_wins():
    site = build_site()
    wishes = [site.wish(title=f"电风扇{i}") for i in range(3)]
    claimants = [site.users["donor"], site.users["volunteer"], site.users["expert"], site.users["nobody"]]
    for wish in wishes:
        results = race(len(claimants), lambda i, w=wish: ws.wish_claim(actor=claimants[i], wish=w).pk)
        won = [r for r in results if isinstance(r, int)]
        lost = [r for r in results if not isinstance(r, int)]
        assert len(won) == 1, results
        assert all(isinstance(r, DomainError) and r.code == "already_claimed" for r in lost), lost
        assert WishClaim.objects.filter(wish=wish).count() == 1 and Wish.objects.get(pk=wish.pk).status == "claimed"
