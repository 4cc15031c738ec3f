"""The wall (no login, de-identified, constant queries), the claim on a phone, the claimant's own page, the station's wish
page with its actions, the denied-access matrix, and the API's answers and refusals with their codes."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shanlian.wishes import services as ws
from shanlian.wishes import services_fulfil as wf
from shanlian.wishes.models import Wish, WishClaim

from .conftest import ADDRESS, PNG, photo

pytestmark = pytest.mark.django_db
NAME = "陈秀英"


def test_the_wall_shows_no_name_or_address_and_needs_no_login(site):
    wish = site.wish(private_note="老人右耳听力差")
    body = site.client("anonymous").get(reverse("wishes_public:wall")).content.decode()
    assert "一台电风扇" in body and "盐运西社区" in body and "180" in body
    for secret in (NAME, ADDRESS, "陈**", "听力", "1952", "/cases/"):
        assert secret not in body, secret
    page = site.client("anonymous").get(reverse("wishes_public:wish", args=[wish.pk])).content.decode()
    assert "一台电风扇" in page and NAME not in page and ADDRESS[:6] not in page and "听力" not in page


def test_the_walls_queries_are_constant(site):
    client = site.client("anonymous")
    url = reverse("wishes_public:wall")
    site.wish()
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for i in range(6):
        w = site.wish(title=f"老花镜{i}", value="80")
        if i % 2:
            ws.wish_claim(actor=site.users["donor"], wish=w)
    done = site.wish(title="冬季棉被", value="150")
    ws.wish_claim(actor=site.users["volunteer"], wish=done)
    wf.wish_fulfil(actor=site.users["station_worker"], wish=done, kind="money", value="150")
    wf.wish_confirm(actor=site.users["station_worker"], wish=done, photo=photo(), acknowledged_by="beneficiary",
                    acknowledged_how="verbal", acknowledged_on=timezone.localdate())
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
        assert client.get(url + "?state=done").status_code == 200
    assert len(many) == 2 * len(one), [q["sql"] for q in many.captured_queries]


def test_the_wall_filters_by_district_street_and_kind(site):
    site.wish()
    ws.wish_register(actor=site.users["other_worker"], beneficiary=site.far, title="助听器电池一年份", wish_for="disabled",
                     kind="money", value="240", needed_by=timezone.localdate() + timezone.timedelta(days=10))
    client = site.client("anonymous")
    url = reverse("wishes_public:wall")
    th = client.get(url, {"district": site.city.districts["天河"].pk}).content.decode()
    assert "助听器电池" in th and "一台电风扇" not in th
    assert "一台电风扇" in client.get(url, {"street": site.city.streets["北京街"].pk}).content.decode()
    assert "一台电风扇" not in client.get(url, {"kind": "money"}).content.decode()
    assert client.get(url, {"district": "x", "street": "²"}).status_code == 200


def test_a_donor_claims_on_a_phone_and_reads_the_stations_message(site):
    wish = site.wish()
    client = site.client("donor")
    assert site.client("anonymous").get(reverse("wishes:claim", args=[wish.pk])).status_code == 302  # sign in first
    assert site.client("station_worker").get(reverse("wishes:claim", args=[wish.pk])).status_code == 403  # own station
    page = client.get(reverse("wishes:claim", args=[wish.pk]))
    assert page.status_code == 200 and 'data-testid="claim-form"' in page.content.decode()
    bad = client.post(reverse("wishes:claim", args=[wish.pk]), {"kind": "company", "company_name": "", "credit_code": "123"})
    assert bad.status_code == 400 and 'data-error-code="required"' in bad.content.decode()
    done = client.post(reverse("wishes:claim", args=[wish.pk]), {"kind": "self", "contact": "13800138000"})
    assert done.status_code == 302 and done["Location"] == reverse("wishes:mine")
    again = site.client("volunteer").post(reverse("wishes:claim", args=[wish.pk]), {"kind": "self"})
    taken = again.content.decode()  # the page says it is taken, with the code
    assert again.status_code == 409 and 'data-testid="not-open"' in taken and 'data-error-code="already_claimed"' in taken
    staff = site.client("station_worker")
    sent = staff.post(reverse("wishes:message", args=[wish.pk]), {"text": "请周六上午十点到北京路1号社工站交接"})
    assert sent.status_code == 302
    mine = client.get(reverse("wishes:mine")).content.decode()
    assert "北京路1号社工站交接" in mine and NAME not in mine and ADDRESS not in mine
    assert "北京路1号" not in site.client("volunteer").get(reverse("wishes:mine")).content.decode()
    assert "北京路1号" not in site.client("anonymous").get(reverse("wishes_public:wish", args=[wish.pk])).content.decode()


def test_the_claimant_withdraws_on_the_page_and_others_cannot(site):
    wish = site.wish()
    claim = ws.wish_claim(actor=site.users["donor"], wish=wish)
    url = reverse("wishes:claim_withdraw", args=[claim.pk])
    assert site.client("volunteer").post(url).status_code == 404
    assert site.client("donor").post(url).status_code == 302
    assert Wish.objects.get(pk=wish.pk).status == "open"


def test_the_stations_page_records_and_confirms(site):
    wish = site.wish(private_note="老人右耳听力差")
    ws.wish_claim(actor=site.users["donor"], wish=wish)
    staff = site.client("station_worker")
    page = staff.get(reverse("wishes:wish", args=[wish.pk])).content.decode()
    assert NAME in page and "听力" in page and 'data-testid="fulfil-form"' in page
    over = staff.post(reverse("wishes:fulfil", args=[wish.pk]), {"kind": "goods", "value": "200", "goods_item": "电风扇",
                                                                 "goods_quantity": "1", "goods_unit": "台",
                                                                 "delivered_on": timezone.localdate().isoformat()})
    assert over.status_code == 400 and 'data-error-code="over_value"' in over.content.decode()
    ok = staff.post(reverse("wishes:fulfil", args=[wish.pk]), {"kind": "goods", "value": "180", "goods_item": "电风扇",
                                                               "goods_quantity": "1", "goods_unit": "台",
                                                               "delivered_on": timezone.localdate().isoformat()})
    assert ok.status_code == 302
    nophoto = staff.post(reverse("wishes:confirm", args=[wish.pk]), {"acknowledged_by": "beneficiary", "acknowledged_how": "signature",
                                                                     "acknowledged_on": timezone.localdate().isoformat()})
    assert nophoto.status_code == 400 and 'data-error-code="photo_required"' in nophoto.content.decode()
    done = staff.post(reverse("wishes:confirm", args=[wish.pk]), {"photo": photo(), "acknowledged_by": "family",
                                                                  "acknowledged_how": "thumbprint",
                                                                  "acknowledged_on": timezone.localdate().isoformat()})
    assert done.status_code == 302 and Wish.objects.get(pk=wish.pk).status == "confirmed"
    assert staff.get(reverse("wishes:photo", args=[wish.pk])).status_code == 200
    wall = site.client("anonymous").get(reverse("wishes_public:wall")).content.decode()
    assert 'data-testid="leader"' in wall and "捐**" in wall


@pytest.mark.parametrize("who, status", [("other_worker", 404), ("volunteer", 404), ("donor", 404), ("nobody", 404),
                                         ("finance", 404), ("expert", 404)])
def test_denied_access_to_the_stations_wish_page(site, who, status):
    wish = site.wish(private_note="老人右耳听力差")
    client = site.client(who)
    for name in ("wish", "edit", "photo"):
        assert client.get(reverse(f"wishes:{name}", args=[wish.pk])).status_code == status, name
    for name in ("cancel", "message", "fulfil", "confirm"):
        assert client.post(reverse(f"wishes:{name}", args=[wish.pk]), {"reason": "x", "text": "x"}).status_code == status, name
    api = client.get(f"/api/wishes/station/{wish.pk}")
    assert api.status_code == 404 and "听力" not in api.content.decode()
    assert Wish.objects.get(pk=wish.pk).status == "open"


def test_officers_see_masked_and_change_nothing(site):
    wish = site.wish(private_note="老人右耳听力差")
    client = site.client("street_officer")
    page = client.get(reverse("wishes:wish", args=[wish.pk])).content.decode()
    assert "陈**" in page and NAME not in page and "听力" not in page and 'data-testid="fulfil-form"' not in page
    assert client.post(reverse("wishes:cancel", args=[wish.pk]), {"reason": "x"}).status_code == 403
    assert client.get(reverse("wishes:edit", args=[wish.pk])).status_code == 403
    body = client.get(f"/api/wishes/station/{wish.pk}").json()
    assert body["beneficiary"] == "陈**" and body["private_note"] == ""


def test_lists_and_stats_are_scoped(site):
    site.wish()
    assert "一台电风扇" in site.client("station_worker").get(reverse("wishes:list")).content.decode()
    assert "一台电风扇" not in site.client("other_worker").get(reverse("wishes:list")).content.decode()
    for who in ("donor", "volunteer", "nobody"):
        assert site.client(who).get(reverse("wishes:list")).status_code == 403
        assert site.client(who).get(reverse("wishes:stats")).status_code == 403
        assert site.client(who).get("/api/wishes/stats").status_code == 403
    stats = site.client("district_admin").get(reverse("wishes:stats")).content.decode()
    assert 'data-testid="stats-row"' in stats


def test_the_station_registers_on_the_page(site):
    client = site.client("station_worker")
    url = reverse("wishes:new")
    assert client.get(url).status_code == 200
    form = {"beneficiary": site.elder.pk, "title": "学习书桌", "wish_for": "student", "kind": "goods", "value": "350",
            "needed_by": (timezone.localdate() + timezone.timedelta(days=20)).isoformat()}
    capped = client.post(url, {**form, "value": "600"})
    assert capped.status_code == 400 and 'data-error-code="over_cap"' in capped.content.decode()
    past = client.post(url, {**form, "needed_by": timezone.localdate().isoformat()})
    assert past.status_code == 400 and 'data-error-code="needed_by_past"' in past.content.decode()
    assert client.post(url, form).status_code == 302
    assert site.client("donor").get(url).status_code == 403


def test_the_api_wall_claim_and_station(site):
    wish = site.wish()
    anon = site.client("anonymous")
    wall = anon.get("/api/wishes/wall").json()
    assert wall["count"] == 1 and wall["results"][0]["community"] == "盐运西社区" and NAME not in str(wall)
    assert anon.get(f"/api/wishes/wall/{wish.pk}").status_code == 200
    assert anon.post(f"/api/wishes/wall/{wish.pk}/claim", {}, content_type="application/json").status_code == 401
    donor = site.client("donor")
    made = donor.post(f"/api/wishes/wall/{wish.pk}/claim", {"kind": "party", "party_members": 6, "party_branch": "某公司党支部"},
                      content_type="application/json")
    assert made.status_code == 201 and made.json()["party_members"] == 6
    second = site.client("volunteer").post(f"/api/wishes/wall/{wish.pk}/claim", {}, content_type="application/json")
    assert second.status_code == 409 and second.json()["code"] == "already_claimed"
    staff = site.client("station_worker")
    fulfil = staff.post(f"/api/wishes/station/{wish.pk}/fulfilments", {"kind": "money", "value": "999", "channel": "cash"},
                        content_type="application/json")
    assert fulfil.status_code == 400 and fulfil.json()["code"] == "over_value"
    ok = staff.post(f"/api/wishes/station/{wish.pk}/fulfilments", {"kind": "money", "value": "180", "channel": "transfer",
                                                                   "project_id": site.project.pk}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["donation_id"]
    no_ack = staff.post(f"/api/wishes/station/{wish.pk}/confirm", {"photo_base64": base64.b64encode(PNG).decode(),
                                                                   "photo_name": "a.png"}, content_type="application/json")
    assert no_ack.status_code == 400 and no_ack.json()["code"] == "acknowledgement_required"
    done = staff.post(f"/api/wishes/station/{wish.pk}/confirm", {"photo_base64": base64.b64encode(PNG).decode(), "photo_name": "a.png",
                                                                 "acknowledged_by": "beneficiary", "acknowledged_how": "signature",
                                                                 "acknowledged_on": timezone.localdate().isoformat()},
                      content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    mine = donor.get("/api/wishes/my-claims").json()
    assert mine["results"][0]["status"] == "confirmed" and NAME not in str(mine)
    board = anon.get("/api/wishes/leaderboard").json()
    assert board == [{"label": "某公司党支部", "wishes": 1, "value": "180.00"}] or board[0]["wishes"] == 1
    stats = site.client("street_officer").get("/api/wishes/stats").json()
    assert stats[0]["party_person_times"] == 6 and stats[0]["fulfilled"] == 1
    assert WishClaim.objects.filter(wish=wish, status="confirmed").count() == 1


def test_the_api_refuses_bad_input(site):
    staff = site.client("station_worker")
    base = {"beneficiary_id": site.elder.pk, "title": "电风扇", "wish_for": "elder_alone", "kind": "goods",
            "needed_by": (timezone.localdate() + timezone.timedelta(days=5)).isoformat()}
    for value, code in (("600", "over_cap"), ("0", "amount_not_positive"), ("1e3", "invalid_number")):
        r = staff.post("/api/wishes/station", {**base, "value": value}, content_type="application/json")
        assert r.status_code == 400 and code in str(r.json()), (value, r.json())
    r = staff.post("/api/wishes/station", {**base, "value": "100", "needed_by": "2020-01-01"}, content_type="application/json")
    assert r.status_code == 400 and "needed_by_past" in str(r.json())
    made = staff.post("/api/wishes/station", {**base, "value": "100"}, content_type="application/json").json()
    stale = staff.post(f"/api/wishes/station/{made['id']}/edit", {"version": 9, "value": "90"}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    cancelled = staff.post(f"/api/wishes/station/{made['id']}/cancel", {"reason": "已由家属购买"}, content_type="application/json")
    assert cancelled.json()["status"] == "cancelled"
    claim = site.client("donor").post(f"/api/wishes/wall/{made['id']}/claim", {}, content_type="application/json")
    assert claim.status_code == 404  # a cancelled wish is off the wall
    own = staff.post(f"/api/wishes/wall/{site.wish().pk}/claim", {}, content_type="application/json")
    assert own.status_code == 403 and own.json()["code"] == "own_station"
    assert site.client("anonymous").get("/api/wishes/wall?page_size=0").status_code == 400
