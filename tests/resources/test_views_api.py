"""The hub's pages and API: who opens what (a denied-access matrix over the roles), the matching page committing the
proposals, a delivery recorded and confirmed on the match page, the API's codes, and bounded queries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from shanlian.resources.models import Delivery, Match

PAGES = ["resources:needs", "resources:offers", "resources:gifts", "resources:need_new"]
OUTSIDERS = ["finance", "expert", "volunteer", "donor", "nobody"]


@pytest.mark.parametrize("name", OUTSIDERS)
def test_outsiders_see_nothing(hub, db, name):
    c = hub.client(name)
    for page in ("resources:needs", "resources:offers", "resources:gifts", "resources:matching"):
        assert c.get(reverse(page)).status_code == 403, page
    assert c.get(reverse("resources:need", args=[hub.needs["bjj_clinic"].pk])).status_code in (403, 404)
    r = c.get("/api/resources/needs")
    assert r.status_code == 403 and r.json()["code"] == "not_hub_user"


def test_anonymous_is_sent_to_login(hub, db):
    assert reverse("login") in hub.client("anonymous").get(reverse("resources:needs"))["Location"]
    assert hub.client("anonymous").get("/api/resources/offers").status_code == 401


def test_another_station_does_not_see_the_need(hub, db):
    c = hub.client("other_worker")
    assert c.get(reverse("resources:need", args=[hub.needs["bjj_clinic"].pk])).status_code == 404
    assert c.get(f"/api/resources/needs/{hub.needs['bjj_clinic'].pk}").status_code == 404
    assert c.get(reverse("resources:offer", args=[hub.offers["clinic"].pk])).status_code == 404
    assert c.get(reverse("resources:matching")).status_code == 403


def test_pages_open_for_the_station(hub, db):
    c = hub.client("station_worker")
    for page in PAGES:
        r = c.get(reverse(page))
        assert r.status_code == 200, page
    assert "独居长者义诊" in c.get(reverse("resources:needs")).content.decode()
    assert c.get(reverse("resources:need", args=[hub.needs["bjj_clinic"].pk])).status_code == 200
    assert c.get(reverse("resources:offer", args=[hub.offers["clinic"].pk])).status_code == 200
    assert c.get(reverse("resources:offer_new")).status_code == 200  # the school is hers to register for
    assert c.get(reverse("resources:partner_new")).status_code == 200


def test_need_form_registers(hub, db):
    c = hub.client("station_worker")
    station = hub.city.stations["北京街"]
    r = c.post(reverse("resources:need_new"), {
        "owner": f"station:{station.pk}", "category": hub.cats["课业辅导"].pk, "title": "暑期托管", "quantity": "１２",
        "division": hub.city.streets["北京街"].pk, "needed_by": "2099-01-01"})
    assert r.status_code == 400 and "date_out_of_range" in r.content.decode()
    day = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    r = c.post(reverse("resources:need_new"), {
        "owner": f"station:{station.pk}", "category": hub.cats["课业辅导"].pk, "title": "暑期托管", "quantity": "１２",
        "division": hub.city.streets["北京街"].pk, "needed_by": day})
    assert r.status_code == 302


def test_matching_page_commits_then_the_station_confirms(hub, db):
    officer = hub.client("district_admin")
    area = hub.city.districts["越秀"].pk
    r = officer.get(reverse("resources:matching"), {"area": area})
    assert r.status_code == 200
    picks = list(r.context["rows"])
    assert len(picks) == 4 and all(row["reason"] for row in picks)
    r = officer.post(reverse("resources:matching") + f"?area={area}", {"area": area, "pick": [row["pick"] for row in picks]})
    assert r.status_code == 302 and Match.objects.count() == 4
    m = Match.objects.get(need=hub.needs["bjj_tutoring"])
    url = reverse("resources:match", args=[m.pk])
    school = hub.client("station_worker")
    r = school.post(url, {"action": "deliver", "quantity": "25", "delivered_on": timezone.localdate().isoformat()})
    assert r.status_code == 409 and "over_delivery" in r.content.decode()
    r = school.post(url, {"action": "deliver", "quantity": "12", "delivered_on": "2026-01-01"})  # before the match
    assert r.status_code == 400 and not Delivery.objects.filter(match=m).exists()
    r = school.post(url, {"action": "deliver", "quantity": "12", "delivered_on": ""})
    assert r.status_code == 400
    r = school.post(url, {"action": "deliver", "quantity": "12", "delivered_on": timezone.localdate().isoformat()})
    assert r.status_code == 302
    d = Delivery.objects.get(match=m)
    r = school.post(url, {"action": "confirm", "delivery": d.pk})
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.confirmed_at is not None
    r = hub.client("district_admin").get(reverse("resources:gifts"))
    assert "北京街小学" in r.content.decode()


def test_api_propose_commit_deliver_confirm(hub, db):
    c = hub.client("street_officer")
    r = c.post("/api/resources/proposals", json.dumps({"area_id": hub.city.streets["北京街"].pk}), content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    money = next(p for p in body["proposals"] if p["need_id"] == hub.needs["bjj_money"].pk)
    assert money["quantity"] == "2000.50" and "慈善资金" in money["reason"]
    too_much = {"matches": [{"offer_id": hub.offers["tutoring"].pk, "need_id": hub.needs["bjj_tutoring"].pk, "quantity": "41"}]}
    r = c.post("/api/resources/matches", json.dumps(too_much), content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "offer_exceeded"
    ok = {"matches": [{"offer_id": hub.offers["money"].pk, "need_id": hub.needs["bjj_money"].pk, "quantity": "2000.50"}]}
    r = c.post("/api/resources/matches", json.dumps(ok), content_type="application/json")
    assert r.status_code == 201, r.content
    match_id = r.json()[0]["id"]
    r = c.post(f"/api/resources/matches/{match_id}/deliveries", json.dumps({"quantity": "2000.51"}), content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "over_delivery"
    r = c.post(f"/api/resources/matches/{match_id}/deliveries", json.dumps({"quantity": "2000.50"}), content_type="application/json")
    assert r.status_code == 201 and r.json()["state"] == "awaiting_confirmation"
    delivery = r.json()["deliveries"][0]["id"]
    assert c.post(f"/api/resources/deliveries/{delivery}/confirm").status_code == 403  # the officer is not the receiver
    r = hub.client("station_worker").post(f"/api/resources/deliveries/{delivery}/confirm")
    assert r.status_code == 200 and r.json()["state"] == "done"
    gifts = hub.client("org_manager").get("/api/resources/gifts").json()
    assert [(g["partner"], g["confirmed"]) for g in gifts] == [("广州市善源公益基金会", "2000.50")]


def test_lists_take_bounded_queries(hub, db, django_assert_max_num_queries):
    c = hub.client("city_admin")
    for path in ("/api/resources/needs", "/api/resources/offers", "/api/resources/matches"):
        with django_assert_max_num_queries(12):
            assert c.get(path).status_code == 200
    with django_assert_max_num_queries(20):
        assert c.get(reverse("resources:needs")).status_code == 200
