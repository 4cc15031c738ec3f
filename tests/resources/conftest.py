"""A resource hub over the shared test city, built once per module through the services: categories, partners (a
district hospital, a street school, the 善源 foundation as an organization partner with its own manager), their offers,
and needs of the 北京街, 人民街 and 石牌街 stations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from shanlian.core.scoping import Role
from shanlian.resources import services as rs
from tests import conftest as city_conftest
from tests import factories as f


@dataclass
class Hub:
    city: Any
    users: dict[str, Any]
    cats: dict[str, Any] = field(default_factory=dict)
    partners: dict[str, Any] = field(default_factory=dict)
    offers: dict[str, Any] = field(default_factory=dict)
    needs: dict[str, Any] = field(default_factory=dict)

    def client(self, name: str) -> Client:
        c = Client()
        if name != "anonymous":
            c.force_login(self.users[name])
        return c


def build_hub() -> Hub:
    city = city_conftest.city.__wrapped__(None)
    u = dict(city.users)
    u["org_manager"] = f.user_with_role("hub_org", Role.ORG_MANAGER, city.orgs["基金会"], name="善源主任")
    h = Hub(city=city, users=u)
    admin = u["city_admin"]
    for name, kind, unit in (("义诊", "service", "人次"), ("课业辅导", "skill", "小时"), ("粮油", "goods", "袋"),
                             ("慈善资金", "money", "")):
        h.cats[name] = rs.category_create(actor=admin, name=name, kind=kind, unit=unit)
    today = timezone.localdate()
    yx, bjj = city.districts["越秀"], city.streets["北京街"]
    h.partners["hospital"] = rs.partner_register(actor=u["district_admin"], name="越秀区中医院", kind="hospital", division=yx)
    h.partners["school"] = rs.partner_register(actor=u["station_worker"], name="北京街小学", kind="school", division=bjj)
    h.partners["fund"] = rs.partner_register(actor=u["org_manager"], name="", kind="organization", division=yx,
                                             organization=city.orgs["基金会"])
    h.offers["clinic"] = rs.offer_register(actor=u["district_admin"], partner=h.partners["hospital"], category=h.cats["义诊"],
                                           title="社区义诊", quantity="100", division=yx, available_from=today)
    h.offers["tutoring"] = rs.offer_register(actor=u["station_worker"], partner=h.partners["school"], category=h.cats["课业辅导"],
                                             title="大学生志愿辅导", quantity="40", division=bjj, available_from=today)
    h.offers["money"] = rs.offer_register(actor=u["org_manager"], partner=h.partners["fund"], category=h.cats["慈善资金"],
                                          title="助困资金", quantity="5000.00", division=city.city, available_from=today)
    soon = today + dt.timedelta(days=20)
    h.needs["bjj_clinic"] = rs.need_register(actor=u["station_worker"], station=city.stations["北京街"], category=h.cats["义诊"],
                                             title="独居长者义诊", quantity="30", division=city.communities["盐运西"], needed_by=soon)
    h.needs["bjj_tutoring"] = rs.need_register(actor=u["station_worker"], station=city.stations["北京街"],
                                               category=h.cats["课业辅导"], title="困境儿童课业辅导", quantity="20", division=bjj,
                                               needed_by=soon)
    h.needs["bjj_money"] = rs.need_register(actor=u["station_worker"], station=city.stations["北京街"], category=h.cats["慈善资金"],
                                            title="特困家庭临时救助", quantity="2000.50", division=bjj, needed_by=soon)
    h.needs["rmj_clinic"] = rs.need_register(actor=u["agency_manager"], station=city.stations["人民街"], category=h.cats["义诊"],
                                             title="人民街长者义诊", quantity="80", division=city.communities["西湖"], needed_by=soon)
    h.needs["spj_clinic"] = rs.need_register(actor=u["other_worker"], station=city.stations["石牌街"], category=h.cats["义诊"],
                                             title="石牌街义诊", quantity="10", division=city.communities["东兴"], needed_by=soon)
    return h


@pytest.fixture(scope="module")
def hub(django_db_setup, django_db_blocker):
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], AXES_ENABLED=False)
    with django_db_blocker.unblock(), fast, transaction.atomic():
        yield build_hub()
        transaction.set_rollback(True)
