"""The supervision calendar, one test per rule: the generator's tasks (each period's once, a district's spot-check sample
drawn reproducibly, safe when runs race), the reminders (due soon, overdue, once each, to whoever must act), completing
a check (its doer, its period, findings and rectifications, all or nothing), closing rectifications, 1+N groups and
their sessions, and who sees what."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection

from shanlian.core.audit import AuditLog
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from shanlian.core.scoping import Role
from shanlian.evaluation import selectors_supervision as sel
from shanlian.evaluation.models import (
    Finding,
    Rectification,
    Reminder,
    SupervisionGroup,
    SupervisionSession,
    SupervisionTask,
    TaskKind,
    TaskStatus,
)
from shanlian.evaluation.services import supervision as ss
from shanlian.evaluation.services import supervision_groups as sg
from shanlian.grants.services import projects as ps
from shanlian.orgs.models import OrgKind
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
NOON = dt.datetime(2026, 3, 10, 4, tzinfo=dt.UTC)  # 12:00 in Guangzhou


def codes(exc: Any) -> set[str]:
    return {exc.code, *(c for errs in (exc.fields or {}).values() for c, _m in errs)}


def register(actor: Any, station: Any, lead: Any, title: str, *, starts: str = "2026-01-01", ends: str = "2026-12-31") -> Any:
    return ps.service_project_register(actor=actor, title=title, area="elderly", lead=lead, summary="每月入户探访独居长者",
                                       beneficiaries="社区长者", beneficiary_count=60, starts_on=starts, ends_on=ends, station=station)


@dataclass
class Sv:
    """启明 runs 北京街 and 人民街 (越秀), 同心 runs 石牌街 (天河); four projects running this year: two of 启明, one of a
    community group at 北京街 (its manager `group_mgr`), one of 同心; 天河 has a district administrator of its own."""

    city: Any
    elder: Any
    youth: Any
    group_project: Any
    shipai: Any
    group_org: Any
    users: dict[str, Any] = field(default_factory=dict)

    def task(self, kind: str, subject: Any = None, period: str = "") -> SupervisionTask:
        rows = SupervisionTask.objects.filter(kind=kind)
        if period:
            rows = rows.filter(period=period)
        if kind == TaskKind.SELF_ASSESSMENT:
            return rows.get(organization=subject)
        return rows.get(project=subject)


def build(city: Any) -> Sv:
    u = dict(city.users)
    yx = city.districts["越秀"]
    group_org = f.organization("广州市越秀区北京街长者互助协会", district=yx, kind=OrgKind.ASSOCIATION)
    u["group_mgr"] = f.user_with_role("group_mgr", Role.ORG_MANAGER, group_org, name="互助协会会长")
    u["th_admin"] = f.user_with_role("th_admin", Role.DISTRICT_ADMIN, city.districts["天河"], name="天河区管理员")
    bjj, rmj = city.stations["北京街"], city.stations["人民街"]
    sv = Sv(city=city, group_org=group_org, users=u,
            elder=register(u["station_worker"], bjj, city.orgs["启明"], "耆乐安居·独居长者探访"),
            youth=register(u["agency_manager"], rmj, city.orgs["启明"], "人民街青少年成长营"),
            group_project=register(u["station_worker"], bjj, group_org, "长者互助午餐"),
            shipai=register(u["other_worker"], city.stations["石牌街"], city.orgs["同心"], "石牌街助残康复"))
    return sv


@pytest.fixture
def sv(city) -> Sv:
    return build(city)


@pytest.fixture
def generated(sv) -> Sv:
    ss.tasks_generate(on=TODAY)
    return sv


# --- periods and the generator -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "day", "code", "first", "due"), [
    (TaskKind.SELF_CHECK, dt.date(2026, 3, 10), "2026-03", dt.date(2026, 3, 1), dt.date(2026, 4, 5)),
    (TaskKind.SELF_CHECK, dt.date(2026, 12, 31), "2026-12", dt.date(2026, 12, 1), dt.date(2027, 1, 5)),
    (TaskKind.SPOT_CHECK, dt.date(2026, 3, 10), "2026Q1", dt.date(2026, 1, 1), dt.date(2026, 4, 15)),
    (TaskKind.SPOT_CHECK, dt.date(2026, 11, 2), "2026Q4", dt.date(2026, 10, 1), dt.date(2027, 1, 15)),
    (TaskKind.SELF_ASSESSMENT, dt.date(2026, 6, 30), "2026H1", dt.date(2026, 1, 1), dt.date(2026, 7, 15)),
    (TaskKind.SELF_ASSESSMENT, dt.date(2026, 7, 1), "2026H2", dt.date(2026, 7, 1), dt.date(2027, 1, 15)),
])
def test_periods_and_their_due_days(kind, day, code, first, due):
    period = ss.period_for(kind, day)
    assert (period.code, period.first, period.due) == (code, first, due)
    assert ss.period_of(SupervisionTask(kind=kind, period=code)) == period


def test_the_generator_makes_each_period_s_tasks_once(sv):
    made = ss.tasks_generate(on=TODAY)
    assert made == {"self_check": 4, "spot_check": 2, "self_assessment": 2}
    assert ss.tasks_generate(on=TODAY) == {}
    assert ss.tasks_generate(on=dt.date(2026, 3, 31)) == {}  # later the same month, quarter and half: nothing new
    elder = sv.task(TaskKind.SELF_CHECK, sv.elder)
    assert (elder.period, elder.due_on, elder.organization, elder.region) == (
        "2026-03", dt.date(2026, 4, 5), sv.city.orgs["启明"], sv.city.districts["越秀"])
    assert sv.task(TaskKind.SELF_CHECK, sv.shipai).region == sv.city.districts["天河"]
    assert sv.task(TaskKind.SELF_CHECK, sv.group_project).organization == sv.group_org
    qiming = sv.task(TaskKind.SELF_ASSESSMENT, sv.city.orgs["启明"])
    assert (qiming.period, qiming.due_on, qiming.project, qiming.region) == (
        "2026H1", dt.date(2026, 7, 15), None, sv.city.districts["越秀"])
    assert AuditLog.objects.filter(action="evaluation.supervision.generate").count() == 1
    assert ss.tasks_generate(on=dt.date(2026, 4, 1)) == {"self_check": 4, "spot_check": 2}


def test_only_projects_running_in_the_month_check_themselves(sv):
    register(sv.users["station_worker"], sv.city.stations["北京街"], sv.city.orgs["启明"], "暑期托管", starts="2026-07-01")
    register(sv.users["station_worker"], sv.city.stations["北京街"], sv.city.orgs["启明"], "冬季送暖", starts="2025-11-01",
             ends="2026-02-28")
    ended = register(sv.users["station_worker"], sv.city.stations["北京街"], sv.city.orgs["启明"], "春节探访", starts="2026-01-01")
    with time_machine.travel(dt.datetime(2026, 2, 20, 4, tzinfo=dt.UTC), tick=False):
        ps.project_close(actor=sv.users["station_worker"], project=ended, report="探访120户，项目结束")
    ss.tasks_generate(on=TODAY)
    assert set(SupervisionTask.objects.filter(kind=TaskKind.SELF_CHECK).values_list("project__title", flat=True)) == {
        "耆乐安居·独居长者探访", "人民街青少年成长营", "长者互助午餐", "石牌街助残康复"}
    ss.tasks_generate(on=dt.date(2026, 2, 3))
    february = set(SupervisionTask.objects.filter(kind=TaskKind.SELF_CHECK, period="2026-02").values_list("project__title", flat=True))
    assert {"冬季送暖", "春节探访"} <= february and "暑期托管" not in february


def test_a_district_s_spot_check_sample_is_drawn_reproducibly(sv):
    assert ss.spot_check_sample(range(1, 12), district_code="440104", period="2026Q1") == ss.spot_check_sample(
        list(reversed(range(1, 12))), district_code="440104", period="2026Q1")
    assert len(ss.spot_check_sample(range(1, 12), district_code="440104", period="2026Q1")) == 3  # 20% of 11, rounded up
    assert len(ss.spot_check_sample([7], district_code="440104", period="2026Q1")) == 1
    quarters = {tuple(ss.spot_check_sample(range(1, 41), district_code="440104", period=f"2026Q{q}")) for q in range(1, 5)}
    assert len(quarters) > 1  # each quarter draws afresh
    ss.tasks_generate(on=TODAY)
    yuexiu = [sv.elder.pk, sv.youth.pk, sv.group_project.pk]
    chosen = list(SupervisionTask.objects.filter(kind=TaskKind.SPOT_CHECK, region=sv.city.districts["越秀"])
                  .values_list("project_id", flat=True))
    assert chosen == ss.spot_check_sample(yuexiu, district_code="440104", period="2026Q1")
    # The sample is drawn once a quarter: a project starting later in the quarter does not redraw it.
    register(sv.users["station_worker"], sv.city.stations["北京街"], sv.city.orgs["启明"], "三月新项目", starts="2026-03-20")
    assert ss.tasks_generate(on=dt.date(2026, 3, 21)) == {"self_check": 1}
    assert SupervisionTask.objects.filter(kind=TaskKind.SPOT_CHECK).count() == 2


def test_a_row_another_run_made_first_is_not_counted(generated):
    twin = SupervisionTask(kind=TaskKind.SELF_CHECK, period="2026-03", due_on=dt.date(2026, 4, 5), project=generated.elder,
                           organization=generated.city.orgs["启明"], region=generated.city.districts["越秀"])
    fresh = SupervisionTask(kind=TaskKind.SELF_CHECK, period="2026-02", due_on=dt.date(2026, 3, 5), project=generated.elder,
                            organization=generated.city.orgs["启明"], region=generated.city.districts["越秀"])
    assert ss._insert([twin, fresh]) == 1
    assert SupervisionTask.objects.filter(project=generated.elder, kind=TaskKind.SELF_CHECK).count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_runs_at_once_make_each_task_once_and_count_it_once(city):
    import threading

    from django.db import connections

    build(city)
    barrier = threading.Barrier(4)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(ss.tasks_generate(on=TODAY))
        except Exception as exc:  # any failure is the test's failure
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, dict) for r in results), results
    total = sum((sum(r.values()) for r in results), 0)
    assert total == SupervisionTask.objects.count() == 8


def test_the_daily_job_makes_the_day_s_tasks_then_reminds(sv):
    from shanlian.evaluation.tasks import supervision_calendar

    with time_machine.travel(dt.datetime(2026, 4, 2, 4, tzinfo=dt.UTC), tick=False):
        assert supervision_calendar() == {"self_check": 4, "spot_check": 2, "self_assessment": 2, "reminders": 0}
        assert supervision_calendar() == {"reminders": 0}
    with time_machine.travel(dt.datetime(2026, 5, 2, 4, tzinfo=dt.UTC), tick=False):
        assert supervision_calendar() == {"self_check": 4, "reminders": 3}  # April's due on 05-05, to their managers


# --- reminders -----------------------------------------------------------------------------------------------------

def test_reminders_reach_whoever_must_act_once_when_due_soon_and_once_when_overdue(generated):
    sv = generated
    u = sv.users
    assert ss.reminders_send(on=dt.date(2026, 4, 1)) == 0  # nothing due within three days yet
    # The four self-checks due on 04-05, each to its organization's managers (同心 has none with a login).
    assert ss.reminders_send(on=dt.date(2026, 4, 2)) == 3
    keys = {(r.user.username, r.key.split(":")[1]) for r in Reminder.objects.select_related("user")}
    assert keys == {("agency_manager", "due"), ("group_mgr", "due")}
    assert Reminder.objects.filter(user=u["agency_manager"]).count() == 2  # 启明's two projects
    assert ss.reminders_send(on=dt.date(2026, 4, 3)) == 0
    elder = sv.task(TaskKind.SELF_CHECK, sv.elder)
    with time_machine.travel(dt.datetime(2026, 4, 3, 4, tzinfo=dt.UTC), tick=False):
        ss.task_complete(actor=u["agency_manager"], task=elder, rating="good")
    assert ss.reminders_send(on=dt.date(2026, 4, 6)) == 2  # overdue now, but for the one done
    assert ss.reminders_send(on=dt.date(2026, 4, 13)) == 2  # spot-checks due 04-15: the districts' administrators
    spot = Reminder.objects.filter(key__startswith="supervision:due:").exclude(user__username__in=["agency_manager", "group_mgr"])
    assert sorted(spot.values_list("user__username", flat=True)) == ["district_admin", "th_admin"]
    overdue = Reminder.objects.get(user=u["group_mgr"], key__startswith="supervision:overdue:")
    assert "长者互助午餐" in overdue.text and "2026-04-05" in overdue.text
    assert overdue.link == f"/evaluation/supervision/tasks/{sv.task(TaskKind.SELF_CHECK, sv.group_project).pk}/"


def test_a_spot_check_in_a_district_without_its_own_administrator_reminds_the_city(generated):
    from shanlian.people.models import RoleGrant

    RoleGrant.objects.filter(user=generated.users["th_admin"]).update(revoked_at=NOON)
    ss.reminders_send(on=dt.date(2026, 4, 13))
    task = SupervisionTask.objects.get(kind=TaskKind.SPOT_CHECK, region=generated.city.districts["天河"])
    assert list(Reminder.objects.filter(key=f"supervision:due:{task.pk}").values_list("user__username", flat=True)) == ["city_admin"]


def test_reading_one_s_reminders(generated):
    ss.reminders_send(on=dt.date(2026, 4, 2))
    manager = generated.users["agency_manager"]
    assert len(sel.reminders_unread(user=manager)) == 2
    assert ss.reminders_read(actor=manager) == 2
    assert sel.reminders_unread(user=manager) == []
    assert len(sel.reminders_unread(user=generated.users["group_mgr"])) == 1


# --- completing a check --------------------------------------------------------------------------------------------

FINDINGS = [
    {"text": "服务记录缺少3月两次入户的签名", "severity": "minor"},
    {"text": "独居长者紧急联系人信息未更新", "severity": "major",
     "rectification": {"action": "逐户核实并更新紧急联系人", "owner": "林晓彤", "due_on": "2026-03-31"}},
]


def test_the_organization_s_managers_record_a_self_check_with_findings_and_rectifications(generated):
    sv = generated
    task = sv.task(TaskKind.SELF_CHECK, sv.elder)
    with time_machine.travel(NOON, tick=False):
        done = ss.task_complete(actor=sv.users["agency_manager"], task=task, rating="fair", note="整体按计划推进", findings=FINDINGS)
        again = ss.task_complete(actor=sv.users["agency_manager"], task=task, rating="poor")
    assert (done.status, done.rating, done.note, done.done_by) == (TaskStatus.DONE, "fair", "整体按计划推进", sv.users["agency_manager"])
    assert again.rating == "fair" and Finding.objects.filter(task=task).count() == 2
    fix = Rectification.objects.get()
    assert (fix.action, fix.owner, fix.due_on, fix.finding.severity) == (
        "逐户核实并更新紧急联系人", "林晓彤", dt.date(2026, 3, 31), "major")
    assert AuditLog.objects.filter(action="evaluation.supervision.complete", object_id=str(task.pk)).count() == 1


def test_a_project_s_check_records_its_satisfaction_rate_of_the_year(generated, settings):
    """The project's surveys feed its checks: the rate of the year is recorded beside the rating (none while too few
    answered, and none for an agency's self-assessment)."""
    from shanlian.evaluation.services import satisfaction as surveys

    sv = generated
    settings.SHANLIAN = {**settings.SHANLIAN, "EVALUATION_SATISFACTION_MIN_RESPONSES": 3}
    with time_machine.travel(NOON, tick=False):
        day = NOON.date()
        survey = surveys.survey_create(actor=sv.users["station_worker"], title="独居长者探访满意度", audience="beneficiary",
                                       anonymous=True, questions=["服务态度", "探访及时", "总体满意度"], opens_on=day,
                                       closes_on=day + dt.timedelta(days=10), project=sv.elder)
        for values in ([5, 5, 4], [4, 4, 2], [5, 3, 5]):  # 7 of 9 answers satisfied (4 or 5)
            surveys.response_submit(survey=survey, answers=values, device=surveys.new_device_id())
        elder = ss.task_complete(actor=sv.users["agency_manager"], task=sv.task(TaskKind.SELF_CHECK, sv.elder), rating="good")
        youth = ss.task_complete(actor=sv.users["agency_manager"], task=sv.task(TaskKind.SELF_CHECK, sv.youth), rating="good")
        agency = ss.task_complete(actor=sv.users["agency_manager"], task=sv.task(TaskKind.SELF_ASSESSMENT, sv.city.orgs["启明"]),
                                  rating="good")
    assert elder.satisfaction == Decimal("0.7778")
    assert youth.satisfaction is None and agency.satisfaction is None  # no surveys; not a project


