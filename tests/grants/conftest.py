"""A micro-venture round for tests: the 北京街 community fund (¥100,000 of start money in the custody of 越秀区慈善会),
its 2026 round (budget ¥60,000) with every phase dated around a moment of the test's choosing, four experts, two
community groups with their managers, and residents of the street with persons on record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.core.scoping import Role
from shanlian.grants import services as gs
from shanlian.grants.models import PHASE_ORDER, PhaseKind
from shanlian.orgs.models import OrgKind

from .. import factories as f

DAY = dt.timedelta(days=1)


def phases_around(now: dt.datetime, open_kind: str = PhaseKind.NEEDS, days: int = 10) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """Each phase `days` long, one after another, with `open_kind` open at `now` (those before it over, those after
    it to come)."""
    at = PHASE_ORDER.index(open_kind)
    start = now - days * DAY / 2 - at * days * DAY
    return {k: (start + i * days * DAY, start + (i + 1) * days * DAY) for i, k in enumerate(PHASE_ORDER)}


@dataclass
class GrantsWorld:
    city: Any
    fund: Any
    admin: Any  # the custodian's finance officer: sets up and opens rounds
    staff: Any  # the fund's station worker: runs the phases
    experts: list[Any] = field(default_factory=list)
    groups: dict[str, Any] = field(default_factory=dict)  # organizations that propose
    managers: dict[str, Any] = field(default_factory=dict)  # their managers' logins
    residents: list[Any] = field(default_factory=list)  # logins with a person in the street

    def round(self, open_kind: str = PhaseKind.NEEDS, *, now: dt.datetime | None = None, open: bool = True, **kw: Any) -> Any:
        args: dict[str, Any] = {"title": "2026年北京街社区公益微创投", "year": 2026, "budget": "60000",
                                "phases": phases_around(now or timezone.now(), open_kind)}
        args.update(kw)
        r = gs.round_create(actor=self.admin, fund=self.fund, **args)
        return gs.round_open(actor=self.admin, round=r) if open else r


@pytest.fixture
def world(city) -> GrantsWorld:
    finance = city.users["finance"]
    fund = cs.fund_create(
        actor=finance, code="yx-bjj", name="北京街社区慈善基金", division=city.streets["北京街"], custodian=city.orgs["慈善会"],
        station=city.stations["北京街"], opened_on=dt.date(2025, 1, 1), seed="100000.00",
    )
    w = GrantsWorld(city=city, fund=fund, admin=finance, staff=city.users["station_worker"])
    w.experts = [city.users["expert"]] + [f.user_with_role(f"expert{i}", Role.EXPERT, None, name=f"评审专家{i}") for i in range(2, 5)]
    yx = city.districts["越秀"]
    w.groups["长者互助队"] = f.organization("广州市越秀区北京街长者互助服务队", district=yx, kind=OrgKind.ASSOCIATION)
    w.groups["青年志愿者协会"] = f.organization("广州市越秀区青年志愿者协会", district=yx, kind=OrgKind.ASSOCIATION)
    w.managers["长者互助队"] = f.user_with_role("elder_group", Role.ORG_MANAGER, w.groups["长者互助队"], name="互助队队长")
    w.managers["青年志愿者协会"] = f.user_with_role("youth_group", Role.ORG_MANAGER, w.groups["青年志愿者协会"], name="协会秘书长")
    communities = [city.communities["盐运西"], city.communities["都府"]]
    w.residents = [f.user_with_role(f"resident{i}", Role.DONOR, None, person_in=communities[i % 2], name=f"居民{i}") for i in range(6)]
    return w
