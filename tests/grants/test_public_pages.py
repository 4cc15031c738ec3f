"""The public pages of micro-venture rounds and service projects (no login): what each shows and what it must not
show before its time (the tally before the vote closes, a blind round's applicants during the review, drafts and
withdrawn proposals, a payee's bank reference, who uploaded a report), the downloads, and a bounded number of queries.

The builders here are shared with test_api_public.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shanlian.charity import services as cs
from shanlian.core.money import Money
from shanlian.grants.models import (
    Ballot,
    BallotChoice,
    BudgetLine,
    Milestone,
    Phase,
    PhaseKind,
    ProgressPhoto,
    ProgressReport,
    Proposal,
    ProposalStatus,
    Result,
    ServiceProject,
)
from shanlian.grants.services.agreements import (
    agreement_close,
    agreement_draft,
    agreement_sign,
    evidence_decide,
    evidence_submit,
    tranche_request,
)
from shanlian.grants.services.needs import need_merge, need_submit
from shanlian.grants.services.results import allocation_run, result_override
from shanlian.grants.services.rounds import phase_extend
from shanlian.grants.services.votes import ballot_cast

from .. import factories as f
from .conftest import DAY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    """The public turnout is cached (by round): no test sees another's."""
    cache.clear()
    yield
    cache.clear()


# --- builders (shared with test_api_public.py) ----------------------------------------------------------------------

def proposal(world, r, price: str = "10000", *, status: str = ProposalStatus.FEASIBLE, group: str = "长者互助队",
             title: str = "", accepted: str | None = None, note: str = "") -> Proposal:
    """A proposal as screening left it (made directly: the proposal services are tested elsewhere)."""
    n = Proposal.objects.filter(round=r).count() + 1
    priced = status in (ProposalStatus.FEASIBLE, ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED)
    p = Proposal.objects.create(
        round=r, number=n, applicant=world.groups[group], submitted_by=world.managers[group], title=title or f"微创投项目{n}",
        summary="为社区长者提供服务", beneficiaries="社区长者", beneficiary_count=40, outcomes="服务400人次",
        requested=Money(price), accepted_price=Money(accepted or price) if priced else None, starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2026, 12, 31), status=status, screening_note=note or ("预算不合理" if status == ProposalStatus.INFEASIBLE else ""),
        submitted_at=timezone.now() if status != ProposalStatus.DRAFT else None)
    BudgetLine.objects.create(proposal=p, n=1, category="activities", item="活动物资", quantity=1, unit="批", unit_price=price,
                              amount=price)
    return p