@pytest.mark.parametrize(("who", "kind", "allowed"), [
    ("agency_manager", TaskKind.SELF_CHECK, True), ("station_worker", TaskKind.SELF_CHECK, False),
    ("district_admin", TaskKind.SELF_CHECK, False), ("group_mgr", TaskKind.SELF_CHECK, False),
    ("district_admin", TaskKind.SPOT_CHECK, True), ("city_admin", TaskKind.SPOT_CHECK, True),
    ("th_admin", TaskKind.SPOT_CHECK, False), ("agency_manager", TaskKind.SPOT_CHECK, False),
    ("agency_manager", TaskKind.SELF_ASSESSMENT, True), ("district_admin", TaskKind.SELF_ASSESSMENT, False),
])
def test_each_check_is_recorded_by_its_doer(generated, who, kind, allowed):
    sv = generated
    if kind == TaskKind.SPOT_CHECK:
        task = SupervisionTask.objects.get(kind=kind, region=sv.city.districts["越秀"])
    elif kind == TaskKind.SELF_ASSESSMENT:
        task = sv.task(kind, sv.city.orgs["启明"])
    else:
        task = sv.task(kind, sv.elder)
    with time_machine.travel(NOON, tick=False):
        if allowed:
            assert ss.task_complete(actor=sv.users[who], task=task, rating="excellent").status == TaskStatus.DONE
        else:
            with pytest.raises(PermissionDenied) as refused:
                ss.task_complete(actor=sv.users[who], task=task, rating="excellent")
            assert refused.value.code == "not_task_doer"


