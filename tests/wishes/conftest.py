"""Micro-wishes over the shared test city, built once per module through the services: 陈秀英 of 盐运西 (北京街 station),
an elder living alone who consented to a de-identified posting; 张建国 of 东兴 (石牌街 station), also consenting; 李伟 of
都府 (北京街), a beneficiary who did not consent. The 北京街 community fund (越秀区慈善会) with a donation point that
takes goods, and a project restricted to micro-wishes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from shanlian.cases import services as cases
from shanlian.cases.models import Category, ConsentText
from shanlian.cases.standard import standard_data
from shanlian.charity import services as charity
from shanlian.orgs.models import DonationPoint
from shanlian.wishes import services as ws
from tests import conftest as city_conftest

ADDRESS = "越秀区盐运西街十二号三栋五零二房"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def photo(name: str = "handover.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@dataclass
class Site:
    city: Any
    users: dict[str, Any]
    elder: Any = None
    far: Any = None
    unconsented: Any = None
    fund: Any = None
    point: Any = None
    project: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def client(self, name: str) -> Client:
        c = Client()
        if name != "anonymous":
            c.force_login(self.users[name])
        return c

    def wish(self, *, beneficiary: Any = None, title: str = "一台电风扇", value: str = "180", kind: str = "goods",
             days: int = 30, worker: str = "station_worker", **more: Any) -> Any:
        return ws.wish_register(actor=self.users[worker], beneficiary=beneficiary or self.elder, title=title, wish_for="elder_alone",
                                kind=kind, value=value, needed_by=timezone.localdate() + dt.timedelta(days=days),
                                description=more.pop("description", "夏天屋里闷热，老人希望有一台落地电风扇。"), **more)


def build_site() -> Site:
    city = city_conftest.city.__wrapped__(None)
    s = Site(city=city, users=dict(city.users))
    standard_data(Category, ConsentText)
    cats = {c.code: c for c in Category.objects.all()}
    worker, other = s.users["station_worker"], s.users["other_worker"]
    given = timezone.localdate() - dt.timedelta(days=20)
    s.elder = cases.beneficiary_register(actor=worker, person=city.people["陈秀英"], station=city.stations["北京街"],
                                         categories=[cats["elderly_alone"]], living_situation="alone", address=ADDRESS)
    cases.consent_record(actor=worker, beneficiary=s.elder, purpose="wish", recipients=["donor", "station"], given_on=given)
    s.far = cases.beneficiary_register(actor=other, person=city.people["张建国"], station=city.stations["石牌街"],
                                       categories=[cats["disability"]], living_situation="family")
    cases.consent_record(actor=other, beneficiary=s.far, purpose="wish", recipients=["donor"], given_on=given)
    s.unconsented = cases.beneficiary_register(actor=worker, person=city.people["李伟"], station=city.stations["北京街"],
                                               categories=[cats["dibao"]], living_situation="family")
    finance = s.users["finance"]
    s.fund = charity.fund_create(actor=finance, code="yx-bjj", name="北京街社区慈善基金", division=city.streets["北京街"],
                                 custodian=city.orgs["慈善会"], station=city.stations["北京街"], opened_on=dt.date(2025, 1, 1))
    s.project = charity.project_create(actor=finance, fund=s.fund, title="微心愿圆梦行动", purpose="elderly", budget="20000",
                                       starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2027, 12, 31))
    s.point = DonationPoint.objects.create(station=city.stations["北京街"], name="北京街社工站慈善捐赠站", address="北京路1号")
    return s


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], AXES_ENABLED=False)
    with django_db_blocker.unblock(), fast, transaction.atomic():
        yield build_site()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