def round_url(r, **query) -> str:
    url = reverse("grants_public:round", args=[r.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def after_vote():
    """Six days on: the vote (open now, for five more days) has closed and the allocation phase is open."""
    return time_machine.travel(timezone.now() + 6 * DAY, tick=False)


@pytest.fixture
def voting(world):
    """A round with its vote open now (budget ¥40,000), four feasible proposals (¥20,000, ¥15,000, ¥12,000,
    ¥8,000), a withdrawn and a not-feasible one, and four residents' ballots."""
    r = world.round(PhaseKind.VOTE, budget="40000")
    ps = [proposal(world, r, price, title=f"项目{price}") for price in ("20000", "15000", "12000", "8000")]
    proposal(world, r, "9000", status=ProposalStatus.WITHDRAWN, title="撤回的项目")
    proposal(world, r, "9500", status=ProposalStatus.INFEASIBLE, title="不可行的项目", note="服务对象不在本街道")
    for resident, picks in zip(world.residents, [[0, 1], [0], [0, 2], [1, 3]], strict=False):
        ballot_cast(actor=resident, round=r, choices=[ps[i].pk for i in picks])
    return SimpleNamespace(round=r, p=ps, world=world)


@pytest.fixture
def allocated(voting):
    """The same round after the vote, allocated, and one result overridden with its public reason."""
    with after_vote():
        results = allocation_run(actor=voting.world.admin, round=voting.round)
        funded = next(x for x in results if x.funded)
        result_override(actor=voting.world.admin, result=funded, funded=False, reason="申请方未按时提交资质证明")
        yield voting


PLAN = [{"percent": 40}, {"percent": 40, "milestone": 1}, {"percent": 20, "milestone": 3}]


def funded_proposal(world, r, award: str = "18000") -> Proposal:
    group = world.groups["长者互助队"]
    p = Proposal.objects.create(
        round=r, number=1, applicant=group, submitted_by=world.managers["长者互助队"], title="耆乐安居·长者居家安全改造",
        summary="为独居长者上门评估居家安全并加装扶手、防滑垫和感应夜灯。", beneficiaries="北京街独居及高龄长者",
        beneficiary_count=60, outcomes="60户长者家中完成安全改造", requested="20000", accepted_price=award,
        status=ProposalStatus.FUNDED, starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 12, 31), submitted_at=timezone.now())
    BudgetLine.objects.create(proposal=p, n=1, category="materials", item="扶手与防滑垫", quantity=60, unit="户",
                              unit_price="200", amount="12000")
    BudgetLine.objects.create(proposal=p, n=2, category="personnel", item="社工入户评估", quantity=60, unit="户",
                              unit_price="100", amount="6000")
    for n, (title, day) in enumerate([("完成60户入户评估", dt.date(2026, 5, 31)), ("完成40户安全改造", dt.date(2026, 9, 30)),
                                      ("全部改造完成并回访", dt.date(2026, 12, 15))], start=1):
        Milestone.objects.create(proposal=p, n=n, title=title, due_on=day)
    Result.objects.create(round=r, proposal=p, rank=1, votes=120, funded=True, amount=award, fund=r.fund, reason_code="greedy_funded",
                          reason_params={"approvals": 120}, decided_at=timezone.now())
    return p


def pay(world, tranche, ref: str) -> None:
    payout = cs.payout_approve(actor=world.admin, payout=tranche.payout)
    cs.payout_pay(actor=world.admin, payout=payout, payment_reference=ref)


def registry_entry(world, agreement) -> ServiceProject:
    """The agreement's entry in the registry (made when it came into force, or here if that hook is not in place)."""
    found = ServiceProject.objects.filter(agreement=agreement).first()
    if found is not None:
        return found
    p = agreement.proposal
    return ServiceProject.objects.create(
        title=p.title, area="elderly", origin="round", agreement=agreement, lead=p.applicant,
        station=world.city.stations["北京街"], fund=world.fund, summary=p.summary, beneficiaries=p.beneficiaries,
        beneficiary_count=p.beneficiary_count, starts_on=p.starts_on, ends_on=p.ends_on)


def progress(project, user, day: dt.date, text: str, *, person_times: int = 30, sessions: int = 2, captions=()) -> ProgressReport:
    report = ProgressReport.objects.create(project=project, period_end=day, text=text, person_times=person_times,
                                           sessions=sessions, submitted_by=user)
    for n, caption in enumerate(captions):
        ProgressPhoto.objects.create(report=report, file=f"grants/progress/2026/05/photo{n}.jpg", name=f"photo{n}.jpg",
                                     caption=caption, sha256="0" * 64, uploaded_by=user)
    return report


@pytest.fixture
def round_project(world):
    """A funded proposal's agreement in force: the advance paid, milestone 1's evidence accepted, the second tranche
    asked for (not paid yet); the project's progress reported twice (with photos)."""
    r = world.round(PhaseKind.AGREEMENTS)
    p = funded_proposal(world, r)
    a = agreement_draft(actor=world.staff, proposal=p, tranches=PLAN)
    agreement_sign(actor=world.managers["长者互助队"], agreement=a)
    a = agreement_sign(actor=world.admin, agreement=a)
    first, second, _third = a.tranches.all()
    pay(world, tranche_request(actor=world.staff, tranche=first), "ICBC-6222-0001")
    ev = evidence_submit(actor=world.managers["长者互助队"], agreement=a, milestone=1, text="完成60户入户评估，建立长者居家安全档案。",
                         person_times=186, sessions=12)
    evidence_decide(actor=world.staff, evidence=ev, accept=True)
    second = tranche_request(actor=world.staff, tranche=second)
    project = registry_entry(world, a)
    reporter = world.managers["长者互助队"]
    progress(project, reporter, dt.date(2026, 4, 30), "完成首批30户入户评估。", captions=["入户评估现场", ""])
    progress(project, reporter, dt.date(2026, 5, 31), "完成全部60户评估。", person_times=156, sessions=10)
    return SimpleNamespace(round=r, proposal=p, agreement=a, project=project, second=second, world=world)


def commissioned(world, title: str, *, area: str = "elderly", brand_stage: str = "none", **kw) -> ServiceProject:
    return ServiceProject.objects.create(
        title=title, area=area, origin="commissioned", lead=world.city.orgs["启明"], station=world.city.stations["北京街"],
        summary="由街道直接委托的社区服务项目。", beneficiaries="辖内居民", beneficiary_count=200, starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31), brand_stage=brand_stage, **kw)


