"""Group commit of single-gift requests (intake/groupcommit.py): online gifts of concurrent requests to
POST /api/charity/donations written in one transaction by the process's committer, each request answered
only after that COMMIT; the answers, replays (200 + Idempotent-Replayed), mismatches (409) and errors are
those of the direct path; a bad gift or a failed group fails no other gift.

On any database the committer runs in the test's thread (`Inline`), inside the test's transaction. On
PostgreSQL the real committer thread serves concurrent requests from several threads."""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.api_schemas import donation_out
from shanlian.charity.intake import groupcommit
from shanlian.charity.intake import requests as intake_requests
from shanlian.charity.intake.batch import BatchGiftIn
from shanlian.charity.intake.groupcommit import GroupCommitter, Ticket
from shanlian.charity.models import Donation, MatchGift
from shanlian.core.models import AuditLog
from shanlian.ledger.models import Account, Entry
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries
from shanlian.people.models import RoleGrant
from shanlian.people.services import api_token_create

from .helpers import Undo, gift_rows, race

pytestmark = pytest.mark.django_db

DONATIONS = "/api/charity/donations"


def bearer(user) -> dict[str, str]:
    _, secret = api_token_create(actor=None, user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client: Client, body: dict[str, Any], key: str, **auth):
    return client.post(DONATIONS, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **auth)


def online(**kw) -> dict[str, Any]:
    body = {"fund": "yx-bjj", "amount": "50.00", "channel": "online", "donor_name": "网友甲", "campaign": "gd-2026",
            "donor_key": "payer-1"}
    body.update(kw)
    return body


def records() -> int:
    """Audit rows of gifts written by the direct path (one each)."""
    return AuditLog.objects.filter(action="charity.donation.record").count()


def assert_books_clean() -> None:
    assert not unbalanced_entries()
    assert not balances_mismatched()


class Inline(GroupCommitter):
    """The committer, run in the request's own thread: each request is a group of one (tests on any database)."""

    def submit(self, *, actor: Any, gift: BatchGiftIn, timeout: float = 0) -> Any:
        ticket = Ticket(actor=actor, gift=gift)
        self.commit_group([ticket])
        return ticket.result


@pytest.fixture
def grouped(settings, monkeypatch) -> Inline:
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "on"}
    inline = Inline()
    monkeypatch.setattr(groupcommit, "committer", lambda: inline)
    monkeypatch.setattr(intake_requests, "_recent", intake_requests.Recent())
    return inline


# --- the setting ---------------------------------------------------------------------------------------


def test_the_setting_decides_not_the_server(settings, monkeypatch):
    """Configuration, not a guess from the modules loaded: "auto" groups in the gateway only, "on" in Django's
    endpoint too, "off" nowhere; a gthread worker's module being loaded changes nothing."""
    monkeypatch.setitem(sys.modules, "gunicorn.workers.gthread", object())
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "auto"}
    assert not groupcommit.enabled() and groupcommit.mode() == "auto"
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "off"}
    assert not groupcommit.enabled() and groupcommit.mode() == "off"
    monkeypatch.delitem(sys.modules, "gunicorn.workers.gthread")
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "on"}
    assert groupcommit.enabled()
    assert groupcommit.default_threads() == 2 and groupcommit.default_threads(1) == 1
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT_THREADS": 3}
    assert groupcommit.default_threads(1) == 3


def test_off_means_the_direct_path(client, books, city, settings, monkeypatch):
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "off"}
    monkeypatch.setattr(groupcommit, "committer", lambda: pytest.fail("the committer was used"))
    before = records()
    resp = post(client, online(), "off:1", **bearer(city.users["finance"]))
    assert resp.status_code == 201
    assert records() == before + 1


# --- through the endpoint (any database) ---------------------------------------------------------------


