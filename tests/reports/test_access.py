"""Who reads the report, and which rows: the access matrix for every role on the page, the exports and the API;
areas out of scope answer 404; bad months and areas answer 400 with a code."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shanlian.reports.months import default_month

PAGE, XLSX, PDF, API = (reverse("reports:monthly"), reverse("reports:monthly_xlsx"), reverse("reports:monthly_pdf"),
                        "/api/reports/monthly")

# role → (the rows' names on the default page)
READERS = {
    "city_admin": ["越秀区", "天河区"],
    "district_admin": ["北京街道", "人民街道"],
    "street_officer": ["北京街道社工站"],
    "agency_manager": ["北京街道社工站", "人民街道社工站"],
    "station_worker": ["北京街道社工站"],
    "other_worker": ["石牌街道社工站"],
}
REFUSED = ("finance", "expert", "volunteer", "donor", "nobody")


@pytest.fixture(autouse=True)
def _station_names(city):
    from shanlian.orgs.models import Station

    for s in Station.objects.select_related("street"):
        Station.objects.filter(pk=s.pk).update(name=f"{s.street.name}社工站")


@pytest.mark.parametrize("role", list(READERS))
def test_readers_see_their_area_on_the_page_and_the_api(city, client, role):
    client.force_login(city.users[role])
    page = client.get(PAGE)
    assert page.status_code == 200
    names = [r.name for r in page.context["r"].rows]
    assert names == READERS[role]
    api = client.get(API)
    assert api.status_code == 200, api.content
    assert [r["name"] for r in api.json()["rows"]] == READERS[role]
    tree = client.get(API + "?view=tree").json()
    flat, todo = [], list(tree["rows"])
    while todo:
        node = todo.pop()
        flat.append(node["name"])
        todo.extend(node.get("rows") or [])
    stations = {"city_admin": 3, "district_admin": 2, "agency_manager": 2}.get(role, 1)
    assert sum(1 for n in flat if n.endswith("社工站")) == stations


@pytest.mark.parametrize("role", REFUSED)
@pytest.mark.parametrize("url", [PAGE, XLSX, PDF, API])
def test_everyone_else_is_refused(city, client, role, url):
    client.force_login(city.users[role])
    response = client.get(url)
    assert response.status_code == 403
    if url == API:
        assert response.json()["code"] == "not_report_reader"


@pytest.mark.parametrize("url", [PAGE, XLSX, PDF])
def test_anonymous_is_sent_to_sign_in(client, city, url):
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    assert client.get(API).status_code == 401


def _area(city, name):
    """"s:北京街" is the station, "d:北京街" the street; "广州", "越秀", "天河" the city and districts."""
    kind, _sep, key = name.rpartition(":")
    if kind == "s":
        return f"s{city.stations[key].pk}"
    return str({**city.districts, "广州": city.city, **(city.streets if kind == "d" else {})}[key].pk)


# role → areas outside their reach
OUTSIDE = {
    "district_admin": ["广州", "天河", "d:石牌街", "s:石牌街"],
    "street_officer": ["广州", "越秀", "d:人民街", "s:人民街", "d:石牌街", "s:石牌街"],
    # a division's row sums stations: never for a station's staff, not even their own street
    "agency_manager": ["广州", "越秀", "d:北京街", "d:人民街", "s:石牌街"],
    "station_worker": ["广州", "越秀", "d:北京街", "s:人民街", "s:石牌街"],
    "other_worker": ["天河", "d:石牌街", "s:北京街"],
}


@pytest.mark.parametrize(("role", "area"), [(r, a) for r, areas in OUTSIDE.items() for a in areas])
def test_areas_outside_scope_are_not_found(city, client, role, area):
    client.force_login(city.users[role])
    for url in (PAGE, XLSX, PDF, API):
        response = client.get(url, {"area": _area(city, area)})
        assert response.status_code == 404, (url, response.status_code)


INSIDE = {
    "city_admin": ["广州", "越秀", "d:北京街", "s:石牌街"],
    "district_admin": ["越秀", "d:人民街", "s:北京街"],
    "street_officer": ["d:北京街", "s:北京街"],
    "agency_manager": ["s:北京街", "s:人民街"],
    "station_worker": ["s:北京街"],
}


@pytest.mark.parametrize(("role", "area"), [(r, a) for r, areas in INSIDE.items() for a in areas])
def test_areas_inside_scope_open(city, client, role, area):
    client.force_login(city.users[role])
    response = client.get(PAGE, {"area": _area(city, area)})
    assert response.status_code == 200
    rows = response.context["r"].levels.get("station", [])
    assert rows and all(r.pk in _reach(city, role) for r in rows)
    assert client.get(API, {"area": _area(city, area)}).status_code == 200


def _reach(city, role):
    s = city.stations
    return {"city_admin": {x.pk for x in s.values()}, "district_admin": {s["北京街"].pk, s["人民街"].pk},
            "street_officer": {s["北京街"].pk}, "agency_manager": {s["北京街"].pk, s["人民街"].pk},
            "station_worker": {s["北京街"].pk}}[role]


def test_a_drill_link_never_leads_outside(city, client):
    """Every link the district admin's pages offer opens, and none leads to 天河's rows."""
    client.force_login(city.users["district_admin"])
    seen, todo = set(), [""]
    while todo:
        token = todo.pop()
        response = client.get(PAGE, {"area": token})
        assert response.status_code == 200
        r = response.context["r"]
        assert "天河区" not in response.content.decode() and "石牌街道" not in response.content.decode()
        for row in [*r.rows, *r.trail]:
            if row.token and row.token not in seen:
                seen.add(row.token)
                todo.append(row.token)
    assert len(seen) >= 4


@pytest.mark.parametrize(("month", "code"), [
    ("2026-13", "bad_month"), ("2026-00", "bad_month"), ("2026-1", "bad_month"), ("abcd-ef", "bad_month"),
    ("2026-11-01", "bad_month"), ("２０２６-１１", "bad_month"), ("2026-11\n", "bad_month"), ("x" * 500, "bad_month"),
    ("1999-12", "month_too_early"), ("9999-01", "month_in_future"),
])
def test_bad_months_are_refused_with_a_code(city, client, month, code):
    client.force_login(city.users["city_admin"])
    page = client.get(PAGE, {"month": month})
    assert page.status_code == 400
    if month.isprintable():  # a control character is refused by the site's middleware before the page runs
        assert f'data-error-code="{code}"'.encode() in page.content
    for url in (XLSX, PDF):
        assert client.get(url, {"month": month}).status_code == 400
    api = client.get(API, {"month": month})
    if len(month) > 16:
        assert api.status_code == 400 and api.json()["code"] == "invalid_request"
    elif not month.isprintable():
        assert api.status_code == 400 and api.json()["code"] == "control_character"
    else:
        assert api.status_code == 400 and api.json()["code"] == code


def test_next_month_is_in_the_future(city, client):
    from shanlian.reports.months import next_month

    client.force_login(city.users["city_admin"])
    this = default_month().replace(day=1)
    after = next_month(next_month(this))
    assert client.get(API, {"month": f"{after:%Y-%m}"}).json()["code"] == "month_in_future"
    assert client.get(API, {"month": f"{next_month(this):%Y-%m}"}).status_code == 200  # the current month, so far


@pytest.mark.parametrize("area", ["x1", "s", "d", "-1", "s-1", "1.5", "s" + "9" * 20, "٣", "<script>"])
def test_bad_areas_are_refused(city, client, area):
    client.force_login(city.users["city_admin"])
    api = client.get(API, {"area": area})
    assert api.status_code == 400 and api.json()["code"] in ("bad_area", "invalid_request")
    assert client.get(PAGE, {"area": area}).status_code == 400


@pytest.mark.parametrize("area", ["999999", "s999999", "d999999"])
def test_areas_that_do_not_exist_are_not_found(city, client, area):
    client.force_login(city.users["city_admin"])
    assert client.get(API, {"area": area}).status_code == 404
    assert client.get(PAGE, {"area": area}).status_code == 404


def test_a_community_is_not_a_report_area(city, client):
    client.force_login(city.users["city_admin"])
    assert client.get(API, {"area": str(city.communities["盐运西"].pk)}).status_code == 404


def test_the_menu_offers_the_report_to_readers_only(city, client):
    from shanlian.core.navigation import menu
    from shanlian.people.selectors import actor_scope

    for role in READERS:
        assert "reports:monthly" in [p.url_name for p in menu(actor_scope(city.users[role]))], role
    for role in REFUSED:
        assert "reports:monthly" not in [p.url_name for p in menu(actor_scope(city.users[role]))], role
