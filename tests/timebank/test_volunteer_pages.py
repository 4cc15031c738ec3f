"""The volunteer's pages: who may open them, and each write through the page with its bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shanlian.ledger.models import Entry
from shanlian.timebank import services as ts
from shanlian.timebank.models import (
    Attendance,
    CatalogItem,
    FamilyLink,
    HoursRecord,
    QuizAttempt,
    QuizQuestion,
    Redemption,
    Signup,
    SignupStatus,
    Volunteer,
)

from .. import factories as f
from .conftest import running
from .test_selectors import approved

PAGES = ["home", "register", "quiz", "activity_list", "scan", "hours", "catalog", "redemptions", "credits"]


def text(resp) -> str:
    return resp.content.decode()


def as_mum(login, bank):
    client = login("volunteer")
    client.force_login(bank.mum_user)
    return client


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_goes_to_login(client, db, name):
    resp = client.get(reverse(f"timebank:{name}"))
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["quiz", "activity_list", "scan", "hours", "catalog", "redemptions", "credits"])
def test_not_yet_a_volunteer_is_sent_to_register(city, login, name):
    resp = login("volunteer").get(reverse(f"timebank:{name}"))
    assert resp.status_code == 302 and resp["Location"] == reverse("timebank:register")


def test_home_invites_to_register_and_an_account_without_a_person_cannot(city, login):
    resp = login("volunteer").get(reverse("timebank:home"))
    assert resp.status_code == 200 and 'data-testid="register-link"' in text(resp)
    client = login("station_worker")  # a worker's account has no resident record
    assert 'data-testid="no-person"' in text(client.get(reverse("timebank:home")))
    assert client.get(reverse("timebank:register")).status_code == 403


def test_register_with_bad_input_writes_nothing_then_registers(city, login):
    client = login("volunteer")
    station = city.stations["北京街"]
    page = client.get(reverse("timebank:register"))
    assert page.status_code == 200 and "盐运西社区" in text(page)  # communities of the home station's street
    resp = client.post(reverse("timebank:register"), {"station": station.pk, "party_member": "on", "skills": ["elderly_care"]})
    assert resp.status_code == 400 and 'data-error-code="consent_required"' in text(resp)
    resp = client.post(reverse("timebank:register"), {"station": station.pk, "skills": ["juggling"]})
    assert resp.status_code == 400 and 'data-error-code="invalid_choice"' in text(resp)
    assert not Volunteer.objects.exists()
    resp = client.post(reverse("timebank:register"), {
        "station": station.pk, "skills": ["elderly_care", "repair"], "availability": ["sat_am"],
        "service_areas": [city.communities["都府"].pk], "party_member": "on", "party_consent": "on"})
    assert resp.status_code == 302 and resp["Location"] == reverse("timebank:home")
    vol = Volunteer.objects.get(person=city.users["volunteer"].person)
    assert vol.skills == ["elderly_care", "repair"] and vol.party_consent_at is not None
    assert [d.pk for d in vol.service_areas.all()] == [city.communities["都府"].pk]
    home = client.get(reverse("timebank:home"))
    assert vol.number in text(home) and 'data-testid="quiz-todo"' in text(home)
    assert client.get(reverse("timebank:register")).status_code == 302  # once only


def _answer(client, *, right: bool, skip: int = 0):
    client.post(reverse("timebank:quiz"), {"action": "start"})
    attempt = QuizAttempt.objects.get(submitted_at__isnull=True)
    questions = QuizQuestion.objects.in_bulk(attempt.question_ids)
    data = {"action": "submit"}
    for qid in attempt.question_ids[skip:]:
        answer = questions[qid].answer
        data[f"q{qid}"] = str(answer if right else 1 - answer)
    return attempt, client.post(reverse("timebank:quiz"), data, follow=True)


def test_quiz_incomplete_then_failed_then_passed(bank, login):
    client = login("volunteer")
    assert 'data-testid="quiz-start"' in text(client.get(reverse("timebank:quiz")))
    attempt, resp = _answer(client, right=True, skip=1)
    assert "quiz_incomplete" in text(resp)
    attempt.refresh_from_db()
    assert attempt.submitted_at is None  # nothing recorded
    attempt.delete()
    attempt, resp = _answer(client, right=False)
    attempt.refresh_from_db()
    assert attempt.submitted_at and not attempt.passed and 'data-testid="quiz-last"' in text(resp)
    attempt, resp = _answer(client, right=True)
    attempt.refresh_from_db()
    assert attempt.passed and attempt.certificate_code in text(resp)
    resp = client.post(reverse("timebank:quiz"), {"action": "start"}, follow=True)
    assert "quiz_already_passed" in text(resp) and QuizAttempt.objects.count() == 2


def test_activities_near_me_sign_up_wait_list_and_cancel(bank, login):
    client = login("volunteer")
    page = client.get(reverse("timebank:activity_list"))
    assert page.status_code == 200 and "长者饭堂送餐" in text(page)
    shift = bank.later_shift  # one place
    resp = client.post(reverse("timebank:signup", args=[shift.pk]), follow=True)
    assert Signup.objects.get(shift=shift).status == SignupStatus.CONFIRMED and 'data-testid="signed-up"' in text(resp)
    mum = as_mum(login, bank)
    resp = mum.get(reverse("timebank:activity_detail", args=[bank.activity.pk]))
    assert "Join the wait list" in text(resp) or "加入候补" in text(resp)
    mum.post(reverse("timebank:signup", args=[shift.pk]))
    waiting = Signup.objects.get(shift=shift, volunteer=bank.mum)
    assert waiting.status == SignupStatus.WAITLISTED
    mine = Signup.objects.get(shift=shift, volunteer=bank.vol)
    assert mum.post(reverse("timebank:signup_cancel", args=[mine.pk])).status_code == 404  # not hers
    client = login("volunteer")
    client.post(reverse("timebank:signup_cancel", args=[mine.pk]))
    waiting.refresh_from_db()
    assert waiting.status == SignupStatus.CONFIRMED  # promoted from the wait list
    assert client.post(reverse("timebank:signup", args=[999999])).status_code == 404
    assert client.get(reverse("timebank:activity_detail", args=[999999])).status_code == 404


def test_quiz_required_activity_refuses_with_a_code(bank, city, login):
    soon = timezone.now() + dt.timedelta(days=2)
    act = ts.activity_publish(actor=bank.organizer, station=city.stations["北京街"], title="心理疏导陪伴", category="elderly",
                              division=city.communities["盐运西"], place="北京街社工站", quiz_required=True,
                              shifts=[(soon, soon + dt.timedelta(hours=2), 3)])
    client = login("volunteer")
    resp = client.post(reverse("timebank:signup", args=[act.shifts.get().pk]), follow=True)
    assert "quiz_required" in text(resp) and not Signup.objects.filter(shift__activity=act).exists()


def test_scan_check_in_and_out_with_the_qr_url(bank, login):
    shift = running(bank.now_shift, started_minutes_ago=100, length_minutes=150)
    client = login("volunteer")
    url = reverse("timebank:scan")
    resp = client.get(url, {"t": ts.qr_token(shift=shift)})
    assert resp.status_code == 200 and 'data-testid="not-signed-up"' in text(resp)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=shift)
    resp = client.get(url, {"t": ts.qr_token(shift=shift)})
    assert 'data-testid="check-in"' in text(resp)
    resp = client.post(url, {"t": ts.qr_token(shift=shift), "action": "in"})
    assert 'data-testid="checked-in"' in text(resp) and Attendance.objects.filter(volunteer=bank.vol).count() == 1
    # The volunteer serves for two hours (the check-in is moved back, as time would have passed).
    Attendance.objects.update(checked_in_at=timezone.now() - dt.timedelta(minutes=100))
    resp = client.get(url, {"t": ts.qr_token(shift=shift)})
    assert 'data-testid="check-out"' in text(resp)
    resp = client.post(url, {"t": ts.qr_token(shift=shift), "action": "out"})
    record = HoursRecord.objects.get(volunteer=bank.vol)
    assert 'data-testid="pending-hours"' in text(resp) and record.hours.value == Decimal("1.5") and record.status == "pending"


@pytest.mark.parametrize("token,code", [("", "qr_invalid"), ("garbage", "qr_invalid"), ("1:x:y", "qr_invalid")])
def test_scan_with_a_bad_token_is_refused(bank, login, token, code):
    resp = login("volunteer").post(reverse("timebank:scan"), {"t": token, "action": "in"})
    assert resp.status_code == 400 and code in text(resp) and not Attendance.objects.exists()


def test_scan_with_an_expired_token_is_refused(bank, login, settings):
    shift = running(bank.now_shift)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=shift)
    token = ts.qr_token(shift=shift)
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_QR_VALID_SECONDS": -1}
    resp = login("volunteer").post(reverse("timebank:scan"), {"t": token, "action": "in"})
    assert resp.status_code == 400 and "qr_expired" in text(resp) and not Attendance.objects.exists()


def test_check_out_before_check_in_is_refused(bank, login):
    shift = running(bank.now_shift)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=shift)
    resp = login("volunteer").post(reverse("timebank:scan"), {"t": ts.qr_token(shift=shift), "action": "out"})
    assert resp.status_code == 400 and "not_checked_in" in text(resp) and not HoursRecord.objects.exists()


def test_hours_page_and_home_show_credits_and_star_progress(bank, city, login, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (4, 10, 600, 1000, 1500)}
    approved(bank, city, bank.vol, "5")
    client = login("volunteer")
    home = text(client.get(reverse("timebank:home")))
    assert 'data-stars="1"' in home and 'data-testid="balance">5.0<' in home and 'data-testid="next-star"' in home
    resp = client.get(reverse("timebank:hours"))
    assert resp.status_code == 200 and "应急值守" in text(resp)


def test_list_pages_keep_their_query_count(bank, city, login, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (1, 300, 600, 1000, 1500)}
    client = login("volunteer")

    days = iter(range(2, 100))

    def more(n: int, tag: str) -> None:
        for i in range(n):
            d = next(days)
            approved(bank, city, bank.vol, "2", days_ago=d)
            item = CatalogItem.objects.create(station=city.stations["北京街"], name=f"理发券{tag}{i}", price="0.5", stock=5)
            ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=item)
            ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=ts.activity_publish(
                actor=bank.organizer, station=city.stations["北京街"], title=f"巡查{tag}{i}", category="elderly",
                division=city.communities["盐运西"], place="盐运西社区",
                shifts=[(timezone.now() + dt.timedelta(days=d), timezone.now() + dt.timedelta(days=d, hours=1), 3)],
            ).shifts.get())

    more(1, "a")
    for name in ("hours", "catalog", "redemptions", "activity_list", "home"):
        client.get(reverse(f"timebank:{name}"))  # warm the session
        with CaptureQueriesContext(connection) as few:
            client.get(reverse(f"timebank:{name}"))
        more(3, name)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse(f"timebank:{name}"))
        assert len(many) == len(few), name


def test_redeem_needs_a_star_then_once_per_key_and_cancel_refunds(bank, city, login, settings):
    item = CatalogItem.objects.create(station=city.stations["北京街"], name="社区理发", price="2", stock=3, per_person_limit=2)
    client = login("volunteer")
    ask = client.post(reverse("timebank:redeem", args=[item.pk]), {"idempotency_key": "k1"})
    assert 'data-testid="redeem-confirm"' in text(ask) and not Redemption.objects.exists()  # first, what it costs
    resp = client.post(reverse("timebank:redeem", args=[item.pk]), {"idempotency_key": "k1", "confirm": "1"}, follow=True)
    assert "star_required" in text(resp) and not Redemption.objects.exists()
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (4, 10, 600, 1000, 1500)}
    approved(bank, city, bank.vol, "5")
    assert client.post(reverse("timebank:redeem", args=[item.pk]), {"quantity": "x"}, follow=True).status_code == 200
    assert not Redemption.objects.exists()
    for _ in range(2):  # a double tap
        client.post(reverse("timebank:redeem", args=[item.pk]), {"idempotency_key": "k1", "confirm": "1"})
    redemption = Redemption.objects.get()
    bank.vol.account.refresh_from_db()
    assert bank.vol.account.balance == Decimal("3.00")
    page = text(client.get(reverse("timebank:redemptions")))
    assert "社区理发" in page and f'data-testid="pickup-code">{redemption.pickup_code}<' in page
    mum = as_mum(login, bank)
    assert mum.post(reverse("timebank:redemption_cancel", args=[redemption.pk])).status_code == 404
    assert mum.post(reverse("timebank:redeem", args=[999999])).status_code == 404
    client = login("volunteer")
    client.post(reverse("timebank:redemption_cancel", args=[redemption.pk]))
    bank.vol.account.refresh_from_db()
    redemption.refresh_from_db()
    assert redemption.status == "cancelled" and bank.vol.account.balance == Decimal("5.00")


def test_redeem_without_enough_credits_is_refused(bank, city, login, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (4, 10, 600, 1000, 1500)}
    approved(bank, city, bank.vol, "4")
    item = CatalogItem.objects.create(station=city.stations["北京街"], name="家电维修", price="6", stock=3)
    entries = Entry.objects.count()
    resp = login("volunteer").post(reverse("timebank:redeem", args=[item.pk]), {"idempotency_key": "k", "confirm": "1"},
                                   follow=True)
    assert "insufficient_balance" in text(resp)
    item.refresh_from_db()
    assert item.stock == 3 and not Redemption.objects.exists() and Entry.objects.count() == entries


def test_give_credits_to_family_and_pool_with_bad_input(bank, city, login):
    approved(bank, city, bank.vol, "6")
    client = login("volunteer")
    url = reverse("timebank:credits")
    resp = client.post(url, {"form": "family", "number": bank.mum.number, "real_name": "王某", "relation": "parent"})
    assert resp.status_code == 400 and 'data-error-code="volunteer_not_found"' in text(resp) and not FamilyLink.objects.exists()
    resp = client.post(url, {"form": "family", "number": bank.mum.number.lower(), "real_name": "何母", "relation": "parent"})
    assert resp.status_code == 302 and FamilyLink.objects.filter(volunteer=bank.vol, member=bank.mum).exists()
    entries = Entry.objects.count()
    for amount, code in (("0", "amount_not_positive"), ("1.2", "hours_step"), ("99", "insufficient_balance")):
        resp = client.post(url, {"form": "give", "to": f"v{bank.mum.pk}", "amount": amount})
        assert resp.status_code in (400, 409) and code in text(resp), (amount, text(resp)[:200])
    resp = client.post(url, {"form": "give", "to": "v999999", "amount": "1"})
    assert resp.status_code == 400 and "not_family" in text(resp)
    assert Entry.objects.count() == entries
    assert client.post(url, {"form": "give", "to": f"v{bank.mum.pk}", "amount": "2.5", "idempotency_key": "g1"}).status_code == 302
    assert client.post(url, {"form": "give", "to": "pool", "amount": "1", "idempotency_key": "g2"}).status_code == 302
    bank.vol.account.refresh_from_db()
    bank.mum.account.refresh_from_db()
    assert bank.vol.account.balance == Decimal("2.50") and bank.mum.account.balance == Decimal("2.50")


def test_another_volunteers_things_are_not_reachable(bank, city, login):
    """Nothing takes a volunteer id: each page shows the signed-in volunteer's own records."""
    approved(bank, city, bank.mum, "3")
    ts.signup_create(actor=bank.mum_user, volunteer=bank.mum, shift=bank.later_shift)
    client = login("volunteer")
    assert "应急值守" not in text(client.get(reverse("timebank:hours")))
    assert 'data-testid="signup"' not in text(client.get(reverse("timebank:home")))
    other = f.user_with_role("neighbour", "", None, person_in=city.communities["都府"], name="邻居")
    client.force_login(other)
    assert client.get(reverse("timebank:hours")).status_code == 302  # not a volunteer: register first