# --- rounds -------------------------------------------------------------------------------------------------------

def test_the_round_list_shows_rounds_but_drafts(client, world):
    open_round = world.round(PhaseKind.PROPOSALS, title="2026年北京街微创投")
    world.round(PhaseKind.NEEDS, title="尚未发布的一轮", open=False)
    page = client.get(reverse("grants_public:round_list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "2026年北京街微创投" in body and "尚未发布的一轮" not in body
    assert reverse("grants_public:round", args=[open_round.pk]) in body
    assert "北京街社区慈善基金" in body and "¥60,000.00" in body
    assert str(PhaseKind.PROPOSALS.label) in body  # its phase now


def test_a_draft_round_and_an_unknown_one_are_not_found(client, world):
    draft = world.round(PhaseKind.NEEDS, open=False)
    assert client.get(round_url(draft)).status_code == 404
    assert client.get(reverse("grants_public:round", args=[2_000_000_000])).status_code == 404


def test_needs_merged_away_and_proposals_with_the_screening_s_answer(client, world):
    r = world.round(PhaseKind.NEEDS)
    kept = need_submit(actor=world.residents[0], round=r, text="小区缺少长者日间休息的地方", category="elderly")
    dup = need_submit(actor=world.residents[1], round=r, text="老人白天没有地方坐坐聊天", category="elderly")
    need_merge(actor=world.staff, need=dup, into=kept)
    need_submit(actor=world.residents[2], round=r, text="放学后孩子无人看管", category="children")
    feasible = proposal(world, r, "10000", accepted="9000", title="长者日间驿站")
    feasible.needs.add(kept)
    proposal(world, r, "8000", status=ProposalStatus.INFEASIBLE, title="四点半课堂", note="与街道现有项目重复")
    proposal(world, r, "5000", status=ProposalStatus.SUBMITTED, title="等待初审的项目")
    proposal(world, r, "5000", status=ProposalStatus.DRAFT, title="草稿项目")
    proposal(world, r, "5000", status=ProposalStatus.WITHDRAWN, title="撤回的项目")
    page = client.get(round_url(r))
    assert page.status_code == 200
    body = page.content.decode()
    assert "小区缺少长者日间休息的地方" in body and "放学后孩子无人看管" in body
    assert "老人白天没有地方坐坐聊天" not in body  # merged into the first: counted there, not listed
    assert "长者日间驿站" in body and "¥9,000.00" in body  # the accepted price
    assert "四点半课堂" in body and "与街道现有项目重复" in body  # why not feasible
    assert "等待初审的项目" in body
    assert "草稿项目" not in body and "撤回的项目" not in body
    assert world.groups["长者互助队"].name in body  # not a blind review: applicants named
    answers = body.split('data-testid="feasibility"')[1:]
    assert [a.split('data-answer="')[1].split('"')[0] for a in answers] == ["feasible", "infeasible", "pending"]
    assert 'data-testid="turnout"' not in body and 'data-testid="results-table"' not in body


def test_a_blind_round_names_its_applicants_once_the_review_is_over(client, world):
    r = world.round(PhaseKind.REVIEW, blind_review=True)
    proposal(world, r, "10000", title="盲评中的项目")
    name = world.groups["长者互助队"].name
    body = client.get(round_url(r)).content.decode()
    assert "盲评中的项目" in body and name not in body and 'data-testid="applicants-hidden"' in body
    assert "盲评中的项目" in client.get(round_url(r, format="csv", table="proposals")).getvalue().decode("utf-8-sig")
    assert name not in client.get(round_url(r, format="csv", table="proposals")).getvalue().decode("utf-8-sig")
    with time_machine.travel(timezone.now() + 6 * DAY, tick=False):  # the review has closed
        body = client.get(round_url(r)).content.decode()
    assert name in body and 'data-testid="applicants-hidden"' not in body


def test_the_timeline_marks_the_current_phase_and_shows_extensions_with_their_reasons(client, world):
    r = world.round(PhaseKind.NEEDS)
    needs = Phase.objects.get(round=r, kind=PhaseKind.NEEDS)
    phase_extend(actor=world.staff, round=r, kind=PhaseKind.NEEDS, closes_at=needs.closes_at + 2 * DAY, reason="春节假期，征集顺延两天")
    body = client.get(round_url(r)).content.decode()
    assert 'data-testid="phase-needs" data-state="current"' in body
    assert 'data-testid="phase-proposals" data-state="upcoming"' in body
    assert "春节假期，征集顺延两天" in body
    assert timezone.localtime(needs.closes_at).strftime("%Y-%m-%d %H:%M") in body  # the date it was to close


def test_while_the_vote_runs_the_turnout_is_live_and_the_tally_hidden(client, voting):
    r = voting.round
    # A result row written early (it cannot be, but if it were): still not shown before the vote closes.
    Result.objects.create(round=r, proposal=voting.p[0], rank=1, votes=3, funded=True, amount="20000", fund=r.fund,
                          reason_code="greedy_funded", reason_params={"approvals": 3}, decided_at=timezone.now())
    page = client.get(round_url(r))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="turnout-live"' in body and 'data-testid="turnout-ballots">4<' in body
    assert 'data-testid="results-table"' not in body and 'data-error-code="results_hidden"' in body
    assert 'data-testid="download-results"' not in body
    refused = client.get(round_url(r, format="csv", table="results"))
    assert refused.status_code == 409 and 'data-error-code="results_hidden"' in refused.content.decode()
    book = load_workbook(io.BytesIO(client.get(round_url(r, format="xlsx")).content))
    assert len(book.sheetnames) == 5  # summary, funds, proposals, needs, turnout: no results
    turnout_csv = client.get(round_url(r, format="csv", table="turnout")).getvalue().decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(turnout_csv)))[-1][1] == "4"
    assert "撤回的项目" not in body and "不可行的项目" in body and "服务对象不在本街道" in body


