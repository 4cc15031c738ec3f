"""Each time-bank rule, with its refusals: nothing is posted when a rule says no."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.core.money import Hours
from shanlian.ledger.models import Entry
from shanlian.ledger.selectors import balances_mismatched
from shanlian.timebank import services as ts
from shanlian.timebank.models import Attendance, HoursRecord, HoursStatus, Notification, QuizQuestion, Signup
from shanlian.timebank.services.accounts import community_pool

from .conftest import running


def balance(vol) -> Decimal:
    vol.account.refresh_from_db()
    return vol.account.balance


def attend(bank, shift, vol, user, *, minutes: int):
    """Check in through the QR code, pretend the check-in was `minutes` ago, check out."""
    ts.signup_create(actor=user, volunteer=vol, shift=shift)
    att = ts.check_in(actor=user, volunteer=vol, token=ts.qr_token(shift=shift))
    Attendance.objects.filter(pk=att.pk).update(checked_in_at=timezone.now() - dt.timedelta(minutes=minutes))
    return ts.check_out(actor=user, volunteer=vol, token=ts.qr_token(shift=shift))


def test_register_once_and_party_membership_only_with_consent(bank, city):
    assert bank.vol.number.startswith("ZY") and "440" not in bank.vol.number
    with pytest.raises(Conflict):
        ts.volunteer_register(actor=bank.vol_user, person=bank.vol_user.person, station=city.stations["北京街"])
    p = city.people["李伟"]
    with pytest.raises(ValidationFailed) as err:
        ts.volunteer_register(actor=city.users["station_worker"], person=p, station=city.stations["北京街"], party_member=True)
    assert err.value.code == "consent_required"
    with pytest.raises(PermissionDenied):
        ts.volunteer_register(actor=city.users["other_worker"], person=p, station=city.stations["北京街"])
    v = ts.volunteer_register(actor=city.users["station_worker"], person=p, station=city.stations["北京街"], party_member=True,
                              party_consent=True)
    assert v.party_consent_at is not None


def test_quiz_random_paper_pass_mark_and_limited_retakes(bank):
    attempt = ts.quiz_start(actor=bank.vol_user, volunteer=bank.vol)
    assert len(attempt.question_ids) == 10 and ts.quiz_start(actor=bank.vol_user, volunteer=bank.vol).pk == attempt.pk
    answers = {str(q.pk): 1 - q.answer for q in QuizQuestion.objects.filter(pk__in=attempt.question_ids)}
    assert not ts.quiz_submit(actor=bank.vol_user, attempt=attempt, answers=answers).passed
    for _ in range(2):
        a = ts.quiz_start(actor=bank.vol_user, volunteer=bank.vol)
        ts.quiz_submit(actor=bank.vol_user, attempt=a, answers={str(q): 0 for q in a.question_ids})
    with pytest.raises(ValidationFailed) as err:
        ts.quiz_start(actor=bank.vol_user, volunteer=bank.vol)
    assert err.value.code == "quiz_attempts_exhausted"
    a = ts.quiz_start(actor=bank.mum_user, volunteer=bank.mum)
    right = {str(q.pk): q.answer for q in QuizQuestion.objects.filter(pk__in=a.question_ids)}
    done = ts.quiz_submit(actor=bank.mum_user, attempt=a, answers=right)
    assert done.passed and done.score == 100 and done.certificate_code and ts.is_certified(bank.mum)


def test_wait_list_and_promotion_with_a_notice(bank, city):
    s = bank.later_shift  # headcount 1
    assert ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=s).status == "confirmed"
    waiting = ts.signup_create(actor=bank.mum_user, volunteer=bank.mum, shift=s)
    assert waiting.status == "waitlisted"
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        ts.signup_cancel(actor=bank.vol_user, signup=Signup.objects.get(shift=s, volunteer=bank.vol))
    assert Signup.objects.get(pk=waiting.pk).status == "confirmed"
    assert Notification.objects.filter(user=bank.mum_user).exists()


def test_overlapping_shifts_and_quiz_required_are_refused(bank, city):
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=bank.now_shift)
    start = bank.now_shift.starts_at + dt.timedelta(minutes=30)
    other = ts.activity_publish(actor=bank.organizer, station=city.stations["北京街"], title="社区义剪", category="elderly",
                                division=city.communities["都府"], place="都府社区活动室",
                                shifts=[(start, start + dt.timedelta(hours=1), 5)],
                                quiz_required=True)
    with pytest.raises(ValidationFailed) as err:
        ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=other.shifts.get())
    assert err.value.code == "quiz_required"
    other.quiz_required = False
    other.save(update_fields=["quiz_required"])
    with pytest.raises(ValidationFailed) as err:
        ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=other.shifts.get())
    assert err.value.code == "shift_overlap"


def test_qr_codes_expire_and_cannot_be_forged(bank):
    shift = running(bank.now_shift)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=shift)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 120):
        old = ts.qr_token(shift=shift)
    with pytest.raises(ValidationFailed) as err:
        ts.check_in(actor=bank.vol_user, volunteer=bank.vol, token=old)
    assert err.value.code == "qr_expired"
    good = ts.qr_token(shift=shift)
    for forged in (good[:-2] + "xx", f"{bank.later_shift.pk}:{good.partition(':')[2]}", "garbage", ""):
        with pytest.raises(ValidationFailed) as err:
            ts.check_in(actor=bank.vol_user, volunteer=bank.vol, token=forged)
        assert err.value.code == "qr_invalid"
    assert not Attendance.objects.exists()


def test_check_out_before_check_in_and_three_check_ins_a_day(bank):
    shift = running(bank.now_shift)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=shift)
    token = ts.qr_token(shift=shift)
    with pytest.raises(ValidationFailed) as err:
        ts.check_out(actor=bank.vol_user, volunteer=bank.vol, token=token)
    assert err.value.code == "not_checked_in"
    for _ in range(3):
        ts.check_in(actor=bank.vol_user, volunteer=bank.vol, token=token)
        ts.check_out(actor=bank.vol_user, volunteer=bank.vol, token=token)
    with pytest.raises(ValidationFailed) as err:
        ts.check_in(actor=bank.vol_user, volunteer=bank.vol, token=token)
    assert err.value.code == "too_many_checkins"


def test_hours_round_down_and_need_sixty_percent(bank):
    shift = running(bank.now_shift, started_minutes_ago=100, length_minutes=120)
    _att, record = attend(bank, shift, bank.vol, bank.vol_user, minutes=95)  # 95 of 120 min = 79%: 1.5 h
    assert record is not None and record.hours == Hours("1.5") and record.recorded_by == bank.vol_user
    short = running(bank.later_shift, started_minutes_ago=100, length_minutes=120)
    Signup.objects.filter(shift=short).delete()
    _att, none = attend(bank, short, bank.mum, bank.mum_user, minutes=70)  # 58%: nothing
    assert none is None
    assert ts.covered_hours(shift=shift, spans=[(shift.starts_at, shift.ends_at)])[0] == Hours(2)


def test_organizer_approval_posts_credits_and_star_progress(bank, city):
    shift = running(bank.now_shift, started_minutes_ago=120, length_minutes=150)
    _att, record = attend(bank, shift, bank.vol, bank.vol_user, minutes=120)
    with pytest.raises(PermissionDenied):
        ts.hours_approve(actor=city.users["other_worker"], record=record)
    r = ts.hours_approve(actor=bank.organizer, record=record)
    assert r.status == HoursStatus.APPROVED and r.approved_by == bank.organizer and r.recorded_by == bank.vol_user
    assert balance(bank.vol) == Decimal("2.00")
    bank.vol.refresh_from_db()
    assert ts.star_level(bank.vol.approved_hours) == 0 and ts.next_star(bank.vol.approved_hours) == (1, Decimal("98.0"))
    assert ts.hours_approve(actor=bank.organizer, record=r).entry == r.entry  # again: quiet
    assert not balances_mismatched()


def test_declined_hours_stay_with_the_reason(bank):
    shift = running(bank.now_shift, started_minutes_ago=120, length_minutes=150)
    _att, record = attend(bank, shift, bank.vol, bank.vol_user, minutes=120)
    with pytest.raises(ValidationFailed):
        ts.hours_decline(actor=bank.organizer, record=record, reason="")
    r = ts.hours_decline(actor=bank.organizer, record=record, reason="未在岗")
    assert r.status == HoursStatus.DECLINED and HoursRecord.objects.filter(pk=r.pk).exists()
    assert balance(bank.vol) == 0


def _late(bank, city, hours: str, day_offset: int = 1):
    start = timezone.now() - dt.timedelta(days=day_offset, hours=12)
    act = ts.activity_publish(actor=bank.organizer, station=city.stations["北京街"], title="应急值守", category="emergency",
                              division=city.communities["盐运西"], place="北京街道应急站",
                              shifts=[(timezone.now() + dt.timedelta(hours=1), timezone.now() + dt.timedelta(hours=11), 3)])
    shift = act.shifts.get()
    from shanlian.timebank.models import Shift

    Shift.objects.filter(pk=shift.pk).update(starts_at=start, ends_at=start + dt.timedelta(hours=10))
    shift.refresh_from_db()
    return ts.hours_late_entry(actor=bank.organizer, volunteer=bank.vol, shift=shift, hours=hours, reason="系统故障未签到，现场签到表为证")


def test_late_entry_needs_a_reason_and_the_agency(bank, city):
    record = _late(bank, city, "3")
    assert record.late_entry and record.recorded_by == bank.organizer
    r = ts.hours_approve(actor=bank.organizer, record=record)
    assert r.status == HoursStatus.NEEDS_AGENCY and balance(bank.vol) == 0
    with pytest.raises(PermissionDenied):
        ts.hours_agency_approve(actor=bank.organizer, record=r)
    r = ts.hours_agency_approve(actor=bank.agency, record=r)
    assert r.status == HoursStatus.APPROVED and r.agency_approved_by == bank.agency and balance(bank.vol) == Decimal("3.00")


def test_daily_limits_eight_twelve(bank, city):
    a = _late(bank, city, "7")
    ts.hours_agency_approve(actor=bank.agency, record=ts.hours_approve(actor=bank.organizer, record=a))
    b = _late(bank, city, "4")  # same day: 11 h > 8 needs the agency, fine under 12
    assert ts.hours_approve(actor=bank.organizer, record=b).status == HoursStatus.NEEDS_AGENCY
    ts.hours_agency_approve(actor=bank.agency, record=b)
    c = _late(bank, city, "1.5")  # 12.5 h: refused
    entries = Entry.objects.count()
    with pytest.raises(ValidationFailed) as err:
        ts.hours_approve(actor=bank.organizer, record=c)
    assert err.value.code == "day_limit_exceeded" and Entry.objects.count() == entries


def test_balance_cap_overflows_to_the_pool(bank, city, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_BALANCE_CAP": 5}
    for days in (1, 2):
        r = _late(bank, city, "3", day_offset=days)
        ts.hours_agency_approve(actor=bank.agency, record=ts.hours_approve(actor=bank.organizer, record=r))
    assert balance(bank.vol) == Decimal("5.00")
    assert community_pool().balance == Decimal("1.00")
    bank.vol.refresh_from_db()
    assert bank.vol.approved_hours == Hours(6)


def test_give_to_family_or_pool_never_negative(bank, city):
    r = _late(bank, city, "4")
    ts.hours_agency_approve(actor=bank.agency, record=ts.hours_approve(actor=bank.organizer, record=r))
    with pytest.raises(ValidationFailed) as err:
        ts.credits_give(actor=bank.vol_user, volunteer=bank.vol, to=bank.mum, amount="1")
    assert err.value.code == "not_family"
    ts.family_link(actor=bank.vol_user, volunteer=bank.vol, member=bank.mum, relation="parent")
    ts.credits_give(actor=bank.vol_user, volunteer=bank.vol, to=bank.mum, amount="1.5")
    ts.credits_give(actor=bank.vol_user, volunteer=bank.vol, to=None, amount="0.5")
    assert (balance(bank.vol), balance(bank.mum)) == (Decimal("2.00"), Decimal("1.50"))
    with pytest.raises(ValidationFailed) as err:
        ts.credits_give(actor=bank.vol_user, volunteer=bank.vol, to=None, amount="2.5")
    assert err.value.code == "insufficient_balance"
    with pytest.raises(ValidationFailed):
        ts.credits_give(actor=bank.vol_user, volunteer=bank.vol, to=None, amount="0.3")
    with pytest.raises(PermissionDenied):
        ts.credits_give(actor=bank.mum_user, volunteer=bank.vol, to=None, amount="1")


def test_redemption_rules(bank, city, settings):
    item = ts.catalog_item_create(actor=bank.organizer, station=city.stations["北京街"], name="理发一次", price="2", stock=1,
                                  per_person_limit=1, merchant="北京路阿强理发店")
    r = _late(bank, city, "5")
    ts.hours_agency_approve(actor=bank.agency, record=ts.hours_approve(actor=bank.organizer, record=r))
    with pytest.raises(ValidationFailed) as err:
        ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=item)
    assert err.value.code == "star_required"
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (4, 300, 600, 1000, 1500)}
    red = ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=item, idempotency_key="k1")
    assert ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=item, idempotency_key="k1").pk == red.pk
    assert balance(bank.vol) == Decimal("3.00")
    with pytest.raises(ValidationFailed) as err:
        ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=item, idempotency_key="k2")
    assert err.value.code == "out_of_stock"
    ts.redemption_cancel(actor=bank.vol_user, redemption=red)
    item.refresh_from_db()
    assert item.stock == 1 and balance(bank.vol) == Decimal("5.00")
    red2 = ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=item, idempotency_key="k3")
    assert len(red2.pickup_code) == 6 and red2.pickup_code.isdigit()
    with pytest.raises(ValidationFailed) as err:  # the station checks the code on the volunteer's phone
        ts.redemption_fulfil(actor=bank.organizer, redemption=red2, pickup_code="000000" if red2.pickup_code != "000000" else "1")
    assert err.value.code == "pickup_code_wrong"
    assert ts.redemption_fulfil(actor=bank.organizer, redemption=red2, pickup_code=red2.pickup_code).status == "fulfilled"
    with pytest.raises(Conflict):
        ts.redemption_cancel(actor=bank.vol_user, redemption=red2)
    pricey = ts.catalog_item_create(actor=bank.organizer, station=city.stations["北京街"], name="按摩", price="10", stock=5)
    with pytest.raises(ValidationFailed) as err:
        ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=pricey)
    assert err.value.code == "insufficient_balance"
    assert not balances_mismatched()
