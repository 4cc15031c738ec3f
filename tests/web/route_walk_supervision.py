"""What the route walk asks about on the evaluation supervision pages: objects made through the services, and who may see them.

启明 (越秀) runs the 北京街 and 人民街 stations: its project at 北京街 has this month's self-check (the task); its
half-year self-assessment is done, with a major finding whose rectification is open; its 1+N group is led by the
北京街 social worker (`station_worker`) with two 人民街 social workers as supervisees."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from shanlian.core.scoping import Role
from shanlian.evaluation.models import Rectification, SupervisionGroup, SupervisionTask, TaskKind
from shanlian.evaluation.services import supervision as ss
from shanlian.evaluation.services import supervision_groups as sg
from shanlian.grants.services import projects as ps
from tests import factories as f

# Walkers of its own (users it adds in `build`), beside the city's.
WALKERS: tuple[str, ...] = ()


@dataclass
class SupervisionSite:
    task: SupervisionTask  # the 北京街 project's self-check of this month, open
    rectification: Rectification  # from 启明's self-assessment, open
    group: SupervisionGroup


def _bindings() -> tuple[dict[str, Any], dict[tuple[str, str], Any], dict[tuple[str, str], Any]]:
    from tests.web.test_route_walk import NO_ID, Binding, staff  # (defined by the time the walk reads these)

    return {
        "supervision_task_id": Binding(
            lambda s, r: s.supervision.task.pk, staff("city_admin", "district_admin", "agency_manager", "station_worker"), NO_ID,
            "the 北京街 project's self-check: 越秀 and the city, 启明 (its lead and the station's agency), the station's worker"),
        "rectification_id": Binding(
            lambda s, r: s.supervision.rectification.pk, staff("city_admin", "district_admin", "agency_manager"), NO_ID,
            "a rectification from 启明's self-assessment: 越秀 and the city, and 启明's manager (no station's task)"),
        "supervision_group_id": Binding(
            lambda s, r: s.supervision.group.pk, staff("city_admin", "district_admin", "agency_manager", "station_worker"), NO_ID,
            "启明's 1+N group: 越秀 and the city, 启明's manager, and its supervisor (the 北京街 social worker)"),
    }, {}, {}


def __getattr__(name: str) -> Any:
    """BINDINGS, BY_NAMESPACE and BY_ROUTE are made when the walk reads them: `Binding` lives in test_route_walk, which
    imports this module before defining it."""
    names = ("BINDINGS", "BY_NAMESPACE", "BY_ROUTE")
    if name in names:
        return dict(zip(names, _bindings(), strict=True))[name]
    raise AttributeError(name)


def build(city: Any, users: dict[str, Any]) -> Any:
    """The objects the bindings name (an object with attributes), made through the services; `users` may be added to
    (a walker of its own)."""
    today = timezone.localdate()
    project = ps.service_project_register(
        actor=city.users["station_worker"], title="耆乐安居·独居长者探访", area="elderly", lead=city.orgs["启明"],
        summary="每月入户探访独居长者", beneficiaries="北京街独居长者", beneficiary_count=60, starts_on=today - dt.timedelta(days=60),
        ends_on=today + dt.timedelta(days=300), station=city.stations["北京街"])
    ss.tasks_generate(on=today)
    task = SupervisionTask.objects.get(kind=TaskKind.SELF_CHECK, project=project)
    half = SupervisionTask.objects.get(kind=TaskKind.SELF_ASSESSMENT, organization=city.orgs["启明"])
    ss.task_complete(actor=city.users["agency_manager"], task=half, rating="fair", note="半年自评", findings=[
        {"text": "督导记录不全", "severity": "major",
         "rectification": {"action": "补齐督导记录", "owner": "启明主任", "due_on": today + dt.timedelta(days=30)}}])
    juniors = [f.user_with_role(f"rw_junior{i}", Role.STATION_WORKER, city.stations["人民街"], person_in=city.communities["西湖"],
                                name=name).person for i, name in enumerate(("陈子晴", "黄梓轩"))]
    group = sg.supervision_group_create(actor=city.users["agency_manager"], organization=city.orgs["启明"], name="一带二督导小组",
                                        supervisor=city.users["station_worker"], members=juniors, started_on=today)
    return SupervisionSite(task=task, rectification=Rectification.objects.get(finding__task=half), group=group)