def test_a_grouped_gift_is_answered_as_the_direct_path_answers(grouped, client, books, city):
    user = city.users["finance"]
    auth = bearer(user)
    before = records()
    resp = post(client, online(), "gd:tx:1", **auth)
    assert resp.status_code == 201, resp.content
    assert "Idempotent-Replayed" not in resp.headers
    stored = Donation.objects.get(source=f"api:{user.pk}", external_id="gd:tx:1")
    assert resp.json() == json.loads(json.dumps(donation_out(stored, books.fund, books.campaign)))
    assert resp.json()["match_amount"] == "50.00" and MatchGift.objects.get(donation=stored).amount.amount == 50
    assert grouped.stats.groups == 1 and grouped.stats.gifts == 1
    assert AuditLog.objects.filter(action="charity.donation.batch").count() == 1
    assert records() == before + 1  # the request's row, which the gift names
    assert_books_clean()


def test_replay_and_mismatch_through_the_group(grouped, client, books, city):
    auth = bearer(city.users["finance"])
    before = Donation.objects.count(), Entry.objects.count()
    first = post(client, online(), "gd:tx:2", **auth)
    assert first.status_code == 201
    again = post(client, online(), "gd:tx:2", **auth)
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = post(client, online(amount="51.00"), "gd:tx:2", **auth)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_mismatch"
    # a key first used on the direct path (a gift to a project) is the same key on the group path
    assert post(client, online(project=books.project.pk, campaign=None), "gd:tx:3", **auth).status_code == 201
    clash = post(client, online(campaign=None), "gd:tx:3", **auth)
    assert clash.status_code == 409 and clash.json()["code"] == "idempotency_mismatch"
    assert (Donation.objects.count(), Entry.objects.count()) == (before[0] + 2, before[1] + 2)
    assert_books_clean()


def test_refused_gifts_answer_with_the_direct_paths_errors(grouped, client, books, city):
    auth = bearer(city.users["finance"])
    before = Donation.objects.count()
    cs.campaign_close(actor=city.users["finance"], campaign=books.campaign)
    resp = post(client, online(), "gd:closed", **auth)
    assert resp.status_code == 400 and resp.json()["code"] == "campaign_not_open"
    resp = post(client, online(received_at=(timezone.now() + dt.timedelta(hours=1)).isoformat(), campaign=None), "gd:future",
                **auth)
    assert resp.status_code == 400 and resp.json()["code"] == "received_in_future"
    for body, code in [(online(fund="nope"), "unknown_fund"), (online(amount="-1"), None), (online(campaign="nope"), None)]:
        resp = post(client, body, "gd:bad", **auth)
        assert resp.status_code == 400 and (code is None or resp.json()["code"] == code), resp.content
    assert Donation.objects.count() == before


def test_denied_callers_are_denied_as_before(grouped, client, books, city):
    before = Donation.objects.count()
    anonymous = post(client, online(), "gd:anon")
    assert anonymous.status_code == 401
    for name in ("station_worker", "district_admin"):
        resp = post(client, online(), "gd:denied", **bearer(city.users[name]))
        assert resp.status_code == 403, (name, resp.content)
    assert post(client, online(), "bad key!", **bearer(city.users["finance"])).status_code == 400
    assert Donation.objects.count() == before and grouped.stats.groups == 0


def test_a_revoked_role_is_refused_even_while_remembered(grouped, client, books, city):
    user = city.users["finance"]
    auth = bearer(user)
    assert post(client, online(), "gd:r1", **auth).status_code == 201  # the process now remembers the scope
    RoleGrant.objects.filter(user=user).update(revoked_at=timezone.now())
    resp = post(client, online(), "gd:r2", **auth)
    assert resp.status_code == 403, resp.content
    assert not Donation.objects.filter(external_id="gd:r2").exists()


def test_other_gifts_take_the_direct_path(grouped, client, books, city):
    auth = bearer(city.users["finance"])
    before = records()
    for key, body in [("p:1", online(project=books.project.pk, campaign=None)), ("p:2", online(message="加油")),
                      ("p:3", online(show_name=True))]:
        assert post(client, body, key, **auth).status_code == 201
    assert grouped.stats.groups == 0
    assert records() == before + 3


