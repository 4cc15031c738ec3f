"""GET /api/divisions and /api/divisions/{id}: any signed-in caller, paginated, fixed query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shanlian.people.services import api_token_create
from shanlian.places.models import Division, Level
from tests import factories as f

pytestmark = pytest.mark.django_db



def test_list_needs_authentication(client, city):
    resp = client.get("/api/divisions")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


def test_detail_needs_authentication(client, city):
    resp = client.get(f"/api/divisions/{city.city.pk}")
    assert resp.status_code == 401


@pytest.mark.parametrize("username", ["nobody", "volunteer", "city_admin"])
def test_any_signed_in_user_lists_divisions(client, city, username):
    client.force_login(city.users[username])
    body = client.get("/api/divisions").json()
    assert body["count"] == Division.objects.count() == 10
    assert body["page"] == 1
    assert [d["code"] for d in body["results"]][:2] == ["440100", "440104"]
    assert set(body["results"][0]) == {"id", "name", "level", "code", "parent_id"}


def test_list_with_a_bearer_token(client, city):
    _, secret = api_token_create(actor=None, user=city.users["nobody"], name="etl")
    resp = client.get("/api/divisions?level=district", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp.status_code == 200
    assert [d["name"] for d in resp.json()["results"]] == ["越秀区", "天河区"]


def test_filters_by_level_and_parent(login, city):
    client = login("street_officer")
    body = client.get("/api/divisions", {"parent_id": city.streets["北京街"].pk}).json()
    assert [d["name"] for d in body["results"]] == ["盐运西社区", "都府社区"]
    body = client.get("/api/divisions", {"level": "street", "parent_id": city.districts["天河"].pk}).json()
    assert [d["name"] for d in body["results"]] == ["石牌街道"]
    too_large = client.get("/api/divisions", {"parent_id": 10**20, "level": "street"})  # found by the API fuzzer: was a 500
    assert too_large.status_code in (400, 422) and too_large.json()["code"] != "server_error"


def test_unknown_level_is_a_400(login, city):
    resp = login("nobody").get("/api/divisions?level=province")
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_request"
    assert "level" in resp.json()["fields"]


def test_pages(login, city):
    client = login("nobody")
    body = client.get("/api/divisions?page=2&page_size=4").json()
    assert (body["count"], body["page"], body["page_size"], len(body["results"])) == (10, 2, 4, 4)
    last = client.get("/api/divisions?page=3&page_size=4").json()
    assert len(last["results"]) == 2
    codes = [d["code"] for p in (1, 2, 3) for d in client.get(f"/api/divisions?page={p}&page_size=4").json()["results"]]
    assert len(set(codes)) == 10


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("page=0", "invalid_page"),
        ("page=-1", "invalid_page"),
        ("page=99", "page_out_of_range"),
        ("page_size=0", "invalid_page_size"),
        ("page_size=201", "invalid_page_size"),
        ("page=abc", "invalid_request"),
    ],
)
def test_bad_page_numbers_are_400(login, city, query, code):
    resp = login("nobody").get(f"/api/divisions?{query}")
    assert resp.status_code == 400
    assert resp.json()["code"] == code


def test_page_size_max_is_a_setting(login, city, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "API_PAGE_SIZE_MAX": 3}
    client = login("nobody")
    assert client.get("/api/divisions?page_size=4").status_code == 400
    assert client.get("/api/divisions?page_size=3").json()["page_size"] == 3


def test_empty_result_is_page_one(login, city):
    body = login("nobody").get(f"/api/divisions?parent_id={city.communities['东兴'].pk}").json()
    assert body == {"count": 0, "count_capped": False, "page": 1, "page_size": 25, "results": []}


def test_detail_has_the_ancestor_chain(login, city):
    body = login("volunteer").get(f"/api/divisions/{city.communities['盐运西'].pk}").json()
    assert body["name"] == "盐运西社区"
    assert body["level"] == "community"
    assert [a["name"] for a in body["ancestors"]] == ["广州市", "越秀区", "北京街道"]
    city_body = login("volunteer").get(f"/api/divisions/{city.city.pk}").json()
    assert city_body["ancestors"] == []
    assert city_body["parent_id"] is None


def test_detail_unknown_is_404(login, city):
    resp = login("nobody").get("/api/divisions/999999")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"


def test_detail_bad_id_is_a_json_404(login, city):
    for bad in ("abc", "9" * 30):
        resp = login("nobody").get(f"/api/divisions/{bad}")
        assert resp.status_code == 404 and resp.json()["code"] == "not_found"


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(login, city):
    client = login("street_officer")
    url = "/api/divisions?page_size=200"
    few = _queries(client, url)
    for i in range(30):
        f.division(f"新社区{i}", Level.COMMUNITY, f"440104002{100 + i:03d}", city.streets["人民街"])
    many = _queries(client, url)
    assert client.get(url).json()["count"] == 40
    assert few == many
    detail_few = _queries(client, f"/api/divisions/{city.communities['西湖'].pk}")
    detail_many = _queries(client, f"/api/divisions/{Division.objects.order_by('-pk').first().pk}")
    assert detail_few == detail_many
