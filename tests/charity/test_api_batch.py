"""POST /api/charity/donations/batch: a payment platform forwards up to 1000 online gifts at once through the
custodian's finance officer. Per-gift answers (created / replayed / refused with a code), a bad gift refuses
only itself, replays give the first ids, the books balance, and the rows are those the single endpoint writes
for the same gifts (the one gift writer, on both databases)."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import Donation, MatchGift, MatchPool
from shanlian.core.models import AuditLog
from shanlian.core.scoping import Role
from shanlian.ledger.models import Account, Entry
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries
from shanlian.people.services import api_token_create
from tests import factories as f

from .helpers import Undo, gift_rows

pytestmark = pytest.mark.django_db

BATCH = "/api/charity/donations/batch"
SINGLE = "/api/charity/donations"


def bearer(user) -> dict[str, str]:
    _, secret = api_token_create(actor=None, user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def send(client: Client, gifts, **auth):
    return client.post(BATCH, json.dumps({"gifts": gifts}), content_type="application/json", **auth)


def when(hours_ago: float = 1) -> str:
    return (timezone.now() - dt.timedelta(hours=hours_ago)).astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()


def gift(key: str, **kw):
    body = {"idempotency_key": key, "fund": "yx-bjj", "amount": "20.00", "donor_name": "网友甲", "received_at": when()}
    body.update(kw)
    return body


def counts() -> tuple[int, int, int]:
    return Donation.objects.count(), Entry.objects.count(), MatchGift.objects.count()


def assert_books_clean() -> None:
    assert not unbalanced_entries()
    assert not balances_mismatched()


def by_key(resp) -> dict[str, dict]:
    assert resp.status_code == 200, resp.content
    return {g["idempotency_key"]: g for g in resp.json()["gifts"]}


# --- who may send ------------------------------------------------------------------------------------


def test_anonymous_is_401_and_wrong_roles_are_403(client, books, city):
    before = counts()
    assert send(client, [gift("a-1")]).status_code == 401
    for name in ("station_worker", "street_officer", "city_admin", "donor"):
        resp = send(client, [gift("a-1")], **bearer(city.users[name]))
        assert resp.status_code == 403, (name, resp.content)
        assert resp.json()["code"] == "online_needs_custodian_finance"
    assert counts() == before


def test_another_federations_officer_gets_each_gift_refused(client, books, city):
    other_fed = f.organization("广州市天河区慈善会", district=city.districts["天河"], kind="association",
                               public_fundraising=True, is_charity_federation=True)
    stranger = f.user_with_role("finance_th", Role.FEDERATION_FINANCE, other_fed, name="天河慈善会财务")
    before = counts()
    gifts = by_key(send(client, [gift("x-1"), gift("x-2", fund="", campaign="gd-2026")], **bearer(stranger)))
    assert {g["status"] for g in gifts.values()} == {"refused"}
    assert {g["code"] for g in gifts.values()} == {"online_needs_custodian_finance"}
    assert counts() == before


# --- per-gift results, matching, replays -------------------------------------------------------------


def test_gifts_are_created_with_their_matches_and_the_books_balance(client, books, city):
    auth = bearer(city.users["finance"])
    books.fund.account.refresh_from_db()
    fund_before = books.fund.account.balance
    resp = send(client, [
        gift("gd:1"),                                                       # the fund's general money
        gift("gd:2", fund="", campaign="gd-2026", donor_key="payer-1"),     # matched 1:1 by the pool
        gift("gd:3", campaign="gd-2026/yx-bjj", donor_key="payer-2", amount="30.00", match="10.00"),  # the platform's match
        gift("gd:4", campaign="gd-2026", donor_key="payer-3", match="0"),   # explicitly none
        gift("gd:5", campaign="gd-2026", donor_name=""),                    # no donor key: no match
    ], **auth)
    body = resp.json()
    assert (body["created"], body["replayed"], body["refused"]) == (5, 0, 0), body
    gifts = by_key(resp)
    assert [g["index"] for g in body["gifts"]] == [0, 1, 2, 3, 4]
    assert {k: g["match_amount"] for k, g in gifts.items()} == {
        "gd:1": "0.00", "gd:2": "20.00", "gd:3": "10.00", "gd:4": "0.00", "gd:5": "0.00"}
    assert gifts["gd:2"]["campaign"] == "gd-2026" and gifts["gd:1"]["campaign"] is None
    assert gifts["gd:1"]["received_at"].endswith("+08:00")
    d = Donation.objects.get(pk=gifts["gd:3"]["id"])
    user = city.users["finance"]
    assert (d.source, d.external_id, d.channel, d.recorded_by_id, d.entry_id) == (f"api:{user.pk}", "gd:3", "online", user.pk,
                                                                                   gifts["gd:3"]["entry_id"])
    assert Donation.objects.get(external_id="gd:5").donor_name == cs.ANONYMOUS
    books.fund.account.refresh_from_db()
    assert books.fund.account.balance == fund_before + Decimal("20") * 4 + Decimal("30") + Decimal("20") + Decimal("10")
    assert MatchPool.objects.get(pk=books.pool.pk).matched_total.amount == Decimal("30.00")
    assert AuditLog.objects.filter(action="charity.donation.batch").count() == 1
    assert_books_clean()


def test_the_same_batch_again_replays_with_the_same_ids(client, books, city):
    auth = bearer(city.users["finance"])
    gifts = [gift(f"r:{i}", campaign="gd-2026", donor_key=f"p{i}") for i in range(4)]
    first = by_key(send(client, gifts, **auth))
    before = counts()
    again = send(client, gifts, **auth)
    body = again.json()
    assert (body["created"], body["replayed"], body["refused"]) == (0, 4, 0)
    for key, g in by_key(again).items():
        assert g["status"] == "replayed"
        assert (g["id"], g["entry_id"], g["match_amount"]) == (first[key]["id"], first[key]["entry_id"], first[key]["match_amount"])
    assert counts() == before
    assert_books_clean()


def test_keys_are_shared_with_the_single_endpoint(client, books, city):
    auth = bearer(city.users["finance"])
    sent = client.post(SINGLE, json.dumps({"fund": "yx-bjj", "amount": "20.00", "channel": "online", "donor_name": "网友甲"}),
                       content_type="application/json", HTTP_IDEMPOTENCY_KEY="both:1", **auth)
    assert sent.status_code == 201
    gifts = by_key(send(client, [gift("both:1", received_at=None)], **auth))
    assert gifts["both:1"]["status"] == "replayed" and gifts["both:1"]["id"] == sent.json()["id"]
    gifts = by_key(send(client, [gift("both:1", amount="21.00", received_at=None)], **auth))
    assert gifts["both:1"]["code"] == "idempotency_mismatch"


def test_a_changed_gift_is_refused_and_the_others_are_written(client, books, city):
    auth = bearer(city.users["finance"])
    send(client, [gift("m:1")], **auth)
    before = counts()
    resp = send(client, [gift("m:1", amount="99.00"), gift("m:2")], **auth)
    gifts = by_key(resp)
    assert gifts["m:1"]["status"] == "refused" and gifts["m:1"]["code"] == "idempotency_mismatch"
    assert gifts["m:1"]["message"] and "id" not in gifts["m:1"] or gifts["m:1"].get("id") is None
    assert gifts["m:2"]["status"] == "created"
    assert counts() == (before[0] + 1, before[1] + 1, before[2])
    assert Donation.objects.get(external_id="m:1").amount.amount == Decimal("20.00")
    assert_books_clean()


# --- bad input ---------------------------------------------------------------------------------------


def test_batch_size_is_1_to_1000(client, books, city):
    auth = bearer(city.users["finance"])
    before = counts()
    resp = send(client, [gift(f"big:{i}") for i in range(1001)], **auth)
    assert resp.status_code == 400 and resp.json()["code"] == "batch_too_large"
    resp = send(client, [], **auth)
    assert resp.status_code == 400 and resp.json()["code"] == "batch_empty"
    resp = client.post(BATCH, json.dumps({"gifts": "nope"}), content_type="application/json", **auth)
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_request"
    assert counts() == before


def test_each_bad_gift_refuses_only_itself(client, books, city):
    auth = bearer(city.users["finance"])
    before = counts()
    resp = send(client, [
        gift("ok:1"),
        gift("bad key!"),
        gift("ok:1", amount="5.00"),                        # the same key twice in a batch
        gift("b:amount", amount="12.345"),
        gift("b:zero", amount="0"),
        gift("b:nan", amount="abc"),
        gift("b:fund", fund="no-such-fund"),
        gift("b:none", fund=""),
        gift("b:future", received_at=when(-2)),
        gift("b:time", received_at="yesterday"),
        gift("b:period", campaign="gd-2026", received_at=when(72)),
        gift("b:nopool", match="5.00"),
        gift("b:bigmatch", campaign="gd-2026", match="5000.00"),
        gift("b:negmatch", campaign="gd-2026", match="-1"),
        gift("b:mismatch", campaign="gd-2026/yx-rmj"),
        gift("ok:2", campaign="gd-2026", donor_key="payer-9"),
        gift("b:nul", donor_name="张\x00三"),               # one NUL refuses this gift alone
        gift("b:year1", received_at="0001-01-01T00:00:00+08:00"),
        gift("b:huge", amount="9999999996932824.69"),
        gift("b:long", donor_name="长" * 129),
        gift("b:nulfund", fund="yx\x00bjj"),
    ], **auth)
    body = resp.json()
    codes = {g["index"]: g.get("code") for g in body["gifts"]}
    assert codes == {
        0: None, 1: "invalid_idempotency_key", 2: "external_id_duplicate", 3: "money_precision", 4: "amount_not_positive",
        5: "invalid_number", 6: "unknown_target", 7: "target_missing", 8: "received_in_future", 9: "invalid_time",
        10: "campaign_out_of_period", 11: "match_without_pool", 12: "match_exceeds_pool", 13: "match_negative",
        14: "campaign_target_mismatch", 15: None, 16: "donor_nul_character", 17: "time_too_early", 18: "amount_too_large",
        19: "donor_too_long", 20: "unknown_target",
    }, body
    assert (body["created"], body["refused"]) == (2, 19)
    assert all(g["message"] for g in body["gifts"] if g["status"] == "refused")
    assert counts() == (before[0] + 2, before[1] + 2, before[2] + 1)
    assert_books_clean()


def test_closed_fund_and_closed_campaign_are_refused(client, books, city):
    auth = bearer(city.users["finance"])
    cs.campaign_close(actor=city.users["finance"], campaign=books.campaign)
    gifts = by_key(send(client, [gift("c:1", campaign="gd-2026", donor_key="p")], **auth))
    assert gifts["c:1"]["code"] == "campaign_not_open"


def test_a_failed_write_writes_nothing(client, books, city, monkeypatch):
    from shanlian.charity.intake import batch

    auth = bearer(city.users["finance"])
    before = counts(), Account.objects.get(pk=books.fund.account.pk).balance

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(batch, "audit_log", boom)  # the last statement of the batch's transaction
    client.raise_request_exception = False
    resp = send(client, [gift("f:1"), gift("f:2", campaign="gd-2026", donor_key="p")], **auth)
    assert resp.status_code == 500
    assert (counts(), Account.objects.get(pk=books.fund.account.pk).balance) == before


# --- the same rows as the single endpoint ------------------------------------------------------------


def test_batch_writes_the_rows_the_single_endpoint_writes(client, books, city):
    user = city.users["finance"]
    auth = bearer(user)
    rng = random.Random(7)
    gifts = []
    for i in range(60):
        kind = rng.choice(["fund", "campaign", "campaign", "anonymous"])
        body = gift(f"same:{i:03d}", amount=f"{rng.randint(1, 9000) / 100:.2f}", received_at=when(rng.uniform(0.1, 20)),
                    donor_name=rng.choice(["林晓红", "陈大文", "王芳", "李四"]))
        if kind != "fund":
            body.update(fund="", campaign="gd-2026", donor_key="" if kind == "anonymous" else f"payer-{rng.randint(1, 8)}")
        gifts.append(body)
    keys = [g["idempotency_key"] for g in gifts]
    accounts = lambda: dict(Account.objects.values_list("pk", "balance"))  # noqa: E731
    start = accounts()
    try:
        with transaction.atomic():
            for g in gifts:
                single = {"fund": g["fund"] or "yx-bjj", "campaign": g.get("campaign") or None, "amount": g["amount"],
                          "channel": "online", "donor_name": g["donor_name"], "donor_key": g.get("donor_key", ""),
                          "received_at": g["received_at"]}
                resp = client.post(SINGLE, json.dumps(single), content_type="application/json",
                                   HTTP_IDEMPOTENCY_KEY=g["idempotency_key"], **auth)
                assert resp.status_code == 201, resp.content
            single_rows, single_end = gift_rows(f"api:{user.pk}", keys), accounts()
            raise Undo
    except Undo:
        pass
    assert accounts() == start and not Donation.objects.filter(external_id__in=keys).exists()
    body = send(client, gifts, **auth).json()
    assert body["created"] == 60, body
    assert gift_rows(f"api:{user.pk}", keys) == single_rows
    assert accounts() == single_end
    assert any(r[-1] for r in single_rows) and any(r[-1] is None and r[3] for r in single_rows)  # matched and unmatched
    assert_books_clean()


# --- PostgreSQL: the set-based writer ----------------------------------------------------------------


@pytest.fixture
def pg():
    if connection.vendor != "postgresql":
        pytest.skip("the set-based writer runs on PostgreSQL")


def test_pg_batches_cost_the_same_queries_for_few_and_many(pg, client, books, city):
    auth = bearer(city.users["finance"])
    MatchPool.objects.filter(pk=books.pool.pk).update(per_day_cap=Decimal("100000"), total_cap=Decimal("100000"))

    def queries(prefix: str, n: int) -> int:
        gifts = [gift(f"{prefix}:{i}", campaign="gd-2026", donor_key=f"p{i}") if i % 2 else gift(f"{prefix}:{i}")
                 for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            body = send(client, gifts, **auth).json()
        assert body["created"] == n, body
        return len(ctx.captured_queries)

    queries("warm", 2)  # the campaign's tally row and the like exist from here on
    assert queries("few", 4) == queries("many", 40)
    assert_books_clean()


def test_pg_large_sets_through_copy_write_the_same_rows(pg, client, books, city, monkeypatch):
    from shanlian.charity.intake import writer
    from shanlian.ledger import posting

    user = city.users["finance"]
    auth = bearer(user)
    gifts = [gift(f"w:{i}", campaign="gd-2026", donor_key=f"p{i % 3}") if i % 2 else gift(f"w:{i}", amount=f"{i + 1}.25")
             for i in range(12)]
    keys = [g["idempotency_key"] for g in gifts]
    accounts = lambda: dict(Account.objects.values_list("pk", "balance"))  # noqa: E731
    try:
        with transaction.atomic():
            assert send(client, gifts, **auth).json()["created"] == 12
            small_rows, small_end = gift_rows(f"api:{user.pk}", keys), accounts()
            raise Undo
    except Undo:
        pass
    monkeypatch.setattr(posting, "ARRAYS_MAX", 5)  # more than this many entries, and gifts, go through COPY
    monkeypatch.setattr(writer, "COPY_FROM", 5)
    assert send(client, gifts, **auth).json()["created"] == 12
    assert gift_rows(f"api:{user.pk}", keys) == small_rows and accounts() == small_end
    assert any(r[-1] for r in small_rows)
    assert_books_clean()


def test_pg_plain_sql_look_ups_read_what_the_orm_reads(pg, client, books, city):
    """On PostgreSQL a committer's look-ups are plain SQL (`rules.stored_gifts`, `targets._named`); SQLite runs the
    ORM's. Both must give the same values for the same rows."""
    from shanlian.charity.intake import rules
    from shanlian.charity.intake.importer import Targets

    user = city.users["finance"]
    MatchPool.objects.filter(pk=books.pool.pk).update(per_day_cap=Decimal("100000"), total_cap=Decimal("100000"))
    body = send(client, [gift("sql:1"), gift("sql:2", campaign="gd-2026", donor_key="p1"), gift("sql:3", amount="7.10")],
                **bearer(user)).json()
    assert body["created"] == 3, body
    source, keys = f"api:{user.pk}", ["sql:1", "sql:2", "sql:3", "sql:none"]

    orm = {row[0]: rules._stored(row)
           for row in Donation.objects.filter(source=source, external_id__in=keys).values_list(*rules._COLUMNS)}
    sql = rules.stored_gifts(source, keys)
    assert sql == orm and set(sql) == {"sql:1", "sql:2", "sql:3"}
    assert sql["sql:2"].match == Decimal("20.00") and sql["sql:1"].match == 0

    named = Targets(fund_codes={"yx-bjj", books.other_fund.code, "no-such-fund"}, campaign_slugs={"gd-2026", "nope"})
    everything = Targets()
    assert set(named.funds) == {"yx-bjj", books.other_fund.code} and set(named.campaigns) == {"gd-2026"}
    for label in ("yx-bjj", books.other_fund.code, "gd-2026", "gd-2026/yx-bjj", "no-such-fund", "nope"):
        assert named.resolve(label) == everything.resolve(label), label


