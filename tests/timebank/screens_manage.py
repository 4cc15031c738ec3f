"""Screenshots of the organizer's and station's time-bank pages at 1280 and 390 px into /tmp/shots/manage/
(run explicitly: `pytest tests/timebank/screens_manage.py -m browser`; not collected by default)."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from shanlian.timebank import services as ts
from shanlian.timebank.models import Attendance, HoursRecord, Shift
from tests.browser.conftest import browser, page  # noqa: F401 (fixtures)

from .. import factories as f

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/manage")


@pytest.fixture
def bank_live(transactional_db, bank):
    return bank


def _past(shift, start):
    Shift.objects.filter(pk=shift.pk).update(starts_at=start, ends_at=start + dt.timedelta(hours=4))
    shift.refresh_from_db()
    return shift


def test_screens(page, live_server, bank_live, city):  # noqa: F811 (the page fixture)
    bank = bank_live
    station = city.stations["北京街"]
    worker, agency = city.users["station_worker"], city.users["agency_manager"]
    names = ["陈美玲", "黄志强", "林晓燕", "吴国华", "郑丽娟", "刘建明", "梁淑仪", "何家豪"]
    vols = [bank.vol, bank.mum]
    for n, name in enumerate(names):
        p = f.person(name, city.communities["盐运西" if n % 2 else "都府"], phone=f"1392000{n:04d}")
        vols.append(ts.volunteer_register(actor=worker, person=p, station=station, party_member=n % 3 == 0, party_consent=n % 3 == 0))
    now = timezone.now()
    cats = ["elderly", "disability", "culture", "environment", "hardship"]
    soon = now + dt.timedelta(days=1)
    for m in range(1, 11):
        act = ts.activity_publish(actor=worker, station=station, title=f"{m}月长者探访", category=cats[m % len(cats)],
                                  division=city.communities["盐运西"], place="盐运西社区",
                                  shifts=[(soon, soon + dt.timedelta(hours=4), 10)])
        shift = _past(act.shifts.get(), timezone.make_aware(dt.datetime(now.year, m, 12, 9)))
        for k, vol in enumerate(vols[: 3 + m % 6]):
            r = ts.hours_late_entry(actor=worker, volunteer=vol, shift=shift, hours=str(1 + (k + m) % 4), reason="纸质签到表")
            ts.hours_agency_approve(actor=agency, record=ts.hours_approve(actor=worker, record=r))
    # Pending hours: a normal one, a long day (agency), one waiting for the agency.
    act = ts.activity_publish(actor=worker, station=station, title="社区垃圾分类督导", category="environment",
                              division=city.communities["都府"], place="都府社区垃圾投放点",
                              shifts=[(soon, soon + dt.timedelta(hours=10), 5),
                                      (soon + dt.timedelta(hours=11), soon + dt.timedelta(hours=12), 5)])
    s1, s2 = act.shifts.order_by("starts_at")
    yesterday = now - dt.timedelta(days=1)
    _past(s1, yesterday.replace(hour=0, minute=30))
    Shift.objects.filter(pk=s1.pk).update(ends_at=s1.starts_at + dt.timedelta(hours=10))
    _past(s2, yesterday.replace(hour=11, minute=0))
    day = timezone.localdate(yesterday)
    HoursRecord.objects.create(volunteer=vols[2], shift=s1, day=day, hours="3.5", recorded_by=worker)
    HoursRecord.objects.create(volunteer=vols[3], shift=s1, day=day, hours="9", recorded_by=worker)
    HoursRecord.objects.create(volunteer=vols[4], shift=s1, day=day, hours="6", recorded_by=worker)
    waiting = ts.hours_late_entry(actor=worker, volunteer=vols[5], shift=s2, hours="1", reason="签退时手机没电")
    ts.hours_approve(actor=worker, record=waiting)
    # Sign-ups and a wait list, a check-in on the shift under way.
    from .conftest import running

    running(bank.now_shift)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=bank.now_shift)
    ts.signup_create(actor=bank.mum_user, volunteer=bank.mum, shift=bank.now_shift)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=bank.later_shift)
    ts.signup_create(actor=bank.mum_user, volunteer=bank.mum, shift=bank.later_shift)
    ts.check_in(actor=bank.vol_user, volunteer=bank.vol, token=ts.qr_token(shift=bank.now_shift))
    Attendance.objects.update(checked_in_at=now - dt.timedelta(minutes=40))

    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    pages = {
        "activities": "/timebank/manage/",
        "activity": f"/timebank/manage/activities/{bank.activity.pk}/",
        "publish": "/timebank/manage/activities/new/",
        "qr": f"/timebank/manage/shifts/{bank.now_shift.pk}/qr/",
        "hours": "/timebank/manage/hours/",
        "late": f"/timebank/manage/hours/late/?shift={s2.pk}",
        "station": f"/timebank/manage/stations/{station.pk}/",
        "stations": "/timebank/manage/stations/",
    }

    def login(username):
        page.context.clear_cookies()
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", f.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")

    login("station_worker")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        for name, url in pages.items():
            page.goto(base + url)
            page.wait_for_timeout(500)
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    # A refused publish shows its codes; a bulk approval shows what happened per row.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + pages["publish"])
    page.fill("#id_title", "周末长者理发")
    page.select_option("#id_category", "elderly")
    page.select_option("#id_division", str(city.communities["都府"].pk))
    page.fill("#id_place", "都府社区")
    start = timezone.localtime(now + dt.timedelta(days=2))
    page.fill("#id_shifts-0-starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_shifts-0-ends_at", (start - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_shifts-0-headcount", "0")
    page.click("[data-testid=submit-activity]")
    page.wait_for_timeout(400)
    page.screenshot(path=str(SHOTS / "publish-error-1280.png"), full_page=True)
    page.goto(base + pages["hours"])
    page.check("#select-all")
    page.click("[data-testid=approve]")
    page.wait_for_timeout(400)
    page.screenshot(path=str(SHOTS / "hours-results-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "hours-results-390.png"), full_page=True)
    login("agency_manager")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + pages["hours"])
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "hours-agency-1280.png"), full_page=True)
    login("street_officer")
    page.goto(base + pages["station"])
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "station-street-officer-1280.png"), full_page=True)
