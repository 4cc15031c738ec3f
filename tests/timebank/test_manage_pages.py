"""The organizer's and the station's time-bank pages: each page for the roles it is for and against those
it is not (anonymous → login, a volunteer → 403, another station's worker → 404), every POST with good and
bad input (a refused POST writes nothing), the 8/12-hour approval rules through the bulk form, the
attendance sheet, the rotating QR code, and list pages whose query count does not grow with their rows."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shanlian.core.models import AuditLog
from shanlian.timebank import services as ts
from shanlian.timebank.models import Activity, HoursRecord, HoursStatus, Shift

from .. import factories as f
from .conftest import running


def url(name: str, *args) -> str:
    return reverse(f"timebank:{name}", args=args)


def codes(response) -> set[str]:
    return set(re.findall(r'data-error-code="([a-z_]+)"', response.text))


def queries(client, target: str) -> int:
    client.get(target)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target)
    assert response.status_code == 200, target
    return len(ctx.captured_queries)


def balance(vol) -> Decimal:
    vol.account.refresh_from_db()
    return vol.account.balance


def publish(bank, city, *, station="北京街", n_shifts=1, title="社区义剪", by=None) -> Activity:
    soon = timezone.now() + dt.timedelta(days=2)
    actor = by or (bank.organizer if station == "北京街" else city.users["other_worker"])
    community = city.communities["盐运西"] if station == "北京街" else city.communities["东兴"]
    return ts.activity_publish(actor=actor, station=city.stations[station], title=title, category="elderly",
                               division=community, place="活动室",
                               shifts=[(soon + dt.timedelta(hours=3 * i), soon + dt.timedelta(hours=3 * i + 2), 3)
                                       for i in range(n_shifts)])


def past(shift: Shift, *, hours: int = 10, days_ago: int = 1) -> Shift:
    """Move a shift into the past (test setup only: publishing refuses the past)."""
    start = timezone.now() - dt.timedelta(days=days_ago, hours=hours + 1)
    Shift.objects.filter(pk=shift.pk).update(starts_at=start, ends_at=start + dt.timedelta(hours=hours))
    shift.refresh_from_db()
    return shift


def pending(vol, shift: Shift, hours: str, *, day: dt.date, by) -> HoursRecord:
    """A pending record as a check-out makes it (test setup: the check-in flow has its own tests)."""
    return HoursRecord.objects.create(volunteer=vol, shift=shift, day=day, hours=hours, recorded_by=by)


def shifts_of(bank, city, n: int) -> list[Shift]:
    return [past(s) for s in publish(bank, city, n_shifts=n, title="应急值守").shifts.order_by("starts_at")]


def volunteer(city, name: str, n: int, station="北京街"):
    mine = station == "北京街"
    p = f.person(name, city.communities["盐运西" if mine else "东兴"], phone=f"1381234{n:04d}")
    return ts.volunteer_register(actor=city.users["station_worker" if mine else "other_worker"], person=p,
                                 station=city.stations[station])


# --- who may open what ------------------------------------------------------------------------------


def _urls(bank) -> dict[str, str]:
    station = bank.activity.station_id
    return {
        "activities": url("manage_activities"), "create": url("manage_activity_create"),
        "activity": url("manage_activity", bank.activity.pk), "xlsx": url("manage_attendance_xlsx", bank.activity.pk),
        "qr": url("manage_shift_qr", bank.now_shift.pk), "qr_live": url("manage_shift_qr_live", bank.now_shift.pk),
        "hours": url("manage_hours"), "late": url("manage_late_entry"), "stations": url("manage_stations"),
        "station": url("manage_station", station),
    }


def test_anonymous_is_sent_to_login(client, bank):
    for name, target in _urls(bank).items():
        response = client.get(target)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


@pytest.mark.parametrize("who", ["volunteer", "donor", "nobody", "finance"])
def test_roles_without_station_work_get_403(login, bank, who):
    client = login(who)
    for name, target in _urls(bank).items():
        response = client.get(target)
        assert response.status_code == 403, (who, name)
        assert 'data-error-code=' in response.text


def test_the_stations_worker_and_agency_manager_open_every_page(login, bank):
    for who in ("station_worker", "agency_manager"):
        client = login(who)
        for name, target in _urls(bank).items():
            assert client.get(target).status_code == 200, (who, name)


def test_another_stations_worker_gets_404_and_it_is_logged(login, bank):
    urls = _urls(bank)
    client = login("other_worker")
    targets = [urls["activity"], urls["xlsx"], urls["qr"], urls["qr_live"], urls["station"],
               urls["activities"] + f"?station={bank.activity.station_id}", urls["hours"] + f"?station={bank.activity.station_id}",
               urls["late"] + f"?shift={bank.now_shift.pk}", urls["create"] + f"?station={bank.activity.station_id}"]
    for target in targets:
        before = AuditLog.objects.filter(action="access.denied").count()
        response = client.get(target)
        assert response.status_code == 404, target
        assert "长者饭堂送餐" not in response.text
        assert AuditLog.objects.filter(action="access.denied").count() == before + 1, target
    # Lists are open to them, and hold nothing of 北京街.
    for name in ("activities", "hours"):
        response = client.get(urls[name])
        assert response.status_code == 200 and 'data-testid="empty"' in response.text, name
    assert "北京街" not in client.get(urls["stations"]).text


def test_area_officers_read_station_figures_only(login, bank, city):
    urls = _urls(bank)
    for who in ("street_officer", "district_admin", "city_admin"):
        client = login(who)
        page = client.get(urls["station"])
        assert page.status_code == 200, who
        assert 'data-testid="pending-hours"' not in page.text  # read-only: no organizer actions
        for name in ("activities", "create", "activity", "xlsx", "qr", "qr_live", "hours", "late"):
            assert client.get(urls[name]).status_code == 403, (who, name)
    # A street officer sees their own street's station, not another district's.
    other = url("manage_station", city.stations["石牌街"].pk)
    assert login("street_officer").get(other).status_code == 404
    assert login("district_admin").get(other).status_code == 404
    assert login("city_admin").get(other).status_code == 200
    assert login("district_admin").get(url("manage_station", city.stations["人民街"].pk)).status_code == 200


# --- activities ---------------------------------------------------------------------------------------


def test_activity_list_is_scoped_and_its_query_count_does_not_grow(login, bank, city):
    publish(bank, city, station="石牌街", title="石牌街的活动")
    client = login("station_worker")
    page = client.get(url("manage_activities"))
    assert page.text.count('data-testid="activity-row"') == 1 and "石牌街的活动" not in page.text
    few = queries(client, url("manage_activities"))
    for i in range(8):
        publish(bank, city, n_shifts=2, title=f"活动{i}")
    assert queries(client, url("manage_activities")) == few
    assert client.get(url("manage_activities")).text.count('data-testid="activity-row"') == 9


def shift_data(rows) -> dict:
    data = {"shifts-TOTAL_FORMS": str(len(rows)), "shifts-INITIAL_FORMS": "0", "shifts-MIN_NUM_FORMS": "0",
            "shifts-MAX_NUM_FORMS": "30"}
    for n, (start, end, headcount) in enumerate(rows):
        data[f"shifts-{n}-starts_at"] = start
        data[f"shifts-{n}-ends_at"] = end
        data[f"shifts-{n}-headcount"] = headcount
    return data


def when(delta: dt.timedelta) -> str:
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


def activity_data(city, shifts=None, **kw) -> dict:
    day = dt.timedelta(days=3)
    data = {"station": city.stations["北京街"].pk, "title": "长者理发", "category": "elderly",
            "division": city.communities["都府"].pk, "place": "都府社区党群服务中心", "description": "为长者义剪",
            "skills": ["haircut", "events"], "quiz_required": "on", "token": str(uuid.uuid4())}
    data.update(shift_data(shifts if shifts is not None else [(when(day), when(day + dt.timedelta(hours=2)), "4"),
                                                              (when(day + dt.timedelta(hours=3)), when(day + dt.timedelta(hours=5)), "2"),
                                                              ("", "", "")]))
    data.update(kw)
    return data


def test_publish_an_activity_with_shifts(login, bank, city):
    client = login("station_worker")
    assert client.get(url("manage_activity_create")).status_code == 200
    response = client.post(url("manage_activity_create"), activity_data(city))
    assert response.status_code == 302
    activity = Activity.objects.get(title="长者理发")
    assert response["Location"] == url("manage_activity", activity.pk)
    assert activity.skills == ["events", "haircut"] and activity.quiz_required and activity.division == city.communities["都府"]
    assert [s.headcount for s in activity.shifts.order_by("starts_at")] == [4, 2]
    assert activity.created_by == city.users["station_worker"]


def test_the_same_form_sent_twice_publishes_once(login, bank, city):
    client = login("station_worker")
    data = activity_data(city)
    first = client.post(url("manage_activity_create"), data)
    again = client.post(url("manage_activity_create"), data)
    activity = Activity.objects.get(title="长者理发")
    assert first["Location"] == again["Location"] == url("manage_activity", activity.pk)
    assert Activity.objects.filter(title="长者理发").count() == 1 and activity.shifts.count() == 2
    client.post(url("manage_activity_create"), activity_data(city))  # a new form: a second activity
    assert Activity.objects.filter(title="长者理发").count() == 2


@pytest.mark.parametrize(("shifts", "code"), [
    ([(when(dt.timedelta(days=3)), when(dt.timedelta(days=3, hours=-1)), "3")], "invalid_period"),
    ([(when(dt.timedelta(days=3)), when(dt.timedelta(days=3, hours=2)), "0")], "invalid_headcount"),
    ([(when(dt.timedelta(days=3)), when(dt.timedelta(days=3, hours=13)), "3")], "shift_too_long"),
    ([(when(dt.timedelta(days=-1)), when(dt.timedelta(days=-1, hours=2)), "3")], "shift_in_past"),
    ([(when(dt.timedelta(days=3)), "", "3")], "shift_incomplete"),
    ([("", "", "")], "shifts_required"),
])
def test_bad_shifts_show_the_code_and_write_nothing(login, bank, city, shifts, code):
    before = (Activity.objects.count(), Shift.objects.count())
    response = login("station_worker").post(url("manage_activity_create"), activity_data(city, shifts))
    assert response.status_code == 400
    assert code in codes(response)
    assert (Activity.objects.count(), Shift.objects.count()) == before


def test_publish_errors_are_bilingual_and_other_stations_are_refused(login, bank, city):
    client = login("station_worker")
    response = client.post(url("manage_activity_create"), activity_data(city, title="  "))
    assert response.status_code == 400 and "required" in codes(response)
    bad = [(when(dt.timedelta(days=3)), when(dt.timedelta(days=3, hours=-1)), "3")]
    response = client.post(url("manage_activity_create"), activity_data(city, bad))
    assert "班次结束时间须晚于开始时间。" in response.text and "A shift ends after it starts" not in response.text
    # Another station or a community outside the station's street are not choices.
    response = client.post(url("manage_activity_create"), activity_data(city, station=city.stations["石牌街"].pk))
    assert response.status_code == 400 and "invalid_choice" in codes(response)
    response = client.post(url("manage_activity_create"), activity_data(city, division=city.communities["东兴"].pk))
    assert response.status_code == 400 and "invalid_choice" in codes(response)
    assert not Activity.objects.filter(title="长者理发").exists()


def test_posts_need_the_csrf_token(bank, city):
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.users["station_worker"])
    assert client.post(url("manage_activity_create"), activity_data(city)).status_code == 403
    assert client.post(url("manage_hours"), {"action": "approve", "record": ["1"]}).status_code == 403
    assert not Activity.objects.filter(title="长者理发").exists()


def test_activity_page_shows_shifts_signups_and_the_wait_list(login, bank):
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=bank.later_shift)  # headcount 1
    ts.signup_create(actor=bank.mum_user, volunteer=bank.mum, shift=bank.later_shift)
    page = login("station_worker").get(url("manage_activity", bank.activity.pk))
    assert page.text.count('data-testid="shift"') == 2
    assert page.text.count('data-testid="signup"') == 1 and page.text.count('data-testid="waitlisted"') == 1
    assert bank.vol.number in page.text and bank.mum.number in page.text
    assert bank.mum_user.person.real_name in page.text  # the station's own staff read full names
    assert url("manage_shift_qr", bank.now_shift.pk) in page.text


def test_activity_page_query_count_does_not_grow_with_signups(login, bank, city):
    client = login("station_worker")
    target = url("manage_activity", bank.activity.pk)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=bank.now_shift)
    few = queries(client, target)
    for n in range(6):
        v = volunteer(city, f"志愿者{n}", n)
        user = f.user_with_role(f"v{n}", "", None)
        v.person.user = user
        v.person.save(update_fields=["user"])
        ts.signup_create(actor=user, volunteer=v, shift=bank.now_shift if n < 2 else bank.later_shift)
    assert queries(client, target) == few


# --- the QR code --------------------------------------------------------------------------------------


def test_qr_fragment_gives_a_code_the_check_in_accepts(login, bank):
    client = login("station_worker")
    page = client.get(url("manage_shift_qr", bank.now_shift.pk))
    assert 'hx-trigger="every 30s"' in page.text and url("manage_shift_qr_live", bank.now_shift.pk) in page.text
    assert "<svg" in page.text and "htmx.min.js" in page.text
    live = client.get(url("manage_shift_qr_live", bank.now_shift.pk))
    assert live.status_code == 200 and "<svg" in live.text and "<html" not in live.text
    token = re.search(r'data-token="([^"]+)"', live.text).group(1)
    assert ts.qr_check(token).pk == bank.now_shift.pk
    # The scanned volunteer checks in with it and shows up on the screen.
    running(bank.now_shift)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=bank.now_shift)
    ts.check_in(actor=bank.vol_user, volunteer=bank.vol, token=token)
    live = client.get(url("manage_shift_qr_live", bank.now_shift.pk))
    assert live.text.count('data-testid="checked-in"') == 1 and bank.vol.number in live.text
    assert bank.vol_user.person.real_name not in live.text


def test_qr_is_only_for_the_shifts_organizers(login, bank, city):
    other = publish(bank, city, station="石牌街").shifts.get()
    client = login("station_worker")
    assert client.get(url("manage_shift_qr_live", other.pk)).status_code == 404
    assert client.get(url("manage_shift_qr", 999999)).status_code == 404


# --- hours ---------------------------------------------------------------------------------------------


def approve(client, records, action="approve", **kw):
    return client.post(url("manage_hours"), {"action": action, "record": [str(r.pk) for r in records], **kw})


def outcome(response, record) -> str:
    m = re.search(rf'data-record-id="{record.pk}" data-result-code="([a-z_]+)"', response.text)
    assert m, record.pk
    return m.group(1)


def test_bulk_approve_follows_the_8_and_12_hour_rules(login, bank, city):
    s1, s2, s3, s4 = shifts_of(bank, city, 4)
    day = timezone.localdate() - dt.timedelta(days=1)
    org = bank.organizer
    a = pending(bank.vol, s1, "6", day=day, by=org)
    b = pending(bank.vol, s2, "4", day=day, by=org)  # 6 + 4 = 10 h that day: the agency too
    c = pending(bank.mum, s3, "9", day=day, by=org)  # 9 h: the agency too
    d = pending(bank.mum, s4, "4", day=day, by=org)  # 9 + 4 = 13 h: refused
    client = login("station_worker")
    page = client.get(url("manage_hours"))
    assert page.text.count('data-testid="hours-row"') == 4
    assert f'data-record-id="{c.pk}" data-needs-agency="1"' in page.text  # marked before approving
    assert f'data-record-id="{a.pk}" data-needs-agency="1"' not in page.text

    response = approve(client, [a, b, c, d])
    assert response.status_code == 200
    assert [outcome(response, r) for r in (a, b, c, d)] == ["ok", "ok", "ok", "day_limit_exceeded"]
    assert [HoursRecord.objects.get(pk=r.pk).status for r in (a, b, c, d)] == [
        HoursStatus.APPROVED, HoursStatus.NEEDS_AGENCY, HoursStatus.NEEDS_AGENCY, HoursStatus.PENDING]
    assert balance(bank.vol) == Decimal(6) and balance(bank.mum) == 0
    assert page.status_code == 200 and "day_limit_exceeded" in codes(response)
    # The station worker cannot give the agency's approval (ticking it again says so, it does not report success);
    # the agency manager gives it with the same one button, which does what each user may do with each row.
    refused = approve(client, [b])
    assert outcome(refused, b) == "not_agency" and HoursRecord.objects.get(pk=b.pk).status == HoursStatus.NEEDS_AGENCY
    manager = login("agency_manager")
    page = manager.get(url("manage_hours"))
    assert page.text.count('data-testid="waits-agency"') == 2 and 'data-testid="agency-approve"' not in page.text
    done = approve(manager, [b, c])
    assert [outcome(done, r) for r in (b, c)] == ["ok", "ok"]
    assert balance(bank.vol) == Decimal(10) and balance(bank.mum) == Decimal(9)
    assert not HoursRecord.objects.filter(pk=d.pk).exclude(status=HoursStatus.PENDING).exists()


def test_bulk_approve_is_scoped_and_needs_a_ticked_record(login, bank, city):
    other_station = publish(bank, city, station="石牌街").shifts.get()
    past(other_station)
    far = volunteer(city, "石牌街志愿者", 7, station="石牌街")
    theirs = pending(far, other_station, "2", day=timezone.localdate(), by=city.users["other_worker"])
    client = login("station_worker")
    response = approve(client, [theirs])
    assert outcome(response, theirs) == "not_found"
    assert HoursRecord.objects.get(pk=theirs.pk).status == HoursStatus.PENDING
    response = client.post(url("manage_hours"), {"action": "approve"})
    assert response.status_code == 400 and "nothing_selected" in codes(response)


def test_decline_needs_a_reason_and_keeps_the_record(login, bank, city):
    (s1,) = shifts_of(bank, city, 1)
    r = pending(bank.vol, s1, "3", day=timezone.localdate(), by=bank.organizer)
    client = login("station_worker")
    response = approve(client, [r], action="decline", reason="")
    assert outcome(response, r) == "reason_required" and HoursRecord.objects.get(pk=r.pk).status == HoursStatus.PENDING
    response = approve(client, [r], action="decline", reason="未全程参与")
    assert outcome(response, r) == "ok"
    kept = HoursRecord.objects.get(pk=r.pk)
    assert (kept.status, kept.decline_reason, kept.approved_by) == (HoursStatus.DECLINED, "未全程参与", city.users["station_worker"])
    assert client.get(url("manage_hours")).text.count('data-testid="hours-row"') == 0


def test_hours_queue_query_count_does_not_grow(login, bank, city):
    shifts = shifts_of(bank, city, 8)
    day = timezone.localdate() - dt.timedelta(days=1)
    client = login("agency_manager")
    pending(bank.vol, shifts[0], "1", day=day, by=bank.organizer)
    few = queries(client, url("manage_hours"))
    for n, s in enumerate(shifts[1:]):
        pending(bank.mum if n % 2 else bank.vol, s, "0.5", day=day - dt.timedelta(days=n), by=bank.organizer)
    assert queries(client, url("manage_hours")) == few


def test_late_entry(login, bank, city):
    (shift,) = shifts_of(bank, city, 1)
    client = login("station_worker")
    page = client.get(url("manage_late_entry") + f"?shift={shift.pk}")
    assert page.status_code == 200 and f'value="{shift.pk}" selected' in page.text
    data = {"shift": shift.pk, "number": bank.vol.number, "hours": "2.5", "reason": "签退时手机没电"}
    before = HoursRecord.objects.count()
    for bad, code in [({"reason": ""}, "reason_required"), ({"hours": "0.3"}, "hours_step"), ({"hours": "11"}, "hours_out_of_shift"),
                      ({"number": "ZY000000"}, "volunteer_not_found")]:
        response = client.post(url("manage_late_entry"), {**data, **bad})
        assert response.status_code == 400 and code in codes(response), code
    assert HoursRecord.objects.count() == before
    response = client.post(url("manage_late_entry"), data)
    assert response.status_code == 302 and response["Location"] == url("manage_hours")
    record = HoursRecord.objects.get(shift=shift, volunteer=bank.vol)
    assert record.late_entry and record.late_reason == "签退时手机没电" and record.hours.value == Decimal("2.5")
    assert record.recorded_by == city.users["station_worker"]
    again = client.post(url("manage_late_entry"), data)
    assert again.status_code == 409 and "hours_exist" in codes(again)
    # A late entry always waits for the agency after the organizer.
    approve(client, [record])
    assert HoursRecord.objects.get(pk=record.pk).status == HoursStatus.NEEDS_AGENCY


def test_late_entry_offers_only_own_past_shifts(login, bank, city):
    theirs = past(publish(bank, city, station="石牌街").shifts.get())
    response = login("station_worker").post(url("manage_late_entry"), {
        "shift": theirs.pk, "number": bank.vol.number, "hours": "1", "reason": "补录"})
    assert response.status_code == 400 and "invalid_choice" in codes(response)
    assert not HoursRecord.objects.filter(shift=theirs).exists()


# --- the attendance sheet -----------------------------------------------------------------------------


def test_attendance_sheet_opens_in_openpyxl_with_its_rows(login, bank):
    from openpyxl import load_workbook

    running(bank.now_shift, started_minutes_ago=100, length_minutes=120)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=bank.now_shift)
    ts.signup_create(actor=bank.mum_user, volunteer=bank.mum, shift=bank.later_shift)
    from shanlian.timebank.models import Attendance

    att = ts.check_in(actor=bank.vol_user, volunteer=bank.vol, token=ts.qr_token(shift=bank.now_shift))
    Attendance.objects.filter(pk=att.pk).update(checked_in_at=timezone.now() - dt.timedelta(minutes=100))
    _att, record = ts.check_out(actor=bank.vol_user, volunteer=bank.vol, token=ts.qr_token(shift=bank.now_shift))
    assert record is not None
    response = login("station_worker").get(url("manage_attendance_xlsx", bank.activity.pk))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "长者饭堂送餐"
    body = rows[3:]
    assert [r[2] for r in body] == [bank.vol.number, bank.mum.number]
    vol_row = body[0]
    assert vol_row[7] == 1 and Decimal(str(vol_row[8])) == record.hours.value and vol_row[5]
    text = " ".join(str(c) for r in rows for c in r if c is not None)
    assert [r[3] for r in body] == [bank.vol_user.person.real_name, bank.mum_user.person.real_name]  # full names
    for number in (bank.vol.number, bank.mum.number):  # a volunteer number may hold "139" by chance
        text = text.replace(number, "")
    assert "139" not in text  # no ID numbers, no phones


# --- the station page ---------------------------------------------------------------------------------


def test_station_page_figures_charts_leaderboard_and_volunteers(login, bank, city):
    (shift,) = shifts_of(bank, city, 1)
    r = ts.hours_late_entry(actor=bank.organizer, volunteer=bank.vol, shift=shift, hours="4", reason="纸质签到表")
    ts.hours_agency_approve(actor=bank.agency, record=ts.hours_approve(actor=bank.organizer, record=r))
    year = shift.starts_at.astimezone(timezone.get_current_timezone()).year
    page = login("station_worker").get(url("manage_station", bank.activity.station_id) + f"?year={year}")
    assert page.status_code == 200
    assert re.search(r'data-testid="count-volunteers">2<', page.text)
    assert re.search(r'data-testid="count-person-times">1<', page.text)
    assert re.search(r'data-testid="count-hours">4.0<', page.text)
    assert 'id="sl-chart-months"' in page.text and "echarts.min.js" in page.text and 'id="sl-station-data"' in page.text
    assert page.text.count('data-testid="leader"') == 1
    assert page.text.count('data-testid="volunteer-row"') == 2
    real = bank.vol_user.person.real_name
    assert real in page.text  # the station's own staff read full names
    phone = bank.vol_user.person.phone_masked
    assert phone and phone in page.text and "*" in phone


def test_station_page_query_count_does_not_grow(login, bank, city):
    client = login("station_worker")
    target = url("manage_station", bank.activity.station_id)
    few = queries(client, target)
    for n in range(6):
        volunteer(city, f"新志愿者{n}", 100 + n)
    assert queries(client, target) == few
    assert client.get(target).text.count('data-testid="volunteer-row"') == 8


def test_station_list_shows_the_readable_stations(login, bank, city):
    assert login("agency_manager").get(url("manage_stations")).text.count('data-testid="station-row"') == 2
    assert login("street_officer").get(url("manage_stations")).text.count('data-testid="station-row"') == 1
    assert login("city_admin").get(url("manage_stations")).text.count('data-testid="station-row"') == 3