@pytest.mark.parametrize(("rating", "findings", "expected"), [
    ("splendid", None, {"invalid_rating"}),
    ("fair", [], {"findings_required"}),
    ("poor", None, {"findings_required"}),
    ("good", "无", {"invalid_findings"}),
    ("good", [{"text": "x"}] * 21, {"too_many_findings"}),
    ("good", ["无"], {"invalid_finding"}),
    ("good", [{"text": "", "severity": "minor"}], {"required"}),
    ("good", [{"text": "台账不全", "severity": "urgent"}], {"invalid_severity"}),
    ("good", [{"text": "台账不全", "severity": "major"}], {"rectification_required"}),
    ("good", [{"text": "台账不全", "rectification": "补齐"}], {"invalid_rectification"}),
    ("good", [{"text": "台账不全", "rectification": {"action": "补齐台账", "owner": "", "due_on": "2026-13-01"}}],
     {"required", "invalid_date"}),
    ("good", [{"text": "台账不全", "rectification": {"action": "补齐台账", "owner": "林晓彤", "due_on": "2026-03-01"}}],
     {"rectification_due_out_of_range"}),
    ("good", [{"text": "台账\x00不全"}], {"nul_character"}),
    ("good", [{"text": "台" * 501}], {"too_long"}),
])
def test_a_completion_that_does_not_hold_is_refused_whole(generated, rating, findings, expected):
    task = generated.task(TaskKind.SELF_CHECK, generated.elder)
    with time_machine.travel(NOON, tick=False), pytest.raises(ValidationFailed) as refused:
        ss.task_complete(actor=generated.users["agency_manager"], task=task, rating=rating, findings=findings)
    assert expected <= codes(refused.value)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and not Finding.objects.exists() and not Rectification.objects.exists()


