"""The donor's pages: anyone can see a campaign and give with FakePay; a signed-in donor's gifts are
linked to their account; a gift's page shows where the money went and its ledger proof, with the
donor's name and receipt only for the donor; bad input on the give form writes nothing."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import CampaignTally, Donation, PaymentIntent, PaymentStatus, Receipt
from shanlian.charity.services.payments import payment_start
from shanlian.ledger import sealing

REF = re.compile(r"/give/fakepay/(pi_[0-9a-f]{32})/")


def give_form(books, **changes):
    data = {"preset": "50", "amount": "", "target": f"f{books.fund.pk}", "donor_name": "林晓红", "message": "",
            "idempotency_key": changes.pop("idempotency_key", "")}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def give(client: Client, books, **changes) -> PaymentIntent:
    r = client.post(f"/give/{books.campaign.slug}/", give_form(books, **changes))
    assert r.status_code == 302, r.content.decode()[:2000]
    ref = REF.search(r["Location"]).group(1)
    return PaymentIntent.objects.get(ref=ref)


def pay(client: Client, intent: PaymentIntent):
    r = client.post(f"/give/fakepay/{intent.ref}/pay/")
    assert r.status_code == 302 and r["Location"] == f"/give/thanks/{intent.ref}/"
    intent.refresh_from_db()
    return intent


def raised_fen(campaign) -> int:
    return sum(CampaignTally.objects.filter(campaign=campaign).values_list("fen", flat=True))


# -- campaigns -------------------------------------------------------------------------------------


def test_anyone_sees_the_campaigns_and_a_campaign(client, books):
    r = client.get("/give/")
    assert r.status_code == 200
    body = r.content.decode()
    assert books.campaign.title in body and 'data-testid="campaign-card"' in body
    r = client.get(f"/give/{books.campaign.slug}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert books.campaign.title in body and "¥1,500.00" in body  # the pool's cap and what is left
    assert "广州善源科技有限公司" in body and 'data-testid="give-form"' in body
    assert books.project.title in body and books.fund.name in body
    assert 'data-testid="raised"' in body


def test_draft_and_unknown_campaigns_are_not_public(client, books, city):
    now = timezone.now()
    cs.campaign_create(actor=city.users["finance"], slug="draft-1", title="草稿募捐", organizer=city.orgs["慈善会"], goal="100",
                       starts_at=now, ends_at=now + dt.timedelta(days=1), targets=[(books.fund, None)])
    assert client.get("/give/draft-1/").status_code == 404
    assert "草稿募捐" not in client.get("/give/").content.decode()
    assert client.get("/give/no-such/").status_code == 404


def test_campaign_list_query_count_does_not_grow(client, books, city):
    client.get("/give/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/give/").status_code == 200
    now = timezone.now()
    for i in range(4):
        c = cs.campaign_create(actor=city.users["finance"], slug=f"more-{i}", title=f"募捐{i}", organizer=city.orgs["慈善会"],
                               goal="100", starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=1),
                               targets=[(books.fund, None)])
        cs.campaign_open(actor=city.users["finance"], campaign=c)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/give/").status_code == 200
    assert len(many) == len(few)


# -- giving ----------------------------------------------------------------------------------------


def test_anonymous_donor_gives_with_fakepay(client, books):
    before = raised_fen(books.campaign)
    intent = give(client, books, preset="50", message="祝长者安康")
    assert intent.status == PaymentStatus.CREATED and intent.donor_user is None and str(intent.amount) == "¥50.00"
    r = client.get(f"/give/fakepay/{intent.ref}/")
    body = r.content.decode()
    assert r.status_code == 200 and "FakePay" in body and 'data-testid="fakepay-demo-banner"' in body and "¥50.00" in body
    intent = pay(client, intent)
    assert intent.status == PaymentStatus.SUCCEEDED
    d = intent.donation
    assert d.channel == "online" and d.donor_user is None and d.match.amount.amount == 50
    assert raised_fen(books.campaign) - before == 10000
    r = client.get(f"/give/thanks/{intent.ref}/")
    body = r.content.decode()
    assert r.status_code == 200 and 'data-testid="thanks-match"' in body and "¥100.00" in body
    assert "林晓红" in body  # the donor's own browser sees their name
    assert f"/give/gift/{intent.ref}/" in body and 'data-testid="receipt-note"' in body
    # Paying again (a double click) changes nothing.
    pay(client, intent)
    assert Donation.objects.filter(external_id=intent.ref).count() == 1


def test_a_custom_amount_and_a_restricted_project(client, books):
    intent = give(client, books, preset="", amount="66.60", target=f"f{books.fund.pk}p{books.project.pk}")
    assert str(intent.amount) == "¥66.60" and intent.project_id == books.project.pk


def test_signed_in_donor_gift_is_linked_to_the_account(login, books, city):
    client = login("donor")
    intent = pay(client, give(client, books, show_name="on"))
    assert intent.donation.donor_user == city.users["donor"] and intent.donation.show_name
    r = client.get("/give/mine/")
    assert r.status_code == 200
    body = r.content.decode()
    assert body.count('data-testid="my-gift-row"') == 1 and f"/give/gift/{intent.ref}/" in body


def test_cancel_marks_the_payment_failed(client, books):
    intent = give(client, books)
    r = client.post(f"/give/fakepay/{intent.ref}/cancel/")
    assert r.status_code == 302 and r["Location"] == f"/give/{books.campaign.slug}/"
    intent.refresh_from_db()
    assert intent.status == PaymentStatus.FAILED and intent.donation is None
    body = client.get(f"/give/fakepay/{intent.ref}/").content.decode()
    assert 'data-testid="checkout-closed"' in body and 'data-testid="fakepay-pay"' not in body
    assert 'data-testid="payment-failed"' in client.get(f"/give/thanks/{intent.ref}/").content.decode()


def test_waiting_payment_thanks_page_refreshes(client, books):
    intent = give(client, books)
    body = client.get(f"/give/thanks/{intent.ref}/").content.decode()
    assert 'data-testid="waiting"' in body and 'http-equiv="refresh"' in body


def test_the_form_key_makes_a_double_submit_one_payment(client, books):
    first = give(client, books, idempotency_key="page-load-1")
    second = give(client, books, idempotency_key="page-load-1")
    assert first.pk == second.pk and PaymentIntent.objects.count() == 1


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"preset": "", "amount": "0"}, "amount", "amount_not_positive"),
    ({"preset": "", "amount": "1.234"}, "amount", "money_precision"),
    ({"preset": "", "amount": "abc"}, "amount", "invalid_number"),
    ({"preset": "", "amount": ""}, "amount", "amount_required"),
    ({"target": "f999999"}, "target", "invalid_target"),
    ({"target": "nonsense"}, "target", "invalid_target"),
    ({"target": None}, "target", "required"),
])
def test_bad_input_shows_field_errors_and_writes_nothing(client, books, change, field, code):
    r = client.post(f"/give/{books.campaign.slug}/", give_form(books, **change))
    assert r.status_code == 400
    form = r.context["form"]
    assert code in [e.code for e in form.errors.as_data()[field]]
    assert f'data-error-code="{code}"' in r.content.decode()
    assert PaymentIntent.objects.count() == 0


def test_project_not_in_campaign_is_a_target_error(client, books, city):
    stray = cs.project_create(actor=city.users["finance"], fund=books.fund, title="四点半课堂", purpose="education", budget="1000",
                              starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2027, 1, 1))
    for target in (f"f{books.fund.pk}p{stray.pk}", f"f{books.other_fund.pk}"):
        r = client.post(f"/give/{books.campaign.slug}/", give_form(books, target=target))
        assert r.status_code == 400
        assert "campaign_target_mismatch" in [e.code for e in r.context["form"].errors.as_data()["target"]]
    assert PaymentIntent.objects.count() == 0


def test_closed_campaign_takes_no_gifts(client, books, city):
    cs.campaign_close(actor=city.users["finance"], campaign=books.campaign)
    body = client.get(f"/give/{books.campaign.slug}/").content.decode()
    assert 'data-testid="campaign-closed"' in body and 'data-testid="give-form"' not in body
    r = client.post(f"/give/{books.campaign.slug}/", give_form(books))
    assert r.status_code == 400 and 'data-error-code="campaign_not_open"' in r.content.decode()
    assert PaymentIntent.objects.count() == 0


# -- my gifts --------------------------------------------------------------------------------------


def test_my_gifts_needs_a_login(client, books):
    r = client.get("/give/mine/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_my_gifts_shows_only_my_gifts_with_constant_queries(login, books, city):
    mine = payment_start(campaign=books.campaign, fund=books.fund, amount="10", donor_name="捐赠人", show_name=False,
                         donor_user=city.users["donor"])
    theirs = payment_start(campaign=books.campaign, fund=books.fund, amount="20", donor_name="小何", show_name=False,
                           donor_user=city.users["volunteer"])
    client = login("donor")
    pay(client, mine)
    pay(client, theirs)
    client.get("/give/mine/")
    with CaptureQueriesContext(connection) as few:
        body = client.get("/give/mine/").content.decode()
    assert body.count('data-testid="my-gift-row"') == 1 and theirs.ref not in body
    for i in range(4):
        intent = payment_start(campaign=books.campaign, fund=books.fund, amount=f"{i + 1}", donor_name="捐赠人", show_name=False,
                               donor_user=city.users["donor"])
        pay(client, intent)
    cs.receipt_issue(actor=city.users["finance"], donation=Donation.objects.filter(donor_user=city.users["donor"]).first())
    with CaptureQueriesContext(connection) as many:
        body = client.get("/give/mine/").content.decode()
    assert body.count('data-testid="my-gift-row"') == 5
    assert len(many) == len(few)


# -- a gift's page ---------------------------------------------------------------------------------


def test_gift_page_shows_the_money_trail_and_the_proof(client, books, city):
    intent = pay(client, give(client, books, target=f"f{books.fund.pk}p{books.project.pk}"))
    r = client.get(f"/give/gift/{intent.ref}/")
    body = r.content.decode()
    assert r.status_code == 200 and 'data-testid="money-trail"' in body and 'data-testid="no-payouts"' in body
    assert 'data-testid="not-sealed"' in body and "10" in body
    assert client.get(f"/give/gift/{intent.ref}/proof.json").status_code == 404
    # The fund pays the project; the ledger is sealed.
    p = cs.payout_request(actor=city.users["station_worker"], fund=books.fund, project=books.project, title="三月助餐",
                          payee="北京街长者饭堂", lines=[("餐费", "30.00")])
    cs.payout_approve(actor=books.finance2, payout=p)
    cs.payout_pay(actor=books.finance2, payout=p, payment_reference="BANK-1")
    assert sealing.seal_create() is not None
    body = client.get(f"/give/gift/{intent.ref}/").content.decode()
    assert 'data-testid="payouts"' in body and "三月助餐" in body and "¥30.00" in body
    assert 'data-testid="proof-json"' in body and 'data-testid="seal-hash"' in body
    r = client.get(f"/give/gift/{intent.ref}/proof.json")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    proof = json.loads(r.content)
    assert proof["entry_id"] == intent.donation.entry_id and proof["leaf_data"] is not None
    assert sealing.check_proof(proof)


def test_another_visitor_sees_the_name_masked(client, books, city):
    intent = pay(client, give(client, books, donor_name="林晓红", message="私人留言"))
    sealing.seal_create()
    for other in (Client(), None):
        if other is None:
            other = Client()
            other.force_login(city.users["volunteer"])
        r = other.get(f"/give/gift/{intent.ref}/")
        body = r.content.decode()
        assert r.status_code == 200 and "林**" in body and "林晓红" not in body and "私人留言" not in body
        proof = json.loads(other.get(f"/give/gift/{intent.ref}/proof.json").content)
        # The entry's data names the donor: others get the proof without it, and it still checks.
        assert proof["leaf_data"] is None and sealing.check_proof(proof)
        assert "林晓红" not in other.get(f"/give/thanks/{intent.ref}/").content.decode()


def test_a_donor_who_showed_their_name_is_named(client, books):
    intent = pay(client, give(client, books, donor_name="林晓红", show_name="on"))
    assert "林晓红" in Client().get(f"/give/gift/{intent.ref}/").content.decode()


def test_signed_in_donor_owns_the_gift_on_any_device(login, books, city):
    intent = payment_start(campaign=books.campaign, fund=books.fund, amount="10", donor_name="王捐赠", show_name=False,
                           donor_user=city.users["donor"])
    client = login("donor")
    pay(client, intent)
    assert "王捐赠" in client.get(f"/give/gift/{intent.ref}/").content.decode()


def test_unknown_ref_is_not_found(client, books):
    for path in ("/give/gift/pi_0000/", "/give/thanks/xyz/", "/give/fakepay/pi_0000/", "/give/gift/pi_0000/receipt.pdf"):
        assert client.get(path).status_code == 404
    assert client.post("/give/fakepay/pi_0000/pay/").status_code == 404


def test_receipt_pdf_only_for_the_donor(client, books, city):
    intent = pay(client, give(client, books))
    assert client.get(f"/give/gift/{intent.ref}/receipt.pdf").status_code == 404  # none issued yet
    receipt = cs.receipt_issue(actor=city.users["finance"], donation=intent.donation)
    body = client.get(f"/give/gift/{intent.ref}/").content.decode()
    assert receipt.display_number in body and f"/give/gift/{intent.ref}/receipt.pdf" in body
    r = client.get(f"/give/gift/{intent.ref}/receipt.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    other = Client()
    assert other.get(f"/give/gift/{intent.ref}/receipt.pdf").status_code == 404
    assert "receipt-download" not in other.get(f"/give/gift/{intent.ref}/").content.decode()
    assert Receipt.objects.count() == 1


def test_receipt_pdf_points_to_the_public_verification_page(client, books, city, settings, monkeypatch):
    from shanlian.charity import pdf

    settings.SHANLIAN = {**settings.SHANLIAN, "PUBLIC_BASE_URL": "https://give.example.cn/"}
    seen = {}
    monkeypatch.setattr(pdf, "receipt_pdf", lambda doc: seen.setdefault("doc", doc) and b"%PDF-fake")
    intent = pay(client, give(client, books))
    receipt = cs.receipt_issue(actor=city.users["finance"], donation=intent.donation)
    assert client.get(f"/give/gift/{intent.ref}/receipt.pdf").status_code == 200
    doc = seen["doc"]
    assert doc.verify_url == f"https://give.example.cn/public/receipts/{receipt.verification_code}/"
    assert doc.donor_name == "林晓红" and doc.amount == intent.amount.amount and doc.number == receipt.display_number
