"""The time-bank API: each endpoint allowed and denied (401/403/404), bad input with a code and nothing written."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanlian.ledger.models import Entry
from shanlian.ledger.selectors import balances_mismatched
from shanlian.timebank import services as ts
from shanlian.timebank.models import Attendance, HoursRecord, Redemption, Signup

from .conftest import running
from .test_selectors import approved

pytestmark = pytest.mark.django_db

API = "/api/timebank"


def post(client: Client, url: str, body=None, *, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(f"{API}{url}", json.dumps(body if body is not None else {}), content_type="application/json", **headers)


def get(client: Client, url: str, **params):
    return client.get(f"{API}{url}", params)


def as_user(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def code(resp) -> str:
    return resp.json()["code"]


def test_openapi_lists_the_time_bank_with_summaries_and_error_schemas(client, db):
    doc = client.get("/api/openapi.json").json()
    ours = {p: ops for p, ops in doc["paths"].items() if p.startswith(API)}
    # (the volunteer's own journey, timebank.api_volunteer, adds its paths: tests/timebank/test_api_volunteer.py)
    assert set(ours) >= {f"{API}/activities", f"{API}/shifts/{{shift_id}}/signup", f"{API}/checkin", f"{API}/checkout", f"{API}/me",
                         f"{API}/hours/{{record_id}}/approve", f"{API}/hours/{{record_id}}/decline", f"{API}/redemptions",
                         f"{API}/redemptions/{{redemption_id}}/fulfil", f"{API}/stations/{{station_id}}/leaderboard"}
    for path, ops in ours.items():
        for method, op in ops.items():
            assert op["summary"] and "401" in op["responses"], (method, path)
            for c in set(op["responses"]) - {"200", "201"}:
                assert op["responses"][c]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    params = {p["name"]: p for p in ours[f"{API}/redemptions"]["post"]["parameters"]}
    assert params["Idempotency-Key"]["in"] == "header"
    assert "resident" not in json.dumps(doc["components"]["schemas"]["ProfileOut"])


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/activities"), ("post", "/shifts/1/signup"), ("post", "/checkin"), ("post", "/checkout"), ("get", "/me"),
    ("post", "/hours/1/approve"), ("post", "/hours/1/decline"), ("post", "/redemptions"), ("post", "/redemptions/1/fulfil"),
    ("get", "/stations/1/leaderboard"),
])
def test_anonymous_gets_401(client, bank, method, url):
    resp = get(client, url) if method == "get" else post(client, url, {"token": "x", "reason": "x", "item": 1}, key="k")
    assert resp.status_code == 401 and code(resp) == "not_authenticated"


def test_activities_list_and_near(bank, city, login):
    resp = get(login("volunteer"), "/activities")
    assert resp.status_code == 200
    row = resp.json()["results"][0]
    assert row["title"] == "长者饭堂送餐" and row["category"] == "elderly" and [s["free"] for s in row["shifts"]] == [2, 1]
    assert get(login("volunteer"), "/activities", near="true").json()["count"] == 1
    assert get(login("station_worker"), "/activities").status_code == 200  # staff see what is on
    resp = get(login("station_worker"), "/activities", near="true")
    assert resp.status_code == 403 and code(resp) == "not_volunteer"
    assert get(login("volunteer"), "/activities", page=9).status_code == 400


def test_activities_queries_do_not_grow(bank, city, login):
    client = login("volunteer")

    def run() -> int:
        with CaptureQueriesContext(connection) as q:
            assert get(client, "/activities").status_code == 200
        return len(q)

    few = run()
    soon = timezone.now() + dt.timedelta(hours=5)
    for i in range(5):
        ts.activity_publish(actor=bank.organizer, station=city.stations["北京街"], title=f"活动{i}", category="culture",
                            division=city.communities["都府"], place="都府社区",
                            shifts=[(soon + dt.timedelta(days=i), soon + dt.timedelta(days=i, hours=1), 2)] * 3)
    assert run() == few


def test_signup_allowed_again_quiet_and_denied(bank, city, login):
    url = f"/shifts/{bank.later_shift.pk}/signup"
    resp = post(login("volunteer"), url)
    assert resp.status_code == 201 and resp.json()["status"] == "confirmed"
    assert post(login("volunteer"), url).status_code == 200
    resp = post(as_user(bank.mum_user), url)
    assert resp.status_code == 201 and resp.json()["status"] == "waitlisted"
    resp = post(login("station_worker"), url)
    assert resp.status_code == 403 and code(resp) == "not_volunteer"
    assert post(login("volunteer"), "/shifts/999999/signup").status_code == 404
    bank.activity.status = "cancelled"
    bank.activity.save(update_fields=["status"])
    assert post(login("volunteer"), f"/shifts/{bank.now_shift.pk}/signup").status_code == 404
    assert Signup.objects.count() == 2


def test_overlapping_signup_is_refused(bank, city, login):
    assert post(login("volunteer"), f"/shifts/{bank.now_shift.pk}/signup").status_code == 201
    start = bank.now_shift.starts_at + dt.timedelta(minutes=30)
    other = ts.activity_publish(actor=bank.organizer, station=city.stations["北京街"], title="社区义剪", category="elderly",
                                division=city.communities["都府"], place="都府社区活动室",
                                shifts=[(start, start + dt.timedelta(hours=1), 5)])
    resp = post(login("volunteer"), f"/shifts/{other.shifts.get().pk}/signup")
    assert resp.status_code == 400 and code(resp) == "shift_overlap" and Signup.objects.count() == 1


def test_check_in_and_out_through_the_api(bank, login):
    shift = running(bank.now_shift, started_minutes_ago=130, length_minutes=150)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=shift)
    client = login("volunteer")
    resp = post(client, "/checkin", {"token": ts.qr_token(shift=shift)})
    assert resp.status_code == 201 and resp.json()["checked_out_at"] is None
    Attendance.objects.update(checked_in_at=timezone.now() - dt.timedelta(minutes=120))
    resp = post(client, "/checkout", {"token": ts.qr_token(shift=shift)})
    body = resp.json()
    assert resp.status_code == 200 and body["checked_out_at"] and body["hours"]["hours"] == "2.0"
    assert body["hours"]["status"] == "pending" and body["hours"]["volunteer"]["number"] == bank.vol.number


def test_check_in_bad_tokens_and_check_out_first_write_nothing(bank, login):
    shift = running(bank.now_shift)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=shift)
    client = login("volunteer")
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 120):
        old = ts.qr_token(shift=shift)
    resp = post(client, "/checkin", {"token": old})
    assert resp.status_code == 400 and code(resp) == "qr_expired"
    good = ts.qr_token(shift=shift)
    for forged in (good[:-2] + "xx", "garbage", ""):
        resp = post(client, "/checkin", {"token": forged})
        assert resp.status_code == 400 and code(resp) == "qr_invalid"
    resp = post(client, "/checkout", {"token": good})
    assert resp.status_code == 400 and code(resp) == "not_checked_in"
    assert post(client, "/checkin", {}).status_code == 400  # no token at all
    assert not Attendance.objects.exists() and not HoursRecord.objects.exists()
    resp = post(login("station_worker"), "/checkin", {"token": good})
    assert resp.status_code == 403 and not Attendance.objects.exists()


def test_me_profile_masked_and_only_for_volunteers(bank, city, login, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (4, 10, 600, 1000, 1500)}
    approved(bank, city, bank.vol, "5")
    resp = get(login("volunteer"), "/me")
    body = resp.json()
    assert resp.status_code == 200
    assert body["volunteer"] == {"number": bank.vol.number, "name_masked": "志****"}
    assert (body["balance"], body["approved_hours"], body["stars"], body["next_star"], body["next_star_needs"]) == (
        "5.0", "5.0", 1, 2, "5.0")
    assert body["latest"][0]["hours"] == "5.0" and body["latest"][0]["status"] == "approved"
    person = bank.vol_user.person
    assert person.real_name not in resp.content.decode() and "resident" not in resp.content.decode()
    resp = get(login("station_worker"), "/me")
    assert resp.status_code == 403 and code(resp) == "not_volunteer"


def _pending(bank, shift=None):
    shift = running(shift or bank.now_shift, started_minutes_ago=130, length_minutes=150)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=shift)
    ts.check_in(actor=bank.vol_user, volunteer=bank.vol, token=ts.qr_token(shift=shift))
    Attendance.objects.filter(checked_out_at__isnull=True).update(checked_in_at=timezone.now() - dt.timedelta(minutes=120))
    _att, record = ts.check_out(actor=bank.vol_user, volunteer=bank.vol, token=ts.qr_token(shift=shift))
    return record


def test_hours_approve_allowed_and_denied(bank, city, login):
    record = _pending(bank)
    url = f"/hours/{record.pk}/approve"
    assert post(login("volunteer"), url).status_code == 403
    assert post(login("other_worker"), url).status_code == 404
    assert post(login("station_worker"), "/hours/999999/approve").status_code == 404
    assert not Entry.objects.filter(source="timebank.hours").exists()
    resp = post(login("station_worker"), url)
    assert resp.status_code == 200 and resp.json()["status"] == "approved" and resp.json()["hours"] == "2.0"
    bank.vol.account.refresh_from_db()
    assert bank.vol.account.balance == Decimal("2.00") and not balances_mismatched()


def test_late_entry_waits_for_the_agency_and_four_eyes(bank, city, login):
    start = timezone.now() - dt.timedelta(days=1, hours=12)
    act = ts.activity_publish(actor=bank.organizer, station=city.stations["北京街"], title="应急值守", category="emergency",
                              division=city.communities["盐运西"], place="应急站",
                              shifts=[(timezone.now() + dt.timedelta(hours=1), timezone.now() + dt.timedelta(hours=4), 3)])
    shift = act.shifts.get()
    type(shift).objects.filter(pk=shift.pk).update(starts_at=start, ends_at=start + dt.timedelta(hours=3))
    shift.refresh_from_db()
    record = ts.hours_late_entry(actor=bank.organizer, volunteer=bank.vol, shift=shift, hours="3", reason="补录：签到系统故障")
    url = f"/hours/{record.pk}/approve"
    resp = post(login("station_worker"), url)
    assert resp.status_code == 200 and resp.json()["status"] == "needs_agency" and resp.json()["late_entry"]
    assert post(login("station_worker"), url).json()["status"] == "needs_agency"  # the organizer again: quiet
    resp = post(login("agency_manager"), url)
    assert resp.status_code == 200 and resp.json()["status"] == "approved"
    # The agency manager who approved as organizer cannot also give the agency's approval.
    other = ts.hours_late_entry(actor=bank.organizer, volunteer=bank.mum, shift=shift, hours="2", reason="补录：签到系统故障")
    url = f"/hours/{other.pk}/approve"
    assert post(login("agency_manager"), url).json()["status"] == "needs_agency"
    resp = post(login("agency_manager"), url)
    assert resp.status_code == 400 and code(resp) == "four_eyes"
    assert HoursRecord.objects.get(pk=other.pk).entry is None


def test_hours_above_the_day_limit_are_refused_with_nothing_posted(bank, city, login):
    for hours in ("7", "4"):
        approved(bank, city, bank.vol, hours, days_ago=1)
    start = timezone.now() - dt.timedelta(days=1, hours=12)
    act = ts.activity_publish(actor=bank.organizer, station=city.stations["北京街"], title="夜间值守", category="emergency",
                              division=city.communities["盐运西"], place="应急站",
                              shifts=[(timezone.now() + dt.timedelta(hours=1), timezone.now() + dt.timedelta(hours=4), 3)])
    shift = act.shifts.get()
    type(shift).objects.filter(pk=shift.pk).update(starts_at=start + dt.timedelta(hours=1), ends_at=start + dt.timedelta(hours=4))
    shift.refresh_from_db()
    record = ts.hours_late_entry(actor=bank.organizer, volunteer=bank.vol, shift=shift, hours="1.5", reason="补录")
    entries = Entry.objects.count()
    resp = post(login("station_worker"), f"/hours/{record.pk}/approve")
    assert resp.status_code == 400 and code(resp) == "day_limit_exceeded" and Entry.objects.count() == entries


def test_hours_decline_needs_a_reason_and_keeps_the_record(bank, login):
    record = _pending(bank)
    url = f"/hours/{record.pk}/decline"
    resp = post(login("station_worker"), url, {"reason": "  "})
    assert resp.status_code == 400 and code(resp) == "reason_required"
    assert post(login("station_worker"), url, {}).status_code == 400
    assert post(login("volunteer"), url, {"reason": "x"}).status_code == 403
    assert post(login("other_worker"), url, {"reason": "x"}).status_code == 404
    assert HoursRecord.objects.get(pk=record.pk).status == "pending"
    resp = post(login("station_worker"), url, {"reason": "未在岗"})
    assert resp.status_code == 200 and resp.json()["status"] == "declined" and resp.json()["decline_reason"] == "未在岗"
    resp = post(login("station_worker"), f"/hours/{record.pk}/approve")
    assert resp.status_code == 409 and code(resp) == "hours_declined"


def test_approved_hours_cannot_be_declined(bank, login):
    record = _pending(bank)
    post(login("station_worker"), f"/hours/{record.pk}/approve")
    resp = post(login("station_worker"), f"/hours/{record.pk}/decline", {"reason": "写错了"})
    assert resp.status_code == 409 and code(resp) == "hours_approved"


def test_redemption_idempotent_and_its_refusals(bank, city, login, settings):
    station = city.stations["北京街"]
    item = ts.catalog_item_create(actor=bank.organizer, station=station, name="理发一次", price="2", stock=3, per_person_limit=2)
    pricey = ts.catalog_item_create(actor=bank.organizer, station=station, name="按摩", price="10", stock=5)
    approved(bank, city, bank.vol, "5")
    client = login("volunteer")
    body = {"item": item.pk, "quantity": 1}
    entries = Entry.objects.count()
    resp = post(client, "/redemptions", body)
    assert resp.status_code == 400 and code(resp) == "idempotency_key_required"
    resp = post(client, "/redemptions", body, key="k1")
    assert resp.status_code == 400 and code(resp) == "star_required"
    assert Entry.objects.count() == entries and not Redemption.objects.exists()
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (4, 300, 600, 1000, 1500)}
    resp = post(client, "/redemptions", {"item": pricey.pk, "quantity": 1}, key="k0")
    assert resp.status_code == 400 and code(resp) == "insufficient_balance"
    assert Entry.objects.count() == entries and not Redemption.objects.exists()
    resp = post(client, "/redemptions", {"item": 999999, "quantity": 1}, key="k0")
    assert resp.status_code == 400 and code(resp) == "unknown_item"
    resp = post(client, "/redemptions", body, key="k1")
    assert resp.status_code == 201 and resp.json()["credits"] == "2.0" and resp.json()["balance"] == "3.0"
    again = post(client, "/redemptions", body, key="k1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and again.json()["id"] == resp.json()["id"]
    resp = post(client, "/redemptions", {"item": item.pk, "quantity": 2}, key="k1")
    assert resp.status_code == 409 and code(resp) == "idempotency_mismatch"
    assert Redemption.objects.count() == 1
    bank.vol.account.refresh_from_db()
    assert bank.vol.account.balance == Decimal("3.00") and not balances_mismatched()
    resp = post(login("station_worker"), "/redemptions", body, key="k9")
    assert resp.status_code == 403 and code(resp) == "not_volunteer"


def test_leaderboard_masked_and_scoped(bank, city, login):
    approved(bank, city, bank.vol, "3")
    approved(bank, city, bank.mum, "5")
    station = city.stations["北京街"]
    url = f"/stations/{station.pk}/leaderboard"
    resp = get(login("station_worker"), url)
    rows = resp.json()["results"]
    assert resp.status_code == 200 and [r["volunteer"]["number"] for r in rows] == [bank.mum.number, bank.vol.number]
    assert rows[0] == {"rank": 1, "volunteer": {"number": bank.mum.number, "name_masked": "何*"}, "approved_hours": "5.0", "stars": 0}
    assert "何母" not in resp.content.decode()
    assert get(login("agency_manager"), url).status_code == 200
    assert len(get(login("station_worker"), url, limit=1).json()["results"]) == 1
    resp = get(login("station_worker"), url, limit=0)
    assert resp.status_code == 400 and code(resp) == "invalid_limit"
    assert get(login("volunteer"), url).status_code == 403
    assert get(login("other_worker"), url).status_code == 404
    assert get(login("station_worker"), "/stations/999999/leaderboard").status_code == 404
