"""The demo rounds' funded projects, once allocated: agreements drafted and signed by both sides, evidence and tranches
through the execution (one tranche left waiting for the custodian), and the registry's brand projects (「耆乐安居」
and the round project cultivated next). A mixin of `grants.GrantsDemo`, which sets the attributes below when it
schedules the history."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import CommunityFund, Payout
from shanlian.grants import services as gs
from shanlian.grants.models import Agreement, PhaseKind, Proposal, Result, ServiceProject, Tranche
from shanlian.orgs.models import Organization, Station
from shanlian.people.models import Person
from shanlian.places.models import Division

from .charity import _on
from .grants_data import CULTIVATE_FIRST, DAY, LAST_YEAR, QILE_ANSHU, QILE_REPORTS, RoundSpec


def _grant_tranches() -> list[dict[str, Any]]:
    """40% on signing (an advance), 40% on the mid-term milestone, 20% on the last."""
    return [{"percent": 40}, {"percent": 40, "milestone": 2}, {"percent": 20, "milestone": 3}]


@dataclass
class RoundState:
    spec: RoundSpec
    year: int
    phases: dict[str, tuple[dt.datetime, dt.datetime]]
    round: Any = None  # as the services read it (its phases fetched once: they do not change in the demo)
    needs: dict[str, Any] = field(default_factory=dict)
    proposals: dict[str, Any] = field(default_factory=dict)
    paper_voters: list[Person] = field(default_factory=list)  # in the order their papers are numbered


class ProjectsDemo:
    rng: random.Random
    counts: Counter[str]
    at: Callable[..., None]
    now: dt.datetime
    today: dt.date
    staff: Any
    finance: Any
    managers: dict[str, Any]
    orgs: dict[str, Organization]
    street: Division
    station: Station | None
    fund: CommunityFund | None
    brand: dict[str, Any]

    def _moment(self, day: dt.date, start: int = 9, end: int = 18) -> dt.datetime:
        return _on(day, f"{self.rng.randint(start, end - 1)}:{self.rng.randint(0, 59):02d}")

    def _days_ago(self, days: int) -> dt.datetime:
        """A moment in office hours `days` days before today."""
        return self._moment(self.today - days * DAY, 9, 18)

    def draft_agreement(self, proposal_id: int, n: int) -> None:
        proposal = Proposal.objects.select_related("round", "applicant").get(pk=proposal_id)
        start = proposal.starts_on
        dates = [start + dt.timedelta(days=d) for d in (90, 180, 270) if start + dt.timedelta(days=d) <= proposal.ends_on]
        agreement = gs.agreement_draft(actor=self.staff, proposal=proposal, tranches=_grant_tranches(), reporting_dates=dates)
        key = next(k for k, org in self.orgs.items() if org.pk == proposal.applicant_id)
        signed = timezone.now() + dt.timedelta(days=2 + n % 3, hours=2)
        self.at(signed, self.sign, agreement.pk, self.managers[key])
        self.at(signed + dt.timedelta(days=3, hours=1), self.sign_fund, agreement.pk, n, key)

    def sign(self, agreement_id: int, who: Any) -> None:
        gs.agreement_sign(actor=who, agreement=Agreement.objects.select_related("proposal").get(pk=agreement_id))

    def sign_fund(self, agreement_id: int, n: int, key: str) -> None:
        agreement = gs.agreement_sign(actor=self.finance, agreement=Agreement.objects.select_related("proposal").get(pk=agreement_id))
        self.counts["grants_agreements"] += 1
        self.execution(agreement, n, key)

    def execution(self, agreement: Agreement, n: int, key: str) -> None:
        """The advance paid; the milestones' evidence as the project goes. The second funded project's mid-term evidence
        was sent back once and accepted this week, its tranche asked for two days ago (waiting for the custodian's
        finance officer); the third's mid-term evidence waits for review; the others' mid-term tranche is paid."""
        proposal = Proposal.objects.get(pk=agreement.proposal_id)
        spec = next(p for p in LAST_YEAR.proposals if p.title == proposal.title)
        tranches = {t.n: t.pk for t in Tranche.objects.filter(agreement=agreement)}
        for m, day in enumerate(agreement.reporting_dates[:2]):
            end = dt.date.fromisoformat(day)
            if m < len(spec.evidence) and _on(end + 3 * DAY, "17:00") < self.now:
                self.at(_on(end + 2 * DAY, "16:30"), self.report_progress, agreement.pk, self.managers[key], end, spec.evidence[m], m + 1)
        asked = timezone.now() + dt.timedelta(days=1, hours=1)
        self.payout_chain(tranches[1], asked)
        start = proposal.starts_on
        manager = self.managers[key]
        due = {m: start + dt.timedelta(days=d) for m, (_t, d) in enumerate(spec.milestones, start=1)}
        recent = self.now - 14 * DAY
        if len(spec.evidence) >= 1 and _on(due[1] + 3 * DAY, "17:00") < recent:
            shown = _on(due[1] + 2 * DAY, "16:20")
            self.at(shown, self.show_evidence, agreement.pk, manager, 1, spec.evidence[0])
            self.at(shown + dt.timedelta(days=1, hours=18), self.decide_evidence, agreement.pk, 1, True, "")
        if len(spec.evidence) < 2 or _on(due[2] + 12 * DAY, "17:00") > recent:
            return
        shown = _on(due[2] + 3 * DAY, "15:40")
        if n == 1:
            self.at(shown, self.show_evidence, agreement.pk, manager, 2, spec.evidence[1])
            self.at(shown + 4 * DAY, self.decide_evidence, agreement.pk, 2, False, "服务记录缺少签到表和活动照片，请补充后重新提交。")
            again = self._days_ago(12)
            self.at(again, self.show_evidence, agreement.pk, manager, 2, spec.evidence[1])
            self.at(self._days_ago(4), self.decide_evidence, agreement.pk, 2, True, "")
            self.at(self._days_ago(2), self.ask_tranche, tranches[2])
        elif n == 2:
            self.at(self._days_ago(3), self.show_evidence, agreement.pk, manager, 2,
                    spec.evidence[1])
        else:
            self.at(shown, self.show_evidence, agreement.pk, manager, 2, spec.evidence[1])
            self.at(shown + dt.timedelta(days=2, hours=1), self.decide_evidence, agreement.pk, 2, True, "")
            self.payout_chain(tranches[2], shown + dt.timedelta(days=3, hours=2))

    def show_evidence(self, agreement_id: int, manager: Any, milestone: int, what: tuple[str, int, int]) -> None:
        agreement = Agreement.objects.select_related("proposal").get(pk=agreement_id)
        text, person_times, sessions = what
        gs.evidence_submit(actor=manager, agreement=agreement, milestone=milestone, text=text, person_times=person_times,
                           sessions=sessions)
        self.counts["grants_evidence"] += 1

    def decide_evidence(self, agreement_id: int, milestone: int, accept: bool, note: str) -> None:
        evidence = Agreement.objects.get(pk=agreement_id).evidence.filter(milestone__n=milestone, status="pending").first()
        if evidence is not None:
            gs.evidence_decide(actor=self.staff, evidence=evidence, accept=accept, note=note)

    def payout_chain(self, tranche_id: int, asked: dt.datetime) -> None:
        """A tranche asked for by the station worker, approved by the custodian's finance officer a day or two later and
        paid after that (each step only if its day has come)."""
        approve = asked + dt.timedelta(days=self.rng.randint(1, 2), hours=self.rng.randint(1, 4))
        pay = approve + dt.timedelta(days=self.rng.randint(1, 3), hours=1)
        if pay > self.now - dt.timedelta(hours=1):
            return  # (not part of the history yet: a request left waiting would be an old one)
        self.at(asked, self.ask_tranche, tranche_id)
        self.at(approve, self.approve_tranche, tranche_id)
        self.at(pay, self.pay_tranche, tranche_id, f"ICBC{self.rng.randint(10**11, 10**12 - 1)}")

    def ask_tranche(self, tranche_id: int) -> None:
        gs.tranche_request(actor=self.staff, tranche=Tranche.objects.get(pk=tranche_id))
        self.counts["grants_tranches"] += 1

    def approve_tranche(self, tranche_id: int) -> None:
        payout = Payout.objects.get(tranche__pk=tranche_id)
        cs.payout_approve(actor=self.finance, payout=payout, note="里程碑材料齐全，同意拨付")

    def pay_tranche(self, tranche_id: int, reference: str) -> None:
        cs.payout_pay(actor=self.finance, payout=Payout.objects.get(tranche__pk=tranche_id), payment_reference=reference)


    # -- the registry's brand projects ---------------------------------------------------------------------------

    def schedule_brand(self, registered: dt.datetime, last: RoundState) -> None:
        """The station's 「耆乐安居」 project, commissioned by the fund: cultivated from its first month, reporting each
        quarter, a brand project after three quarters; then, by "成熟一个培育一个", one of last year's round projects
        is taken on for cultivation. A yearly cultivation plan for each."""
        start = timezone.localdate(registered)
        self.at(registered, self.register_qile, start)
        self.at(registered + 30 * DAY, self.brand_add, "qile", "“社工+慈善”品牌服务项目试点，列入首批培育")
        quarter_ends = [dt.date(y, m, 30 if m in (6, 9) else 31) for y in range(start.year, self.today.year + 1)
                        for m in (3, 6, 9, 12)]
        for n, end in enumerate(q for q in quarter_ends if start < q and _on(q + 6 * DAY, "17:00") < self.now):
            self.at(_on(end + 5 * DAY, "16:00"), self.report_qile, end, n)
        brand_day = timezone.localdate(last.phases[PhaseKind.AGREEMENTS][1]) + 60 * DAY
        if _on(brand_day + 20 * DAY, "17:00") < self.now:
            self.at(_on(brand_day, "10:30"), self.brand_qile)
            self.at(_on(brand_day + 10 * DAY, "15:00"), self.plan_brand, "qile")
            self.at(_on(brand_day + 14 * DAY, "10:00"), self.cultivate_next, last)
            self.at(_on(brand_day + 20 * DAY, "15:00"), self.plan_brand, "next")

    def register_qile(self, start: dt.date) -> None:
        fund = self.fund or CommunityFund.objects.filter(code=f"gz-{self.street.code}").first()
        if fund is None:
            return
        self.fund = fund
        self.brand["qile"] = gs.service_project_register(
            actor=self.staff, lead=self.orgs["agency"], station=self.station, fund=fund, starts_on=start,
            ends_on=start + 3 * 365 * DAY - DAY, **QILE_ANSHU)  # type: ignore[arg-type]  # its values are the fields' own
        self.counts["grants_service_projects"] += 1

    def brand_add(self, key: str, reason: str) -> None:
        project = self.brand.get(key)
        if project is not None:
            self.brand[key] = gs.brand_list_add(actor=self.finance, project=project, reason=reason)

    def report_qile(self, end: dt.date, n: int) -> None:
        project = self.brand.get("qile")
        if project is None:
            return
        a, c = self.rng.randint(12, 30), self.rng.randint(3, 8)
        b = a * self.rng.randint(5, 9) + self.rng.randint(20, 90)
        gs.progress_report_submit(actor=self.staff, project=project, period_end=end, text=QILE_REPORTS[n % 3].format(a=a, b=b, c=c),
                                  person_times=b + c * 25, sessions=a + c)
        self.counts["grants_progress_reports"] += 1

    def brand_qile(self) -> None:
        project = self.brand.get("qile")
        if project is not None:
            self.brand["qile"] = gs.brand_stage_set(actor=self.finance, project=project, stage="brand",
                                                    reason="连续三个季度服务成效达标，长者及家属满意度96%，经评估成为品牌服务项目")

    def cultivate_next(self, last: RoundState) -> None:
        projects = {p.proposal_id: p for p in ServiceProject.objects.filter(agreement__proposal__round=last.round)}
        first = last.proposals.get(CULTIVATE_FIRST)
        ranked = list(Result.objects.filter(round=last.round, funded=True).order_by("rank").values_list("proposal_id", flat=True))
        chosen = projects.get(first.pk) if first is not None and first.pk in projects else next(
            (projects[pid] for pid in ranked if pid in projects), None)
        if chosen is None:
            return
        self.brand["next"] = chosen
        self.brand_add("next", "成熟一个培育一个：「耆乐安居」成为品牌项目后接续培育的社区微创投项目")

    def plan_brand(self, key: str) -> None:
        project = self.brand.get(key)
        if project is None:
            return
        year = timezone.localdate().year
        goals, actions = (
            ("服务长者120人、入户探访不少于1500人次；形成居家安全评估工具包；在全区3个街道推广。",
             "每季度评估一次服务成效；整理服务案例和评估工具；联合区慈善会开展品牌推介。")
            if key == "qile" else
            ("稳定结对探访长者60名；培育长者志愿者骨干15名；形成可复制的探访服务指引。",
             "每月开展志愿者督导；每季度提交进度报告；年底参加品牌项目评估。"))
        gs.brand_plan_save(actor=self.staff, project=project, year=year, goals=goals, actions=actions, owner=self.staff.first_name,
                           review_on=dt.date(year, 12, 20))
        self.counts["grants_brand_plans"] += 1

    def report_progress(self, agreement_id: int, manager: Any, end: dt.date, what: tuple[str, int, int], milestone: int) -> None:
        project = ServiceProject.objects.filter(agreement_id=agreement_id).first()
        if project is None:
            return
        text, person_times, sessions = what
        gs.progress_report_submit(actor=manager, project=project, period_end=end, text=text, person_times=person_times,
                                  sessions=sessions, milestone=milestone)
        self.counts["grants_progress_reports"] += 1
