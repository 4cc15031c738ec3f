"""Group and community work over the shared test city, built once per module through the services: at the 北京街 station a
health self-management group of five residents (the beneficiary 陈秀英 among them) with two sessions, and a community
activity with a headcount; at the 石牌街 station a group of its own."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from shanlian.cases import services as cs
from shanlian.cases.models import Category, ConsentText
from shanlian.cases.standard import standard_data
from shanlian.groupwork import services as gs
from tests import conftest as city_conftest
from tests import factories as f

ELDER = "陈秀英"


@dataclass
class Site:
    city: Any
    users: dict[str, Any]
    people: dict[str, Any] = field(default_factory=dict)
    elder: Any = None
    group: Any = None
    activity: Any = None
    far: Any = None
    sessions: list[Any] = field(default_factory=list)

    def client(self, name: str) -> Client:
        c = Client()
        if name != "anonymous":
            c.force_login(self.users[name])
        return c


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def build_site() -> Site:
    city = city_conftest.city.__wrapped__(None)
    s = Site(city=city, users=dict(city.users))
    standard_data(Category, ConsentText)
    worker, bjj = s.users["station_worker"], city.stations["北京街"]
    cats = {c.code: c for c in Category.objects.filter(code__in=["elderly_alone"])}
    s.elder = cs.beneficiary_register(actor=worker, person=city.people[ELDER], station=bjj, categories=list(cats.values()),
                                      living_situation="alone")
    s.people = {ELDER: city.people[ELDER], "李伟": city.people["李伟"]}
    for name in ("黄伯", "何婆婆", "梁姨", "周叔"):
        s.people[name] = f.person(name, city.communities["都府"])
    s.people["东兴居民"] = f.person("东兴居民", city.communities["东兴"], district_code="440106")
    s.group = gs.programme_create(actor=worker, station=bjj, kind="group", title="长者健康自我管理小组", care_area="elderly",
                                  group_type="education", planned_sessions=6, starts_on=days_ago(40), leaders=[worker],
                                  aims="掌握血压监测")
    members = [s.people[n] for n in (ELDER, "李伟", "黄伯", "何婆婆", "梁姨")]
    gs.members_enrol(actor=worker, programme=s.group, people=members, joined_on=days_ago(40))
    s.sessions.append(gs.session_record(actor=worker, programme=s.group, held_on=days_ago(35), starts_at=dt.time(9, 30),
                                        minutes=90, venue="社工站活动室", theme="认识高血压", workers=[worker], present=members))
    s.sessions.append(gs.session_record(actor=worker, programme=s.group, held_on=days_ago(28), starts_at=dt.time(9, 30),
                                        minutes=90, venue="社工站活动室", theme="吃出健康", workers=[worker],
                                        present=members[:3], volunteers=2))
    s.activity = gs.programme_create(actor=s.users["agency_manager"], station=bjj, kind="community", title="重阳节敬老千叟宴",
                                     care_area="elderly", planned_sessions=1, starts_on=days_ago(30), leaders=[worker])
    gs.members_enrol(actor=worker, programme=s.activity, people=[s.people["周叔"]])
    s.sessions.append(gs.session_record(actor=worker, programme=s.activity, held_on=days_ago(30), starts_at=dt.time(11),
                                        minutes=180, venue="文化广场", theme="千叟宴", workers=[worker], present=[s.people["周叔"]],
                                        headcount=180, volunteers=30))
    other = s.users["other_worker"]
    s.far = gs.programme_create(actor=other, station=city.stations["石牌街"], kind="group", title="残障人士手工坊",
                                care_area="disability", group_type="recreation", planned_sessions=8, starts_on=days_ago(20),
                                leaders=[other])
    gs.members_enrol(actor=other, programme=s.far, people=[s.people["东兴居民"]])
    return s


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], AXES_ENABLED=False)
    with django_db_blocker.unblock(), fast, transaction.atomic():
        yield build_site()
        transaction.set_rollback(True)