def test_a_check_is_recorded_from_its_period_s_first_day_and_late_too(generated):
    sv = generated
    ss.tasks_generate(on=dt.date(2026, 4, 1))
    april = sv.task(TaskKind.SELF_CHECK, sv.elder, "2026-04")
    with time_machine.travel(NOON, tick=False), pytest.raises(Conflict) as refused:
        ss.task_complete(actor=sv.users["agency_manager"], task=april, rating="good")
    assert refused.value.code == "period_not_started"
    march = sv.task(TaskKind.SELF_CHECK, sv.elder, "2026-03")
    with time_machine.travel(dt.datetime(2026, 4, 20, 4, tzinfo=dt.UTC), tick=False):
        assert sel.tasks_list(actor=sv.users["agency_manager"], status="overdue").filter(pk=march.pk).exists()
        done = ss.task_complete(actor=sv.users["agency_manager"], task=march, rating="good")
        assert done.done_at.date() > done.due_on
        assert not sel.tasks_list(actor=sv.users["agency_manager"], status="overdue").filter(pk=march.pk).exists()


# --- rectifications ------------------------------------------------------------------------------------------------

@pytest.fixture
def fix(generated) -> Rectification:
    task = generated.task(TaskKind.SELF_CHECK, generated.elder)
    with time_machine.travel(NOON, tick=False):
        ss.task_complete(actor=generated.users["agency_manager"], task=task, rating="fair", findings=FINDINGS)
    return Rectification.objects.get()


