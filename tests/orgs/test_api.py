"""/api/organizations and /api/stations: who may read and register what, bad input, query counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shanlian.core.models import AuditLog
from shanlian.orgs import services as org_services
from shanlian.orgs.models import Organization, OrgKind, Station
from shanlian.people.services import api_token_create
from shanlian.places.models import Level
from tests import factories as f

pytestmark = pytest.mark.django_db



def _new_org(city, **kw):
    body = {
        "name": "广州市越秀区新芽社会工作服务中心",
        "kind": "service_institution",
        "credit_code": f.make_credit_code(district_code="440104", seq=777001),
        "registered_on": "2020-03-01",
        "division_id": city.districts["越秀"].pk,
        "is_agency": True,
    }
    return body | kw


def _names(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [row["name"] for row in resp.json()["results"]]


# --- organizations: reading ---


def test_organizations_need_authentication(client, city):
    assert client.get("/api/organizations").status_code == 401
    assert client.get(f"/api/organizations/{city.orgs['启明'].pk}").status_code == 401
    resp = client.post("/api/organizations", _new_org(city), content_type="application/json")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


def test_any_signed_in_user_reads_the_registry(login, city):
    body = login("volunteer").get("/api/organizations").json()
    assert body["count"] == 4
    row = next(r for r in body["results"] if r["name"].endswith("启明社会工作服务中心"))
    assert row["grade"] == "4A"
    assert row["grade_current"] == "4A"
    assert row["division"]["name"] == "越秀区"
    assert row["credit_code"] == city.orgs["启明"].credit_code


@pytest.mark.parametrize("q", ["启明", "qm", "QM", "qiming", "yuexiuquqiming"])
def test_search_by_name_initials_and_pinyin(login, city, q):
    assert _names(login("nobody").get("/api/organizations", {"q": q})) == ["广州市越秀区启明社会工作服务中心"]


def test_search_by_credit_code_and_kind(login, city):
    client = login("nobody")
    assert _names(client.get("/api/organizations", {"q": city.orgs["同心"].credit_code})) == [
        "广州市天河区同心社会工作服务中心"
    ]
    assert _names(client.get("/api/organizations", {"kind": "foundation"})) == ["广州市善源公益基金会"]
    assert client.get("/api/organizations", {"kind": "company"}).status_code == 400


def test_organization_detail_with_a_token(client, city):
    _, secret = api_token_create(actor=None, user=city.users["donor"], name="app")
    resp = client.get(f"/api/organizations/{city.orgs['慈善会'].pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp.status_code == 200
    body = resp.json()
    assert body["is_charity_federation"] is True
    assert body["kind"] == "association"
    assert body["grade_current"] == ""


def test_organization_detail_unknown_is_404(login, city):
    resp = login("city_admin").get("/api/organizations/999999")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"


# --- organizations: registering ---


def test_city_admin_registers_an_organization(login, city):
    before = Organization.objects.count()
    resp = login("city_admin").post("/api/organizations", _new_org(city), content_type="application/json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["name"] == "广州市越秀区新芽社会工作服务中心"
    assert body["is_agency"] is True
    org = Organization.objects.get(pk=body["id"])
    assert org.name_initials.startswith("gzsyxq")
    assert Organization.objects.count() == before + 1
    assert AuditLog.objects.filter(action="organization.create", object_id=str(org.pk), actor=city.users["city_admin"]).exists()


def test_district_admin_registers_in_own_district_with_a_token(client, city):
    _, secret = api_token_create(actor=None, user=city.users["district_admin"], name="sync")
    resp = client.post(
        "/api/organizations",
        _new_org(city, grade="3A", grade_awarded_on="2023-01-10"),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["grade_valid_until"] == "2028-01-10"


def test_district_admin_cannot_register_in_another_district(login, city):
    before = Organization.objects.count()
    resp = login("district_admin").post(
        "/api/organizations", _new_org(city, division_id=city.districts["天河"].pk), content_type="application/json"
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "scope_outside_yours"
    assert Organization.objects.count() == before


@pytest.mark.parametrize("username", ["street_officer", "agency_manager", "station_worker", "finance", "volunteer", "nobody"])
def test_other_roles_cannot_register(login, city, username):
    before = Organization.objects.count()
    resp = login(username).post("/api/organizations", _new_org(city), content_type="application/json")
    assert resp.status_code == 403
    assert resp.json()["code"] == "permission_denied"
    assert Organization.objects.count() == before


@pytest.mark.parametrize("code", ["91440101MA59ABCDEX", "123", "", "51440104000000010A"])
def test_invalid_credit_code_is_400_and_saves_nothing(login, city, code):
    before, audits = Organization.objects.count(), AuditLog.objects.count()
    resp = login("city_admin").post("/api/organizations", _new_org(city, credit_code=code), content_type="application/json")
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "invalid_credit_code"
    assert body["fields"]["credit_code"][0]["code"] == "invalid_credit_code"
    assert body["message_zh"] and body["message_en"]
    assert (Organization.objects.count(), AuditLog.objects.count()) == (before, audits)


def test_wrong_check_digit_is_400(login, city):
    good = f.make_credit_code(seq=5150)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    resp = login("city_admin").post("/api/organizations", _new_org(city, credit_code=bad), content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_credit_code"


def test_duplicate_credit_code_is_409_and_saves_nothing(login, city):
    before = Organization.objects.count()
    resp = login("city_admin").post(
        "/api/organizations", _new_org(city, credit_code=city.orgs["启明"].credit_code.lower()),
        content_type="application/json",
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "duplicate_credit_code"
    assert "credit_code" in resp.json()["fields"]
    assert Organization.objects.count() == before


def test_other_bad_input(login, city):
    client = login("city_admin")
    before = Organization.objects.count()
    street = client.post(
        "/api/organizations", _new_org(city, division_id=city.streets["北京街"].pk), content_type="application/json"
    )
    assert (street.status_code, street.json()["code"]) == (400, "invalid_division")
    missing = client.post("/api/organizations", _new_org(city, division_id=999999), content_type="application/json")
    assert (missing.status_code, missing.json()["code"]) == (400, "invalid_division")
    assert "division_id" in missing.json()["fields"]
    kind = client.post("/api/organizations", _new_org(city, kind="company"), content_type="application/json")
    assert (kind.status_code, kind.json()["code"]) == (400, "invalid_request")
    assert "kind" in kind.json()["fields"]
    future = client.post(
        "/api/organizations", _new_org(city, registered_on=str(dt.date.today() + dt.timedelta(days=3))),
        content_type="application/json",
    )
    assert (future.status_code, future.json()["code"]) == (400, "date_in_future")
    garbage = client.post("/api/organizations", "not json", content_type="application/json")
    assert garbage.status_code == 400
    assert Organization.objects.count() == before


# --- stations ---


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("city_admin", ["北京街道社工站", "人民街道社工站", "石牌街道社工站"]),
        ("district_admin", ["北京街道社工站", "人民街道社工站"]),
        ("street_officer", ["北京街道社工站"]),
        ("agency_manager", ["北京街道社工站", "人民街道社工站"]),
        ("station_worker", ["北京街道社工站"]),
        ("other_worker", ["石牌街道社工站"]),
        ("finance", ["北京街道社工站", "人民街道社工站"]),
    ],
)
def test_stations_are_scoped(login, city, username, expected):
    assert _names(login(username).get("/api/stations")) == expected


@pytest.mark.parametrize("username", ["volunteer", "donor", "expert", "nobody"])
def test_stations_list_is_403_for_non_area_roles(login, city, username):
    resp = login(username).get("/api/stations")
    assert resp.status_code == 403
    assert resp.json()["code"] == "permission_denied"
    assert login(username).get(f"/api/stations/{city.stations['北京街'].pk}").status_code == 403


def test_stations_need_authentication(client, city):
    assert client.get("/api/stations").status_code == 401
    assert client.get(f"/api/stations/{city.stations['北京街'].pk}").status_code == 401


def test_station_detail_has_donation_points(client, city):
    station = city.stations["北京街"]
    org_services.donation_point_create(actor=None, station=station, name="北京街捐赠站", accepts_goods=False)
    org_services.donation_point_create(actor=None, station=station, name="盐运西捐赠点")
    _, secret = api_token_create(actor=None, user=city.users["station_worker"], name="kiosk")
    resp = client.get(f"/api/stations/{station.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp.status_code == 200
    body = resp.json()
    assert body["street"]["name"] == "北京街道"
    assert body["district"]["name"] == "越秀区"
    assert body["agency"]["name"] == "广州市越秀区启明社会工作服务中心"
    assert body["donation_point_count"] == 2
    assert [p["name"] for p in body["donation_points"]] == ["北京街捐赠站", "盐运西捐赠点"]
    assert body["donation_points"][0]["accepts_goods"] is False
    assert body["contract_active"] in (True, False)


def test_station_out_of_scope_is_404(login, city):
    resp = login("station_worker").get(f"/api/stations/{city.stations['石牌街'].pk}")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"
    assert "石牌" not in json.dumps(resp.json(), ensure_ascii=False)
    assert login("station_worker").get("/api/stations/999999").status_code == 404


# --- query counts ---


def _queries(client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200, resp.content
    return len(ctx.captured_queries), resp.json()


def test_organization_list_query_count_is_fixed(login, city):
    client = login("city_admin")
    few, body = _queries(client, "/api/organizations?page_size=100")
    assert body["count"] == 4
    for i in range(25):
        f.organization(f"测试社会组织{i}", district=city.districts["天河"], grade="3A", grade_awarded_on=dt.date(2022, 1, 1))
    many, body = _queries(client, "/api/organizations?page_size=100")
    assert body["count"] == 29
    assert few == many


def test_station_list_query_count_is_fixed(login, city):
    client = login("city_admin")
    few, body = _queries(client, "/api/stations?page_size=100")
    assert body["count"] == 3
    for i in range(12):
        street = f.division(f"测试街道{i}", Level.STREET, f"440106{100 + i:03d}", city.districts["天河"])
        station = f.station(street, city.orgs["同心"])
        org_services.donation_point_create(actor=None, station=station, name=f"捐赠点{i}")
    many, body = _queries(client, "/api/stations?page_size=100")
    assert body["count"] == Station.objects.count() == 15
    assert {r["donation_point_count"] for r in body["results"]} == {0, 1}
    assert few == many


def test_org_kind_values_match_the_model():
    assert {k.value for k in OrgKind} == {"association", "service_institution", "foundation"}
