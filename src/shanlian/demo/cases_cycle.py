"""The case cycle of the demo city, over the beneficiaries of demo/cases.py, written through the services: a case at
every stage at four stations, Barthel assessments before and after, plans with goals of the four kinds approved by
the agency's manager (何俊杰 for 北京街道), home visits over the last months, a review, a closed case with its outcome,
one plan waiting in the manager's queue, a referral under a consent, and an elder living alone whose home visit is
due. A beneficiary who already has a case is left as it is, so a second run writes nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from shanlian.cases import services as cs
from shanlian.cases import services_cycle as cy
from shanlian.cases import services_records as cr
from shanlian.cases.models import Beneficiary, Case, Instrument
from shanlian.cases.standard import standard_instruments
from shanlian.orgs.models import Organization

# name → (stage, Barthel option levels at baseline, after; visits (days ago); the case's presenting problem)
CASES: dict[str, tuple[str, list[int], list[int], list[int], str]] = {
    "陈秀英": ("in_service", [1, 0, 1, 1, 2, 2, 1, 1, 1, 0], [], [95, 64, 35],
            "独居高龄，膝关节退变行走需拐杖，近月跌倒一次；子女在外地，买菜做饭困难，情绪低落。"),
    "梁伯坚": ("closed", [1, 0, 0, 1, 1, 1, 1, 1, 1, 0], [2, 1, 1, 2, 2, 2, 2, 2, 2, 1], [170, 140, 110, 80, 50, 21],
            "孤寡特困老人，慢阻肺夜间吸氧，家中无人照应，药物管理混乱。"),
    "周建华": ("plan_submitted", [1, 0, 0, 1, 2, 2, 1, 1, 1, 0], [], [12],
            "脑卒中后右侧偏瘫，妻子独自照护压力大，家庭收入低于低保线。"),
    "林小雨": ("intake", [], [], [],
            "父母在外务工，由祖父照料；放学后无人辅导，学校反映近期情绪低落。"),
    "张建国": ("reviewing", [2, 0, 1, 1, 2, 2, 1, 2, 2, 1], [2, 1, 1, 2, 2, 2, 2, 3, 3, 2], [120, 90, 60, 30, 8],
            "独居，冠心病装有支架，子女偶尔来访；社区反映其长期不出门。"),
    "何桂芳": ("assessed", [1, 0, 0, 1, 1, 1, 1, 1, 1, 0], [], [6],
            "独居高龄，轻度认知障碍，曾忘关煤气；需每周探访与用药提醒。"),
    "吴美玲": ("in_service", [2, 0, 0, 1, 2, 2, 1, 2, 1, 0], [], [75, 45, 15],
            "双目失明，与弟弟同住；弟弟年迈，日常出行与就医需陪同。"),
}
GOALS = [("改善日常生活自理能力（Barthel 提高）", "action"), ("链接助餐与生活物资，保障基本生活", "material"),
         ("缓解孤独与低落情绪，每周与邻里或志愿者交流", "psychological"), ("建立家属、社区与志愿者共同照护网络", "holistic")]
VISIT_NOTES = ["入户探访：检查居家安全，协助整理药盒，老人自述膝痛减轻。", "电话回访后入户，陪同到社区卫生服务中心复诊。",
               "入户探访：送来助餐券与米油，讲解防跌倒要点。", "入户探访：与志愿者一起陪老人下楼散步二十分钟。",
               "入户探访：情绪较上次开朗，主动谈及老朋友。", "入户探访：协助联系家属，约定每周视频通话。"]


def _answers(instrument: Instrument, levels: list[int]) -> dict[str, str]:
    return {item["key"]: item["options"][min(level, len(item["options"]) - 1)]["value"]
            for item, level in zip(instrument.items, levels, strict=True)}


def _users() -> dict[str, Any]:
    User = get_user_model()
    found = {u.username: u for u in User.objects.filter(username__in=["admin", "station_worker", "station_worker2",
                                                                       "agency_manager"])}
    admin = User.objects.filter(is_superuser=True).order_by("id").first()
    if admin is not None:
        found.setdefault("admin", admin)
    return found


def _supervisor(users: dict[str, Any], station: Any, worker: Any) -> Any:
    """Who approves at the station: the agency's manager when the demo has one there, else the administrator, never the
    worker who wrote the plan (the database refuses that too); None when nobody else can."""
    from shanlian.cases.access import is_supervisor
    from shanlian.people.selectors import actor_scope

    manager = users.get("agency_manager")
    if manager is not None and manager != worker and is_supervisor(actor_scope(manager), station):
        return manager
    return users["admin"] if users["admin"] != worker else None


def seed_case_cycle() -> Counter[str]:
    counts: Counter[str] = Counter()
    standard_instruments(Instrument)
    barthel = Instrument.objects.get(code="barthel")
    users = _users()
    if users["admin"] is None:
        return counts
    today = timezone.localdate()
    for name, (stage, before, after, visits, problem) in CASES.items():
        b = (Beneficiary.objects.filter(person__real_name=name).select_related("station__street", "person").order_by("id").first())
        if b is None or Case.objects.filter(beneficiary=b).exists():
            continue
        street = b.station.street.name
        worker = users.get({"北京街道": "station_worker", "石牌街道": "station_worker2"}.get(street, ""), users["admin"])
        boss = _supervisor(users, b.station, worker)
        opened = today - dt.timedelta(days=(max(visits) + 20) if visits else 3)
        case = cy.case_open(actor=worker, beneficiary=b, source="outreach" if "独居" in problem else "community", problem=problem,
                            opened_on=opened)
        counts["cases"] += 1
        if stage == "intake":
            continue
        cy.assessment_record(actor=worker, case=case, instrument=barthel, kind="baseline", answers=_answers(barthel, before),
                             assessed_on=opened + dt.timedelta(days=2), notes="入户评估，家属在场")
        counts["assessments"] += 1
        if stage == "assessed":
            continue
        case.refresh_from_db()
        goals = [cy.GoalIn(text, kind, barthel if kind == "action" else None, 80 if kind == "action" else None)
                 for text, kind in GOALS]
        plan = cy.plan_write(actor=worker, case=case, goals=goals, starts_on=opened + dt.timedelta(days=5),
                             ends_on=opened + dt.timedelta(days=185), summary="每月至少入户一次，链接助餐与志愿者探访",
                             home_visit_days=14 if name == "何桂芳" else None)
        plan = cy.plan_submit(actor=worker, plan=plan, version=plan.version)
        counts["plans"] += 1
        if stage == "plan_submitted" or boss is None:
            cr.record_add(actor=worker, case=case, kind="phone", care_kind="psychological", served_on=today - dt.timedelta(days=12),
                          minutes=20, notes="电话了解照护情况，约定入户时间")
            continue
        cy.plan_approve(actor=boss, plan=plan, version=plan.version)
        for n, ago in enumerate(visits):
            cr.record_add(actor=worker, case=case, kind="home_visit", care_kind=GOALS[n % 4][1],
                          served_on=today - dt.timedelta(days=ago), minutes=45 + 15 * (n % 3), person_times=1 + (n % 2),
                          notes=VISIT_NOTES[n % len(VISIT_NOTES)])
            counts["records"] += 1
        if name == "陈秀英":
            org = Organization.objects.exclude(pk=b.station.agency_id).filter(is_agency=False).order_by("id").first()
            if org is not None:
                cs.consent_record(actor=worker, beneficiary=b, purpose="referral", recipients=["organization"], organizations=[org],
                                  given_on=today - dt.timedelta(days=40))
                ref = cr.referral_send(actor=worker, case=case, organization=org, reason="申请助老助餐补贴与居家适老化改造",
                                       referred_on=today - dt.timedelta(days=30))
                cr.referral_update(actor=worker, referral=ref, status="accepted", outcome="已受理，安排上门评估")
                counts["referrals"] += 1
        if stage == "in_service":
            continue
        cy.assessment_record(actor=worker, case=Case.objects.get(pk=case.pk), instrument=barthel, kind="review",
                             answers=_answers(barthel, after), assessed_on=today - dt.timedelta(days=7))
        counts["assessments"] += 1
        review = cr.review_record(actor=worker, case=Case.objects.get(pk=case.pk), kind="final" if stage == "closed" else "midterm",
                                  reviewed_on=today - dt.timedelta(days=6), summary="对照服务目标逐项评估",
                                  results={g.pk: ("met" if stage == "closed" else "partly") for g in plan.goals.all()
                                           if g.instrument_id is None})
        counts["reviews"] += 1
        if stage == "closed":
            c = Case.objects.get(pk=review.case_id)
            c = cr.closure_request(actor=worker, case=c, version=c.version,
                                   summary="目标达成：可自行如厕与短距离行走，助餐稳定，转为季度电话回访。")
            cr.closure_approve(actor=boss, case=c, version=c.version)
            counts["closed"] += 1
    return counts