def test_a_rectification_is_closed_once_with_what_was_done(generated, fix):
    u = generated.users
    with time_machine.travel(dt.datetime(2026, 3, 20, 4, tzinfo=dt.UTC), tick=False):
        for who in ("station_worker", "th_admin", "group_mgr"):
            with pytest.raises(PermissionDenied):
                ss.rectification_close(actor=u[who], rectification=fix, note="已更新")
        with pytest.raises(ValidationFailed) as refused:
            ss.rectification_close(actor=u["agency_manager"], rectification=fix, note=" ", closed_on="2026-03-01")
        assert codes(refused.value) >= {"required", "closed_out_of_range"}
        with pytest.raises(ValidationFailed) as refused:
            ss.rectification_close(actor=u["agency_manager"], rectification=fix, note="已更新", closed_on="2026-03-21")
        assert codes(refused.value) == {"closed_out_of_range"}
        closed = ss.rectification_close(actor=u["agency_manager"], rectification=fix, note="32户紧急联系人已逐户核实更新")
        again = ss.rectification_close(actor=u["district_admin"], rectification=fix, note="另一说法", closed_on="2026-03-11")
    assert (closed.closed_on, closed.closing_note, closed.closed_by) == (
        dt.date(2026, 3, 20), "32户紧急联系人已逐户核实更新", u["agency_manager"])
    assert again.closing_note == "32户紧急联系人已逐户核实更新"
    assert AuditLog.objects.filter(action="evaluation.rectification.close").count() == 1


