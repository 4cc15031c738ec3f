"""The supervision API under /api/evaluation/supervision: tasks listed, read and completed, rectifications listed and
closed, groups formed and their sessions logged, the good-or-better rate; the pages' scopes, the same codes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from shanlian.evaluation.models import Rectification, SupervisionGroup, SupervisionTask, TaskKind

from .test_supervision import FINDINGS, NOON
from .test_supervision import generated as generated  # noqa: PLC0414 (a fixture)
from .test_supervision import staff as staff  # noqa: PLC0414 (a fixture)
from .test_supervision import sv as sv  # noqa: PLC0414 (a fixture)

pytestmark = pytest.mark.django_db
API = "/api/evaluation/supervision"


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def api(client):
    """api(user).get(path) → (status, json)."""

    class Caller:
        def __init__(self, user) -> None:
            client.force_login(user)

        def get(self, path: str, **params):
            r = client.get(API + path, params)
            return r.status_code, r.json()

        def post(self, path: str, body=None):
            r = client.post(API + path, data=json.dumps(body if body is not None else {}), content_type="application/json")
            return r.status_code, r.json()

    return Caller


def codes(body) -> set[str]:
    return {body.get("code"), *(e["code"] for errs in (body.get("fields") or {}).values() for e in errs)}


def test_tasks_are_listed_read_and_completed_within_scope(api, generated):
    sv = generated
    u = sv.users
    status, body = api(u["district_admin"]).get("/tasks", status="all")
    assert status == 200 and body["count"] == SupervisionTask.objects.filter(region=sv.city.districts["越秀"]).count()
    status, body = api(u["agency_manager"]).get("/tasks", kind="self_check")
    assert status == 200
    assert {t["project"]["name"] for t in body["results"]} == {"耆乐安居·独居长者探访", "人民街青少年成长营", "长者互助午餐"}
    assert api(u["expert"]).get("/tasks")[0] == 403
    assert api(u["agency_manager"]).get("/tasks", period="2026-13")[0] == 400
    task = sv.task(TaskKind.SELF_CHECK, sv.elder)
    assert api(u["other_worker"]).get(f"/tasks/{task.pk}")[0] == 404
    status, body = api(u["station_worker"]).get(f"/tasks/{task.pk}")
    assert status == 200 and (body["period"], body["due_on"], body["overdue"], body["findings"]) == ("2026-03", "2026-04-05", False, [])
    status, body = api(u["station_worker"]).post(f"/tasks/{task.pk}/complete", {"rating": "good"})
    assert status == 403 and body["code"] == "not_task_doer"
    status, body = api(u["agency_manager"]).post(f"/tasks/{task.pk}/complete", {"rating": "fair"})
    assert status == 400 and "findings_required" in codes(body)
    status, body = api(u["agency_manager"]).post(f"/tasks/{task.pk}/complete", {"rating": "fair", "findings": [
        {"text": "紧急联系人未更新", "severity": "major"}]})
    assert status == 400 and "rectification_required" in codes(body)
    status, body = api(u["agency_manager"]).post(f"/tasks/{task.pk}/complete",
                                                 {"rating": "fair", "note": "按计划推进", "findings": FINDINGS})
    assert status == 200 and body["status"] == "done" and body["rating"] == "fair" and body["open_rectifications"] == 1
    assert [f["severity"] for f in body["findings"]] == ["minor", "major"]
    assert body["findings"][1]["rectifications"][0]["due_on"] == "2026-03-31"
    status, again = api(u["agency_manager"]).post(f"/tasks/{task.pk}/complete", {"rating": "excellent"})
    assert status == 200 and again["rating"] == "fair"


def test_rectifications_are_listed_and_closed(api, generated):
    sv = generated
    u = sv.users
    api(u["agency_manager"]).post(f"/tasks/{sv.task(TaskKind.SELF_CHECK, sv.elder).pk}/complete", {"rating": "fair", "findings": FINDINGS})
    fix = Rectification.objects.get()
    status, body = api(u["district_admin"]).get("/rectifications")
    assert status == 200 and [r["id"] for r in body["results"]] == [fix.pk] and body["results"][0]["subject"] == "耆乐安居·独居长者探访"
    assert api(u["other_worker"]).get("/rectifications")[1]["count"] == 0
    assert api(u["other_worker"]).post(f"/rectifications/{fix.pk}/close", {"note": "已完成"})[0] == 404
    status, body = api(u["agency_manager"]).post(f"/rectifications/{fix.pk}/close", {"note": "", "closed_on": "2026-03-01"})
    assert status == 400 and {"required", "closed_out_of_range"} <= codes(body)
    status, body = api(u["agency_manager"]).post(f"/rectifications/{fix.pk}/close", {"note": "32户已逐户核实"})
    assert status == 200 and body["closed_on"] == "2026-03-10" and body["closing_note"] == "32户已逐户核实"
    assert api(u["agency_manager"]).get("/rectifications", status="closed")[1]["count"] == 1


def test_groups_and_sessions_through_the_api(api, city, staff):
    u = city.users
    body = {"organization_id": city.orgs["启明"].pk, "name": "北京街一带三督导小组", "supervisor_id": staff.senior.pk,
            "member_ids": [p.pk for p in staff.juniors], "started_on": "2026-01-05"}
    status, made = api(u["other_worker"]).post("/groups", body)
    assert status == 403 and made["code"] == "not_group_manager"
    status, made = api(u["agency_manager"]).post("/groups", {**body, "organization_id": 999999})
    assert status == 400 and made["code"] == "unknown_organization"
    status, made = api(u["agency_manager"]).post("/groups", {**body, "member_ids": [staff.senior.person.pk]})
    assert status == 400 and "supervisor_in_members" in codes(made)
    status, made = api(u["agency_manager"]).post("/groups", body)
    assert status == 201 and made["supervisor"]["name"] == "梁嘉慧" and len(made["members"]) == 3
    gid = made["id"]
    status, session = api(staff.senior).post(f"/groups/{gid}/sessions", {"held_on": "2026-02-10", "topic": "个案督导", "attendees": 4})
    assert status == 201 and session["attendees"] == 4
    assert api(staff.senior).post(f"/groups/{gid}/sessions", {"held_on": "2026-02-10", "topic": "个案督导", "attendees": 0})[0] == 400
    assert api(u["other_worker"]).post(f"/groups/{gid}/sessions", {"held_on": "2026-02-10", "topic": "x", "attendees": 1})[0] == 404
    status, listed = api(u["district_admin"]).get("/groups", year=2026)
    assert status == 200 and [(g["id"], g["sessions"], g["person_times"]) for g in listed["results"]] == [(gid, 1, 4)]
    status, detail = api(staff.juniors[0].user).get(f"/groups/{gid}")
    assert status == 200 and detail["years"] == [{"year": 2026, "sessions": 1, "person_times": 4}] and len(detail["session_list"]) == 1
    assert api(u["expert"]).get("/groups")[0] == 403
    assert SupervisionGroup.objects.count() == 1


def test_the_rate_by_district_organization_and_year(api, generated):
    sv = generated
    u = sv.users
    api(u["agency_manager"]).post(f"/tasks/{sv.task(TaskKind.SELF_CHECK, sv.elder).pk}/complete", {"rating": "excellent"})
    api(u["agency_manager"]).post(f"/tasks/{sv.task(TaskKind.SELF_CHECK, sv.youth).pk}/complete", {"rating": "poor", "findings": [
        {"text": "活动未按计划开展", "severity": "major",
         "rectification": {"action": "补办两场活动", "owner": "何主任", "due_on": "2026-04-30"}}]})
    status, body = api(u["city_admin"]).get("/rates")
    assert status == 200 and body["by"] == "district"
    rows = {r["name"]: r for r in body["rows"]}
    assert (rows["越秀区"]["rated"], rows["越秀区"]["good"], rows["越秀区"]["rate"]) == (2, 1, "50.0")
    assert rows["天河区"]["rate"] is None and body["total"]["rated"] == 2
    status, body = api(u["district_admin"]).get("/rates", by="organization", kind="self_check")
    assert status == 200 and {r["name"] for r in body["rows"]} == {"广州市越秀区启明社会工作服务中心", "广州市越秀区北京街长者互助协会"}
    status, body = api(u["other_worker"]).get("/rates", by="year")
    assert status == 200 and [(r["key"], r["rated"]) for r in body["rows"]] == [("2026", 0)]
    assert api(u["city_admin"]).get("/rates", by="province")[0] == 400
    assert api(u["donor"]).get("/rates")[0] == 403
    with time_machine.travel(dt.datetime(2026, 4, 20, 4, tzinfo=dt.UTC), tick=False):
        status, body = api(u["city_admin"]).get("/rates")
    assert body["total"]["overdue"] == 4  # the two self-checks not done, and the two spot-checks
