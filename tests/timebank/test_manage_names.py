"""Volunteers' names on the time bank's staff pages: in full for the station's own staff (its social workers, the
managers of the agency running it), masked or out of reach for everyone else: the staff of another station (of the
same agency or another), the managers of another agency, the area's officers, and the public screens (the QR code
on the table, a certificate's verification, the API). Phones stay masked for everyone."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from shanlian.core.crypto import mask_name
from shanlian.core.scoping import Role
from shanlian.people.selectors import actor_scope
from shanlian.timebank import selectors
from shanlian.timebank import services as ts
from shanlian.timebank.models import Attendance, HoursRecord

from .. import factories as f
from .conftest import running
from .test_selectors import approved

XIAOHE, MUM = "志愿者小何", "何母"  # the two volunteers of 北京街 (tests/timebank/conftest.py)
OWN_STAFF = ["station_worker", "agency_manager", "root"]
OTHERS = ["other_worker", "sister_worker", "other_agency"]


def url(name: str, *args) -> str:
    return reverse(f"timebank:{name}", args=args)


@pytest.fixture
def people(bank, city, settings):
    """Each kind of viewer, and the names on every page: 小何 signed up, checked in and out (pending hours, on the
    sheet), her mother on the wait list, 5 approved hours (the leaderboard) and a pending redemption (the catalog)."""
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (4, 10, 600, 1000, 1500)}
    f.user_with_role("sister_worker", Role.STATION_WORKER, city.stations["人民街"], name="人民街社工")  # same agency, other station
    f.user_with_role("other_agency", Role.AGENCY_MANAGER, city.orgs["同心"], name="同心主任")  # runs 石牌街 only
    approved(bank, city, bank.vol, "5")
    running(bank.now_shift, started_minutes_ago=100, length_minutes=120)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=bank.now_shift)
    ts.signup_create(actor=bank.vol_user, volunteer=bank.vol, shift=bank.later_shift)
    ts.signup_create(actor=bank.mum_user, volunteer=bank.mum, shift=bank.later_shift)  # headcount 1: waits
    att = ts.check_in(actor=bank.vol_user, volunteer=bank.vol, token=ts.qr_token(shift=bank.now_shift))
    Attendance.objects.filter(pk=att.pk).update(checked_in_at=timezone.now() - dt.timedelta(minutes=100))
    _att, record = ts.check_out(actor=bank.vol_user, volunteer=bank.vol, token=ts.qr_token(shift=bank.now_shift))
    assert record is not None and record.status == "pending"
    item = ts.catalog_item_create(actor=bank.organizer, station=city.stations["北京街"], name="义剪理发一次", price="2", stock=5,
                                  per_person_limit=3)
    ts.redemption_create(actor=bank.vol_user, volunteer=bank.vol, item=item, idempotency_key="names-1")
    return record


@pytest.fixture
def viewer(client, city, people):
    from django.contrib.auth import get_user_model

    def _as(name: str):
        user = get_user_model().objects.get(username=name)
        client.force_login(user)
        return client

    return _as


def pages(bank) -> dict[str, str]:
    return {
        "activity": url("manage_activity", bank.activity.pk),
        "hours": url("manage_hours"),
        "station": url("manage_station", bank.activity.station_id),
        "catalog": url("manage_catalog"),
    }


def sheet_text(response) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content))
    return " ".join(str(c) for r in book.active.iter_rows(values_only=True) for c in r if c is not None)


# --- the rule, once -------------------------------------------------------------------------------------


def test_who_is_the_stations_own_staff(city, people):
    from django.contrib.auth import get_user_model

    station = city.stations["北京街"]
    users = get_user_model().objects
    expected = {"station_worker": True, "agency_manager": True, "root": True, "other_worker": False, "sister_worker": False,
                "other_agency": False, "street_officer": False, "district_admin": False, "city_admin": False,
                "finance": False, "volunteer": False, "nobody": False}
    for name, own in expected.items():
        scope = actor_scope(users.get(username=name))
        assert scope.is_station_staff(station.pk) is own, name
        shown = selectors.volunteer_name(scope=scope, station_id=station.pk, name=XIAOHE)
        assert shown == (XIAOHE if own else mask_name(XIAOHE)), name
    # The sister station's worker is its own staff there, and the other agency's manager at 石牌街.
    assert actor_scope(users.get(username="sister_worker")).is_station_staff(city.stations["人民街"].pk)
    assert actor_scope(users.get(username="other_agency")).is_station_staff(city.stations["石牌街"].pk)
    assert selectors.volunteer_name(scope=None, station_id=station.pk, name=XIAOHE) == mask_name(XIAOHE)


def test_a_revoked_grant_is_no_longer_own_staff(city, people):
    from shanlian.people import services as ps
    from shanlian.people.models import RoleGrant

    worker = city.users["station_worker"]
    grant = RoleGrant.objects.get(user=worker, role=Role.STATION_WORKER)
    root = type(worker).objects.get(username="root")
    ps.role_revoke(actor=root, scope=actor_scope(root), grant=grant)
    worker = type(worker).objects.get(pk=worker.pk)  # a fresh request: no cached scope
    assert not actor_scope(worker).is_station_staff(city.stations["北京街"].pk)


# --- each page ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", OWN_STAFF)
def test_own_staff_read_full_names_on_every_page(viewer, bank, people, who):
    client = viewer(who)
    for name, target in pages(bank).items():
        response = client.get(target)
        assert response.status_code == 200, (who, name)
        assert XIAOHE in response.text, (who, name)
        assert mask_name(XIAOHE) not in response.text, (who, name)
    activity = client.get(pages(bank)["activity"]).text
    assert MUM in activity  # the wait list
    sheet = client.get(url("manage_attendance_xlsx", bank.activity.pk))
    assert sheet.status_code == 200
    text = sheet_text(sheet)
    assert XIAOHE in text and MUM in text and mask_name(XIAOHE) not in text
    # Phones stay masked, even for them.
    station = client.get(pages(bank)["station"]).text
    phone = bank.vol_user.person.phone_masked
    assert phone and "*" in phone and phone in station


def test_own_staff_read_full_names_in_the_hours_results(viewer, bank, people):
    response = viewer("station_worker").post(url("manage_hours"), {"action": "approve", "record": [str(people.pk)]})
    assert response.status_code == 200
    assert 'data-testid="results"' in response.text and XIAOHE in response.text
    assert HoursRecord.objects.get(pk=people.pk).status == "approved"


@pytest.mark.parametrize("who", OTHERS)
def test_other_stations_and_agencies_never_see_the_names(viewer, bank, people, who):
    client = viewer(who)
    p = pages(bank)
    for name in ("activity", "station"):
        response = client.get(p[name])
        assert response.status_code == 404, (who, name)
    assert client.get(url("manage_attendance_xlsx", bank.activity.pk)).status_code == 404
    for name in ("hours", "catalog"):  # their own lists: nothing of 北京街
        response = client.get(p[name])
        assert response.status_code == 200, (who, name)
        assert XIAOHE not in response.text and mask_name(XIAOHE) not in response.text, (who, name)
    # Acting on 北京街's record by its id shows nothing of it either.
    response = client.post(url("manage_hours"), {"action": "approve", "record": [str(people.pk)]})
    assert XIAOHE not in response.text and mask_name(XIAOHE) not in response.text
    assert HoursRecord.objects.get(pk=people.pk).status == "pending"


@pytest.mark.parametrize("who", ["street_officer", "district_admin", "city_admin"])
def test_area_officers_read_the_station_page_with_masked_names(viewer, bank, people, who):
    page = viewer(who).get(pages(bank)["station"])
    assert page.status_code == 200
    assert XIAOHE not in page.text and mask_name(XIAOHE) in page.text
    assert page.text.count('data-testid="volunteer-row"') == 2 and page.text.count('data-testid="leader"') == 1


def test_public_screens_stay_masked_even_for_own_staff(viewer, bank, people, city, login):
    client = viewer("station_worker")
    qr = client.get(url("manage_shift_qr_live", bank.now_shift.pk))  # lies on the table, in public
    assert qr.status_code == 200 and bank.vol.number in qr.text
    assert XIAOHE not in qr.text and mask_name(XIAOHE) in qr.text
    board = client.get(f"/api/timebank/stations/{bank.activity.station_id}/leaderboard")
    assert board.status_code == 200
    assert XIAOHE not in board.text and board.json()["results"][0]["volunteer"]["name_masked"] == mask_name(XIAOHE)
    cert = ts.certificate_issue(actor=bank.vol_user, volunteer=bank.vol, period_start=timezone.localdate() - dt.timedelta(days=30),
                                period_end=timezone.localdate())
    client.logout()
    verify = client.get(reverse("timebank:certificate_verify", args=[cert.code]))
    assert verify.status_code == 200 and XIAOHE not in verify.text and mask_name(XIAOHE) in verify.text