def test_open_and_overdue_rectifications_are_listed(generated, fix):
    manager = generated.users["agency_manager"]
    with time_machine.travel(dt.datetime(2026, 4, 2, 4, tzinfo=dt.UTC), tick=False):
        assert [r.pk for r in sel.rectifications_list(actor=manager, status="overdue")] == [fix.pk]
        assert [r.pk for r in sel.rectifications_list(actor=manager, status="open")] == [fix.pk]
        assert list(sel.rectifications_list(actor=generated.users["other_worker"], status="all")) == []
        ss.rectification_close(actor=manager, rectification=fix, note="已完成")
        assert list(sel.rectifications_list(actor=manager, status="open")) == []
        assert [r.pk for r in sel.rectifications_list(actor=manager, status="closed")] == [fix.pk]


# --- who sees what -------------------------------------------------------------------------------------------------

def test_each_sees_the_tasks_of_their_area_organization_or_station(generated):
    sv = generated
    every = set(SupervisionTask.objects.values_list("pk", flat=True))

    def seen(who: str) -> set[int]:
        return set(sel.tasks_list(actor=sv.users[who], status="all").values_list("pk", flat=True))

    yx = set(SupervisionTask.objects.filter(region=sv.city.districts["越秀"]).values_list("pk", flat=True))
    assert seen("city_admin") == every
    assert seen("district_admin") == yx
    assert seen("th_admin") == every - yx
    qiming = set(SupervisionTask.objects.filter(organization=sv.city.orgs["启明"]).values_list("pk", flat=True))
    at_bjj_rmj = set(SupervisionTask.objects.filter(project__station__in=[sv.city.stations["北京街"], sv.city.stations["人民街"]])
                     .values_list("pk", flat=True))
    assert seen("agency_manager") == qiming | at_bjj_rmj
    at_bjj = SupervisionTask.objects.filter(project__station=sv.city.stations["北京街"])
    assert seen("station_worker") == set(at_bjj.values_list("pk", flat=True))
    assert seen("group_mgr") == set(SupervisionTask.objects.filter(organization=sv.group_org).values_list("pk", flat=True))
    assert seen("other_worker") == set(SupervisionTask.objects.filter(project=sv.shipai).values_list("pk", flat=True))
    for who in ("street_officer", "finance", "expert", "volunteer", "donor", "nobody"):
        with pytest.raises(PermissionDenied):
            sel.tasks_list(actor=sv.users[who])
    outside = sv.task(TaskKind.SELF_CHECK, sv.shipai)
    with pytest.raises(NotFound):
        sel.task_get(actor=sv.users["station_worker"], supervision_task_id=outside.pk)
    assert AuditLog.objects.filter(action="access.denied", object_id=str(outside.pk)).exists()


# --- the good-or-better rate ---------------------------------------------------------------------------------------

