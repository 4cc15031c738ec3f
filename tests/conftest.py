"""A small city for tests: 广州市 with two districts, two streets each, communities, stations,
people, and one login per role. Tests build on `city` and log in as its users."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from shanlian.core.scoping import Role
from shanlian.orgs.models import OrgKind
from shanlian.places.models import Level

from . import factories as f


@dataclass
class City:
    city: Any
    districts: dict[str, Any] = field(default_factory=dict)
    streets: dict[str, Any] = field(default_factory=dict)
    communities: dict[str, Any] = field(default_factory=dict)
    orgs: dict[str, Any] = field(default_factory=dict)
    stations: dict[str, Any] = field(default_factory=dict)
    people: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)


def pytest_collection_finish(session: pytest.Session) -> None:
    """A `serial` test collected by a pytest-xdist worker is an error, not a quiet partial run (see the marker)."""
    if os.environ.get("PYTEST_XDIST_WORKER") and any(item.get_closest_marker("serial") for item in session.items):
        raise pytest.UsageError("serial tests run in one process: add -m 'not serial' under -n, "
                                "then run -m serial without -n (scripts/test.sh does both)")


@pytest.hookimpl(trylast=True)  # after `-m` and `-k` have chosen the tests
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """SHANLIAN_TEST_SHARD=i/n: this process runs the i-th of every n tests it collected (scripts/test.sh runs the
    serial tests so, one process a core, each on its own database)."""
    shard = os.environ.get("SHANLIAN_TEST_SHARD", "")
    if not shard:
        return
    try:
        index, count = (int(part) for part in shard.split("/"))
        if not 0 <= index < count:
            raise ValueError
    except ValueError:
        raise pytest.UsageError(f"SHANLIAN_TEST_SHARD={shard!r}: expected i/n with 0 <= i < n, e.g. 0/2") from None
    kept = [item for position, item in enumerate(items) if position % count == index]
    config.hook.pytest_deselected(items=[item for position, item in enumerate(items) if position % count != index])
    items[:] = kept


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    # django-axes is tested on its own (people/test_login.py); other tests log in freely.
    settings.AXES_ENABLED = False
    # Argon2 is deliberately slow; tests that check hashing switch it back on (people/test_login.py).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def city(db) -> City:
    gz = f.division("广州市", Level.CITY, "440100")
    c = City(city=gz)
    yx = c.districts["越秀"] = f.division("越秀区", Level.DISTRICT, "440104", gz)
    th = c.districts["天河"] = f.division("天河区", Level.DISTRICT, "440106", gz)
    c.streets["北京街"] = f.division("北京街道", Level.STREET, "440104001", yx)
    c.streets["人民街"] = f.division("人民街道", Level.STREET, "440104002", yx)
    c.streets["石牌街"] = f.division("石牌街道", Level.STREET, "440106001", th)
    c.communities["盐运西"] = f.division("盐运西社区", Level.COMMUNITY, "440104001001", c.streets["北京街"])
    c.communities["都府"] = f.division("都府社区", Level.COMMUNITY, "440104001002", c.streets["北京街"])
    c.communities["西湖"] = f.division("西湖社区", Level.COMMUNITY, "440104002001", c.streets["人民街"])
    c.communities["东兴"] = f.division("东兴社区", Level.COMMUNITY, "440106001001", c.streets["石牌街"])

    c.orgs["启明"] = f.organization("广州市越秀区启明社会工作服务中心", district=yx, is_agency=True,
                                   grade="4A", grade_awarded_on=dt.date(2022, 5, 1))
    c.orgs["同心"] = f.organization("广州市天河区同心社会工作服务中心", district=th, is_agency=True)
    c.orgs["慈善会"] = f.organization("广州市越秀区慈善会", district=yx, kind=OrgKind.ASSOCIATION,
                                    public_fundraising=True, is_charity_federation=True)
    c.orgs["基金会"] = f.organization("广州市善源公益基金会", district=gz, kind=OrgKind.FOUNDATION)
    c.stations["北京街"] = f.station(c.streets["北京街"], c.orgs["启明"])
    c.stations["人民街"] = f.station(c.streets["人民街"], c.orgs["启明"])
    c.stations["石牌街"] = f.station(c.streets["石牌街"], c.orgs["同心"])

    c.people["陈秀英"] = f.person("陈秀英", c.communities["盐运西"], resident_id="440100195203150026", phone="13912345678")
    c.people["李伟"] = f.person("李伟", c.communities["都府"])
    c.people["王芳"] = f.person("王芳", c.communities["西湖"])
    c.people["张建国"] = f.person("张建国", c.communities["东兴"], district_code="440106")

    u = c.users
    u["city_admin"] = f.user_with_role("city_admin", Role.CITY_ADMIN, gz, name="市管理员")
    u["district_admin"] = f.user_with_role("district_admin", Role.DISTRICT_ADMIN, yx, name="越秀区管理员")
    u["street_officer"] = f.user_with_role("street_officer", Role.STREET_OFFICER, c.streets["北京街"], name="北京街专干")
    u["agency_manager"] = f.user_with_role("agency_manager", Role.AGENCY_MANAGER, c.orgs["启明"], name="启明主任")
    u["station_worker"] = f.user_with_role("station_worker", Role.STATION_WORKER, c.stations["北京街"], name="北京街社工")
    u["other_worker"] = f.user_with_role("other_worker", Role.STATION_WORKER, c.stations["石牌街"], name="石牌街社工")
    u["finance"] = f.user_with_role("finance", Role.FEDERATION_FINANCE, c.orgs["慈善会"], name="慈善会财务")
    u["expert"] = f.user_with_role("expert", Role.EXPERT, None, name="评审专家")
    u["volunteer"] = f.user_with_role("volunteer", Role.VOLUNTEER, None, person_in=c.communities["盐运西"], name="志愿者小何")
    u["donor"] = f.user_with_role("donor", Role.DONOR, None, name="捐赠人")
    u["nobody"] = f.user_with_role("nobody", "", None, name="无角色")
    return c


@pytest.fixture
def login(client: Client, city: City):
    """login("station_worker") → a Client signed in as that demo user."""

    def _login(name: str) -> Client:
        client.force_login(city.users[name])
        return client

    return _login
