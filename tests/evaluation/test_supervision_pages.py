"""The supervision pages: the calendar as each role sees it (refused to the others), a task's completion form with its
findings, closing rectifications, the dashboard drilled city → district → organization, the 1+N groups and their
sessions; refusals come back on the forms with their codes, and list pages cost the same queries however long."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from shanlian.evaluation.models import Finding, Rectification, Reminder, SupervisionGroup, SupervisionSession, SupervisionTask, TaskKind
from shanlian.evaluation.services import supervision as ss

from .test_supervision import FINDINGS, NOON, form_group, register
from .test_supervision import generated as generated  # noqa: PLC0414 (a fixture)
from .test_supervision import staff as staff  # noqa: PLC0414 (a fixture)
from .test_supervision import sv as sv  # noqa: PLC0414 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOON, tick=False):
        yield


def signed_in(client, user):
    client.force_login(user)
    return client


def task_ids(response) -> list[int]:
    return [int(x) for x in re.findall(r'data-task-id="(\d+)"', response.content.decode())]


def error_codes(response) -> set[str]:
    return set(re.findall(r'data-error-code="([^"]+)"', response.content.decode()))


def test_the_calendar_shows_each_their_tasks_and_refuses_the_others(client, generated):
    sv = generated
    url = reverse("evaluation:supervision_tasks")
    for who, seen in [("city_admin", SupervisionTask.objects.all()),
                      ("district_admin", SupervisionTask.objects.filter(region=sv.city.districts["越秀"])),
                      ("group_mgr", SupervisionTask.objects.filter(organization=sv.group_org)),
                      ("other_worker", SupervisionTask.objects.filter(project=sv.shipai))]:
        answer = signed_in(client, sv.users[who]).get(url, {"status": "all"})
        assert answer.status_code == 200, who
        assert sorted(task_ids(answer)) == sorted(seen.values_list("pk", flat=True)), who
    for who in ("street_officer", "finance", "expert", "volunteer", "donor", "nobody"):
        assert signed_in(client, sv.users[who]).get(url).status_code == 403, who
    c = signed_in(client, sv.users["city_admin"])
    assert set(task_ids(c.get(url, {"kind": "spot_check", "status": "all"}))) == set(
        SupervisionTask.objects.filter(kind=TaskKind.SPOT_CHECK).values_list("pk", flat=True))
    assert task_ids(c.get(url, {"period": "2026H1", "status": "all"})) == list(
        SupervisionTask.objects.filter(period="2026H1").order_by("-due_on", "kind", "id").values_list("pk", flat=True))
    bad = c.get(url, {"period": "x" * 40, "kind": "nonsense", "status": "²", "page": "²"})
    assert bad.status_code == 200 and task_ids(bad)  # ignored, not a 500
    page = c.get(url).content.decode()
    assert 'data-testid="count-open"' in page and 'data-testid="status-overdue"' in page


def test_overdue_tasks_are_marked_and_reminders_shown_until_read(client, generated):
    sv = generated
    with time_machine.travel(dt.datetime(2026, 4, 7, 4, tzinfo=dt.UTC), tick=False):
        ss.reminders_send(on=dt.date(2026, 4, 7))
        c = signed_in(client, sv.users["agency_manager"])
        page = c.get(reverse("evaluation:supervision_tasks"), {"status": "overdue"})
        html = page.content.decode()
        # 启明's two self-checks and the group's at 启明's station are overdue; she is reminded of her own two.
        assert html.count('data-overdue="1"') == 3 and html.count('data-testid="reminder"') == 2
        assert c.post(reverse("evaluation:supervision_reminders_read")).status_code == 302
        assert 'data-testid="reminder"' not in c.get(reverse("evaluation:supervision_tasks")).content.decode()
        assert not Reminder.objects.filter(user=sv.users["agency_manager"], read_at__isnull=True).exists()
    assert signed_in(client, sv.users["donor"]).post(reverse("evaluation:supervision_reminders_read")).status_code == 403


def test_the_calendar_costs_the_same_queries_however_many_tasks(client, generated, django_assert_max_num_queries):
    sv = generated
    c = signed_in(client, sv.users["city_admin"])
    url = reverse("evaluation:supervision_tasks")
    c.get(url, {"status": "all"})
    for n in range(8):
        register(sv.users["station_worker"], sv.city.stations["北京街"], sv.city.orgs["启明"], f"新增项目{n}")
    for day in (dt.date(2026, 1, 5), dt.date(2026, 2, 5)):
        ss.tasks_generate(on=day)
    assert SupervisionTask.objects.count() > 25
    with django_assert_max_num_queries(12):
        assert c.get(url, {"status": "all"}).status_code == 200
    with django_assert_max_num_queries(12):
        assert c.get(reverse("evaluation:supervision_rectifications"), {"status": "all"}).status_code == 200
    with django_assert_max_num_queries(16):
        assert c.get(reverse("evaluation:supervision_dashboard")).status_code == 200


def _complete(c, task, **data):
    body = {"rating": "good", "note": "", "findings-TOTAL_FORMS": "3", "findings-INITIAL_FORMS": "0",
            "findings-MIN_NUM_FORMS": "0", "findings-MAX_NUM_FORMS": "20"}
    body.update(data)
    return c.post(reverse("evaluation:supervision_task", args=[task.pk]), body)


def test_the_manager_records_a_check_on_its_page(client, generated):
    sv = generated
    task = sv.task(TaskKind.SELF_CHECK, sv.elder)
    url = reverse("evaluation:supervision_task", args=[task.pk])
    c = signed_in(client, sv.users["station_worker"])
    page = c.get(url).content.decode()
    assert 'data-testid="complete-form"' not in page and 'data-testid="not-doer"' in page
    c = signed_in(client, sv.users["agency_manager"])
    assert 'data-testid="complete-form"' in c.get(url).content.decode()
    refused = _complete(c, task, rating="fair")
    assert refused.status_code == 400 and "findings_required" in error_codes(refused)
    refused = _complete(c, task, **{"findings-0-text": "紧急联系人未更新", "findings-0-severity": "major",
                                    "findings-1-text": "", "findings-1-action": "补签", "findings-1-severity": "minor"})
    assert refused.status_code == 400 and {"rectification_required", "required"} <= error_codes(refused)
    assert not Finding.objects.exists()
    bad = _complete(c, task, **{"findings-0-text": "台账", "findings-0-severity": "minor", "findings-0-due_on": "2026-02-30"})
    assert bad.status_code == 400
    done = _complete(c, task, rating="fair", note="按计划推进", **{
        "findings-0-text": "紧急联系人未更新", "findings-0-severity": "major", "findings-0-action": "逐户核实更新",
        "findings-0-owner": "林晓彤", "findings-0-due_on": "2026-03-31", "findings-2-text": "签到表缺两次签名",
        "findings-2-severity": "minor"})
    assert done.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.rating) == ("done", "fair")
    assert list(Finding.objects.order_by("id").values_list("text", "severity")) == [
        ("紧急联系人未更新", "major"), ("签到表缺两次签名", "minor")]
    page = c.get(url).content.decode()
    assert 'data-rating="fair"' in page and page.count('data-testid="finding"') == 2 and 'data-testid="close-form"' in page


def test_a_rectification_is_closed_from_the_task_page(client, generated):
    sv = generated
    task = sv.task(TaskKind.SELF_CHECK, sv.elder)
    ss.task_complete(actor=sv.users["agency_manager"], task=task, rating="fair", findings=FINDINGS)
    fix = Rectification.objects.get()
    url = reverse("evaluation:supervision_rectification_close", args=[fix.pk])
    assert signed_in(client, sv.users["other_worker"]).post(url, {f"close{fix.pk}-note": "已完成"}).status_code == 404
    refused = signed_in(client, sv.users["station_worker"]).post(url, {f"close{fix.pk}-note": "已完成"})
    assert refused.status_code == 403 and "not_rectifier" in error_codes(refused)
    c = signed_in(client, sv.users["agency_manager"])
    refused = c.post(url, {f"close{fix.pk}-note": ""})
    assert refused.status_code == 400 and "required" in error_codes(refused)
    listed = c.get(reverse("evaluation:supervision_rectifications")).content.decode()
    assert f'data-rectification-id="{fix.pk}"' in listed
    assert c.post(url, {f"close{fix.pk}-note": "32户已逐户核实"}).status_code == 302
    fix.refresh_from_db()
    assert fix.closing_note == "32户已逐户核实"
    assert f'data-rectification-id="{fix.pk}"' not in c.get(reverse("evaluation:supervision_rectifications")).content.decode()
    closed = c.get(reverse("evaluation:supervision_rectifications"), {"status": "closed"}).content.decode()
    assert f'data-rectification-id="{fix.pk}"' in closed


def test_the_dashboard_drills_from_the_city_to_a_district_and_an_organization(client, generated):
    sv = generated
    u = sv.users
    ss.task_complete(actor=u["agency_manager"], task=sv.task(TaskKind.SELF_CHECK, sv.elder), rating="excellent")
    ss.task_complete(actor=u["agency_manager"], task=sv.task(TaskKind.SELF_CHECK, sv.youth), rating="fair",
                     findings=[{"text": "签到表缺失"}])
    c = signed_in(client, u["city_admin"])
    url = reverse("evaluation:supervision_dashboard")
    html = c.get(url).content.decode()
    yx, th = sv.city.districts["越秀"], sv.city.districts["天河"]
    assert 'data-by="district"' in html and f'data-key="{yx.pk}"' in html and f'data-key="{th.pk}"' in html
    assert re.search(r'data-testid="count-rate">50.0%<', html)
    html = c.get(url, {"region": yx.pk, "year": "2026"}).content.decode()
    assert 'data-by="organization"' in html and f'data-key="{sv.city.orgs["启明"].pk}"' in html
    html = c.get(url, {"region": yx.pk, "organization": sv.city.orgs["启明"].pk}).content.decode()
    assert 'data-by="year"' in html and 'data-key="2026"' in html
    assert c.get(url, {"region": "999999", "organization": "x"}).status_code == 404
    assert signed_in(client, u["district_admin"]).get(url, {"region": th.pk}).status_code == 404
    assert signed_in(client, u["city_admin"]).get(url, {"year": "1900", "kind": "²"}).status_code == 200
    assert signed_in(client, u["expert"]).get(url).status_code == 403


def test_an_agency_forms_a_group_and_its_supervisor_logs_sessions(client, city, staff):
    c = signed_in(client, city.users["agency_manager"])
    new = reverse("evaluation:supervision_group_new")
    form = c.get(new).content.decode()
    assert 'data-testid="group-form"' in form and "陈子晴" in form  # 启明 is the manager's only agency: no choosing
    juniors = [str(p.pk) for p in staff.juniors]
    refused = c.post(new, {"name": "", "supervisor": staff.senior.pk, "members": juniors, "started_on": "2026-01-05"})
    assert refused.status_code == 400
    refused = c.post(new, {"name": "北京街督导", "supervisor": staff.senior.pk, "members": [], "started_on": "2026-01-05"})
    assert refused.status_code == 400
    made = c.post(new, {"name": "北京街一带三督导小组", "supervisor": staff.senior.pk, "members": juniors, "started_on": "2026-01-05"})
    assert made.status_code == 302
    group = SupervisionGroup.objects.get()
    url = reverse("evaluation:supervision_group", args=[group.pk])
    supervisor = signed_in(client, staff.senior)
    page = supervisor.get(url).content.decode()
    assert 'data-testid="session-form"' in page and 'data-testid="edit-form"' not in page
    refused = supervisor.post(url, {"held_on": "2026-03-11", "topic": "个案督导", "attendees": "3"})
    assert refused.status_code == 400 and "held_out_of_range" in error_codes(refused)
    assert supervisor.post(url, {"held_on": "2026-02-10", "topic": "个案督导", "attendees": "3"}).status_code == 302
    assert SupervisionSession.objects.get().attendees == 3
    listed = supervisor.get(reverse("evaluation:supervision_groups")).content.decode()
    assert re.search(r'data-testid="sessions">1<', listed) and re.search(r'data-testid="person-times">3<', listed)
    member = signed_in(client, staff.juniors[0].user)
    assert member.get(url).status_code == 200
    assert "not_group_supervisor" in error_codes(member.post(url, {"held_on": "2026-02-11", "topic": "自学", "attendees": "1"}))
    assert signed_in(client, city.users["other_worker"]).get(url).status_code == 404
    c = signed_in(client, city.users["agency_manager"])
    edit = reverse("evaluation:supervision_group_edit", args=[group.pk])
    assert c.post(edit, {"name": "北京街一带二督导小组", "members": juniors[:2]}).status_code == 302
    assert group.members.count() == 2
    assert signed_in(client, staff.senior).post(edit, {"name": "改", "members": juniors}).status_code == 403
    end = reverse("evaluation:supervision_group_end", args=[group.pk])
    assert signed_in(client, city.users["agency_manager"]).post(end, {"ended_on": "2026-03-01"}).status_code == 302
    group.refresh_from_db()
    assert group.ended_on == dt.date(2026, 3, 1)


def test_a_city_administrator_chooses_the_agency_first(client, city, staff):
    c = signed_in(client, city.users["city_admin"])
    new = reverse("evaluation:supervision_group_new")
    page = c.get(new).content.decode()
    assert 'data-testid="agency-form"' in page and 'data-testid="group-form"' not in page
    page = c.get(new, {"organization": city.orgs["启明"].pk}).content.decode()
    assert 'data-testid="group-form"' in page and "梁嘉慧" in page
    assert 'data-testid="no-staff"' in c.get(new, {"organization": city.orgs["同心"].pk}).content.decode()
    assert signed_in(client, city.users["station_worker"]).get(new).status_code == 403


def test_the_groups_list_costs_the_same_queries_however_many(client, city, staff, django_assert_max_num_queries):
    for n in range(6):
        form_group(city, staff, name=f"督导小组{n}")
    c = signed_in(client, city.users["city_admin"])
    with django_assert_max_num_queries(10):
        page = c.get(reverse("evaluation:supervision_groups"))
    assert page.content.decode().count('data-testid="group-row"') == 6
