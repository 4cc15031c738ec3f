"""The partner pages ("My resources") and their API: a member opens their partner's page, registers and edits an
offer, records a delivery; everybody else is refused; the members page for the partner's managers; bad input gets a
code, never a 500."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from shanlian.resources import services as rs
from shanlian.resources.models import Offer, PartnerMember
from tests import factories as f

OTHERS = ["city_admin", "district_admin", "station_worker", "other_worker", "finance", "volunteer", "donor", "nobody",
          "org_manager"]


@pytest.fixture
def staff(hub, db):
    user = f.user_with_role("hospital_staff", "", person_in=hub.city.communities["盐运西"], name="陈志远")
    rs.partner_member_add(actor=hub.users["district_admin"], partner=hub.partners["hospital"], person=user.person,
                          title="志愿服务部主任")
    hub.users["hospital_staff"] = user
    return hub.client("hospital_staff")


def _match(hub):
    return rs.matches_commit(actor=hub.users["district_admin"], choices=[(hub.offers["clinic"].pk, hub.needs["bjj_clinic"].pk, 30)])[0]


def _json(c, method, url, body):
    return getattr(c, method)(url, data=json.dumps(body), content_type="application/json")


def test_a_member_opens_their_partners_page(hub, staff, db):
    m = _match(hub)
    r = staff.get(reverse("resources:mine_home"))
    assert r.status_code == 200
    text = r.content.decode()
    assert "越秀区中医院" in text and "社区义诊" in text and "北京街小学" not in text and "大学生志愿辅导" not in text
    assert f'data-match="{m.pk}"' in text
    assert staff.get(reverse("resources:mine_offer", args=[hub.offers["clinic"].pk])).status_code == 200
    assert staff.get(reverse("resources:mine_match", args=[m.pk])).status_code == 200
    assert staff.get(reverse("resources:needs")).status_code == 403  # the hub is not for them


@pytest.mark.parametrize("name", OTHERS)
def test_everybody_else_is_refused_the_partner_pages(hub, staff, db, name):
    m = _match(hub)
    c = hub.client(name)
    assert c.get(reverse("resources:mine_home")).status_code == 403
    assert c.get(reverse("resources:mine_offer", args=[hub.offers["clinic"].pk])).status_code == 403
    assert c.get(reverse("resources:mine_match", args=[m.pk])).status_code == 403
    assert c.get("/api/resources/mine/offers").json()["code"] == "not_partner_member"


def test_another_partners_offer_is_not_found(hub, staff, db):
    assert staff.get(reverse("resources:mine_offer", args=[hub.offers["tutoring"].pk])).status_code == 404
    assert staff.get(f"/api/resources/mine/offers/{hub.offers['tutoring'].pk}").status_code == 404
    assert staff.get(f"{reverse('resources:mine_home')}?partner={hub.partners['school'].pk}").status_code == 404


def test_anonymous_is_sent_to_login(hub, db):
    assert reverse("login") in hub.client("anonymous").get(reverse("resources:mine_home"))["Location"]
    assert hub.client("anonymous").get("/api/resources/mine/offers").status_code == 401


def test_the_page_registers_and_edits_an_offer_with_a_version(hub, staff, db):
    today = timezone.localdate().isoformat()
    yx = hub.city.districts["越秀"]
    r = staff.post(reverse("resources:mine_offer_new"), {
        "partner": hub.partners["hospital"].pk, "category": hub.cats["义诊"].pk, "title": "周末义诊", "quantity": "12",
        "division": yx.pk, "available_from": today})
    assert r.status_code == 302, r.content.decode()[:2000]
    o = Offer.objects.get(title="周末义诊")
    form = {"action": "edit", "title": "周末中医义诊", "quantity": "15", "division": yx.pk, "available_from": today, "version": 1}
    assert staff.post(reverse("resources:mine_offer", args=[o.pk]), form).status_code == 302
    stale = staff.post(reverse("resources:mine_offer", args=[o.pk]), {**form, "title": "覆盖"})
    assert stale.status_code == 409 and 'stale_offer' in stale.content.decode()
    o.refresh_from_db()
    assert (o.title, o.quantity, o.version) == ("周末中医义诊", 15, 2)
    bad = staff.post(reverse("resources:mine_offer", args=[o.pk]), {**form, "version": 2, "quantity": "abc"})
    assert bad.status_code == 400
    assert staff.post(reverse("resources:mine_offer", args=[o.pk]), {"action": "withdraw"}).status_code == 302
    o.refresh_from_db()
    assert o.status == "withdrawn"


def test_the_page_records_a_delivery(hub, staff, db):
    m = _match(hub)
    url = reverse("resources:mine_match", args=[m.pk])
    r = staff.post(url, {"action": "deliver", "quantity": "8", "delivered_on": timezone.localdate().isoformat(), "note": "首场"})
    assert r.status_code == 302
    m.refresh_from_db()
    assert (m.delivered, m.outstanding) == (8, 22)
    over = staff.post(url, {"action": "deliver", "quantity": "99", "delivered_on": timezone.localdate().isoformat()})
    assert over.status_code == 409 and "over_delivery" in over.content.decode()


def test_the_api_for_a_member(hub, staff, db):
    m = _match(hub)
    assert [p["id"] for p in staff.get("/api/resources/mine/partners").json()] == [hub.partners["hospital"].pk]
    offers = staff.get("/api/resources/mine/offers").json()
    assert [o["id"] for o in offers["results"]] == [hub.offers["clinic"].pk]
    yx = hub.city.districts["越秀"].pk
    body = {"category_id": hub.cats["义诊"].pk, "title": "口腔义诊", "quantity": "30", "division_id": yx,
            "available_from": timezone.localdate().isoformat()}
    made = _json(staff, "post", "/api/resources/mine/offers", body)
    assert made.status_code == 201 and made.json()["version"] == 1
    oid = made.json()["id"]
    edit = {**body, "version": 1, "title": "口腔健康义诊"}
    edit.pop("category_id")
    assert _json(staff, "put", f"/api/resources/mine/offers/{oid}", edit).json()["version"] == 2
    stale = _json(staff, "put", f"/api/resources/mine/offers/{oid}", edit)
    assert stale.status_code == 409 and stale.json()["code"] == "stale_offer"
    assert staff.post(f"/api/resources/mine/offers/{oid}/withdraw").json()["status"] == "withdrawn"
    committed = _json(staff, "put", f"/api/resources/mine/offers/{hub.offers['clinic'].pk}",
                      {**edit, "version": 1, "quantity": "10"})
    assert committed.status_code == 400 and committed.json()["code"] == "below_committed"
    d = _json(staff, "post", f"/api/resources/mine/matches/{m.pk}/deliveries", {"quantity": "5"})
    assert d.status_code == 201 and d.json()["delivered"] == "5"
    assert staff.get("/api/resources/mine/matches").json()["results"][0]["id"] == m.pk
    gifts = staff.get("/api/resources/mine/gifts").json()
    assert [(g["category"], g["delivered"]) for g in gifts] == [("义诊", "5")]


@pytest.mark.parametrize("body", [
    {"category_id": 1, "title": "", "quantity": "1", "division_id": 1, "available_from": "2026-01-01"},
    {"category_id": 1, "title": "x", "quantity": "-3", "division_id": 1, "available_from": "2026-01-01"},
    {"category_id": 1, "title": "x" * 101, "quantity": "1", "division_id": 1, "available_from": "2026-01-01"},
    {"category_id": 2_000_000_001, "title": "x", "quantity": "1", "division_id": 1, "available_from": "2026-01-01"},
    {"category_id": 1, "title": "x", "quantity": "1", "division_id": 1, "available_from": "nope"},
])
def test_bad_offers_are_refused_with_a_code(hub, staff, db, body):
    r = _json(staff, "post", "/api/resources/mine/offers", body)
    assert r.status_code in (400, 422) and "code" in r.json()


def test_the_members_page_and_api(hub, staff, db):
    partner = hub.partners["hospital"]
    admin = hub.client("district_admin")
    page = admin.get(reverse("resources:partner_members", args=[partner.pk]))
    assert page.status_code == 200 and "陈志远" in page.content.decode()
    f.user_with_role("new_staff", "", person_in=hub.city.communities["盐运西"], name="周倩")
    r = admin.post(reverse("resources:partner_members", args=[partner.pk]), {"action": "add", "username": "new_staff", "title": "干事"})
    assert r.status_code == 302
    unknown = admin.post(reverse("resources:partner_members", args=[partner.pk]), {"action": "add", "username": "no_such"})
    assert unknown.status_code == 400 and "login_not_found" in unknown.content.decode()
    member = PartnerMember.objects.get(person__real_name="周倩")
    api = admin.get(f"/api/resources/partners/{partner.pk}/members").json()
    assert {m["name"] for m in api} == {"陈志远", "周倩"}
    ended = admin.post(f"/api/resources/partners/{partner.pk}/members/{member.pk}/end").json()
    assert ended["active"] is False
    assert _json(admin, "post", f"/api/resources/partners/{partner.pk}/members", {"username": "new_staff"}).status_code == 201
    # the street's worker sees the partner but does not keep its members; other stations and outsiders do not see it
    worker = hub.client("station_worker")
    assert worker.get(reverse("resources:partner_members", args=[partner.pk])).status_code == 200
    refused = _json(worker, "post", f"/api/resources/partners/{partner.pk}/members", {"username": "new_staff"})
    assert refused.status_code == 403 and refused.json()["code"] == "not_partner_manager"
    assert hub.client("other_worker").get(reverse("resources:partner_members", args=[partner.pk])).status_code == 404
    assert hub.client("volunteer").get(f"/api/resources/partners/{partner.pk}/members").status_code == 403
    assert staff.get(reverse("resources:partner_members", args=[partner.pk])).status_code == 403
