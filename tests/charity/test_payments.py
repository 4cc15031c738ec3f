"""Online giving through a payment provider: the FakePay signature, intents checked before the donor
pays, and the webhook intake, exactly-once under duplicated, late, out-of-order and concurrent
callbacks. A forged or tampered callback and a wrong amount write nothing to the books."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import (
    CampaignTally,
    Donation,
    MatchGift,
    PaymentIntent,
    PaymentStatus,
    WebhookEvent,
)
from shanlian.charity.payments import FAILED, SUCCEEDED, FakePay, PaymentProvider, provider
from shanlian.charity.services.payments import intents_expire, payment_start, webhook_handle
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from shanlian.core.models import AuditLog
from shanlian.core.money import Money
from shanlian.ledger.models import Entry
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks (select_for_update) and truly concurrent writers exist only on PostgreSQL; SQLite runs one writer at a time",
)

fakepay = FakePay()


def start(books, amount="88.00", **kw) -> PaymentIntent:
    kw.setdefault("campaign", books.campaign)
    kw.setdefault("fund", books.fund)
    kw.setdefault("donor_name", "林晓红")
    kw.setdefault("show_name", False)
    return payment_start(amount=amount, **kw)


def event(intent, type=SUCCEEDED, *, id=None, amount=None, payer="payer-1", created=None) -> bytes:
    body = {
        "id": id or f"evt_{intent.ref[-8:]}_{type}",
        "type": type,
        "created": created or int(time.time()),
        "data": {"ref": intent.ref, "payment_id": "fp_123", "amount": amount or f"{intent.amount.amount:.2f}", "payer": payer},
    }
    return json.dumps(body).encode()


def deliver(body: bytes, *, at: int | None = None, headers=None) -> str:
    if headers is None:
        headers = fakepay.signed_headers(body, at=at)
    return webhook_handle(provider_name="fakepay", body=body, headers=headers)


def counts() -> tuple[int, int, int, int]:
    return Donation.objects.count(), Entry.objects.count(), WebhookEvent.objects.count(), MatchGift.objects.count()


def raised_fen(campaign) -> int:
    return sum(CampaignTally.objects.filter(campaign=campaign).values_list("fen", flat=True))


# -- the signature ---------------------------------------------------------------------------------


def test_fakepay_is_a_registered_provider():
    assert provider("fakepay") is not None and isinstance(provider("fakepay"), PaymentProvider)
    with pytest.raises(KeyError):
        provider("alipay")


def test_signature_good_bad_expired_tampered(settings):
    body = b'{"id":"evt_1"}'
    headers = fakepay.signed_headers(body)
    assert fakepay.verify(body, headers)
    # Header names are case-insensitive, as Django's request.headers and WSGI META give them.
    assert fakepay.verify(body, {"x-fakepay-signature": headers["X-FakePay-Signature"]})
    assert fakepay.verify(body, {"HTTP_X_FAKEPAY_SIGNATURE": headers["X-FakePay-Signature"]})
    assert not fakepay.verify(body + b" ", headers)  # tampered body
    assert not fakepay.verify(body, {})  # missing
    assert not fakepay.verify(body, {"X-FakePay-Signature": "t=abc,v1=00"})  # malformed
    assert not fakepay.verify(body, {"X-FakePay-Signature": "v1=" + "0" * 64})  # no timestamp
    assert not fakepay.verify(body, FakePay(secret="other").signed_headers(body))  # wrong secret
    assert not fakepay.verify(body, fakepay.signed_headers(body, at=int(time.time()) - 301))  # older than 5 minutes
    assert fakepay.verify(body, fakepay.signed_headers(body, at=int(time.time()) - 290))
    assert not fakepay.verify(body, fakepay.signed_headers(body, at=int(time.time()) + 3600))  # from the future
    # The timestamp is part of what is signed: moving it breaks the signature.
    t, v1 = headers["X-FakePay-Signature"].split(",")
    assert not fakepay.verify(body, {"X-FakePay-Signature": f"t={int(t[2:]) + 1},{v1}"})
    # The secret comes from the settings.
    settings.SHANLIAN = {**settings.SHANLIAN, "FAKEPAY_SECRET": "rotated"}
    assert not fakepay.verify(body, headers)


def test_signed_string_is_timestamp_dot_body():
    import hashlib
    import hmac

    from django.conf import settings

    body = b'{"a":1}'
    expected = hmac.new(settings.SHANLIAN["FAKEPAY_SECRET"].encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert fakepay.sign(body, at=1700000000) == f"t=1700000000,v1={expected}"


@pytest.mark.parametrize("how", ["forged", "expired", "tampered", "missing"])
def test_bad_signatures_are_refused_and_write_nothing(books, how):
    intent = start(books)
    body = event(intent)
    headers = {
        "forged": FakePay(secret="attacker").signed_headers(body),
        "expired": fakepay.signed_headers(body, at=int(time.time()) - 600),
        "tampered": fakepay.signed_headers(event(intent, amount="1.00")),
        "missing": {},
    }[how]
    before = counts()
    with pytest.raises(PermissionDenied) as err:
        deliver(body, headers=headers)
    assert err.value.code == "bad_signature"
    assert counts() == before
    intent.refresh_from_db()
    assert intent.status == PaymentStatus.CREATED


def test_malformed_event_and_unknown_provider(books):
    with pytest.raises(ValidationFailed) as err:
        deliver(b"not json")
    assert err.value.code == "bad_event"
    with pytest.raises(ValidationFailed):
        deliver(json.dumps({"id": "evt_x", "type": SUCCEEDED, "created": 1}).encode())  # no data
    intent = start(books)
    hostile = [
        {"created": 1e20}, {"created": -1e20}, {"created": "soon"}, {"created": True},
        {"data": {"ref": intent.ref + "\x00", "amount": "88.00"}},
        {"data": {"ref": intent.ref, "amount": "88.00", "payer": "p" * 129}},
        {"data": {"ref": intent.ref, "amount": "88.00", "payer": "\u202e"}},
    ]
    for change in hostile:
        body = json.loads(event(intent))
        body.update(change)
        with pytest.raises(ValidationFailed) as err:
            deliver(json.dumps(body).encode())
        assert err.value.code == "bad_event", change
    with pytest.raises(NotFound) as nf:
        webhook_handle(provider_name="nopay", body=b"{}", headers={})
    assert nf.value.code == "unknown_provider"
    assert WebhookEvent.objects.count() == 0


# -- starting a payment ----------------------------------------------------------------------------


def test_payment_start_validates_like_a_gift(books, city):
    intent = start(books, "88.00", project=books.project, message="给长者加个菜")
    assert intent.ref.startswith("pi_") and len(intent.ref) == 35
    assert intent.status == PaymentStatus.CREATED and intent.amount == Money("88.00") and intent.provider == "fakepay"
    assert intent.donor_user is None and intent.donor_key == ""
    other_project = cs.project_create(actor=city.users["finance"], fund=books.fund, title="四点半课堂", purpose="education",
                                      budget="1000", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2027, 1, 1))
    cases = [
        ({"amount": "0"}, "amount_not_positive"),
        ({"amount": "-1"}, "amount_not_positive"),
        ({"amount": "1.234"}, "money_precision"),
        ({"amount": "abc"}, "invalid_number"),
        ({"fund": books.other_fund}, "campaign_target_mismatch"),
        ({"project": other_project}, "campaign_target_mismatch"),
        ({"message": "长" * 201}, "message_too_long"),
        ({"donor_name": "名" * 129}, "donor_name_too_long"),
    ]
    n = PaymentIntent.objects.count()
    for change, code in cases:
        with pytest.raises(ValidationFailed) as err:
            start(books, **{"amount": "10", **change})
        assert err.value.code == code, change
    with pytest.raises(NotFound):
        start(books, provider_name="nopay")
    cs.campaign_close(actor=city.users["finance"], campaign=books.campaign)
    with pytest.raises(ValidationFailed) as err:
        start(books)
    assert err.value.code == "campaign_not_open"
    assert PaymentIntent.objects.count() == n


def test_anonymous_name_is_never_shown(books):
    intent = start(books, donor_name="  ", show_name=True)
    assert intent.donor_name == cs.ANONYMOUS and not intent.show_name


def test_same_idempotency_key_returns_the_first_intent(books, city):
    donor = city.users["donor"]
    first = start(books, donor_user=donor, idempotency_key="k-1")
    again = start(books, donor_user=donor, idempotency_key="k-1")
    assert again.pk == first.pk and first.donor_key == f"user:{donor.pk}"
    with pytest.raises(Conflict) as err:
        start(books, amount="99.00", donor_user=donor, idempotency_key="k-1")
    assert err.value.code == "idempotency_mismatch"
    # Keys are per donor: another donor's k-1 is another payment; an anonymous page's key works too.
    other = start(books, donor_user=city.users["volunteer"], idempotency_key="k-1")
    assert other.pk != first.pk
    anon = start(books, idempotency_key="form-abc")
    assert start(books, idempotency_key="form-abc").pk == anon.pk
    assert PaymentIntent.objects.count() == 3


# -- the intake ------------------------------------------------------------------------------------


def test_success_records_the_gift_with_its_match(books, city):
    donor = city.users["donor"]
    intent = start(books, donor_user=donor, show_name=True, message="加油")
    fen_before = raised_fen(books.campaign)
    assert deliver(event(intent, payer="wx-openid-9")) == "succeeded"
    intent.refresh_from_db()
    d = intent.donation
    assert intent.status == PaymentStatus.SUCCEEDED and intent.settled_at and intent.provider_payment_id == "fp_123"
    assert (d.channel, d.source, d.external_id, d.donor_key) == ("online", "pay:fakepay", intent.ref, "wx-openid-9")
    assert d.amount == Money("88.00") and d.donor_user == donor and d.show_name and d.message == "加油"
    assert d.received_at == intent.created_at and d.recorded_by is None
    assert d.match.amount == Money("88.00")  # 1:1 match, within the 100 per-donor cap
    assert raised_fen(books.campaign) - fen_before == 17600
    books.fund.account.refresh_from_db()
    assert books.fund.account.balance == Decimal("10176.00")
    ev = WebhookEvent.objects.get()
    assert (ev.provider, ev.type, ev.outcome, ev.intent_id) == ("fakepay", SUCCEEDED, "succeeded", intent.pk)
    assert not unbalanced_entries() and not balances_mismatched()


def test_match_caps_apply_per_payer_online(books):
    a = start(books, "80.00")
    b = start(books, "80.00")
    deliver(event(a, payer="same-wallet"))
    deliver(event(b, payer="same-wallet"))
    matches = sorted(m.amount.amount for m in MatchGift.objects.all())
    assert matches == [Decimal("20.00"), Decimal("80.00")]  # the per-donor cap is 100


def test_duplicate_event_is_answered_from_the_store(books):
    intent = start(books)
    body = event(intent)
    assert deliver(body) == "succeeded"
    before = counts()
    assert deliver(body) == "succeeded"  # the same event again, re-signed by the provider
    assert deliver(body) == "succeeded"
    assert counts() == before
    assert WebhookEvent.objects.filter(event_id=json.loads(body)["id"]).count() == 1


def test_a_second_success_event_for_the_same_payment_posts_nothing(books):
    intent = start(books)
    deliver(event(intent, id="evt_a"))
    before = counts()
    assert deliver(event(intent, id="evt_b")) == "already_succeeded"
    assert counts()[:2] == before[:2] and counts()[3] == before[3]
    assert WebhookEvent.objects.count() == 2


def test_late_success_after_expiry_and_close_is_still_recorded(books, city):
    intent = start(books)
    later = timezone.now() + dt.timedelta(hours=1)
    assert intents_expire(now=later) == 1
    intent.refresh_from_db()
    assert intent.status == PaymentStatus.FAILED
    cs.campaign_close(actor=city.users["finance"], campaign=books.campaign)
    assert deliver(event(intent)) == "succeeded_late"
    intent.refresh_from_db()
    assert intent.status == PaymentStatus.SUCCEEDED
    # Dated when the donor pressed give, inside the campaign's period.
    assert intent.donation.received_at == intent.created_at
    assert books.campaign.starts_at <= intent.donation.received_at <= books.campaign.ends_at


def test_failure_after_success_is_ignored(books):
    intent = start(books)
    deliver(event(intent, SUCCEEDED))
    before = counts()
    assert deliver(event(intent, FAILED)) == "ignored_after_success"
    intent.refresh_from_db()
    assert intent.status == PaymentStatus.SUCCEEDED and intent.donation.status == "confirmed"
    assert counts()[:2] == before[:2]
    assert WebhookEvent.objects.filter(outcome="ignored_after_success").count() == 1


def test_success_after_failure_is_accepted(books):
    intent = start(books)
    assert deliver(event(intent, FAILED)) == "failed"
    intent.refresh_from_db()
    assert intent.status == PaymentStatus.FAILED and Donation.objects.filter(external_id=intent.ref).count() == 0
    assert deliver(event(intent, FAILED, id="evt_fail_again")) == "already_failed"
    assert deliver(event(intent, SUCCEEDED)) == "succeeded"
    intent.refresh_from_db()
    assert intent.status == PaymentStatus.SUCCEEDED and intent.donation is not None


def test_amount_mismatch_is_refused_logged_and_posts_nothing(books):
    intent = start(books, "88.00")
    body = event(intent, amount="8.80")
    before = counts()
    with pytest.raises(ValidationFailed) as err:
        deliver(body)
    assert err.value.code == "amount_mismatch"
    assert counts()[:2] == before[:2] and counts()[3] == before[3]
    ev = WebhookEvent.objects.get()
    assert ev.outcome == "amount_mismatch"
    assert AuditLog.objects.filter(action="charity.payment.amount_mismatch", object_id=str(intent.pk)).exists()
    intent.refresh_from_db()
    assert intent.status == PaymentStatus.CREATED
    with pytest.raises(ValidationFailed) as again:  # redelivered: the same answer
        deliver(body)
    assert again.value.code == "amount_mismatch"
    with pytest.raises(ValidationFailed):
        deliver(event(intent, id="evt_garbled", amount="lots"))
    # The right amount later is still accepted.
    assert deliver(event(intent, id="evt_right")) == "succeeded"


def test_success_that_cannot_be_booked_is_kept_for_a_refund(books, city):
    intent = start(books, project=books.project)
    cs.project_end(actor=city.users["finance"], project=books.project)
    body = event(intent)
    with pytest.raises(ValidationFailed) as err:
        deliver(body)
    assert err.value.code == "project_ended"
    assert WebhookEvent.objects.get().outcome == "rejected"
    assert Donation.objects.filter(external_id=intent.ref).count() == 0
    with pytest.raises(Conflict) as again:
        deliver(body)
    assert again.value.code == "gift_rejected"


def test_unknown_payment_and_unknown_type_are_stored(books):
    intent = start(books)
    ghost = json.dumps({"id": "evt_ghost", "type": SUCCEEDED, "created": int(time.time()),
                        "data": {"ref": "pi_nope", "amount": "1.00"}}).encode()
    assert deliver(ghost) == "unknown_intent"
    assert deliver(event(intent, "payment.disputed")) == "ignored_type"
    assert WebhookEvent.objects.count() == 2 and Donation.objects.filter(channel="online").count() == 0


def test_intents_expire_only_old_waiting_ones(books):
    old, paid = start(books), start(books)
    deliver(event(paid))
    assert intents_expire() == 0  # nothing is older than the TTL yet
    assert intents_expire(now=timezone.now() + dt.timedelta(minutes=31)) == 1
    old.refresh_from_db()
    paid.refresh_from_db()
    assert old.status == PaymentStatus.FAILED and paid.status == PaymentStatus.SUCCEEDED


def test_fakepay_can_be_switched_off(books, settings, client):
    intent = start(books)
    body = event(intent)
    settings.SHANLIAN = {**settings.SHANLIAN, "FAKEPAY_ENABLED": False}
    with pytest.raises(NotFound):
        start(books)
    with pytest.raises(NotFound):
        deliver(body)
    assert client.get(f"/give/fakepay/{intent.ref}/").status_code == 404
    assert client.post(f"/give/fakepay/{intent.ref}/pay/").status_code == 404
    assert WebhookEvent.objects.count() == 0 and Donation.objects.filter(channel="online").count() == 0


# -- the HTTP endpoint -----------------------------------------------------------------------------


def test_webhook_endpoint(books):
    client = Client(enforce_csrf_checks=True)  # providers send no CSRF token
    intent = start(books)
    body = event(intent)
    url = "/give/webhooks/fakepay/"
    sig = fakepay.sign(body)
    r = client.post(url, data=body, content_type="application/json", HTTP_X_FAKEPAY_SIGNATURE=sig)
    assert r.status_code == 200 and r.json() == {"outcome": "succeeded"}
    r = client.post(url, data=body, content_type="application/json", HTTP_X_FAKEPAY_SIGNATURE=sig)
    assert r.status_code == 200 and r.json() == {"outcome": "succeeded"}
    r = client.post(url, data=body + b" ", content_type="application/json", HTTP_X_FAKEPAY_SIGNATURE=sig)
    assert r.status_code == 403 and r.json()["code"] == "bad_signature" and r.json()["message_en"]
    wrong = event(start(books), amount="1.00")
    r = client.post(url, data=wrong, content_type="application/json", HTTP_X_FAKEPAY_SIGNATURE=fakepay.sign(wrong))
    assert r.status_code == 400 and r.json()["code"] == "amount_mismatch"
    r = client.post(url, data=b"{]", content_type="application/json", HTTP_X_FAKEPAY_SIGNATURE=fakepay.sign(b"{]"))
    assert r.status_code == 400 and r.json()["code"] == "bad_event"
    assert client.post("/give/webhooks/nopay/", data=body, content_type="application/json").status_code == 404
    assert client.get(url).status_code == 405
    assert Donation.objects.filter(channel="online").count() == 1


# -- concurrency (PostgreSQL) ----------------------------------------------------------------------


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_deliveries_make_one_gift(books):
    import threading

    from django.db import connections

    intent = start(books)
    body = event(intent)
    headers = fakepay.signed_headers(body)
    # A second, different event for the same payment races too: still one gift.
    other = event(intent, id="evt_other")
    other_headers = fakepay.signed_headers(other)
    barrier = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            b, h = (other, other_headers) if i == 7 else (body, headers)
            results.append(webhook_handle(provider_name="fakepay", body=b, headers=h))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert Donation.objects.filter(source="pay:fakepay", external_id=intent.ref).count() == 1
    assert MatchGift.objects.count() == 1
    assert sum(CampaignTally.objects.filter(campaign=books.campaign).values_list("gifts", flat=True)) == 1
    assert WebhookEvent.objects.count() == 2
    # Whichever event won posted the gift; the other was "already_succeeded"; the 6 duplicates of the
    # first event were answered from the store with that event's outcome.
    assert len(results) == 8 and set(results) <= {"succeeded", "already_succeeded"}
    assert results.count("succeeded") in (1, 7)
    intent.refresh_from_db()
    assert intent.status == PaymentStatus.SUCCEEDED
    assert not unbalanced_entries() and not balances_mismatched()
