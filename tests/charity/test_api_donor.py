"""The donor's journey through the API only (/api/give), as a mini-program makes it: sign in with the phone, see the
appeals, start a payment, pay where `pay` says, follow it, then one's gifts with receipts and ledger proofs. Allowed
and denied (anonymous 401, staff 403, another donor's payment or gift 404), replays, and hostile input never a 500."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import Donation, PaymentIntent, PaymentStatus
from shanlian.ledger import sealing
from tests.app import App, app_of, code, resident, sign_in

pytestmark = pytest.mark.django_db

PHONE = "13800138001"


@pytest.fixture
def donor(city):
    return resident("linxh", "林晓红", city.communities["都府"], phone=PHONE)


def gift(books, **changes):
    body = {"fund": books.fund.code, "amount": "50.00", "donor_name": "林晓红", "show_name": False, "message": "祝长者安康"}
    body.update(changes)
    return body


def start(app: App, books, key: str = "pay-1", **changes):
    return app.post(f"/give/campaigns/{books.campaign.slug}/payments", gift(books, **changes), key=key)


def pay_in_web_view(pay: dict) -> None:
    """What the app's web view does with `pay`: open the checkout and press pay (FakePay's demo page)."""
    assert pay["kind"] == "open_url"
    path = urlparse(pay["url"]).path
    page = Client()  # (a browser: the page carries its CSRF token, which the test client does not check)
    assert page.get(path).status_code == 200
    assert page.post(path + "pay/").status_code == 302


# -- the journey --------------------------------------------------------------------------------------------


def test_a_donor_gives_and_follows_the_gift_through_the_api(donor, books, city):
    app = sign_in("138 0013 8001")  # as typed, spaces and all

    resp = app.get("/give/campaigns")
    assert resp.status_code == 200
    row = resp.json()["results"][0]
    assert row["slug"] == books.campaign.slug and row["accepts_gifts"] is True
    assert row["progress"] == {"goal": "100000.00", "raised": "0.00", "gifts": 0, "percent": 0}

    detail = app.get(f"/give/campaigns/{books.campaign.slug}").json()
    assert {(t["fund"], t["project"]) for t in detail["targets"]} == {(books.fund.code, None), (books.fund.code, books.project.pk)}
    assert detail["pools"][0]["sponsor"] == "广州善源科技有限公司" and detail["pools"][0]["remaining"] == "1500.00"

    resp = start(app, books, project=books.project.pk, amount="66.60")
    assert resp.status_code == 201, resp.content
    payment = resp.json()
    assert payment["status"] == "created" and payment["amount"] == "66.60" and payment["project"] == books.project.pk
    assert payment["pay"]["kind"] == "open_url" and payment["ref"] in payment["pay"]["url"] and payment["gift"] is None
    intent = PaymentIntent.objects.get(ref=payment["ref"])
    assert intent.donor_user == donor and intent.idempotency_key == "pay-1"

    # A retry (the network dropped the answer) is the same payment; the same key for another gift is refused.
    again = start(app, books, project=books.project.pk, amount="66.60")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and again.json()["ref"] == payment["ref"]
    other = start(app, books, amount="10.00")
    assert other.status_code == 409 and code(other) == "idempotency_mismatch"
    assert PaymentIntent.objects.count() == 1

    pay_in_web_view(payment["pay"])
    paid = app.get(f"/give/payments/{payment['ref']}").json()
    assert paid["status"] == "succeeded" and paid["pay"] is None and paid["gift"]
    donation = Donation.objects.get(pk=paid["gift"])
    assert donation.donor_user == donor

    gifts = app.get("/give/gifts").json()
    assert gifts["count"] == 1
    mine = gifts["results"][0]
    assert mine["id"] == donation.pk and mine["ref"] == payment["ref"] and mine["amount"] == "66.60"
    assert mine["match_amount"] == "66.60" and mine["receipt"] is None and mine["project"] == books.project.pk
    assert mine["proof_url"] == f"/api/give/gifts/{donation.pk}/proof" and mine["page_url"].endswith(f"/give/gift/{payment['ref']}/")

    one = app.get(f"/give/gifts/{donation.pk}").json()
    assert one["sealed"] is False and one["proof"] is None and one["donor_name"] == "林晓红"
    assert one["trail"]["project_balance"] == "133.20"  # the gift and its match, both restricted to the project
    assert app.get(mine["proof_url"].removeprefix("/api")).status_code == 404
    assert code(app.get(f"/give/gifts/{donation.pk}/receipt.pdf")) == "receipt_not_found"

    # The federation issues the receipt and the ledger is sealed: the gift shows both.
    receipt = cs.receipt_issue(actor=city.users["finance"], donation=donation)
    assert sealing.seal_create() is not None
    mine = app.get("/give/gifts").json()["results"][0]
    assert mine["receipt"]["number"] == receipt.display_number and mine["receipt"]["verification_code"] == receipt.verification_code
    one = app.get(f"/give/gifts/{donation.pk}").json()
    assert one["sealed"] is True and sealing.check_proof(one["proof"]) and one["proof"]["leaf_data"] is not None
    proof = app.get(f"/give/gifts/{donation.pk}/proof")
    assert proof.status_code == 200 and sealing.check_proof(proof.json())
    pdf = app.get(mine["receipt"]["pdf_url"].removeprefix("/api"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    progress = app.get(f"/give/campaigns/{books.campaign.slug}").json()["progress"]
    assert progress["raised"] == "133.20" and progress["gifts"] == 1


def test_a_cancelled_payment_says_failed_and_records_nothing(donor, books):
    app = sign_in(PHONE)
    payment = start(app, books).json()
    path = urlparse(payment["pay"]["url"]).path
    assert Client().post(path + "cancel/").status_code == 302
    assert app.get(f"/give/payments/{payment['ref']}").json()["status"] == "failed"
    assert app.get("/give/gifts").json()["count"] == 0


# -- the same rules and codes as the give page ------------------------------------------------------------


@pytest.mark.parametrize(("changes", "expected"), [
    ({"amount": "0"}, "amount_not_positive"),
    ({"amount": "1000000.01"}, "amount_too_large"),
    ({"amount": "12.345"}, "money_precision"),
])
def test_payment_refusals_are_the_give_pages(donor, books, client, changes, expected):
    app = sign_in(PHONE)
    resp = start(app, books, **changes)
    assert resp.status_code == 400 and code(resp) == expected
    page = client.post(f"/give/{books.campaign.slug}/", {"preset": "", "amount": changes["amount"], "target": f"f{books.fund.pk}",
                                                        "donor_name": "", "message": "", "idempotency_key": ""})
    assert f'data-error-code="{expected}"' in page.content.decode()
    assert not PaymentIntent.objects.exists()


def test_a_fund_the_appeal_does_not_raise_for_and_a_closed_appeal(donor, books, city):
    app = sign_in(PHONE)
    resp = start(app, books, fund=books.other_fund.code)
    assert resp.status_code == 400 and code(resp) == "campaign_target_mismatch"
    resp = start(app, books, key="k2", fund="no-such-fund")
    assert resp.status_code == 400 and code(resp) == "unknown_fund"
    resp = start(app, books, key="k3", project=999999)
    assert resp.status_code == 400 and code(resp) == "unknown_project"
    cs.campaign_close(actor=city.users["finance"], campaign=books.campaign)
    assert app.get(f"/give/campaigns/{books.campaign.slug}").json()["accepts_gifts"] is False
    resp = start(app, books, key="k4")
    assert resp.status_code == 400 and code(resp) == "campaign_not_open"
    assert not PaymentIntent.objects.exists()


def test_drafts_and_unknown_appeals_are_not_found(donor, books, city):
    now = timezone.now()
    cs.campaign_create(actor=city.users["finance"], slug="draft-1", title="草稿募捐", organizer=city.orgs["慈善会"], goal="100",
                       starts_at=now, ends_at=now + dt.timedelta(days=1), targets=[(books.fund, None)])
    app = sign_in(PHONE)
    assert "draft-1" not in {c["slug"] for c in app.get("/give/campaigns").json()["results"]}
    for slug in ("draft-1", "no-such", "a" * 61, "%00", "x%20y"):
        resp = app.get(f"/give/campaigns/{slug}")
        assert resp.status_code == 404 and code(resp) == "campaign_not_found", slug
    assert app.post("/give/campaigns/draft-1/payments", gift(books), key="k").status_code == 404


# -- who may ------------------------------------------------------------------------------------------------


OPERATIONS = [
    ("get", "/give/campaigns"), ("get", "/give/campaigns/gd-2026"), ("post", "/give/campaigns/gd-2026/payments"),
    ("get", "/give/payments/pi_00000000000000000000000000000000"), ("get", "/give/gifts"), ("get", "/give/gifts/1"),
    ("get", "/give/gifts/1/proof"), ("get", "/give/gifts/1/receipt.pdf"),
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_anonymous_is_401_and_staff_403(books, city, method, path):
    for app, status, expected in ((App(), 401, "not_authenticated"), (App("sl_not-a-token"), 401, "not_authenticated"),
                                  (app_of(city.users["station_worker"]), 403, "not_donor"),
                                  (app_of(city.users["finance"]), 403, "not_donor"),
                                  (app_of(city.users["volunteer"]), 403, "not_donor")):
        resp = app.get(path) if method == "get" else app.post(path, gift(books), key="k1")
        assert resp.status_code == status and code(resp) == expected, (path, resp.content)
    assert not PaymentIntent.objects.exists()


def test_another_donors_payment_and_gifts_are_not_found(donor, books, city):
    mine = sign_in(PHONE)
    payment = start(mine, books).json()
    pay_in_web_view(payment["pay"])
    gift_id = mine.get(f"/give/payments/{payment['ref']}").json()["gift"]
    cs.receipt_issue(actor=city.users["finance"], donation=Donation.objects.get(pk=gift_id))
    sealing.seal_create()

    resident("zhangm", "张敏", city.communities["西湖"], phone="13800138002")
    theirs = sign_in("13800138002")
    assert theirs.get("/give/gifts").json()["count"] == 0
    for path in (f"/give/payments/{payment['ref']}", f"/give/gifts/{gift_id}", f"/give/gifts/{gift_id}/proof",
                 f"/give/gifts/{gift_id}/receipt.pdf"):
        resp = theirs.get(path)
        assert resp.status_code == 404 and mine.get(path).status_code == 200, path
        assert "林晓红" not in resp.content.decode()
    # A donor's key space is their own: the same key from someone else is a new payment.
    other = start(theirs, books, amount="20.00")
    assert other.status_code == 201 and other.json()["ref"] != payment["ref"]


# -- hostile input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "expected"), [
    ({"amount": "5\x000"}, "nul_character"),
    ({"donor_name": "林\x00晓红"}, "nul_character"),
    ({"message": "好" * 201}, "invalid_request"),
    ({"donor_name": "名" * 129}, "invalid_request"),
    ({"amount": "9" * 33}, "invalid_request"),
    ({"amount": "99999999999999999"}, "amount_too_large"),
    ({"amount": "1e20"}, "invalid_number"),
    ({"amount": 50}, "invalid_request"),
    ({"project": 10**20}, "invalid_request"),
    ({"project": -1}, "invalid_request"),
    ({"fund": "f" * 41}, "invalid_request"),
    ({"provider": "wechat"}, "unknown_provider"),
    ({"show_name": "\x00"}, "nul_character"),
])
def test_bad_input_is_refused_with_a_code_and_nothing_written(donor, books, changes, expected):
    app = sign_in(PHONE)
    resp = start(app, books, **changes)
    assert 400 <= resp.status_code < 500 and code(resp) == expected, resp.content
    assert not PaymentIntent.objects.exists()


def test_bad_keys_pages_refs_and_ids(donor, books):
    app = sign_in(PHONE)
    for key in (None, "", "k" * 129, "bad key", "キー"):
        resp = app.post(f"/give/campaigns/{books.campaign.slug}/payments", gift(books), key=key)
        assert resp.status_code == 400 and code(resp) == "idempotency_key_required", key
    resp = app.client.post(f"/api/give/campaigns/{books.campaign.slug}/payments", "amount=5", content_type="text/plain",
                           HTTP_IDEMPOTENCY_KEY="k", **app.headers)
    assert resp.status_code == 415
    for params in ({"page": 10**20}, {"page": 0}, {"page_size": 10**6}, {"page": "x"}):
        assert app.get("/give/gifts", **params).status_code == 400, params
        assert app.get("/give/campaigns", **params).status_code == 400, params
    for path in ("/give/payments/pi_x", "/give/payments/" + "pi_" + "0" * 200, "/give/payments/%00"):
        assert app.get(path).status_code == 404, path
    for path in ("/give/gifts/99999999999999999999", "/give/gifts/0", "/give/gifts/-1", "/give/gifts/x"):
        assert app.get(path).status_code == 404, path
    assert not PaymentIntent.objects.exists()


# -- lists cost the same however many rows --------------------------------------------------------------------


def test_list_queries_do_not_grow(donor, books, city):
    app = sign_in(PHONE)

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as q:
            assert app.get(path).status_code == 200
        return len(q)

    def give_and_receipt(i: int) -> None:
        payment = start(app, books, key=f"q{i}", amount=f"{10 + i}.00").json()
        pay_in_web_view(payment["pay"])
        cs.receipt_issue(actor=city.users["finance"], donation=PaymentIntent.objects.get(ref=payment["ref"]).donation)

    give_and_receipt(0)
    app.get("/give/gifts")  # (the token's first use is noted once)
    few = queries("/give/campaigns"), queries("/give/gifts")
    now = timezone.now()
    for i in range(1, 4):
        c = cs.campaign_create(actor=city.users["finance"], slug=f"more-{i}", title=f"募捐{i}", organizer=city.orgs["慈善会"],
                               goal="100", starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=1),
                               targets=[(books.fund, None)])
        cs.campaign_open(actor=city.users["finance"], campaign=c)
        give_and_receipt(i)
    assert PaymentIntent.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 4
    assert (queries("/give/campaigns"), queries("/give/gifts")) == few


def test_the_openapi_document_describes_the_donors_journey(client, db):
    doc = client.get("/api/openapi.json").json()
    ours = {p: ops for p, ops in doc["paths"].items() if p.startswith("/api/give")}
    assert set(ours) == {"/api/give/campaigns", "/api/give/campaigns/{slug}", "/api/give/campaigns/{slug}/payments",
                         "/api/give/payments/{ref}", "/api/give/gifts", "/api/give/gifts/{donation_id}",
                         "/api/give/gifts/{donation_id}/proof", "/api/give/gifts/{donation_id}/receipt.pdf"}
    post = ours["/api/give/campaigns/{slug}/payments"]["post"]
    assert {p["name"] for p in post["parameters"]} >= {"slug", "Idempotency-Key"}
    assert {"200", "201", "400", "401", "403", "404", "409"} <= set(post["responses"])
    body = doc["components"]["schemas"]["PaymentIn"]["properties"]
    assert body["donor_name"]["maxLength"] == 128 and body["message"]["maxLength"] == 200
    assert body["project"]["anyOf"][0]["maximum"] == 10**18
    assert "pay" in doc["components"]["schemas"]["PaymentOut"]["properties"]
