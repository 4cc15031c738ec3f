"""/api/charity: idempotent donation intake, funds and statements, payouts with four eyes, receipts.

Every endpoint: allowed for the right role, 401 anonymous, 403 for a wrong role, 404 out of scope; bad
input answers with a code and posts nothing; lists cost the same queries for few rows and many."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import Donation, MatchGift, Payout, PayoutStatus, Receipt
from shanlian.core.scoping import Role
from shanlian.ledger.models import Entry, Hold
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries
from shanlian.people.services import api_token_create
from tests import factories as f

pytestmark = pytest.mark.django_db

DONATIONS = "/api/charity/donations"


def bearer(user) -> dict[str, str]:
    _, secret = api_token_create(actor=None, user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client: Client, url: str, body=None, *, key: str | None = None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, json.dumps(body if body is not None else {}), content_type="application/json", **headers, **extra)


def gift_body(books, **kw):
    body = {"fund": books.fund.code, "amount": "88.80", "channel": "cash", "donor_name": "林晓红", "point": books.point.pk}
    body.update(kw)
    return body


def counts() -> tuple[int, int, int]:
    return Donation.objects.count(), Entry.objects.count(), Payout.objects.count()


def fund_balance(books) -> Decimal:
    books.fund.account.refresh_from_db()
    return books.fund.account.balance


def assert_books_clean() -> None:
    assert not unbalanced_entries()
    assert not balances_mismatched()


# --- donation intake ---------------------------------------------------------------------------------


def test_station_worker_records_a_cash_gift(login, books, city):
    resp = post(login("station_worker"), DONATIONS, gift_body(books), key="desk-0001")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["amount"] == "88.80" and body["match_amount"] == "0.00"
    assert body["fund"] == "yx-bjj" and body["channel"] == "cash" and body["status"] == "confirmed"
    assert body["received_at"].endswith("+08:00")
    assert body["external_id"] == "desk-0001"
    donation = Donation.objects.get(pk=body["id"])
    assert donation.source == f"api:{city.users['station_worker'].pk}" and donation.external_id == "desk-0001"
    assert donation.entry_id == body["entry_id"] and donation.recorded_by == city.users["station_worker"]
    assert fund_balance(books) == Decimal("10088.80")
    assert "Idempotent-Replayed" not in resp.headers
    assert_books_clean()


def test_same_key_same_body_is_a_replay(login, books):
    client = login("station_worker")
    first = post(client, DONATIONS, gift_body(books), key="k-1")
    before = counts()
    again = post(client, DONATIONS, gift_body(books), key="k-1")
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert counts() == before
    assert fund_balance(books) == Decimal("10088.80")


@pytest.mark.parametrize("change", [{"amount": "88.81"}, {"donor_name": "别人"}, {"message": "另一笔"}, {"channel": "transfer"}])
def test_same_key_other_body_is_409(login, books, change):
    client = login("station_worker")
    post(client, DONATIONS, gift_body(books), key="k-1")
    before = counts()
    resp = post(client, DONATIONS, gift_body(books, **change), key="k-1")
    assert resp.status_code == 409
    assert resp.json()["code"] == "idempotency_mismatch"
    assert counts() == before


def test_keys_belong_to_the_caller(login, books, city):
    assert post(login("station_worker"), DONATIONS, gift_body(books), key="shared").status_code == 201
    other = Client()
    other.force_login(city.users["finance"])
    resp = post(other, DONATIONS, gift_body(books), key="shared")
    assert resp.status_code == 201
    assert Donation.objects.filter(external_id="shared").count() == 2


@pytest.mark.parametrize("key", [None, "", "has space", "x" * 129, "中文", "a/b"])
def test_a_valid_idempotency_key_is_required(login, books, key):
    before = counts()
    resp = post(login("station_worker"), DONATIONS, gift_body(books), key=key)
    assert resp.status_code == 400
    assert resp.json()["code"] == "idempotency_key_required"
    assert counts() == before


def test_longest_key_and_all_allowed_characters(login, books):
    key = ("Aa0_.:-" * 19)[:128]
    assert post(login("station_worker"), DONATIONS, gift_body(books), key=key).status_code == 201


def test_anonymous_is_401(client, books):
    resp = post(client, DONATIONS, gift_body(books), key="k")
    assert resp.status_code == 401 and resp.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("user", ["donor", "volunteer", "expert", "nobody"])
def test_wrong_roles_are_403(login, books, user):
    before = counts()
    resp = post(login(user), DONATIONS, gift_body(books), key="k")
    assert resp.status_code == 403 and resp.json()["code"] == "not_charity_staff"
    assert counts() == before


def test_worker_of_another_station_is_refused(login, books):
    before = counts()
    resp = post(login("other_worker"), DONATIONS, gift_body(books, point=None), key="k")
    assert resp.status_code == 403 and resp.json()["code"] == "not_fund_staff"
    assert counts() == before


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"amount": "0"}, 400, "amount_not_positive"),
        ({"amount": "-5.00"}, 400, "amount_not_positive"),
        ({"amount": "1.234"}, 400, "money_precision"),
        ({"amount": "abc"}, 400, "invalid_number"),
        ({"amount": 12.5}, 400, "invalid_request"),  # amounts are strings, never JSON numbers
        ({"fund": "no-such-fund"}, 400, "unknown_fund"),
        ({"campaign": "no-such-campaign"}, 400, "unknown_campaign"),
        ({"project": 999999}, 400, "unknown_project"),
        ({"point": 999999}, 400, "unknown_point"),
        ({"channel": "seed"}, 400, "invalid_request"),
        ({"channel": "match"}, 400, "invalid_request"),
        ({"received_at": "2099-01-01T00:00:00+08:00"}, 400, "received_in_future"),
        ({"channel": "goods"}, 400, "goods_required"),
        ({"channel": "goods", "goods": {"item": "米", "quantity": "NaN", "unit": "袋"}}, 400, "invalid_number"),
        ({"channel": "goods", "goods": {"item": "米", "quantity": "1.005", "unit": "袋"}}, 400, "too_many_decimals"),
        ({"channel": "goods", "goods": {"item": "米", "quantity": "0", "unit": "袋"}}, 400, "too_small"),
        ({"channel": "goods", "goods": {"item": "米", "quantity": "1e12", "unit": "袋"}}, 400, "invalid_number"),
        ({"channel": "goods", "goods": {"item": "米", "quantity": "1000000000000", "unit": "袋"}}, 400, "too_large"),
        ({"channel": "goods", "goods": {"item": "米" * 65, "quantity": "1", "unit": "袋"}}, 400, "too_long"),
        ({"goods": {"item": "米", "quantity": "1", "unit": "袋"}}, 400, "goods_with_money_channel"),
        ({"amount": "9999999996932824.69"}, 400, "amount_too_large"),
        ({"amount": "1,0,0"}, 400, "invalid_number"),
        ({"amount": "1e3"}, 400, "invalid_number"),
        ({"donor_name": "张\u202e三"}, 400, "control_character"),
        ({"donor_name": "张" * 129}, 400, "too_long"),
        ({"donor_name": "张\x00三"}, 400, "nul_character"),
        ({"received_at": "0001-01-01T00:00:00+08:00"}, 400, "time_out_of_range"),
        ({"message": "长" * 201}, 400, "invalid_request"),
    ],
)
def test_bad_gifts_post_nothing(login, books, change, status, code):
    before = counts()
    resp = post(login("station_worker"), DONATIONS, gift_body(books, **change), key="bad-1")
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert code in (body["code"], *(e["code"] for errs in body.get("fields", {}).values() for e in errs))
    assert body["message_en"] != body["message_zh"]
    assert counts() == before
    assert fund_balance(books) == Decimal("10000.00")


def test_closed_fund_and_closed_campaign_take_nothing(login, books, city):
    empty = cs.fund_create(actor=city.users["finance"], code="yx-empty", name="空基金", division=city.streets["北京街"],
                           custodian=city.orgs["慈善会"], station=city.stations["北京街"], opened_on=dt.date(2025, 1, 1))
    cs.fund_close(actor=city.users["finance"], fund=empty)
    cs.campaign_close(actor=city.users["finance"], campaign=books.campaign)
    client = login("station_worker")
    before = counts()
    resp = post(client, DONATIONS, gift_body(books, fund="yx-empty", point=None), key="c-1")
    assert resp.status_code == 400 and resp.json()["code"] == "fund_closed"
    resp = post(client, DONATIONS, gift_body(books, campaign="gd-2026"), key="c-2")
    assert resp.status_code == 400 and resp.json()["code"] == "campaign_not_open"
    assert counts() == before


def test_goods_gift_at_a_point(login, books):
    body = gift_body(books, channel="goods", amount="300.00", goods={"item": "大米", "quantity": "20", "unit": "袋"})
    resp = post(login("station_worker"), DONATIONS, body, key="goods-1")
    assert resp.status_code == 201, resp.content
    d = Donation.objects.get(pk=resp.json()["id"])
    assert (d.goods_item, d.goods_quantity, d.goods_unit) == ("大米", Decimal("20.00"), "袋")
    assert post(login("station_worker"), DONATIONS, body, key="goods-1").status_code == 200


def test_received_at_is_answered_in_shanghai_time(login, books):
    when = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    resp = post(login("station_worker"), DONATIONS, gift_body(books, received_at=when.astimezone(dt.UTC).isoformat()), key="t")
    assert resp.status_code == 201
    got = dt.datetime.fromisoformat(resp.json()["received_at"])
    assert got == when and got.utcoffset() == dt.timedelta(hours=8)


def test_intake_costs_the_same_queries_for_every_gift(login, books):
    client = login("station_worker")
    post(client, DONATIONS, gift_body(books), key="warm-up")
    sizes = []
    for i in range(3):
        with CaptureQueriesContext(connection) as ctx:
            assert post(client, DONATIONS, gift_body(books), key=f"q-{i}").status_code == 201
        sizes.append(len(ctx))
    assert sizes[0] == sizes[1] == sizes[2] <= 26, sizes  # see bench/intake.py --profile for the list


# --- online intake (a payment platform, through the custodian's finance officer) -------------------------


def online_body(books, **kw):
    body = {"fund": books.fund.code, "amount": "50.00", "channel": "online", "donor_name": "网友甲", "campaign": "gd-2026",
            "donor_key": "payer-1"}
    body.update(kw)
    return body


def test_custodian_finance_token_records_online_gifts_with_their_match(client, books, city):
    auth = bearer(city.users["finance"])
    resp = post(client, DONATIONS, online_body(books), key="gd:tx:0001", **auth)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["channel"] == "online" and body["campaign"] == "gd-2026"
    assert body["amount"] == "50.00" and body["match_amount"] == "50.00"
    assert MatchGift.objects.get(donation_id=body["id"]).amount.amount == Decimal("50.00")
    assert fund_balance(books) == Decimal("10100.00")
    again = post(client, DONATIONS, online_body(books), key="gd:tx:0001", **auth)
    assert again.status_code == 200 and again.json()["match_amount"] == "50.00"
    assert MatchGift.objects.count() == 1
    assert_books_clean()


def test_online_gifts_need_the_custodians_finance_officer(client, books, city):
    other_fed = f.organization("广州市天河区慈善会", district=city.districts["天河"], kind="association",
                               public_fundraising=True, is_charity_federation=True)
    stranger = f.user_with_role("finance_th", Role.FEDERATION_FINANCE, other_fed, name="天河慈善会财务")
    before = counts()
    for user, code in [(city.users["station_worker"], "online_needs_custodian_finance"),
                       (stranger, "online_needs_custodian_finance")]:
        resp = post(client, DONATIONS, online_body(books), key="gd:tx:0002", **bearer(user))
        assert resp.status_code == 403, resp.content
        assert resp.json()["code"] == code
    assert counts() == before


# --- funds and statements ----------------------------------------------------------------------------


def fund_codes(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [row["code"] for row in resp.json()["results"]]


@pytest.mark.parametrize(
    ("user", "codes"),
    [("finance", ["yx-bjj", "yx-rmj"]), ("station_worker", ["yx-bjj"]), ("street_officer", ["yx-bjj"]),
     ("agency_manager", ["yx-bjj", "yx-rmj"]), ("district_admin", ["yx-bjj", "yx-rmj"]), ("city_admin", ["yx-bjj", "yx-rmj"]),
     ("other_worker", [])],
)
def test_funds_are_scoped_like_the_staff_pages(login, books, user, codes):
    assert fund_codes(login(user).get("/api/charity/funds")) == codes


def test_fund_money_is_in_yuan_strings(login, books):
    row = login("finance").get("/api/charity/funds").json()["results"][0]
    assert row["code"] == "yx-bjj"
    assert row["money"] == "10000.00" and row["goods_value"] == "0.00" and row["available"] == "10000.00" and row["held"] == "0.00"
    assert row["custodian"]["name"] == "广州市越秀区慈善会"


def test_funds_denied(client, login, books):
    assert client.get("/api/charity/funds").status_code == 401
    assert login("donor").get("/api/charity/funds").status_code == 403


def test_funds_list_costs_the_same_for_many_funds(login, books, city):
    client = login("finance")
    client.get("/api/charity/funds")  # warm up (sessions, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/charity/funds").status_code == 200
    for i in range(6):
        cs.fund_create(actor=city.users["finance"], code=f"yx-more-{i}", name=f"更多基金{i}", division=city.streets["人民街"],
                       custodian=city.orgs["慈善会"], opened_on=dt.date(2025, 1, 1), seed="10")
    with CaptureQueriesContext(connection) as many:
        resp = client.get("/api/charity/funds")
    assert len(resp.json()["results"]) == 8
    assert len(many) == len(few)


def test_statement_pages_with_a_cursor(login, books):
    client = login("station_worker")
    for i in range(3):
        assert post(client, DONATIONS, gift_body(books, amount=f"{i + 1}.00"), key=f"s-{i}").status_code == 201
    resp = client.get("/api/charity/funds/yx-bjj/statement?limit=2")
    assert resp.status_code == 200, resp.content
    st = resp.json()
    assert st["holdings"] == st["money"] == "10006.00" and st["goods_value"] == "0.00"
    assert st["closing"] == "10006.00" and st["opening"] == "0.00"
    assert [line["amount"] for line in st["lines"]] == ["3.00", "2.00"]
    assert st["lines"][0]["balance_after"] == "10006.00"
    assert st["lines"][0]["posted_at"].endswith("+08:00")
    assert st["has_more"] and st["next_cursor"]
    rest = client.get(f"/api/charity/funds/yx-bjj/statement?limit=2&cursor={st['next_cursor']}").json()
    assert [line["amount"] for line in rest["lines"]] == ["1.00", "10000.00"]
    assert not rest["has_more"]


def test_statement_denied_and_bad_dates(client, login, books):
    assert client.get("/api/charity/funds/yx-bjj/statement").status_code == 401
    assert login("donor").get("/api/charity/funds/yx-bjj/statement").status_code == 403
    worker = login("other_worker")
    assert worker.get("/api/charity/funds/yx-bjj/statement").status_code == 404
    assert worker.get("/api/charity/funds/nope/statement").status_code == 404
    finance = login("finance")
    resp = finance.get("/api/charity/funds/yx-bjj/statement?start=2026-13-01")
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_date"
    resp = finance.get("/api/charity/funds/yx-bjj/statement?start=2026-02-01&end=2026-01-01")
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_period"


# --- payouts ------------------------------------------------------------------------------------------


PAYOUTS = "/api/charity/payouts"


def payout_body(books, **kw):
    body = {"fund": books.fund.code, "project": books.project.pk, "title": "三月长者饭堂", "payee": "北京街长者饭堂",
            "lines": [{"item": "餐费补贴", "amount": "1200.00"}, {"item": "食材", "amount": "300.50"}]}
    body.update(kw)
    return body


def test_payout_request_approve_pay(login, books, city):
    worker = login("station_worker")
    resp = post(worker, PAYOUTS, payout_body(books), key="po-1")
    assert resp.status_code == 201, resp.content
    payout = resp.json()
    assert payout["amount"] == "1500.50" and payout["status"] == "requested"
    assert payout["lines"] == [{"item": "餐费补贴", "amount": "1200.00"}, {"item": "食材", "amount": "300.50"}]
    assert payout["requested_by"] == "北京街社工"
    pid = payout["id"]

    assert post(worker, f"{PAYOUTS}/{pid}/approve").status_code == 403  # station side asks, never approves

    finance = Client()
    finance.force_login(city.users["finance"])
    resp = post(finance, f"{PAYOUTS}/{pid}/approve", {"note": "同意"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "approved" and resp.json()["decided_at"].endswith("+08:00")
    assert Hold.objects.filter(status="pending").count() == 1
    assert post(finance, f"{PAYOUTS}/{pid}/approve").status_code == 200  # again: quiet

    resp = post(finance, f"{PAYOUTS}/{pid}/pay", {"payment_reference": "ICBC-20260301-01"})
    assert resp.status_code == 200 and resp.json()["status"] == "paid"
    assert resp.json()["payment_reference"] == "ICBC-20260301-01"
    assert fund_balance(books) == Decimal("8499.50")
    assert post(finance, f"{PAYOUTS}/{pid}/pay", {"payment_reference": "ICBC-20260301-01"}).status_code == 200
    assert fund_balance(books) == Decimal("8499.50")
    assert_books_clean()


def test_payout_request_replay_and_mismatch(login, books):
    worker = login("station_worker")
    first = post(worker, PAYOUTS, payout_body(books), key="po-1")
    again = post(worker, PAYOUTS, payout_body(books), key="po-1")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = post(worker, PAYOUTS, payout_body(books, lines=[{"item": "餐费补贴", "amount": "1300.00"}]), key="po-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_mismatch"
    assert Payout.objects.count() == 1
    assert post(worker, PAYOUTS, payout_body(books), key="bad key").json()["code"] == "idempotency_key_required"


def test_the_requester_never_approves(books, city):
    finance = Client()
    finance.force_login(city.users["finance"])
    pid = post(finance, PAYOUTS, payout_body(books)).json()["id"]
    resp = post(finance, f"{PAYOUTS}/{pid}/approve")
    assert resp.status_code == 403 and resp.json()["code"] == "four_eyes"
    assert Payout.objects.get(pk=pid).status == PayoutStatus.REQUESTED and not Hold.objects.exists()
    second = Client()
    second.force_login(books.finance2)
    assert post(second, f"{PAYOUTS}/{pid}/approve").json()["status"] == "approved"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"lines": [{"item": "太多", "amount": "20000.00"}]}, "insufficient_balance"),
        ({"lines": []}, "lines_required"),
        ({"lines": [{"item": "x", "amount": "0"}]}, "amount_not_positive"),
        ({"lines": [{"item": "x", "amount": "1.001"}]}, "money_precision"),
        ({"fund": "nope"}, "unknown_fund"),
        ({"project": 999999}, "unknown_project"),
        ({"title": "  "}, "title_required"),
    ],
)
def test_bad_payouts_write_nothing(login, books, change, code):
    before = counts()
    resp = post(login("station_worker"), PAYOUTS, payout_body(books, **change), key="bad")
    assert resp.status_code == 400, resp.content
    assert resp.json()["code"] == code
    assert counts() == before


def test_payout_for_another_funds_project_is_refused(login, books, city):
    resp = post(login("station_worker"), PAYOUTS, payout_body(books, fund="yx-rmj"))
    assert resp.status_code == 403  # not their fund
    resp = post(login("finance"), PAYOUTS, payout_body(books, fund="yx-rmj"))
    assert resp.status_code == 400 and resp.json()["code"] == "project_not_in_fund"


def test_reject_needs_a_note_and_decides_once(login, books, city):
    pid = post(login("station_worker"), PAYOUTS, payout_body(books)).json()["id"]
    finance = Client()
    finance.force_login(city.users["finance"])
    resp = post(finance, f"{PAYOUTS}/{pid}/reject", {"note": " "})
    assert resp.status_code == 400 and resp.json()["code"] == "reason_required"
    resp = post(finance, f"{PAYOUTS}/{pid}/reject", {"note": "预算不清"})
    assert resp.status_code == 200 and resp.json()["status"] == "rejected" and resp.json()["decision_note"] == "预算不清"
    resp = post(finance, f"{PAYOUTS}/{pid}/approve")
    assert resp.status_code == 409 and resp.json()["code"] == "payout_decided"
    resp = post(finance, f"{PAYOUTS}/{pid}/pay", {"payment_reference": "X"})
    assert resp.status_code == 409 and resp.json()["code"] == "payout_not_approved"


def test_payouts_out_of_scope_are_404(client, login, books, city):
    pid = post(login("station_worker"), PAYOUTS, payout_body(books)).json()["id"]
    other = Client()
    other.force_login(city.users["other_worker"])
    assert other.get(f"{PAYOUTS}/{pid}").status_code == 404
    assert post(other, f"{PAYOUTS}/{pid}/approve").status_code == 404
    assert post(other, f"{PAYOUTS}/{pid}/reject", {"note": "x"}).status_code == 404
    assert post(other, f"{PAYOUTS}/{pid}/pay", {"payment_reference": "x"}).status_code == 404
    assert other.get(f"{PAYOUTS}/999999").status_code == 404
    assert Client().get(f"{PAYOUTS}/{pid}").status_code == 401
    donor = Client()
    donor.force_login(city.users["donor"])
    assert donor.get(f"{PAYOUTS}/{pid}").status_code == 403
    assert donor.get(PAYOUTS).status_code == 403


def test_payout_list_is_scoped_filtered_and_flat_in_queries(login, books, city):
    worker = login("station_worker")
    post(worker, PAYOUTS, payout_body(books))
    finance = Client()
    finance.force_login(city.users["finance"])
    finance.get(PAYOUTS)
    with CaptureQueriesContext(connection) as few:
        resp = finance.get(PAYOUTS)
    assert [p["title"] for p in resp.json()["results"]] == ["三月长者饭堂"]
    for i in range(5):
        lines = [{"item": "a", "amount": "1.00"}, {"item": "b", "amount": "2.00"}]
        post(worker, PAYOUTS, payout_body(books, title=f"第{i}笔", lines=lines))
    with CaptureQueriesContext(connection) as many:
        resp = finance.get(PAYOUTS)
    assert resp.json()["count"] == 6 and len(many) == len(few)
    assert finance.get(f"{PAYOUTS}?status=approved").json()["count"] == 0
    assert finance.get(f"{PAYOUTS}?status=requested&fund=yx-bjj").json()["count"] == 6
    assert finance.get(f"{PAYOUTS}?status=bogus").status_code == 400
    other = Client()
    other.force_login(city.users["other_worker"])
    assert other.get(PAYOUTS).json()["count"] == 0


# --- receipts -----------------------------------------------------------------------------------------


def a_gift(books, city) -> Donation:
    return cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="520.00", channel="transfer",
                              donor_name="周敏", show_name=True)


def test_receipt_issue_read_void_and_pdf(login, books, city):
    d = a_gift(books, city)
    finance = login("finance")
    resp = post(finance, f"/api/charity/donations/{d.pk}/receipt")
    assert resp.status_code == 201, resp.content
    r = resp.json()
    assert r["amount"] == "520.00" and r["donor_name"] == "周敏" and r["status"] == "issued"
    assert r["number"] == f"{timezone.localdate().year}-000001"
    assert r["verification_code"] in r["verify_url"]
    again = post(finance, f"/api/charity/donations/{d.pk}/receipt")
    assert again.status_code == 200 and again.json()["id"] == r["id"]
    assert finance.get(f"/api/charity/receipts/{r['id']}").json()["number"] == r["number"]

    pdf = finance.get(f"/api/charity/receipts/{r['id']}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    resp = post(finance, f"/api/charity/receipts/{r['id']}/void", {"reason": ""})
    assert resp.status_code == 400 and resp.json()["code"] == "reason_required"
    resp = post(finance, f"/api/charity/receipts/{r['id']}/void", {"reason": "抬头有误"})
    assert resp.status_code == 200 and resp.json()["status"] == "voided" and resp.json()["void_reason"] == "抬头有误"
    new = post(finance, f"/api/charity/donations/{d.pk}/receipt")
    assert new.status_code == 201 and new.json()["number"].endswith("-000002")  # the voided number stays used
    assert Receipt.objects.count() == 2


def test_receipts_denied(client, login, books, city):
    d = a_gift(books, city)
    rid = cs.receipt_issue(actor=city.users["finance"], donation=d).pk
    assert post(client, f"/api/charity/donations/{d.pk}/receipt").status_code == 401
    assert client.get(f"/api/charity/receipts/{rid}").status_code == 401
    worker = login("station_worker")  # sees the gift and its receipt, but only the federation issues and voids
    assert worker.get(f"/api/charity/receipts/{rid}").status_code == 200
    resp = post(worker, f"/api/charity/donations/{d.pk}/receipt")
    assert resp.status_code == 403 and resp.json()["code"] == "not_custodian_finance"
    assert post(worker, f"/api/charity/receipts/{rid}/void", {"reason": "x"}).status_code == 403
    other = Client()
    other.force_login(city.users["other_worker"])
    assert post(other, f"/api/charity/donations/{d.pk}/receipt").status_code == 404
    assert other.get(f"/api/charity/receipts/{rid}").status_code == 404
    assert other.get(f"/api/charity/receipts/{rid}/pdf").status_code == 404
    assert post(other, f"/api/charity/receipts/{rid}/void", {"reason": "x"}).status_code == 404
    donor = Client()
    donor.force_login(city.users["donor"])
    assert donor.get(f"/api/charity/receipts/{rid}").status_code == 403
    assert Receipt.objects.get(pk=rid).status == "issued"


def test_refunded_gift_gets_no_receipt(login, books, city):
    d = a_gift(books, city)
    cs.donation_refund(actor=city.users["finance"], donation=d, reason="捐错了")
    resp = post(login("finance"), f"/api/charity/donations/{d.pk}/receipt")
    assert resp.status_code == 409 and resp.json()["code"] == "donation_refunded"
    assert not Receipt.objects.exists()


# --- the OpenAPI document -------------------------------------------------------------------------------


def test_everything_is_in_the_openapi_document(login, books):
    doc = login("finance").get("/api/openapi.json").json()
    paths = doc["paths"]
    for path, method in [
        ("/api/charity/donations", "post"), ("/api/charity/funds", "get"), ("/api/charity/funds/{code}/statement", "get"),
        ("/api/charity/payouts", "post"), ("/api/charity/payouts", "get"), ("/api/charity/payouts/{payout_id}", "get"),
        ("/api/charity/payouts/{payout_id}/approve", "post"), ("/api/charity/payouts/{payout_id}/reject", "post"),
        ("/api/charity/payouts/{payout_id}/pay", "post"), ("/api/charity/donations/{donation_id}/receipt", "post"),
        ("/api/charity/receipts/{receipt_id}/void", "post"), ("/api/charity/receipts/{receipt_id}", "get"),
        ("/api/charity/receipts/{receipt_id}/pdf", "get"),
    ]:
        op = paths[path][method]
        assert "401" in op["responses"] and op["summary"], (path, method)
    intake = paths["/api/charity/donations"]["post"]
    assert {"200", "201", "400", "401", "403", "409"} <= set(intake["responses"])
    header = next(p for p in intake["parameters"] if p["in"] == "header")
    assert header["name"] == "Idempotency-Key"
    assert "ErrorOut" in json.dumps(intake["responses"]["409"])
    assert "application/pdf" in paths["/api/charity/receipts/{receipt_id}/pdf"]["get"]["responses"]["200"]["content"]
    schemas = doc["components"]["schemas"]
    assert schemas["DonationIn"]["properties"]["amount"]["type"] == "string"
