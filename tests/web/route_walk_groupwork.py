"""What the route walk asks about on the group-work pages and API: a group at the 北京街 station with the beneficiary
陈秀英 enrolled and one session. Its station's worker and the agency's manager see names; the street, district and city
officers see the programme and its counts; nobody else sees it at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from shanlian.groupwork import services as gs
from tests.web.lazy import Lazy


def _bindings() -> dict[str, Any]:
    from tests.web.test_route_walk import NO_ID, Binding, staff

    bjj = staff("city_admin", "district_admin", "street_officer", "agency_manager", "station_worker")
    return {
        "programme_id": Binding(lambda s, r: s.groupwork.group.pk, bjj, NO_ID,
                                "a 北京街 group: its station's worker and agency (names); its street, district and city (counts)"),
        "session_id": Binding(lambda s, r: s.groupwork.session.pk, bjj, NO_ID, "its session: whoever sees the group"),
        "group_member_id": Binding(lambda s, r: s.groupwork.member.pk, bjj, NO_ID, "李伟, its member: whoever sees the group"),
    }


BINDINGS: Mapping[str, Any] = Lazy(_bindings)
BY_NAMESPACE: dict[tuple[str, str], Any] = {}
BY_ROUTE: dict[tuple[str, str], Any] = {}
WALKERS: tuple[str, ...] = ()


@dataclass
class GroupworkSite:
    group: Any
    session: Any
    member: Any


def build(city: Any, users: dict[str, Any]) -> Any:
    worker = users["station_worker"]
    today = timezone.localdate()
    group = gs.programme_create(actor=worker, station=city.stations["北京街"], kind="group", title="长者健康自我管理小组",
                                care_area="elderly", group_type="education", planned_sessions=6,
                                starts_on=today - dt.timedelta(days=20), leaders=[worker])
    _elder, member = gs.members_enrol(actor=worker, programme=group, people=[city.people["陈秀英"], city.people["李伟"]])
    session = gs.session_record(actor=worker, programme=group, held_on=today - dt.timedelta(days=1), starts_at=dt.time(9, 30),
                                minutes=90, venue="社工站活动室", theme="认识高血压", workers=[worker],
                                present=[city.people["陈秀英"]])
    return GroupworkSite(group=group, session=session, member=member)