def test_pg_a_match_the_pool_account_cannot_pay_is_refused_under_the_lock(pg, client, books, city, monkeypatch):
    """The last guard in the writer (plain SQL on PostgreSQL): should a match get past the room checks (a race), the
    pool's guarded account refuses to go below zero, with the pool's code, and nothing is written."""
    from shanlian.charity.intake import rules

    MatchPool.objects.filter(pk=books.pool.pk).update(per_day_cap=Decimal("10000000"), total_cap=Decimal("10000000"),
                                                     per_donor_cap=Decimal("10000000"))
    held = Account.objects.get(pk=books.pool.account_id)
    too_much = str(getattr(held.balance, "amount", held.balance) + Decimal("1.00"))
    # The room check "missed" it: the pool is named without looking at what it holds.
    monkeypatch.setattr(rules.PoolRoom, "take", lambda self, match, *, day, pools, donor_key="": pools[0])
    monkeypatch.setattr(rules.PoolRoom, "holds", lambda self, totals: True)  # and so did the writer's, under the locks
    before = counts()
    resp = send(client, [gift("race:1", campaign="gd-2026", donor_key="p1", amount=too_much, match=too_much)],
                **bearer(city.users["finance"]))
    assert resp.status_code == 409 and resp.json()["code"] == "match_exceeds_pool", resp.content
    assert counts() == before
    assert_books_clean()
