"""Beneficiaries over the shared test city, built once per module through the services: an elder living alone in 盐运西
(北京街 station) with an allowance, a household member and a consent; a child of 都府 (北京街) with a guardian; a man of
东兴 served by the 石牌街 station (天河, run by 同心)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings

from shanlian.cases import services as cs
from shanlian.cases.models import Category, ConsentText
from shanlian.cases.standard import standard_data
from tests import conftest as city_conftest
from tests import factories as f

ADDRESS = "越秀区盐运西街十二号三栋五零二房"
HEALTH = "二型糖尿病伴视网膜病变"
AMOUNT = "1234.56"
MEMBER = "欧阳慕容"
CHILD_NOTES = "父亲服刑母亲失联由祖父照料"
CHILD_BIRTH = dt.date(2016, 5, 1)


@dataclass
class Site:
    city: Any
    users: dict[str, Any]
    cats: dict[str, Any] = field(default_factory=dict)
    people: dict[str, Any] = field(default_factory=dict)
    elder: Any = None
    child: Any = None
    far: Any = None
    guardian: Any = None
    allowance: Any = None
    consent: Any = None

    def client(self, name: str) -> Client:
        c = Client()
        if name != "anonymous":
            c.force_login(self.users[name])
        return c


def build_site() -> Site:
    city = city_conftest.city.__wrapped__(None)
    s = Site(city=city, users=dict(city.users))
    standard_data(Category, ConsentText)  # migration 0002's rows, in case a transactional test emptied the tables before
    s.cats = {c.code: c for c in Category.objects.all()}
    worker = s.users["station_worker"]
    bjj = city.stations["北京街"]
    s.elder = cs.beneficiary_register(
        actor=worker, person=city.people["陈秀英"], station=bjj, categories=[s.cats["elderly_alone"], s.cats["dibao"]],
        living_situation="alone", address=ADDRESS, health=HEALTH, finances="月收入不足八百元")
    s.allowance = cs.allowance_add(actor=worker, beneficiary=s.elder, kind="dibao", monthly_amount=AMOUNT,
                                   starts_on=dt.date(2024, 1, 1))
    cs.household_member_add(actor=worker, beneficiary=s.elder, name=MEMBER, relation="child", lives_together=False)
    s.consent = cs.consent_record(actor=worker, beneficiary=s.elder, purpose="service", recipients=["station", "agency"],
                                  given_on=dt.date(2026, 1, 10))
    s.people["child"] = f.person("林小雨", city.communities["都府"], resident_id=f.make_resident_id("440104", CHILD_BIRTH))
    s.people["grandpa"] = f.person("林国栋", city.communities["都府"], resident_id=f.make_resident_id("440100", dt.date(1958, 3, 2)))
    s.child = cs.beneficiary_register(
        actor=worker, person=s.people["child"], station=bjj, categories=[s.cats["child_in_difficulty"]],
        living_situation="relatives", child_situation=CHILD_NOTES, guardians=[(s.people["grandpa"], "grandparent")])
    s.guardian = s.child.guardians.get()
    s.far = cs.beneficiary_register(actor=s.users["other_worker"], person=city.people["张建国"], station=city.stations["石牌街"],
                                    categories=[s.cats["disability"]], living_situation="family", disability="肢体二级")
    return s


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], AXES_ENABLED=False)
    with django_db_blocker.unblock(), fast, transaction.atomic():
        yield build_site()
        transaction.set_rollback(True)


from .cycle_site import cycle  # noqa: E402,F401  (the case cycle over this site: tests/cases/cycle_site.py)
