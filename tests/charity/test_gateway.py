"""The intake gateway (charity/intake/gateway.py, served as `shanlian.asgi`): single online gifts answered by an event loop
through the group committer; everything else by Django, unchanged.

The end-to-end tests call the ASGI application in-process (httpx's ASGI transport). The gateway reads the
database in a helper thread and the committer writes in its own, so they need rows committed by the test:
`transaction=True`, on a database server (SQLite's in-memory test database serialises threads). The schema
check (`FastDonationIn` against the API's own `DonationIn`) runs on any database.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from pydantic import ValidationError

from shanlian.charity.api_schemas import DonationIn
from shanlian.charity.intake import gateway, groupcommit
from shanlian.charity.intake import requests as intake_requests
from shanlian.charity.models import Donation
from shanlian.ledger.models import Entry, Posting
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries
from shanlian.people.services import api_token_create, api_token_revoke

DONATIONS = "/api/charity/donations"

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="the gateway's helper thread and committer thread need rows the test committed, "
                                        "on a database server (SQLite's in-memory test database serialises threads)")


def online(**kw: Any) -> dict[str, Any]:
    body = {"fund": "yx-bjj", "amount": "50.00", "channel": "online", "donor_name": "网友甲", "campaign": "gd-2026",
            "donor_key": "payer-1"}
    body.update(kw)
    return body


# --- the schema (any database) ---------------------------------------------------------------------------------

BODIES = [
    online(),
    online(amount=" 12.5 ", donor_name=""),
    {"fund": "yx-bjj", "amount": "1.00", "channel": "online"},
    online(received_at="2026-11-11T10:00:00+08:00"),
    online(received_at="2026-11-11T10:00:00"),
    online(channel="goods", goods={"item": "大米", "quantity": "10", "unit": "袋"}),
    online(channel="wire"),
    online(amount=12.5),
    online(donor_name="名" * 129),
    online(show_name="yes"),
    online(project="x"),
    online(received_at="yesterday"),
    {"amount": "1.00", "channel": "online"},
    online(message="谢" * 201),
    online(goods={"item": "大米"}),
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_the_fast_schema_takes_and_refuses_what_the_api_schema_does(body):
    def check(model: Any) -> Any:
        try:
            return model.model_validate(json.loads(json.dumps(body))).model_dump()
        except ValidationError as exc:
            return [(e["type"], e["loc"]) for e in exc.errors()]

    assert check(gateway.FastDonationIn) == check(DonationIn)


def test_only_allowed_hosts_take_the_fast_path(settings):
    settings.ALLOWED_HOSTS = ["shanlian.example.cn"]
    assert gateway._host_allowed("shanlian.example.cn")
    assert gateway._host_allowed("shanlian.example.cn:8443")
    assert not gateway._host_allowed("evil.example.com")
    assert not gateway._host_allowed("")
    settings.ALLOWED_HOSTS = ["other.example.cn"]  # what was remembered follows the setting
    assert not gateway._host_allowed("shanlian.example.cn")
    assert gateway._host_allowed("other.example.cn")


# --- end to end, in-process (PostgreSQL) ---------------------------------------------------------------------


def _run(coro: Any) -> Any:
    """Run a coroutine to its end in a thread of its own (an earlier test, e.g. the browser's, may have left an
    event loop running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Harness:
    """The ASGI application with this test's gateway, called through httpx; Django's test client beside it."""

    def __init__(self) -> None:
        from shanlian.asgi import django_application

        self.app = gateway.IntakeGateway(django_application)

    def post(self, body: Any, *, key: str | None, token: str | None, path: str = DONATIONS, raw: bytes | None = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
        sent = {"content-type": "application/json", **(headers or {})}
        if key is not None:
            sent["idempotency-key"] = key
        if token is not None:
            sent["authorization"] = f"Bearer {token}"
        content = raw if raw is not None else json.dumps(body).encode()

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
                return await http.post(path, content=content, headers=sent)

        return _run(go())

    def get(self, path: str, token: str) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://localhost") as http:
                return await http.get(path, headers={"authorization": f"Bearer {token}"})

        return _run(go())


@pytest.fixture
def gw(settings, monkeypatch):
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "auto", "CHARITY_GROUP_COMMIT_WINDOW": 5}
    monkeypatch.setattr(intake_requests, "_recent", intake_requests.Recent())  # nothing remembered from other tests' rows
    groupcommit.shutdown()
    harness = Harness()
    yield harness
    groupcommit.shutdown()  # the committer's connection goes before the test database does
    _run(sync_to_async(connections.close_all)())  # and those of the thread Django's ASGI handler ran views in
    if harness.app._lookups is not None:
        harness.app._lookups.submit(lambda: connection.close()).result()
        harness.app._lookups.shutdown()


def token_of(user: Any) -> str:
    return api_token_create(actor=None, user=user, name="giving-day platform")[1]


def counts() -> tuple[int, int, int]:
    return Entry.objects.count(), Posting.objects.count(), Donation.objects.count()


def assert_books_clean() -> None:
    assert not unbalanced_entries()
    assert not balances_mismatched()


SAME = ("fund", "project", "campaign", "amount", "match_amount", "channel", "donor_name", "status")
SECURITY_HEADERS = ("content-type", "x-frame-options", "x-content-type-options", "referrer-policy",
                    "cross-origin-opener-policy")


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_gift_on_the_fast_path_is_answered_as_django_answers_it(gw, books, city, settings):
    user = city.users["finance"]
    token = token_of(user)
    resp = gw.post(online(), key="gw:1", token=token)
    assert resp.status_code == 201, resp.text
    assert gw.app.fast == 1 and gw.app.passed == 0
    stored = Donation.objects.select_related("match").get(source=f"api:{user.pk}", external_id="gw:1")
    body = resp.json()
    assert body["id"] == stored.pk and body["entry_id"] == stored.entry_id and body["external_id"] == "gw:1"
    assert body["amount"] == "50.00" and body["match_amount"] == "50.00" and stored.match.amount.amount == Decimal(50)

    # The same gift through Django's own endpoint (the direct path): the same answer and headers.
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "off"}
    direct = Client().post(DONATIONS, json.dumps(online(donor_key="payer-2")), content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="django:1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert direct.status_code == 201
    assert {k: body[k] for k in SAME} == {k: direct.json()[k] for k in SAME}
    assert set(body) == set(direct.json())
    for name in SECURITY_HEADERS:
        assert resp.headers[name] == direct.headers[name], name
    assert_books_clean()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_replays_and_mismatches_go_to_django(gw, books, city):
    token = token_of(city.users["finance"])
    first = gw.post(online(), key="gw:r", token=token)
    assert first.status_code == 201
    before = counts()
    again = gw.post(online(), key="gw:r", token=token)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = gw.post(online(amount="51.00"), key="gw:r", token=token)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_mismatch"
    assert counts() == before
    assert gw.app.fast == 1 and gw.app.passed == 2
    assert_books_clean()


@on_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("body", "key", "token", "status"), [
    (online(amount="0"), "bad:1", "finance", 400),
    (online(amount="-5.00"), "bad:2", "finance", 400),
    (online(amount="1.234"), "bad:3", "finance", 400),
    (online(fund="no-such-fund"), "bad:4", "finance", 400),
    (online(campaign="no-such-campaign"), "bad:5", "finance", 400),
    (online(channel="wire"), "bad:6", "finance", 400),
    (online(), None, "finance", 400),
    (online(), "bad key with spaces", "finance", 400),
    (online(), "bad:7", None, 401),
    (online(), "bad:8", "forged", 401),
    (online(), "bad:9", "station_worker", 403),
    (online(), "bad:10", "donor", 403),
    (online(fund="yx\x00bjj"), "bad:11", "finance", 400),
    (online(donor_name="张\x00三"), "bad:12", "finance", 400),
    (online(amount="9999999996932824.69"), "bad:13", "finance", 400),
], ids=["zero", "negative", "three-decimals", "unknown-fund", "unknown-campaign", "bad-channel", "no-key", "bad-key",
        "no-token", "forged-token", "station-worker", "donor", "nul-fund", "nul-name", "too-large"])
