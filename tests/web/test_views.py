"""The home dashboard per role, and the error pages."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanlian.core.scoping import Role
from shanlian.people.selectors import actor_scope
from shanlian.places.models import Level
from shanlian.web.selectors import area_dashboard
from tests import factories as f

HOME = reverse("web:home")



def chart_data(response) -> dict:
    match = re.search(r'<script id="sl-dashboard-data" type="application/json">(.*?)</script>', response.text, re.S)
    assert match, "dashboard data script missing"
    return json.loads(match.group(1))


def count(response, key: str) -> int:
    match = re.search(rf'data-testid="count-{key}">(\d+)<', response.text)
    assert match, f"count {key} missing"
    return int(match.group(1))


def queries(client, url: str) -> int:
    client.get(url)  # warm caches (content types, permissions) so only the page's own queries count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_anonymous_gets_the_front_door_and_staff_pages_send_them_to_login(client, db):
    response = client.get(HOME)
    assert response.status_code == 200 and 'data-testid="front-door"' in response.text
    response = client.get(reverse("people:person_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_city_admin_sees_the_whole_city(login, city):
    response = login("city_admin").get(HOME)
    assert response.status_code == 200
    assert count(response, "districts") == 2
    assert count(response, "streets") == 3
    assert count(response, "communities") == 4
    assert count(response, "stations") == 3
    assert count(response, "people") == 5  # four residents and the volunteer's own record
    assert count(response, "organizations") == 4
    data = chart_data(response)
    assert data["area"]["labels"] == ["越秀区", "天河区"]  # a city's chart groups by district
    assert data["area"]["people"] == [4, 1]
    assert data["area"]["stations"] == [2, 1]
    grades = {g["name"]: g["value"] for g in data["grades"]}
    assert grades["4A"] == 1
    assert sum(grades.values()) == 4
    body = response.text
    assert "vendor/echarts/echarts.min.js" in body
    assert "echarts.init" in body and 'addEventListener("resize"' in body
    assert body.count('data-testid="station-row"') == 3


def test_station_worker_sees_only_their_street(login, city):
    response = login("station_worker").get(HOME)
    assert response.status_code == 200
    assert 'data-testid="count-districts"' not in response.text  # nothing at that level in a street
    assert count(response, "streets") == 1
    assert count(response, "communities") == 2
    assert count(response, "stations") == 1
    assert count(response, "people") == 3  # 陈秀英, 李伟, and the volunteer in 盐运西
    assert count(response, "organizations") == 1  # 启明 runs their station
    data = chart_data(response)
    assert sorted(data["area"]["labels"]) == ["盐运西社区", "都府社区"]  # one street: by community
    assert data["level"] == "community"
    body = response.text
    assert body.count('data-testid="station-row"') == 1
    assert "北京街道社工站" in body
    assert "石牌街道社工站" not in body and "人民街道社工站" not in body


def test_district_admin_chart_is_by_street(login, city):
    data = chart_data(login("district_admin").get(HOME))
    assert data["area"]["labels"] == ["北京街道", "人民街道"]
    assert data["area"]["stations"] == [1, 1]


def test_federation_finance_lands_on_its_desk_without_people(login, city):
    response = login("finance").get(HOME)
    assert response.status_code == 200
    body = response.text
    assert 'data-testid="finance-desk"' in body and 'data-testid="dashboard-counts"' not in body
    assert "sl-dashboard-data" not in body and "陈秀英" not in body  # finance is an area role, not a people role


@pytest.mark.parametrize(("who", "lands"), [("volunteer", "timebank:home"), ("donor", "give:mine")])
def test_residents_land_where_their_work_is(login, city, who, lands):
    response = login(who).get(HOME)
    assert response.status_code == 302 and response.url == reverse(lands)


@pytest.mark.parametrize("who", ["expert", "nobody"])
def test_other_non_staff_get_no_area_data(login, city, who):
    response = login(who).get(HOME)
    assert response.status_code == 200
    body = response.text
    assert 'data-testid="dashboard-counts"' not in body
    assert "sl-dashboard-data" not in body
    assert "北京街道社工站" not in body


def test_the_account_page_shows_masked_identifiers_and_roles(login, city):
    from shanlian.core import crypto

    response = login("volunteer").get(reverse("accounts:account"))
    body = response.text
    me = city.users["volunteer"].person
    assert 'data-testid="personal-card"' in body
    assert me.resident_id_masked in body and me.phone_masked in body
    assert crypto.decrypt(me.resident_id_enc) not in body
    assert crypto.decrypt(me.phone_enc) not in body
    assert str(Role.VOLUNTEER.label) in body or "志愿者" in body
    assert reverse("people:person_detail", args=[me.pk]) in body


def test_superuser_sees_everything(client, city):
    root = get_user_model().objects.get(username="root")
    client.force_login(root)
    response = client.get(HOME)
    assert response.status_code == 200
    assert count(response, "stations") == 3
    assert count(response, "organizations") == 4


def _grow_city(city, n: int) -> None:
    """More of everything the dashboard counts: streets with stations, people, organizations."""
    yx = city.districts["越秀"]
    for i in range(n):
        street = f.division(f"新街{i}街道", Level.STREET, f"44010401{i}", yx)
        community = f.division(f"新街{i}社区", Level.COMMUNITY, f"44010401{i}001", street)
        agency = f.organization(f"广州市新街{i}社会工作服务中心", district=yx, is_agency=True)
        f.station(street, agency)
        f.person(f"居民{i}", community)
        f.person(f"居民{i}乙", city.communities["盐运西"])


@pytest.mark.parametrize("who", ["city_admin", "district_admin", "station_worker", "finance", "expert"])
def test_home_runs_a_fixed_number_of_queries(login, city, who):
    client = login(who)
    before = queries(client, HOME)
    _grow_city(city, 4)
    assert queries(client, HOME) == before


def test_area_dashboard_selector_query_count(city, django_assert_num_queries):
    scope = actor_scope(city.users["city_admin"])
    with django_assert_num_queries(5):
        area_dashboard(scope=scope)


def test_unknown_page_is_a_404_page(login, city):
    response = login("volunteer").get("/no-such-page/")
    assert response.status_code == 404
    assert 'data-error-code="not_found"' in response.text


def test_pages_number_their_pages_print_as_documents_and_have_a_favicon(login, city, client, settings):
    from tests import factories as f

    settings.SHANLIAN = {**settings.SHANLIAN, "PAGE_SIZE": 1}
    for i in range(6):
        f.person(f"翻页{i}", city.communities["盐运西"])
    page = login("station_worker").get(reverse("people:person_list"), {"page": 4})
    body = page.content.decode()
    assert 'data-testid="pagination"' in body and 'data-testid="page-link"' in body and "…" in body
    assert 'aria-current="page"><span class="page-link">4<' in body
    assert "favicon.svg" in body and "d-print-none" in body
    css = client.get("/static/shanlian/site.css")
    assert b"@media print" in b"".join(css.streaming_content)
    assert client.get("/favicon.ico").status_code == 301
