"""What the route walk asks about on the grade-evaluation and expert-pool pages: the city's 2026 call (the small
100-point framework) with 启明's assessment awarded (its certificate public) and 同心's decided and on public notice
with an objection, reviewed by the walker expert and a second expert; 同心's manager walks as `tongxin`."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import time_machine
from django.utils import timezone

from shanlian.core.scoping import Role
from shanlian.evaluation import services as es
from shanlian.evaluation.services import assessments as sa
from shanlian.evaluation.services import decisions as sd
from shanlian.evaluation.services import reviews as sr
from tests import factories as f
from tests.evaluation.conftest import BANDS_100, small_tree
from tests.evaluation.grading import Grading, evidence, marks, passed_inspection

# Filled in after test_route_walk defines Binding (it imports this module first): see `bindings()`.
BINDINGS: dict[str, Any] = {}
BY_NAMESPACE: dict[tuple[str, str], Any] = {}
BY_ROUTE: dict[tuple[str, str], Any] = {}
# Walkers of its own (users it adds in `build`), beside the city's.
WALKERS: tuple[str, ...] = ("tongxin",)


def _through_review(g: Grading, org: Any, manager: Any, share: str, experts: list[Any]) -> Any:
    a = sa.assessment_apply(actor=manager, call=g.call, organization=org)
    sa.self_rate(actor=manager, assessment=a, marks=marks(g, share))
    leaf = next(x for x in g.leaves() if x.evidence_required)
    sa.evidence_add(actor=manager, assessment=a, indicator=leaf, upload=evidence())
    sa.assessment_submit(actor=manager, assessment=a)
    for r in sr.reviewers_assign(actor=g.admin, call=g.call, experts=experts):
        if r.assessment_id == a.pk and r.status == "assigned":
            sr.evaluation_review_submit(actor=r.user, reviewer=r, marks=marks(g, share))
    return sd.assessment_decide(actor=g.admin, assessment=a, grade="1A")


def _brand(city: Any, admin: Any, experts: list[Any]) -> Any:
    """启明 (4A) named in the city's brand batch: its showcase is public."""
    framework = es.framework_publish(actor=admin, framework=es.framework_save(
        actor=admin, region=city.city, kind="brand", year=2026, title="品牌社会组织评价指标", total="100", tree=small_tree()))
    today = timezone.localdate()
    call = sa.call_create(actor=admin, region=city.city, kind="brand", year=2026, title="第九批品牌社会组织评价", batch=9,
                          opens_on=today - dt.timedelta(days=3), closes_on=today + dt.timedelta(days=30),
                          review_until=today + dt.timedelta(days=60))
    g = Grading(admin=admin, region=city.city, framework=framework, call=call, org=city.orgs["启明"], manager=None)
    a = sa.assessment_apply(actor=city.users["agency_manager"], call=call, organization=g.org)
    sa.self_rate(actor=city.users["agency_manager"], assessment=a, marks=marks(g, "0.95"))
    leaf = next(x for x in g.leaves() if x.evidence_required)
    sa.evidence_add(actor=city.users["agency_manager"], assessment=a, indicator=leaf, upload=evidence())
    sa.assessment_submit(actor=city.users["agency_manager"], assessment=a)
    for r in sr.reviewers_assign(actor=admin, call=call, experts=experts):
        sr.evaluation_review_submit(actor=r.user, reviewer=r, marks=marks(g, "0.95"))
    a = sd.assessment_decide(actor=admin, assessment=a, named=True)
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=False):
        return sd.assessment_award(actor=admin, assessment=a)


