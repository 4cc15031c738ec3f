"""The micro-venture round the route walk asks about: the 北京街 fund's 2026 round, made through the services phase by
phase (time travelled to each phase's middle) until its execution, open now: a need, a proposal of a community group
(screened, reviewed by three experts, voted for on line and on paper), its result, its agreement signed by both sides,
evidence of a milestone and the advance tranche requested; the service project the agreement made."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.core.scoping import Role
from shanlian.grants import services as gs
from shanlian.grants.models import PHASE_ORDER, Agreement, PhaseKind, Result
from shanlian.orgs.models import OrgKind
from tests import factories as f
from tests.grants.conftest import phases_around

DAY = dt.timedelta(days=1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
RUBRIC = [
    {"name": "需求与受益人", "weight": "2", "max_score": 10,
     "levels": [{"from": 0, "text": "需求不清"}, {"from": 4, "text": "需求明确"}, {"from": 8, "text": "需求迫切，受益面广"}]},
    {"name": "预算合理性", "weight": "1", "max_score": 5, "levels": [{"from": 0, "text": "不合理"}, {"from": 3, "text": "合理"}]},
]


@dataclass
class GrantsSite:
    group: Any  # the community group's manager (org_manager)
    round: Any
    need: Any
    proposal: Any
    assignment: Any  # the walker `expert`'s review
    keying: Any
    result: Any
    agreement: Any
    tranche: Any
    evidence: Any
    service_project: Any
    change: Any  # a budget change waiting for the fund's decision
    progress: Any  # a progress report of the project
    plan: Any  # the project's brand cultivation plan
    photo: Any  # the progress report's photo


def build(city: Any, books: Any, volunteer: Any) -> GrantsSite:
    now = timezone.now()
    finance, worker = city.users["finance"], city.users["station_worker"]
    fund = books.fund
    cs.donation_record(actor=finance, fund=fund, amount="60000.00", channel="transfer", donor_name="广州善源科技有限公司")
    phases = phases_around(now, PhaseKind.EXECUTION)

    def during(kind: str) -> Any:
        opens, closes = phases[kind]
        return time_machine.travel(opens + (closes - opens) / 2, tick=False)

    group_org = f.organization("广州市越秀区北京街长者互助服务队", district=city.districts["越秀"], kind=OrgKind.ASSOCIATION)
    group = f.user_with_role("group", Role.ORG_MANAGER, group_org, name="互助队队长")
    experts = [city.users["expert"]] + [f.user_with_role(f"walk_expert{i}", Role.EXPERT, None, name=f"评审专家{i}") for i in (2, 3)]
    with during(PhaseKind.NEEDS):
        r = gs.round_create(actor=finance, fund=fund, title="2026年北京街社区公益微创投", year=2026, budget="20000",
                            phases=phases, rule="greedy", reviewers_per_proposal=3)
        r = gs.round_open(actor=finance, round=r)
        need = gs.need_submit(actor=volunteer, round=r, text="独居长者家中缺少扶手，夜间如厕容易跌倒", category="elderly")
    with during(PhaseKind.PROPOSALS):
        p = gs.proposal_save(
            actor=group, round=r, applicant=group_org, title="耆乐安居·长者居家安全改造",
            summary="为独居长者上门评估居家安全并加装扶手、防滑垫和感应夜灯。", beneficiaries="北京街独居及高龄长者",
            beneficiary_count=30, outcomes="30户长者家中完成安全改造。", starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 12, 31),
            lines=[{"category": "materials", "item": "扶手与防滑垫", "quantity": "30", "unit": "户", "unit_price": "300"}],
            milestones=[{"title": "完成30户入户评估", "due_on": "2026-06-30"}, {"title": "全部改造完成并回访", "due_on": "2026-12-15"}],
            needs=[need.pk])
        p = gs.proposal_submit(actor=group, proposal=p)
    with during(PhaseKind.SCREENING):
        p = gs.proposal_screen(actor=worker, proposal=p, feasible=True, accepted_price="9000")
        gs.criteria_set(actor=worker, round=r, criteria=RUBRIC)
    with during(PhaseKind.REVIEW):
        assignments = gs.reviews_assign(actor=worker, round=r, experts=experts)
        for a in assignments:
            gs.review_submit(actor=a.reviewer, assignment=a, scores={c.pk: c.max_score for c in r.criteria.all()}, comment="需求明确")
    with during(PhaseKind.VOTE):
        gs.ballot_cast(actor=volunteer, round=r, choices=[p.pk])
        keying = gs.paper_ballot_key(actor=worker, round=r, paper_number="BJJ-0001", voter=city.people["李伟"], choices=[p.pk])
    with during(PhaseKind.ALLOCATION):
        gs.allocation_run(actor=finance, round=r)
    with during(PhaseKind.AGREEMENTS):
        agreement = gs.agreement_draft(actor=worker, proposal=p, tranches=[{"percent": 40}, {"percent": 60, "milestone": 1}],
                                       reporting_dates=[dt.date(2026, 6, 30)])
        agreement = gs.agreement_sign(actor=group, agreement=agreement)
        agreement = gs.agreement_sign(actor=finance, agreement=agreement)
    assert PHASE_ORDER.index(PhaseKind.EXECUTION) > PHASE_ORDER.index(PhaseKind.AGREEMENTS)
    evidence = gs.evidence_submit(actor=group, agreement=agreement, milestone=1, text="已完成30户入户评估", person_times=30, sessions=6)
    first = agreement.tranches.order_by("n").first()
    tranche = gs.tranche_request(actor=city.users["agency_manager"], tranche=first)
    agreement = Agreement.objects.get(pk=agreement.pk)
    project = agreement.service_project
    change = gs.budget_change_request(actor=group, agreement=agreement, amounts={1: "8000"},
                                      new_lines=[{"category": "activities", "item": "安全知识讲座", "amount": "1000"}],
                                      reason="扶手单价下降，节余用于安全知识讲座")
    progress = gs.progress_report_submit(actor=group, project=project, period_end=timezone.localdate(), text="完成首批10户改造",
                                         person_times=40, sessions=8,
                                         photos=[SimpleUploadedFile("入户.png", PNG, content_type="image/png")])
    project = gs.brand_list_add(actor=finance, project=project, reason="居家安全需求普遍，适合培育为品牌项目")
    plan = gs.brand_plan_save(actor=finance, project=project, year=2026, goals="形成可复制的居家安全服务标准", actions="编写服务手册",
                              owner="北京街社工站", review_on=timezone.localdate() + 90 * DAY)
    return GrantsSite(group=group, round=r, need=need, proposal=p, assignment=next(a for a in assignments if a.reviewer == experts[0]),
                      keying=keying, result=Result.objects.get(proposal=p), agreement=agreement, tranche=tranche,
                      evidence=evidence, service_project=project, change=change, progress=progress, plan=plan,
                      photo=progress.photos.get())