def test_the_good_or_better_rate_by_district_organization_and_year(generated):
    sv = generated
    u = sv.users
    with time_machine.travel(NOON, tick=False):
        ss.task_complete(actor=u["agency_manager"], task=sv.task(TaskKind.SELF_CHECK, sv.elder), rating="excellent")
        ss.task_complete(actor=u["agency_manager"], task=sv.task(TaskKind.SELF_CHECK, sv.youth), rating="fair",
                         findings=[{"text": "活动签到表缺失"}])
        ss.task_complete(actor=u["group_mgr"], task=sv.task(TaskKind.SELF_CHECK, sv.group_project), rating="good")
    with time_machine.travel(dt.datetime(2026, 4, 20, 4, tzinfo=dt.UTC), tick=False):
        by_district = {r.name: r for r in sel.rates(actor=u["city_admin"], by="district")}
        assert (by_district["越秀区"].rated, by_district["越秀区"].good, by_district["越秀区"].rate) == (3, 2, Decimal("66.7"))
        assert by_district["越秀区"].overdue == 1  # its spot-check (due 04-15); the half year's self-assessments are due in July
        assert (by_district["天河区"].rated, by_district["天河区"].rate, by_district["天河区"].overdue) == (0, None, 2)
        by_org = {r.name: r for r in sel.rates(actor=u["district_admin"], by="organization", kind=TaskKind.SELF_CHECK)}
        assert {n: (r.rated, r.good) for n, r in by_org.items()} == {"广州市越秀区启明社会工作服务中心": (2, 1),
                                                                     "广州市越秀区北京街长者互助协会": (1, 1)}
        years = sel.rates(actor=u["city_admin"], by="year")
        assert [(r.name, r.rated, r.good) for r in years] == [("2026", 3, 2)]
        assert sel.rates(actor=u["city_admin"], by="district", year=2025) == []
        overdue = sel.overdue_tasks(actor=u["city_admin"])
        assert {t.kind for t in overdue} == {TaskKind.SELF_CHECK, TaskKind.SPOT_CHECK}
        assert sel.rate_total(list(by_district.values())).rated == 3


# --- 1+N supervision -----------------------------------------------------------------------------------------------

@dataclass
class Staff:
    senior: Any  # a 北京街 social worker's login (the supervisor)
    juniors: list[Any]  # persons of 启明's stations' social workers


@pytest.fixture
def staff(city) -> Staff:
    senior = f.user_with_role("senior", Role.STATION_WORKER, city.stations["北京街"], person_in=city.communities["都府"], name="梁嘉慧")
    juniors = []
    for i, (name, station) in enumerate((("陈子晴", "北京街"), ("黄梓轩", "人民街"), ("李诗琪", "人民街"))):
        user = f.user_with_role(f"junior{i}", Role.STATION_WORKER, city.stations[station], person_in=city.communities["西湖"], name=name)
        juniors.append(user.person)
    return Staff(senior=senior, juniors=juniors)


def form_group(city, staff, actor=None, **kw) -> SupervisionGroup:
    args = {"organization": city.orgs["启明"], "name": "北京街一带三督导小组", "supervisor": staff.senior, "members": staff.juniors,
            "started_on": dt.date(2026, 1, 5)}
    args.update(kw)
    with time_machine.travel(NOON, tick=False):
        return sg.supervision_group_create(actor=actor or city.users["agency_manager"], **args)


def test_an_agency_forms_a_1_plus_n_group_of_its_own_social_workers(city, staff):
    group = form_group(city, staff)
    assert (group.supervisor, sorted(group.members.values_list("real_name", flat=True))) == (
        staff.senior, ["李诗琪", "陈子晴", "黄梓轩"])
    assert AuditLog.objects.filter(action="evaluation.supervision_group.create", object_id=str(group.pk)).exists()
    outsider = f.user_with_role("shipai_sw", Role.STATION_WORKER, city.stations["石牌街"], person_in=city.communities["东兴"],
                                name="何家乐")
    cases = [
        ({"supervisor": outsider}, "not_agency_staff"),
        ({"members": [*staff.juniors, outsider.person]}, "not_agency_staff"),
        ({"members": [*staff.juniors, staff.senior.person]}, "supervisor_in_members"),
        ({"members": []}, "members_count"),
        ({"members": "all"}, "invalid_members"),
        ({"name": ""}, "required"),
        ({"started_on": "2026-03-11"}, "date_in_future"),
        ({"name": "北京街一带三督导小组"}, "duplicate_group_name"),
    ]
    for change, code in cases:
        with pytest.raises(ValidationFailed) as refused:
            form_group(city, staff, **change)
        assert code in codes(refused.value), change
    with pytest.raises(ValidationFailed) as refused:
        form_group(city, staff, organization=city.orgs["慈善会"], actor=city.users["city_admin"])
    assert refused.value.code == "not_an_agency"
    for who in ("station_worker", "other_worker", "street_officer"):
        with pytest.raises(PermissionDenied):
            form_group(city, staff, actor=city.users[who], name="另一组")
    assert form_group(city, staff, actor=city.users["district_admin"], name="人民街督导小组").organization == city.orgs["启明"]
    assert SupervisionGroup.objects.count() == 2