def build(city: Any, users: dict[str, Any]) -> Any:
    admin = city.users["city_admin"]
    framework = es.framework_publish(actor=admin, framework=es.framework_save(
        actor=admin, region=city.city, kind="grade", year=2026, title="2026年等级评估指标（社会服务机构）", total="100",
        tree=small_tree(), bands=BANDS_100, org_kind="service_institution"))
    today = timezone.localdate()
    call = sa.call_create(actor=admin, region=city.city, year=2026, title="2026年广州市社会组织等级评估",
                          opens_on=today - dt.timedelta(days=3), closes_on=today + dt.timedelta(days=30),
                          review_until=today + dt.timedelta(days=60))
    tongxin = f.user_with_role("tongxin", Role.ORG_MANAGER, city.orgs["同心"], name="同心主任")
    users["tongxin"] = tongxin
    second = f.user_with_role("expert_two", Role.EXPERT, None, name="何婉仪")
    g = Grading(admin=admin, region=city.city, framework=framework, call=call, org=city.orgs["同心"], manager=tongxin)
    for org in (city.orgs["启明"], city.orgs["同心"]):
        passed_inspection(admin, org)
    named = _brand(city, admin, [second, city.users["expert"]])
    awarded = _through_review(g, city.orgs["启明"], city.users["agency_manager"], "0.5", [second, city.users["expert"]])
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=False):
        awarded = sd.assessment_award(actor=admin, assessment=awarded)
    on_notice = _through_review(g, city.orgs["同心"], tongxin, "0.5", [second, city.users["expert"]])
    objection = sd.objection_lodge(assessment=on_notice, name="李先生", contact="13800138000", text="服务记录不实")
    return SimpleNamespace(call=call, awarded=awarded, named=named, on_notice=on_notice, objection=objection,
                           evidence=on_notice.evidence.get(), expert=city.users["expert"])


def bindings(Binding: Any, staff: Any, NO_ID: int) -> None:
    """Fill the dicts with test_route_walk's Binding (called by it, once it is defined)."""
    reviewers = staff("city_admin", "tongxin", "expert")
    BINDINGS.update({
        "call_id": Binding(lambda s, r: s.grading.call.pk, staff("city_admin", "agency_manager", "tongxin", "group", "expert"),
                           NO_ID, "the city's call: its committee, the managers of organizations in the city, its reviewers"),
        "assessment_id": Binding(lambda s, r: s.grading.on_notice.pk, reviewers, NO_ID,
                                 "同心's assessment: the committee, 同心's manager, its reviewers"),
        "objection_id": Binding(lambda s, r: s.grading.objection.pk, staff("city_admin"), NO_ID, "an objection: the committee"),
        "assessment_evidence_id": Binding(lambda s, r: s.grading.evidence.pk, reviewers, NO_ID, "同心's evidence: as its assessment"),
        "number": Binding(lambda s, r: s.grading.awarded.certificate_no, None, "440100-2099-1A-0001",
                          "启明's certificate: anyone may check it"),
        "user_id": Binding(lambda s, r: s.grading.expert.pk, staff("city_admin", "district_admin", "expert"), NO_ID,
                           "the walker expert's entry in the pool: the expert and the pool's keepers"),
    })
    public_notice = Binding(lambda s, r: s.grading.on_notice.pk, None, NO_ID, "a decision on public notice (public)")
    BY_NAMESPACE.update({
        ("evaluation_public", "assessment_id"): public_notice,
        ("evaluation_public", "organization_id"): Binding(lambda s, r: s.city.orgs["启明"].pk, None, NO_ID,
                                                          "an organization's grade and certificate (public)"),
    })
    BY_ROUTE.update({
        ("evaluation_public:brand", "organization_id"): Binding(lambda s, r: s.grading.named.organization_id, None, NO_ID,
                                                                "启明, named a brand organization: its showcase (public)"),
        ("POST /api/evaluation/notices/{assessment_id}/objections", "assessment_id"): public_notice,
        ("evaluation:assessment_certificate", "assessment_id"): Binding(
            lambda s, r: s.grading.awarded.pk, staff("city_admin", "agency_manager", "expert"), NO_ID,
            "启明's awarded assessment: the committee, 启明's manager, its reviewers"),
    })