def test_a_failed_group_sends_each_gift_down_the_direct_path(grouped, client, books, city, monkeypatch):
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(groupcommit, "donation_batch_record", boom)
    before = records()
    resp = post(client, online(), "gd:fail", **bearer(city.users["finance"]))
    assert resp.status_code == 201, resp.content
    assert grouped.stats.fallbacks == 1
    assert Donation.objects.filter(external_id="gd:fail").count() == 1
    assert records() == before + 1
    assert_books_clean()


# --- a group of many (any database): the committer's own work ------------------------------------------------


def test_one_group_one_transaction_and_each_gift_answers_for_itself(books, city):
    finance, other = city.users["finance"], books.finance2
    cs.donation_record(actor=finance, fund=books.fund, amount="5.00", channel="online", source=f"api:{finance.pk}",
                       external_id="old", donor_name="网友甲", _skip_access=True)

    def ticket(key: str, actor: Any = finance, **kw: Any) -> Ticket:
        fields = {"idempotency_key": key, "amount": "10.00", "fund": "yx-bjj", "donor_name": "网友甲"}
        fields.update(kw)
        return Ticket(actor=actor, gift=BatchGiftIn(**fields), done=threading.Event())

    group = [ticket("g:1"), ticket("g:2", campaign="gd-2026", donor_key="p1"), ticket("g:1"), ticket("old", amount="5.00"),
             ticket("old", amount="6.00"), ticket("g:late", received_at=(timezone.now() + dt.timedelta(days=1)).isoformat()),
             ticket("g:3", actor=other)]
    committer = GroupCommitter()
    committer.commit_group(group)
    assert all(t.done.is_set() for t in group)
    got = [(t.gift.idempotency_key, t.result.status, t.result.code) for t in group if t.result is not None]
    assert got == [("g:1", "created", ""), ("g:2", "created", ""), ("g:1", "refused", "external_id_duplicate"),
                   ("old", "replayed", ""), ("old", "refused", "external_id_duplicate"),
                   ("g:late", "refused", "received_in_future"), ("g:3", "created", "")]
    assert committer.stats.groups == 2 and committer.stats.largest == 6  # one transaction per caller
    assert AuditLog.objects.filter(action="charity.donation.batch").count() == 2
    assert MatchGift.objects.filter(donation__external_id="g:2").exists()
    assert_books_clean()


# --- the same rows as the direct path ------------------------------------------------------------------------


def test_grouped_gifts_are_the_rows_the_direct_path_writes(client, books, city, settings, monkeypatch):
    user = city.users["finance"]
    auth = bearer(user)
    rng = random.Random(3)
    bodies = []
    for i in range(30):
        when = (timezone.now() - dt.timedelta(hours=rng.uniform(0.1, 20))).isoformat()
        body = online(amount=f"{rng.randint(1, 9000) / 100:.2f}", received_at=when, donor_name=rng.choice(["林晓红", "王芳", ""]),
                      donor_key=rng.choice(["", f"payer-{rng.randint(1, 6)}"]), campaign=rng.choice(["gd-2026", None]))
        bodies.append((f"same:{i:02d}", body))
    keys = [k for k, _b in bodies]
    accounts = lambda: dict(Account.objects.values_list("pk", "balance"))  # noqa: E731
    answers: dict[str, list[dict[str, Any]]] = {"direct": [], "group": []}

    def give(mode: str) -> None:
        for key, body in bodies:
            resp = post(client, body, key, **auth)
            assert resp.status_code == 201, resp.content
            answers[mode].append({k: v for k, v in resp.json().items() if k not in ("id", "entry_id")})

    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "off"}
    start = accounts()
    try:
        with transaction.atomic():
            give("direct")
            direct_rows, direct_end = gift_rows(f"api:{user.pk}", keys), accounts()
            raise Undo
    except Undo:
        pass
    assert accounts() == start
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "on"}
    inline = Inline()
    monkeypatch.setattr(groupcommit, "committer", lambda: inline)
    give("group")
    assert inline.stats.gifts == 30
    assert gift_rows(f"api:{user.pk}", keys) == direct_rows
    assert answers["group"] == answers["direct"]
    assert accounts() == direct_end
    assert any(r[-1] for r in direct_rows) and any(r[-1] is None and r[3] for r in direct_rows)  # matched and unmatched
    assert_books_clean()


