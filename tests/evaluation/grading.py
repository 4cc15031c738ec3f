"""A grade call for tests: the small 100-point framework published, a call open today, 同心 (a service institution
registered in 2015, its 2025 inspection passed) managed by 同心主任, three experts. `marks(...)` writes a full set of
marks giving a chosen share of each leaf."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanlian.core.scoping import Role
from shanlian.evaluation import services as es
from shanlian.evaluation.models import Indicator, Scoring
from shanlian.evaluation.services import assessments as sa
from shanlian.evaluation.services import reviews as sr
from shanlian.orgs.services import standing_record
from shanlian.people.selectors import actor_scope
from tests import factories as f

from .conftest import save


@dataclass
class Grading:
    admin: Any
    region: Any
    framework: Any
    call: Any
    org: Any
    manager: Any
    experts: list[Any] = field(default_factory=list)

    def leaves(self) -> list[Indicator]:
        parents = set(Indicator.objects.filter(framework=self.framework).values_list("parent_id", flat=True))
        return [i for i in Indicator.objects.filter(framework=self.framework).order_by("code") if i.pk not in parents]


def passed_inspection(admin, org, year: int = 2025) -> None:
    standing_record(actor=admin, scope=actor_scope(admin), organization=org, kind="inspection",
                    on=dt.date(year + 1, 5, 20), year=year, result="passed")


def marks(g: Grading, share: str = "0.95", *, bonus: str = "0", deduction: str = "0") -> dict[int, dict[str, Any]]:
    """Every leaf marked at about `share` of its points (a level leaf at the level nearest it; yes/no: yes)."""
    out: dict[int, dict[str, Any]] = {}
    for leaf in g.leaves():
        if leaf.kind == "bonus":
            out[leaf.pk] = {"points": bonus}
        elif leaf.kind == "deduction":
            out[leaf.pk] = {"points": deduction}
        elif leaf.scoring == Scoring.YES_NO:
            out[leaf.pk] = {"answer": "yes"}
        elif leaf.scoring == Scoring.LEVELS:
            target = leaf.points * Decimal(share)
            best = min(range(4), key=lambda n: abs(Decimal(leaf.levels[n]["points"]) - target))
            out[leaf.pk] = {"level": best + 1}
        else:
            out[leaf.pk] = {"points": str((leaf.points * Decimal(share)).quantize(Decimal("0.01")))}
    return out


def evidence(name: str = "登记证书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")


def grading(city, *, reviewers: int = 2, experts: int = 3) -> Grading:
    admin, region = city.users["city_admin"], city.city
    framework = es.framework_publish(actor=admin, framework=save(admin, region))
    today = timezone.localdate()
    call = sa.call_create(actor=admin, region=region, year=2026, title="2026年广州市社会组织等级评估",
                          opens_on=today - dt.timedelta(days=5), closes_on=today + dt.timedelta(days=20),
                          review_until=today + dt.timedelta(days=40), reviewers=reviewers)
    org = city.orgs["同心"]
    passed_inspection(admin, org)
    manager = f.user_with_role("tongxin", Role.ORG_MANAGER, org, name="同心主任")
    pool = [f.user_with_role(f"expert{n}", Role.EXPERT, None, name=name)
            for n, name in enumerate(["陈嘉敏", "何婉仪", "黄伟强", "梁志刚", "罗建华"][:experts], start=1)]
    return Grading(admin=admin, region=region, framework=framework, call=call, org=org, manager=manager, experts=pool)


def submitted(g: Grading, share: str = "0.95") -> Any:
    a = sa.assessment_apply(actor=g.manager, call=g.call, organization=g.org)
    sa.self_rate(actor=g.manager, assessment=a, marks=marks(g, share))
    for leaf in g.leaves():
        if leaf.evidence_required:
            sa.evidence_add(actor=g.manager, assessment=a, indicator=leaf, upload=evidence())
    return sa.assessment_submit(actor=g.manager, assessment=a)


def reviewed(g: Grading, share: str = "0.95", *, site: bool = False) -> Any:
    a = submitted(g, share)
    for r in sr.reviewers_assign(actor=g.admin, call=g.call, experts=g.experts):
        sr.evaluation_review_submit(actor=r.user, reviewer=r, marks=marks(g, share), comment="材料齐全")
    if site:
        used = set(a.reviewers.values_list("user_id", flat=True))
        inspector = next(e for e in g.experts if e.pk not in used)
        r = sr.rater_name(actor=g.admin, assessment=a, user=inspector)
        sr.evaluation_review_submit(actor=inspector, reviewer=r, marks=marks(g, share), comment="现场核查属实")
    a.refresh_from_db()
    return a
