"""Idempotency under parallel retries, on PostgreSQL: twenty requests at once with one Idempotency-Key (or for
one gift's receipt) write once; the first to commit answers 201 and every other answer describes the same row
(200, replayed) or is a clear 409 `request_in_progress` a client retries. Never a 500, never two rows."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from shanlian.charity import services as cs
from shanlian.charity.models import Payout, Receipt
from shanlian.people.services import api_token_create

from .helpers import race

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="SQLite serialises all writers; the race exists only on PostgreSQL")
N = 20


def _post_all(user, url: str, body: dict | None, key: str | None) -> list:
    _token, secret = api_token_create(actor=None, user=user, name="race")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key

    def one(_i: int):
        resp = Client().post(url, body or {}, content_type="application/json", **headers)
        return resp.status_code, resp.json()

    return race(N, one)


def _check(results: list) -> Counter:
    statuses = Counter(r[0] if isinstance(r, tuple) else repr(r) for r in results)
    assert set(statuses) <= {200, 201, 409}, statuses
    assert statuses[201] == 1, statuses
    ids = {body["id"] for status, body in results if status in (200, 201)}
    assert len(ids) == 1, ids
    assert all(body["code"] == "request_in_progress" for status, body in results if status == 409), results
    return statuses


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_payout_requests_with_one_key_make_one_payout(books, city):
    body = {"fund": books.fund.code, "project": books.project.pk, "title": "重阳节长者慰问", "payee": "北京街社工站",
            "lines": [{"item": "慰问品", "amount": "1200.00"}]}
    _check(_post_all(city.users["station_worker"], "/api/charity/payouts", body, "payout-race-1"))
    assert Payout.objects.filter(external_id="payout-race-1").count() == 1


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_receipt_requests_for_one_gift_issue_one_receipt(books, city):
    gift = cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="300", channel="cash", donor_name="陈伯")
    _check(_post_all(city.users["finance"], f"/api/charity/donations/{gift.pk}/receipt", None, None))
    assert Receipt.objects.filter(donation=gift).count() == 1
