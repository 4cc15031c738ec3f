"""Charity books for tests: the 北京街 community fund in the custody of 越秀区慈善会 with start money,
a project, a second finance officer (four eyes), a donation point and an open Giving-Day campaign
with a 1:1 matching pool."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.core.scoping import Role
from shanlian.orgs.models import DonationPoint

from .. import factories as f


@dataclass
class Books:
    fund: Any
    project: Any
    other_fund: Any
    campaign: Any
    pool: Any
    point: Any
    finance2: Any


@pytest.fixture
def books(city) -> Books:
    admin = city.users["finance"]
    fund = cs.fund_create(
        actor=admin, code="yx-bjj", name="北京街社区慈善基金", division=city.streets["北京街"], custodian=city.orgs["慈善会"],
        station=city.stations["北京街"], opened_on=dt.date(2025, 1, 1), fee_rate="0.05", seed="10000.00",
    )
    project = cs.project_create(
        actor=admin, fund=fund, title="长者饭堂助餐", purpose="elderly", budget="50000", starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2027, 12, 31),
    )
    other = cs.fund_create(
        actor=admin, code="yx-rmj", name="人民街社区慈善基金", division=city.streets["人民街"], custodian=city.orgs["慈善会"],
        station=city.stations["人民街"], opened_on=dt.date(2025, 1, 1),
    )
    now = timezone.now()
    campaign = cs.campaign_create(
        actor=admin, slug="gd-2026", title="广州慈善日 · 北京街助老", organizer=city.orgs["慈善会"], goal="100000",
        starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=2), targets=[(fund, None), (fund, project)],
    )
    campaign = cs.campaign_open(actor=admin, campaign=campaign)
    pool = cs.match_pool_create(
        actor=admin, campaign=campaign, sponsor_name="广州善源科技有限公司", ratio="1", per_donor_cap="100", per_day_cap="1000",
        total_cap="1500", deposit="1500",
    )
    point = DonationPoint.objects.create(station=city.stations["北京街"], name="北京街社工站慈善捐赠站", address="北京路1号")
    finance2 = f.user_with_role("finance2", Role.FEDERATION_FINANCE, city.orgs["慈善会"], name="慈善会复核")
    return Books(fund=fund, project=project, other_fund=other, campaign=campaign, pool=pool, point=point, finance2=finance2)