def test_sessions_are_logged_and_totalled_by_year(city, staff):
    group = form_group(city, staff)
    with time_machine.travel(NOON, tick=False):
        sg.supervision_session_log(actor=staff.senior, group=group, held_on="2026-01-20", topic="个案评估与服务计划", attendees=3)
        sg.supervision_session_log(actor=city.users["agency_manager"], group=group, held_on="2026-02-24", topic="长者个案危机介入",
                                   attendees=4, note="邀请人民街站社工旁听")
        same = sg.supervision_session_log(actor=staff.senior, group=group, held_on="2026-01-20", topic="个案评估与服务计划", attendees=3)
        assert SupervisionSession.objects.count() == 2 and same.attendees == 3
        for change, code in [({"held_on": "2026-01-04"}, "held_out_of_range"), ({"held_on": "2026-03-11"}, "held_out_of_range"),
                             ({"attendees": 0}, "too_small"), ({"attendees": 101}, "too_large"), ({"topic": ""}, "required")]:
            args = {"held_on": "2026-03-01", "topic": "小组督导", "attendees": 3, **change}
            with pytest.raises(ValidationFailed) as refused:
                sg.supervision_session_log(actor=staff.senior, group=group, **args)
            assert code in codes(refused.value), change
        for who in ("station_worker", "district_admin"):
            with pytest.raises(PermissionDenied):
                sg.supervision_session_log(actor=city.users[who], group=group, held_on="2026-03-01", topic="小组督导", attendees=3)
    [row] = sel.groups_list(actor=city.users["agency_manager"], year=2026)
    assert (row.member_count, row.session_count, row.person_times) == (3, 2, 7)
    assert [(y.year, y.sessions, y.person_times) for y in sel.group_years(group)] == [(2026, 2, 7)]
    [last_year] = sel.groups_list(actor=city.users["agency_manager"], year=2025)
    assert (last_year.session_count, last_year.person_times) == (0, 0)


def test_a_group_changes_its_supervisees_and_ends(city, staff):
    group = form_group(city, staff)
    with time_machine.travel(NOON, tick=False):
        sg.supervision_session_log(actor=staff.senior, group=group, held_on="2026-02-10", topic="督导", attendees=3)
        changed = sg.supervision_group_update(actor=city.users["agency_manager"], group=group, name="北京街一带二督导小组",
                                              members=staff.juniors[:2])
        assert changed.members.count() == 2
        with pytest.raises(PermissionDenied):
            sg.supervision_group_update(actor=staff.senior, group=group, name="改名", members=staff.juniors)
        with pytest.raises(ValidationFailed) as refused:
            sg.supervision_group_end(actor=city.users["agency_manager"], group=group, ended_on="2026-02-01")
        assert refused.value.code == "ended_out_of_range"
        ended = sg.supervision_group_end(actor=city.users["agency_manager"], group=group, ended_on="2026-03-01")
        assert ended.ended_on == dt.date(2026, 3, 1)
        with pytest.raises(ValidationFailed):
            sg.supervision_session_log(actor=staff.senior, group=group, held_on="2026-03-05", topic="督导", attendees=3)
        with pytest.raises(Conflict):
            sg.supervision_group_update(actor=city.users["agency_manager"], group=group, name="再改", members=staff.juniors)


def test_groups_are_seen_by_the_area_the_agency_the_supervisor_and_the_supervisees(city, staff):
    group = form_group(city, staff)
    members = {p.user for p in staff.juniors}
    for user in [city.users["city_admin"], city.users["district_admin"], city.users["agency_manager"], staff.senior, *members]:
        assert [g.pk for g in sel.groups_list(actor=user, year=2026)] == [group.pk], user
    for who in ("station_worker", "other_worker"):
        assert list(sel.groups_list(actor=city.users[who], year=2026)) == []
        with pytest.raises(NotFound):
            sel.group_get(actor=city.users[who], supervision_group_id=group.pk)
    with pytest.raises(PermissionDenied):
        sel.groups_list(actor=city.users["expert"], year=2026)
