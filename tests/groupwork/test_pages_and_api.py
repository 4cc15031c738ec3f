"""Pages and API under the same scopes: the station's team sees names and writes; officers above see programmes and counts
but no member's name (asserted on the HTML and the JSON); anyone else nothing; list pages in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shanlian.groupwork import services as gs
from shanlian.groupwork.models import Session

from .conftest import ELDER, days_ago

TEAM = ["station_worker", "agency_manager"]
OFFICERS = ["street_officer", "district_admin", "city_admin"]
NOBODY = ["other_worker", "volunteer", "donor", "finance", "expert", "nobody"]


@pytest.mark.parametrize("who", TEAM)
def test_the_team_sees_names(site, db, who):
    c = site.client(who)
    html = c.get(reverse("groupwork:programme", args=[site.group.pk])).content.decode()
    assert ELDER in html and 'data-testid="record-session"' in html
    body = c.get(f"/api/groupwork/programmes/{site.group.pk}").json()
    assert body["names_visible"] is True and ELDER in {m["name"] for m in body["members"]}
    assert {m["name"]: m["beneficiary"] for m in body["members"]}[ELDER] is True
    s = c.get(f"/api/groupwork/sessions/{site.sessions[0].pk}").json()
    assert ELDER in {a["name"] for a in s["attendees"]}


@pytest.mark.parametrize("who", OFFICERS)
def test_officers_see_counts_but_no_names(site, db, who):
    c = site.client(who)
    for url in (reverse("groupwork:programme", args=[site.group.pk]), reverse("groupwork:session", args=[site.sessions[0].pk]),
                reverse("groupwork:programmes")):
        r = c.get(url)
        html = r.content.decode()
        assert r.status_code == 200 and ELDER not in html and "李伟" not in html, url
    html = c.get(reverse("groupwork:programme", args=[site.group.pk])).content.decode()
    assert 'data-testid="names-hidden"' in html and 'data-testid="person-times">8<' in html
    assert 'data-testid="record-session"' not in html
    for url in (f"/api/groupwork/programmes/{site.group.pk}", f"/api/groupwork/sessions/{site.sessions[0].pk}",
                "/api/groupwork/programmes"):
        r = c.get(url)
        assert r.status_code == 200 and ELDER not in r.content.decode()
    body = c.get(f"/api/groupwork/programmes/{site.group.pk}").json()
    assert body["members"] is None and body["member_count"] == 5 and body["person_times"] == 8
    assert c.get(reverse("groupwork:session_new", args=[site.group.pk])).status_code == 403
    r = c.post(f"/api/groupwork/programmes/{site.group.pk}/sessions", _session_body(site), content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "not_station_team"


@pytest.mark.parametrize("who", NOBODY)
def test_everyone_else_sees_nothing(site, db, who):
    c = site.client(who)
    for url in (reverse("groupwork:programme", args=[site.group.pk]), reverse("groupwork:session", args=[site.sessions[0].pk]),
                reverse("groupwork:session_new", args=[site.group.pk]), reverse("groupwork:members_enrol", args=[site.group.pk]),
                reverse("groupwork:programme_end", args=[site.group.pk]),
                f"/api/groupwork/programmes/{site.group.pk}", f"/api/groupwork/sessions/{site.sessions[0].pk}"):
        r = c.get(url)
        assert r.status_code == 404 and ELDER not in r.content.decode(), url
    listing = c.get("/api/groupwork/programmes")
    assert site.group.title not in listing.content.decode()
    page = c.get(reverse("groupwork:programmes"))
    assert site.group.title not in page.content.decode()


def test_the_other_station_sees_its_own_only(site, db):
    body = site.client("other_worker").get("/api/groupwork/programmes").json()
    assert [r["title"] for r in body["results"]] == ["残障人士手工坊"]


def test_the_public_is_sent_to_log_in(site, db):
    c = site.client("anonymous")
    assert c.get(reverse("groupwork:programme", args=[site.group.pk])).status_code == 302
    assert c.get("/api/groupwork/programmes").status_code == 401


def _session_body(site, **kw):
    body = {"held_on": str(days_ago(1)), "starts_at": "09:30", "minutes": 90, "venue": "活动室", "theme": "防跌倒",
            "present_person_ids": [site.people[ELDER].pk], "worker_ids": [site.users["station_worker"].pk]}
    body.update(kw)
    return body


def test_api_records_a_session_and_refuses_bad_ones(site, db):
    c = site.client("station_worker")
    url = f"/api/groupwork/programmes/{site.group.pk}/sessions"
    r = c.post(url, _session_body(site), content_type="application/json")
    assert r.status_code == 201 and r.json()["person_times"] == 1 and r.json()["number"] == 3
    bad = {
        "date_in_future": {"held_on": str(dt.date.today() + dt.timedelta(days=3))},
        "not_member": {"present_person_ids": [site.people["周叔"].pk]},
        "duplicate_attendance": {"present_person_ids": [site.people[ELDER].pk, site.people[ELDER].pk]},
        "too_large": {"minutes": 9999},
        "worker_other_station": {"worker_ids": [site.users["other_worker"].pk]},
        "headcount_not_for_group": {"headcount": 4},
        "invalid_time": {"starts_at": "25:99"},
    }
    for code, change in bad.items():
        before = Session.objects.count()
        r = c.post(url, _session_body(site, **change), content_type="application/json")
        body = r.json()
        codes = {body["code"], *(e["code"] for errs in (body.get("fields") or {}).values() for e in errs)}
        assert r.status_code == 400 and code in codes, (code, body)
        assert Session.objects.count() == before


def test_api_creates_enrols_and_ends(site, db):
    c = site.client("station_worker")
    r = c.post("/api/groupwork/programmes", {
        "station_id": site.city.stations["北京街"].pk, "kind": "community", "title": "社区义诊", "care_area": "other",
        "planned_sessions": 2, "starts_on": str(days_ago(2)), "leader_ids": [site.users["station_worker"].pk]},
        content_type="application/json")
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    r = c.post(f"/api/groupwork/programmes/{pid}/members", {"person_ids": [site.people["黄伯"].pk]}, content_type="application/json")
    assert r.status_code == 201 and r.json()["member_count"] == 1
    r = c.post(f"/api/groupwork/programmes/{pid}/members", {"person_ids": [site.people["东兴居民"].pk]},
               content_type="application/json")
    assert r.status_code == 400 and r.json()["fields"]["person_ids"][0]["code"] == "person_outside_station"
    r = c.post(f"/api/groupwork/programmes/{pid}/sessions", _session_body(site, present_person_ids=[site.people["黄伯"].pk],
                                                                           headcount=86), content_type="application/json")
    assert r.status_code == 201 and r.json()["person_times"] == 87
    r = c.post(f"/api/groupwork/programmes/{pid}/end", {"summary": "义诊两场，服务居民八十七人次。"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "ended"
    r = c.post(f"/api/groupwork/programmes/{pid}/sessions", _session_body(site, present_person_ids=[], headcount=5),
               content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "programme_ended"
    r = c.post("/api/groupwork/programmes", {
        "station_id": site.city.stations["石牌街"].pk, "kind": "community", "title": "x", "care_area": "other",
        "planned_sessions": 1, "starts_on": str(days_ago(2)), "leader_ids": [site.users["station_worker"].pk]},
        content_type="application/json")
    assert r.status_code == 400 and r.json()["fields"]["station_id"][0]["code"] == "not_station_team"


def test_api_counts_match_the_monthly_rule(site, db):
    rows = site.client("district_admin").get(f"/api/groupwork/counts?month={days_ago(0)}").json()
    assert {r["station_id"] for r in rows} >= {site.city.stations["北京街"].pk}
    assert site.client("district_admin").get("/api/groupwork/counts?month=9999-12-31").status_code == 400


def test_pages_record_a_session_with_a_checklist(site, db):
    c = site.client("station_worker")
    url = reverse("groupwork:session_new", args=[site.group.pk])
    html = c.get(url).content.decode()
    assert 'data-testid="checklist-present"' in html and ELDER in html and 'name="headcount"' not in html
    members = {m.person_id: m.pk for m in site.group.members.all()}
    r = c.post(url, {"held_on": str(days_ago(1)), "starts_at": "09:30", "minutes": "90", "venue": "活动室", "theme": "八段锦",
                     "present": [members[site.people[ELDER].pk], members[site.people["李伟"].pk]],
                     "workers": [site.users["station_worker"].pk]})
    assert r.status_code == 302
    assert Session.objects.filter(programme=site.group).order_by("-number").first().person_times == 2
    r = c.post(url, {"held_on": str(days_ago(-2)), "starts_at": "09:30", "minutes": "90", "venue": "活动室", "theme": "x",
                     "present": [members[site.people[ELDER].pk]], "workers": [site.users["station_worker"].pk]})
    assert r.status_code == 400 and 'data-error-code="date_in_future"' in r.content.decode()


def test_pages_enrol_and_end(site, db):
    c = site.client("station_worker")
    url = reverse("groupwork:members_enrol", args=[site.group.pk])
    html = c.get(url, {"q": "周"}).content.decode()
    assert "周叔" in html and "东兴居民" not in html
    assert c.post(url + "?q=周", {"people": [site.people["周叔"].pk]}).status_code == 302
    assert site.group.members.count() == 6
    url = reverse("groupwork:programme_end", args=[site.group.pk])
    assert c.post(url, {"summary": "短"}).status_code == 400
    assert c.post(url, {"summary": "六节小组完成，组员掌握了血压自我监测。"}).status_code == 302
    assert 'data-testid="summary"' in c.get(reverse("groupwork:programme", args=[site.group.pk])).content.decode()


def test_a_member_leaves_on_the_page_and_the_api(site, db):
    from shanlian.groupwork.models import Member

    c = site.client("station_worker")
    member = Member.objects.get(programme=site.group, person=site.people["梁姨"])
    page = c.get(reverse("groupwork:programme", args=[site.group.pk])).content.decode()
    assert page.count('data-testid="leave"') == 5
    url = reverse("groupwork:member_leave", args=[member.pk])
    assert c.get(url).status_code == 405
    bad = c.post(url, {"left_on": "明天"}, follow=True).content.decode()
    assert 'invalid_date' in bad and Member.objects.get(pk=member.pk).left_on is None
    early = c.post(url, {"left_on": days_ago(41).isoformat()}, follow=True).content.decode()
    assert "before_joined" in early and Member.objects.get(pk=member.pk).left_on is None
    assert site.client("street_officer").post(url, {}).status_code == 403
    assert site.client("other_worker").post(url, {}).status_code == 404
    assert c.post(url, {"left_on": days_ago(20).isoformat()}).status_code == 302
    page = c.get(reverse("groupwork:programme", args=[site.group.pk])).content.decode()
    assert 'data-testid="member-left"' in page and page.count('data-testid="leave"') == 4
    other = Member.objects.get(programme=site.group, person=site.people["何婆婆"])
    api = c.post(f"/api/groupwork/members/{other.pk}/leave", {}, content_type="application/json")
    assert api.status_code == 200 and {m["id"]: m["left_on"] for m in api.json()["members"]}[other.pk] == timezone.localdate().isoformat()
    again = c.post(f"/api/groupwork/members/{other.pk}/leave", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_left"

    # 梁姨 (left 20 days ago) comes back through the enrol page; 何婆婆 (left today) through the API, refused until tomorrow
    enrol = reverse("groupwork:members_enrol", args=[site.group.pk])
    assert "梁姨" in c.get(enrol).content.decode()
    assert c.post(enrol, {"people": [site.people["梁姨"].pk]}).status_code == 302
    page = c.get(reverse("groupwork:programme", args=[site.group.pk])).content.decode()
    assert page.count('data-testid="member-back"') == 1 and page.count('data-testid="leave"') == 4
    back = c.post(f"/api/groupwork/programmes/{site.group.pk}/members", {"person_ids": [site.people["何婆婆"].pk]},
                  content_type="application/json")
    assert back.status_code == 409 and back.json()["code"] == "rejoined_before_left"


def test_new_programme_page(site, db):
    c = site.client("station_worker")
    assert c.get(reverse("groupwork:programme_new")).status_code == 200
    r = c.post(reverse("groupwork:programme_new"), {
        "station": site.city.stations["北京街"].pk, "kind": "group", "title": "青少年成长小组", "care_area": "children",
        "group_type": "growth", "planned_sessions": "6", "starts_on": str(days_ago(0)), "leaders": [site.users["station_worker"].pk]})
    assert r.status_code == 302
    assert site.client("street_officer").get(reverse("groupwork:programme_new")).status_code == 403


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_lists_and_pages_take_a_fixed_number_of_queries(site, db):
    c = site.client("station_worker")
    urls = [reverse("groupwork:programmes"), "/api/groupwork/programmes", reverse("groupwork:programme", args=[site.group.pk]),
            f"/api/groupwork/programmes/{site.group.pk}"]
    before = [_queries(c, u) for u in urls]
    worker = site.users["station_worker"]
    for i in range(3):
        p = gs.programme_create(actor=worker, station=site.city.stations["北京街"], kind="community", title=f"活动{i}",
                                care_area="elderly", planned_sessions=1, starts_on=days_ago(3), leaders=[worker])
        gs.session_record(actor=worker, programme=p, held_on=days_ago(2), starts_at=dt.time(9), minutes=60, venue="广场",
                          theme="t", workers=[worker], headcount=10)
    gs.session_record(actor=worker, programme=site.group, held_on=days_ago(1), starts_at=dt.time(9), minutes=60, venue="v",
                      theme="t", workers=[worker], present=[site.people[ELDER], site.people["李伟"]])
    after = [_queries(c, u) for u in urls]
    assert after == before


def test_the_menu_offers_the_page(site, db):
    for who, sees in (("station_worker", True), ("street_officer", True), ("volunteer", False), ("donor", False)):
        html = site.client(who).get("/").content.decode()
        assert (reverse("groupwork:programmes") in html) is sees, who