def test_the_live_turnout_is_at_most_thirty_seconds_old(client, voting):
    r = voting.round
    assert 'data-testid="turnout-ballots">4<' in client.get(round_url(r)).content.decode()
    ballot_cast(actor=voting.world.residents[4], round=r, choices=[voting.p[0].pk])
    assert 'data-testid="turnout-ballots">4<' in client.get(round_url(r)).content.decode()  # kept a while
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=31), tick=False):
        assert 'data-testid="turnout-ballots">5<' in client.get(round_url(r)).content.decode()


def test_after_the_vote_the_results_with_their_reasons_and_the_override(client, allocated):
    r = allocated.round
    page = client.get(round_url(r))
    body = page.content.decode()
    assert page.status_code == 200
    rows = Result.objects.filter(round=r).order_by("rank")
    assert body.count('data-testid="result-row"') == rows.count() == 4
    assert body.count('data-testid="result-reason"') == 4
    assert "申请方未按时提交资质证明" in body and 'data-testid="override"' in body
    assert 'data-testid="turnout-live"' not in body and 'data-testid="turnout-ballots">4<' in body  # the final turnout
    awarded = sum((x.amount for x in rows), Money(0))
    assert f'data-testid="stat-awarded">{awarded}<' in body
    download = client.get(round_url(r, format="csv"))  # the results by default
    assert download["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.getvalue().decode("utf-8-sig"))))
    assert len(table) == 5 and [row[1] for row in table[1:]] == [str(x.proposal.number) for x in rows]
    assert table[1][5] == f"{rows[0].proposal.cost.amount:.2f}"
    assert any("申请方未按时提交资质证明" in row[-1] for row in table[1:])
    book = load_workbook(io.BytesIO(client.get(round_url(r, format="xlsx")).content))
    assert len(book.sheetnames) == 6  # summary, funds, proposals, needs, turnout, results
    results_sheet = book[book.sheetnames[-1]]
    assert results_sheet.max_row == 5 and isinstance(results_sheet.cell(row=2, column=6).value, int | float)


def test_bad_downloads_are_refused_with_a_message(client, voting):
    for query, code in [({"format": "pdf"}, "bad_format"), ({"format": "csv", "table": "ballots"}, "bad_table"),
                        ({"format": "CSV"}, "bad_format")]:
        answer = client.get(round_url(voting.round, **query))
        assert answer.status_code == 400, query
        assert f'data-error-code="{code}"' in answer.content.decode()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as seen:
        assert client.get(url).status_code == 200
    return len(seen.captured_queries)


def test_the_round_page_costs_the_same_queries_however_many_voted(client, allocated, django_assert_max_num_queries):
    r = allocated.round
    with django_assert_max_num_queries(16):
        client.get(round_url(r))
    before = _queries(client, round_url(r))
    # Many more ballots, needs and proposals: not one query more.
    now = timezone.now()
    people = [f.person(f"居民{n}", allocated.world.city.communities["盐运西"], resident_id=f.make_resident_id(seq=900 + n))
              for n in range(30)]
    ballots = Ballot.objects.bulk_create([Ballot(round=r, voter=p, community=p.division, channel="online", cast_at=now,
                                                 changed_at=now) for p in people])
    BallotChoice.objects.bulk_create([BallotChoice(ballot=b, proposal=allocated.p[n % 4]) for n, b in enumerate(ballots)])
    for n in range(5):
        proposal(allocated.world, r, "3000", status=ProposalStatus.INFEASIBLE, title=f"补充项目{n}")
    assert _queries(client, round_url(r)) == before


# --- projects -----------------------------------------------------------------------------------------------------

def test_the_project_registry_filters_by_area_and_brand_stage(client, world):
    commissioned(world, "长者饭堂", area="elderly", brand_stage="brand")
    commissioned(world, "四点半课堂", area="children", brand_stage="cultivating")
    commissioned(world, "邻里议事会", area="governance")
    url = reverse("grants_public:project_list")
    body = client.get(url).content.decode()
    assert all(t in body for t in ("长者饭堂", "四点半课堂", "邻里议事会"))
    body = client.get(url, {"area": "elderly"}).content.decode()
    assert "长者饭堂" in body and "四点半课堂" not in body and "邻里议事会" not in body
    body = client.get(url, {"brand_stage": "cultivating"}).content.decode()
    assert "四点半课堂" in body and "长者饭堂" not in body
    bad = client.get(url, {"area": "nonsense", "brand_stage": "brand"})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'data-testid="query-errors"' in body and "长者饭堂" in body and "四点半课堂" not in body  # the good filter kept


def test_a_commissioned_project_with_its_progress_and_no_uploader(client, world):
    sp = commissioned(world, "长者饭堂", status="closed", closed_at=timezone.now(), closing_report="全年供餐12000人次。")
    progress(sp, world.staff, dt.date(2026, 6, 30), "上半年供餐6000人次。", person_times=6000, sessions=120,
             captions=["饭堂开餐"])
    page = client.get(reverse("grants_public:project", args=[sp.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "长者饭堂" in body and "上半年供餐6000人次。" in body and "饭堂开餐" in body
    assert "全年供餐12000人次。" in body and 'data-testid="agreement"' not in body
    assert "北京街社工" not in body and "station_worker" not in body  # who reported is not public
    assert "photo0.jpg" not in body and "/media/" not in body  # photo files are not served here, only captions
    assert client.get(reverse("grants_public:project", args=[sp.pk]), {"format": "csv", "table": "tranches"}).status_code == 409
    assert client.get(reverse("grants_public:project", args=[2_000_000_000])).status_code == 404


def test_a_round_project_shows_its_agreement_tranches_paid_and_evidence(client, round_project):
    rp = round_project
    url = reverse("grants_public:project", args=[rp.project.pk])
    body = client.get(url).content.decode()
    assert "¥18,000.00" in body  # the award
    assert [s.split('"')[0] for s in body.split('data-testid="tranche-row" data-paid="')[1:]] == ["1", "0", "0"]
    assert 'data-testid="stat-paid">¥7,200.00<' in body
    assert "完成60户入户评估，建立长者居家安全档案。" in body  # the accepted evidence
    assert [s.split('"')[0] for s in body.split('data-testid="milestone-row" data-done="')[1:]] == ["1", "0", "0"]
    assert "ICBC-6222-0001" not in body  # the payment's reference (the payee's bank) is not public
    assert "完成首批30户入户评估。" in body and "入户评估现场" in body
    assert 'data-testid="final-report"' not in body
    assert reverse("grants_public:round", args=[rp.round.pk]) in body
    tranches = list(csv.reader(io.StringIO(client.get(url, {"format": "csv", "table": "tranches"}).getvalue().decode("utf-8-sig"))))
    assert [row[1] for row in tranches[1:]] == ["7200.00", "7200.00", "3600.00"] and tranches[1][4] != "" and tranches[2][4] == ""
    progress_csv = list(csv.reader(io.StringIO(client.get(url, {"format": "csv"}).getvalue().decode("utf-8-sig"))))
    assert [row[0] for row in progress_csv[1:]] == ["2026-05-31", "2026-04-30"]
    book = load_workbook(io.BytesIO(client.get(url, {"format": "xlsx"}).content))
    assert len(book.sheetnames) == 4  # summary, tranches, budget, progress


def test_a_closed_round_project_shows_its_final_report_and_what_was_spent(client, round_project):
    rp = round_project
    pay(rp.world, rp.second, "ICBC-6222-0002")
    agreement_close(actor=rp.world.admin, agreement=rp.agreement, final_report="完成60户评估与40户改造。",
                    actuals={1: "8000", 2: "6000"})
    body = client.get(reverse("grants_public:project", args=[rp.project.pk])).content.decode()
    assert 'data-testid="final-report"' in body and "完成60户评估与40户改造。" in body
    assert body.count("完成60户评估与40户改造。") == 1  # the registry's closing report is the same text: shown once
    assert 'data-testid="stat-spent">¥14,000.00<' in body
    assert "¥8,000.00" in body and "¥12,000.00" in body  # spent beside planned


def test_the_project_page_costs_a_bounded_number_of_queries(client, round_project, django_assert_max_num_queries):
    url = reverse("grants_public:project", args=[round_project.project.pk])
    with django_assert_max_num_queries(14):
        client.get(url)
    before = _queries(client, url)
    for n in range(5):
        progress(round_project.project, round_project.world.staff, dt.date(2026, 6, 1) + n * DAY, f"第{n}次活动",
                 captions=["合影", "签到"])
    assert _queries(client, url) == before
    with django_assert_max_num_queries(6):
        client.get(reverse("grants_public:project_list"))