def test_bad_requests_get_django_s_errors_and_post_nothing(gw, books, city, settings, body, key, token, status):
    secret = token_of(city.users[token]) if token in ("finance", "station_worker", "donor") else token
    before = counts()
    resp = gw.post(body, key=key, token=secret)
    assert resp.status_code == status, resp.text
    found = resp.json()
    assert found["code"] and found["message_zh"] and found["message_en"]
    assert counts() == before
    assert gw.app.fast == 0
    # Django's own endpoint answers the same request with the same code.
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "off"}
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    if secret is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    direct = Client(enforce_csrf_checks=True).post(DONATIONS, json.dumps(body), content_type="application/json", **extra)
    assert (direct.status_code, direct.json()["code"]) == (status, found["code"])
    assert counts() == before


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_body_that_is_not_json_goes_to_django(gw, books, city):
    before = counts()
    resp = gw.post(None, key="nj:1", token=token_of(city.users["finance"]), raw=b"{not json")
    assert resp.status_code == 400 and resp.json()["code"]
    assert counts() == before and gw.app.fast == 0


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_gifts_the_group_path_does_not_take_are_django_s(gw, books, city):
    # A station worker's cash gift at a donation point, and an online gift with a public name and a message.
    worker, finance = token_of(city.users["station_worker"]), token_of(city.users["finance"])
    cash = gw.post({"fund": "yx-bjj", "amount": "20.00", "channel": "cash", "point": books.point.pk, "donor_name": "陈伯"},
                   key="cash:1", token=worker)
    assert cash.status_code == 201, cash.text
    named = gw.post(online(show_name=True, message="加油"), key="named:1", token=finance)
    assert named.status_code == 201, named.text
    assert Donation.objects.get(external_id="named:1").message == "加油"
    assert gw.app.fast == 0 and gw.app.passed == 2
    assert_books_clean()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_other_paths_and_methods_are_django_s(gw, books, city):
    token = token_of(city.users["finance"])
    assert gw.get("/api/me", token).status_code == 200
    assert gw.get(DONATIONS, token).status_code == 405
    batch = gw.post({"gifts": [{"idempotency_key": "b:1", "fund": "yx-bjj", "amount": "3.00"}]}, key=None, token=token,
                    path=DONATIONS + "/batch")
    assert batch.status_code == 200 and batch.json()["gifts"][0]["status"] == "created"
    assert gw.app.fast == 0


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_stops_once_the_gateway_forgets_it(gw, books, city, monkeypatch):
    user = city.users["finance"]
    row, secret = api_token_create(actor=None, user=user, name="platform")
    assert gw.post(online(), key="rv:1", token=secret).status_code == 201
    api_token_revoke(actor=user, token=row)
    monkeypatch.setattr(gateway, "TOKEN_SECONDS", 0.0)
    gw.app.tokens.data.clear()  # what TOKEN_SECONDS of waiting does
    before = counts()
    resp = gw.post(online(), key="rv:2", token=secret)
    assert resp.status_code == 401 and counts() == before


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_off_turns_the_fast_path_off(gw, books, city, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_GROUP_COMMIT": "off"}
    resp = gw.post(online(), key="off:1", token=token_of(city.users["finance"]))
    assert resp.status_code == 201
    assert gw.app.fast == 0 and gw.app.passed == 0  # not even looked at


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_role_stops_once_the_gateway_forgets_the_user(gw, books, city, monkeypatch):
    from shanlian.people.models import RoleGrant

    user = city.users["finance"]
    token = token_of(user)
    assert gw.post(online(), key="role:1", token=token).status_code == 201
    RoleGrant.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    gw.app.tokens.data.clear()  # what TOKEN_SECONDS of waiting does
    monkeypatch.setattr(intake_requests, "_recent", intake_requests.Recent())  # and the group path's 5 s memory
    before = counts()
    resp = gw.post(online(), key="role:2", token=token)
    assert resp.status_code == 403 and resp.json()["code"] and counts() == before
    assert gw.app.fast == 1


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_body_larger_than_the_gateway_reads_reaches_django_whole(gw, books, city):
    body = json.dumps(online()).encode()
    padded = body[:-1] + b" " * (gateway.MAX_BODY + 100) + b"}"  # still one valid gift, in more than 16 KB
    resp = gw.post(None, key="big:1", token=token_of(city.users["finance"]), raw=padded)
    assert resp.status_code == 201, resp.text
    assert gw.app.fast == 0 and gw.app.passed == 1
    assert Donation.objects.filter(external_id="big:1").count() == 1


@pytest.mark.parametrize("chunks", [1, 3])
def test_a_large_body_is_handed_on_whole_however_it_arrives(chunks):
    """Past MAX_BODY the gateway stops reading and gives Django what it read followed by the rest, unchanged."""
    body = b"x" * (gateway.MAX_BODY + 10)
    size = -(-len(body) // chunks)
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    messages = iter([{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)])
    seen: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def django(_scope: Any, receive: Any, _send: Any) -> None:
        while True:
            message = await receive()
            seen.append(message["body"])
            if not message.get("more_body"):
                return

    app = gateway.IntakeGateway(django)
    _run(app({"type": "http", "method": "POST", "path": DONATIONS, "headers": []}, receive, lambda _m: None))
    assert b"".join(seen) == body and app.passed == 1 and app.fast == 0


def test_lifespan_starts_and_shuts_the_committer_down(monkeypatch):
    stopped: list[bool] = []
    monkeypatch.setattr(groupcommit, "shutdown", lambda: stopped.append(True))
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def django(*_args: Any) -> None:
        raise AssertionError("Django does not see lifespan events")

    _run(gateway.IntakeGateway(django)({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert stopped == [True]


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_if_the_fast_path_breaks_django_answers(gw, books, city, monkeypatch):
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the committer is gone")

    monkeypatch.setattr(gw.app, "committer", broken)
    resp = gw.post(online(), key="broken:1", token=token_of(city.users["finance"]))
    assert resp.status_code == 201 and resp.json()["external_id"] == "broken:1"
    assert gw.app.fast == 0 and gw.app.passed == 1
    assert Donation.objects.filter(external_id="broken:1").count() == 1


def test_a_forked_worker_makes_its_own_committer_and_a_gateway_can_go():
    import gc
    import os
    import weakref

    app = gateway.IntakeGateway(lambda *_a: None)
    app._committer = "the parent's"  # type: ignore[assignment]
    pid = os.fork()
    if pid == 0:  # the child: its threads and committer were the parent's
        os._exit(0 if app._committer is None and app._lookups is None else 1)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert app._committer == "the parent's"
    gone = weakref.ref(app)
    del app
    gc.collect()
    assert gone() is None  # the fork hook does not keep it alive