# --- PostgreSQL: the committer thread and concurrent requests ------------------------------------------------------

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="concurrent writers from several threads need a database server (SQLite's "
                                        "in-memory test database serialises them)")


@pytest.fixture
def threaded(settings, monkeypatch):
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "on", "CHARITY_GROUP_COMMIT_WINDOW": 20}
    monkeypatch.setattr(intake_requests, "_recent", intake_requests.Recent())  # nothing remembered from other tests' rows
    groupcommit.shutdown()
    yield groupcommit.committer()
    groupcommit.shutdown()  # its connection goes before the test database does


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_share_transactions(threaded, books, city):
    user = city.users["finance"]
    _, secret = api_token_create(actor=None, user=user, name="platform")

    def give(i: int) -> tuple[int, dict[str, Any]]:
        body = online(amount=f"{10 + i}.00", donor_key=f"payer-{i}", campaign="gd-2026" if i % 2 else None)
        resp = Client().post(DONATIONS, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}",
                             HTTP_IDEMPOTENCY_KEY=f"c:{i}")
        return resp.status_code, resp.json()

    results = race(24, give)
    assert all(r[0] == 201 for r in results), results
    assert threaded.stats.gifts == 24 and threaded.stats.groups < 24 and threaded.stats.largest > 1, threaded.stats
    stored = {d.external_id: d for d in Donation.objects.filter(source=f"api:{user.pk}")}
    assert len(stored) == 24
    for i, (_status, body) in enumerate(results):
        d = stored[f"c:{i}"]
        assert body["id"] == d.pk and body["entry_id"] == d.entry_id and body["amount"] == f"{10 + i}.00"
        assert body["match_amount"] == ("0.00" if i % 2 == 0 else f"{10 + i}.00")
    assert AuditLog.objects.filter(action="charity.donation.batch").count() == threaded.stats.groups
    assert_books_clean()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_twins_are_one_gift(threaded, books, city):
    """The same key sent by several requests at once, in one group or in successive ones: one 201, the others 200
    with the same gift; then the key with another body gets 409."""
    user = city.users["finance"]
    _, secret = api_token_create(actor=None, user=user, name="platform")

    def give(amount: str) -> tuple[int, Any, str | None]:
        body = online(amount=amount, donor_key="twin")
        resp = Client().post(DONATIONS, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}",
                             HTTP_IDEMPOTENCY_KEY="twin-key")
        return resp.status_code, resp.json().get("id") if resp.status_code < 300 else resp.json()["code"], resp.get(
            "Idempotent-Replayed")

    results = race(6, lambda i: give("77.00"))
    assert sorted(code for code, _id, _h in results) == [200, 200, 200, 200, 200, 201], results
    assert len({i for _c, i, _h in results}) == 1
    assert all(h == "true" for c, _i, h in results if c == 200)
    assert give("78.00")[:2] == (409, "idempotency_mismatch")
    assert threaded.stats.gifts >= 6, threaded.stats  # all went through the committer (one created, the rest not)
    connections.close_all()
    assert Donation.objects.filter(source=f"api:{user.pk}").count() == 1
    assert Entry.objects.filter(source=f"charity.api:{user.pk}").count() == 1
    assert_books_clean()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_the_committer_thread_stops_and_closes_its_connection(threaded, books, city):
    user = city.users["finance"]
    _, secret = api_token_create(actor=None, user=user, name="platform")
    resp = Client().post(DONATIONS, online(), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}",
                         HTTP_IDEMPOTENCY_KEY="stop-1")
    assert resp.status_code == 201
    threads = threaded.threads
    assert len(threads) == groupcommit.default_threads() and all(t.is_alive() for t in threads)
    groupcommit.shutdown()
    assert not any(t.is_alive() for t in threads)
