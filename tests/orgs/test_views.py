"""Organization directory (every signed-in user) and stations (area roles, scoped)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanlian.orgs import services as org_services
from shanlian.orgs.models import OrgKind
from shanlian.places.models import Level
from tests import factories as f

ORG_LIST = reverse("orgs:organization_list")
STATION_LIST = reverse("orgs:station_list")



def queries(client, url: str) -> int:
    client.get(url)  # warm caches so only the page's own queries count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def rows(response, testid: str) -> int:
    return response.text.count(f'data-testid="{testid}"')


# --- anonymous ---


@pytest.mark.parametrize("name,args", [
    ("orgs:organization_list", []), ("orgs:organization_detail", [1]),
    ("orgs:station_list", []), ("orgs:station_detail", [1]),
])
def test_anonymous_is_sent_to_login(client, db, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- organization directory ---


@pytest.mark.parametrize("who", ["nobody", "volunteer", "station_worker", "city_admin"])
def test_directory_is_open_to_every_signed_in_user(login, city, who):
    response = login(who).get(ORG_LIST)
    assert response.status_code == 200
    assert rows(response, "org-row") == 4
    body = response.text
    qiming = city.orgs["启明"]
    assert qiming.name in body and qiming.credit_code in body
    assert "2015-06-01" in body  # registered date as Y-m-d
    assert 'data-testid="grade">4A<' in body
    assert 'data-testid="badge-federation"' in body
    assert 'data-testid="badge-fundraising"' in body
    assert 'data-testid="badge-agency"' in body


@pytest.mark.parametrize("term", ["qm", "QM", "gzsyxqqmshgzfwzx", "qiming", "启明", "越秀区启明"])
def test_search_by_name_pinyin_or_initials(login, city, term):
    response = login("volunteer").get(ORG_LIST, {"q": term})
    assert response.status_code == 200
    assert rows(response, "org-row") == 1
    assert city.orgs["启明"].name in response.text
    assert city.orgs["同心"].name not in response.text


def test_search_by_credit_code(login, city):
    org = city.orgs["基金会"]
    response = login("volunteer").get(ORG_LIST, {"q": org.credit_code})
    assert rows(response, "org-row") == 1
    assert org.name in response.text


def test_search_without_match_says_so(login, city):
    response = login("volunteer").get(ORG_LIST, {"q": "zzzz"})
    assert rows(response, "org-row") == 0
    assert 'data-testid="empty"' in response.text


def test_filter_by_kind(login, city):
    response = login("volunteer").get(ORG_LIST, {"kind": OrgKind.FOUNDATION})
    assert rows(response, "org-row") == 1
    assert city.orgs["基金会"].name in response.text
    # An unknown kind is ignored, not an error
    assert rows(login("volunteer").get(ORG_LIST, {"kind": "bogus"}), "org-row") == 4


def test_expired_grade_is_not_shown_as_current(login, city):
    org_services.organization_grade_set(actor=None, organization=city.orgs["同心"], grade="3A",
                                        awarded_on=dt.date(2015, 1, 1))
    response = login("volunteer").get(ORG_LIST, {"q": "同心"})
    assert 'data-testid="grade"' not in response.text
    assert "<s>3A</s>" in response.text


def test_directory_is_paginated(login, city, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "PAGE_SIZE": 2}
    client = login("volunteer")
    first = client.get(ORG_LIST)
    assert rows(first, "org-row") == 2
    second = client.get(ORG_LIST, {"page": 2})
    assert rows(second, "org-row") == 2
    assert rows(client.get(ORG_LIST, {"page": 99}), "org-row") == 2  # past the end: the last page


def test_directory_runs_a_fixed_number_of_queries(login, city):
    client = login("volunteer")
    before = queries(client, ORG_LIST)
    for i in range(6):
        f.organization(f"广州市测试{i}社会工作服务中心", district=city.districts["天河"], is_agency=True,
                       grade="5A", grade_awarded_on=dt.date(2023, 1, 1))
    assert queries(client, ORG_LIST) == before
    assert queries(client, ORG_LIST + "?q=gzs") == queries(client, ORG_LIST + "?q=gz")


# --- organization detail ---


def test_detail_shows_fields_grade_and_stations_in_scope(login, city):
    org = city.orgs["启明"]
    response = login("city_admin").get(reverse("orgs:organization_detail", args=[org.pk]))
    assert response.status_code == 200
    body = response.text
    assert org.name in body and org.credit_code in body
    assert "2022-05-01" in body and "2027-05-01" in body  # grade validity
    assert "北京街道社工站" in body and "人民街道社工站" in body
    assert 'data-testid="org-stations"' in body


def test_detail_lists_only_stations_in_the_viewers_area(login, city):
    org = city.orgs["启明"]
    body = login("station_worker").get(reverse("orgs:organization_detail", args=[org.pk])).text
    assert "北京街道社工站" in body
    assert "人民街道社工站" not in body


def test_detail_for_a_resident_shows_no_stations(login, city):
    org = city.orgs["启明"]
    response = login("volunteer").get(reverse("orgs:organization_detail", args=[org.pk]))
    assert response.status_code == 200
    assert org.credit_code in response.text
    assert "北京街道社工站" not in response.text


def test_detail_shows_party_branch(login, city):
    org = f.organization("广州市党建测试社会工作服务中心", district=city.districts["越秀"], party_branch="own",
                         party_branch_name="中共测试支部委员会")
    body = login("volunteer").get(reverse("orgs:organization_detail", args=[org.pk])).text
    assert "中共测试支部委员会" in body


def test_detail_of_unknown_organization_is_404(login, city):
    response = login("volunteer").get(reverse("orgs:organization_detail", args=[999999]))
    assert response.status_code == 404
    assert 'data-error-code="not_found"' in response.text


# --- stations ---


def test_station_list_is_scoped(login, city):
    response = login("station_worker").get(STATION_LIST)
    assert response.status_code == 200
    assert rows(response, "station-row") == 1
    assert "北京街道社工站" in response.text
    assert "石牌街道社工站" not in response.text

    response = login("city_admin").get(STATION_LIST)
    assert rows(response, "station-row") == 3

    response = login("agency_manager").get(STATION_LIST)
    assert rows(response, "station-row") == 2
    assert "石牌街道社工站" not in response.text

    response = login("finance").get(STATION_LIST)
    assert rows(response, "station-row") == 2  # 越秀 district, where the federation is registered


@pytest.mark.parametrize("who", ["volunteer", "donor", "expert", "nobody"])
def test_station_pages_are_forbidden_without_an_area_role(login, city, who):
    client = login(who)
    response = client.get(STATION_LIST)
    assert response.status_code == 403
    assert 'data-error-code="stations_not_allowed"' in response.text
    assert "北京街道社工站" not in response.text
    response = client.get(reverse("orgs:station_detail", args=[city.stations["北京街"].pk]))
    assert response.status_code == 403
    assert "北京街道" not in response.text


def test_station_detail(login, city):
    station = city.stations["北京街"]
    org_services.donation_point_create(actor=None, station=station, name="北京街慈善捐赠站点",
                                       address="北京路100号", opening_hours="9:00-17:00")
    response = login("station_worker").get(reverse("orgs:station_detail", args=[station.pk]))
    assert response.status_code == 200
    body = response.text
    assert "北京街道社工站" in body
    assert "越秀区" in body  # district
    assert reverse("orgs:organization_detail", args=[city.orgs["启明"].pk]) in body  # agency link
    assert "2025-01-01" in body and "2027-12-31" in body
    assert "北京街慈善捐赠站点" in body and "北京路100号" in body
    assert body.count('data-testid="donation-point"') == 1


def test_station_outside_scope_is_404_without_leaking(login, city):
    station = city.stations["北京街"]
    org_services.donation_point_create(actor=None, station=station, name="北京街慈善捐赠站点")
    response = login("other_worker").get(reverse("orgs:station_detail", args=[station.pk]))
    assert response.status_code == 404
    body = response.text
    for leaked in [station.name, "北京街道", "启明", "北京街慈善捐赠站点", "2027-12-31"]:
        assert leaked not in body
    # The same answer as for a station that does not exist
    assert login("other_worker").get(reverse("orgs:station_detail", args=[999999])).status_code == 404


def test_station_list_runs_a_fixed_number_of_queries(login, city):
    client = login("city_admin")
    before = queries(client, STATION_LIST)
    yx = city.districts["越秀"]
    for i in range(5):
        street = f.division(f"测试{i}街道", Level.STREET, f"44010402{i}", yx)
        station = f.station(street, city.orgs["启明"])
        org_services.donation_point_create(actor=None, station=station, name=f"站点{i}")
    assert queries(client, STATION_LIST) == before


def test_out_of_scope_station_is_logged_as_denied(login, city):
    from shanlian.core.models import AuditLog

    target = city.stations["北京街"]
    resp = login("other_worker").get(f"/orgs/stations/{target.pk}/")
    assert resp.status_code == 404 and "北京街道" not in resp.content.decode()
    row = AuditLog.objects.get(action="access.denied", object_type="orgs.station", object_id=str(target.pk))
    assert row.actor == city.users["other_worker"]
