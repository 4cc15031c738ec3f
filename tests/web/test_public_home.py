"""The public front door at `/`: appeals open now, activities to come, the station finder, the code box, search
(places too) and sign-in, for a visitor who is not signed in."""

from __future__ import annotations

from django.urls import reverse


def test_a_visitor_gets_the_front_door_with_the_open_appeal_and_the_way_in(client, books):
    resp = client.get("/")
    assert resp.status_code == 200
    body = resp.content.decode()
    for part in ("front-door", "open-appeals", "activities-to-come", "verify-box", "station-finder", "public-search"):
        assert f'data-testid="{part}"' in body, part
    assert reverse("give:campaign", args=[books.campaign.slug]) in body and books.campaign.title in body
    assert reverse("login") in body and reverse("accounts:signup") in body
    assert 'data-testid="public-nav"' in body and reverse("public:index") in body and reverse("give:campaign_list") in body


def test_the_station_finder_by_district_and_street(client, city):
    resp = client.get("/", {"district": city.districts["越秀"].pk})
    body = resp.content.decode()
    assert resp.status_code == 200 and "北京街道" in body and "人民街道" in body and "石牌街道" not in body
    resp = client.get("/", {"district": city.districts["越秀"].pk, "street": city.streets["人民街"].pk})
    assert "人民街道" in resp.content.decode() and "北京街道社工站" not in resp.content.decode()
    for bad in ({"district": "abc"}, {"district": "9" * 30}, {"street": "-1"}):
        assert client.get("/", bad).status_code == 400, bad


def test_the_code_box_leads_to_the_receipt_or_the_certificate(client, db):
    resp = client.get(reverse("web:verify"), {"kind": "receipt", "code": " abcd 2345 efgh "})
    assert resp.status_code == 302 and resp.url == reverse("public:receipt_verify", args=["ABCD2345EFGH"])
    resp = client.get(reverse("web:verify"), {"kind": "certificate", "code": "TB7XK2M9Q4"})
    assert resp.status_code == 302 and resp.url == reverse("timebank:certificate_verify", args=["TB7XK2M9Q4"])
    for bad in ({"kind": "receipt", "code": "<script>"}, {"kind": "other", "code": "ABCDEF"}, {}):
        assert client.get(reverse("web:verify"), bad).status_code == 400


def test_public_search_finds_funds_by_district_street_project_and_name(client, books):
    for query in ("越秀区", "北京街道", "长者饭堂", "北京街社区慈善基金"):
        body = client.get(reverse("public:index"), {"q": query}).content.decode()
        assert reverse("public:fund", args=[books.fund.code]) in body, query
    body = client.get(reverse("public:index"), {"q": "天河区"}).content.decode()
    assert reverse("public:fund", args=[books.fund.code]) not in body


def test_signed_in_users_get_their_own_home(login, city):
    assert 'data-testid="front-door"' not in login("station_worker").get("/").content.decode()
