"""A micro-venture round from first need to public result, in chromium: a resident names a need on her phone, a
community group proposes a project answering it (budget lines, milestones), the station screens it feasible, three
experts score it against the rubric, residents vote on their phones, the fund's custodian runs the allocation, the
agreement is drafted and signed by both sides, the advance tranche is asked for and approved and paid by a second
finance officer, and the public round page shows what was funded and what was not, each with its reason.

The round runs by its phases' dates: the test jumps from phase to phase with time_machine (which moves the live
server's clock too) and signs in afresh at each step. A second proposal, from the other group, is made through the
services so that the allocation has a choice (and one proposal goes unfunded). Every key page is photographed at
1280 px and 390 px into test-artifacts/grants-*.png."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from shanlian.charity.models import PayoutStatus
from shanlian.core.scoping import Role
from shanlian.grants import services as gs
from shanlian.grants.models import (
    PHASE_ORDER,
    Agreement,
    AgreementStatus,
    Assignment,
    AssignmentStatus,
    Criterion,
    Need,
    PhaseKind,
    Proposal,
    ProposalStatus,
    Result,
    ServiceProject,
    TrancheStatus,
)
from tests import factories as f
from tests.browser.conftest import DESKTOP, ONCE, PHONE, no_horizontal_scroll
from tests.browser.conftest import shoot as shoot_both
from tests.grants.conftest import phases_around, world  # noqa: F401  (the grants world fixture)

pytestmark = [pytest.mark.browser, ONCE]

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHASE_DAYS = 10
NEED_TEXT = "盐运西社区独居长者多，家中缺少扶手和夜灯，晚上起身容易跌倒，希望有人上门评估并加装安全设施。"
TITLE_A = "耆乐安居·长者居家安全改造"
TITLE_B = "青春伴学·社区四点半课堂"


@pytest.fixture
def world_live(transactional_db, settings, tmp_path, world):  # noqa: F811
    """The grants world, committed for the live server's thread (browser tests run on a transactional database)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return world


def start_moment() -> dt.datetime:
    """The needs phase's middle: tomorrow 10:00 in Guangzhou, so every jump goes forward from the real clock (the
    browser's cookies are dated by the server's moved clock)."""
    tomorrow = timezone.now().astimezone(SHANGHAI).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(10, 0), tzinfo=SHANGHAI)


@contextmanager
def during(start: dt.datetime, kind: str) -> Iterator[dt.datetime]:
    """The clock (the test's and the live server's) in the middle of `kind`, ticking."""
    moment = start + PHASE_ORDER.index(kind) * PHASE_DAYS * dt.timedelta(days=1)
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    try:
        yield moment
    finally:
        traveller.stop()


def shoot(page, name: str, *, phone: bool = False) -> None:
    """Both widths into the artifacts (`grants-<name>-desktop.png`, `-phone.png`); the walk goes on at the width it was at."""
    shoot_both(page, f"grants-{name}")
    page.set_viewport_size(PHONE if phone else DESKTOP)


def sign_in(page, base: str, username: str, *, phone: bool = False) -> None:
    page.context.clear_cookies()
    page.set_viewport_size(PHONE if phone else DESKTOP)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda address: "/accounts/login/" not in address)  # each to their own landing page


def url(base: str, name: str, **kwargs: int) -> str:
    return base + reverse(name, kwargs=kwargs or None)


def test_a_round_from_a_residents_need_to_the_public_result(page, live_server, world_live):
    w = world_live
    base = live_server.url
    start = start_moment()
    elder, youth = w.groups["长者互助队"], w.groups["青年志愿者协会"]
    finance2 = f.user_with_role("finance2", Role.FEDERATION_FINANCE, w.city.orgs["慈善会"], name="第二财务")
    reviewers = w.experts[:3]

    # --- 1. needs: a resident on her phone names a need ------------------------------------------------------------
    with during(start, PhaseKind.NEEDS):
        round = w.round(PhaseKind.NEEDS, now=start, title=f"{start.year}年北京街社区公益微创投", year=start.year,
                        budget="30000")
        sign_in(page, base, w.residents[0].username, phone=True)
        page.goto(url(base, "grants:resident_home"))
        card = page.locator(f"[data-testid=round][data-round='{round.pk}']")
        assert card.locator("[data-testid=phase]").is_visible()
        assert no_horizontal_scroll(page)
        shoot(page, "1-resident-home", phone=True)
        card.locator("[data-testid=name-need]").click()
        page.wait_for_url(url(base, "grants:need_new", round_id=round.pk))
        page.fill("#id_text", NEED_TEXT)
        page.select_option("#id_category", "elderly")
        assert no_horizontal_scroll(page)
        shoot(page, "1-need-form", phone=True)
        page.click("[data-testid=submit-need]")
        page.wait_for_url(url(base, "grants:resident_round", round_id=round.pk))
        need = Need.objects.get(round=round)
        assert need.text == NEED_TEXT and need.category == "elderly"
        assert NEED_TEXT[:20] in page.locator("main").inner_text()
        assert no_horizontal_scroll(page)
        shoot(page, "1-resident-round", phone=True)

    # --- 2. proposals: the elders' group proposes, answering the need; the youth association too (services) -----------
    with during(start, PhaseKind.PROPOSALS) as now:
        begins = (now + dt.timedelta(days=60)).date()
        sign_in(page, base, w.managers["长者互助队"].username)
        page.goto(url(base, "grants:applicant_home"))
        page.locator(f"[data-testid=open-round]:has(a[href='{reverse('grants:proposal_new', kwargs={'round_id': round.pk})}'])"
                     " [data-testid=propose]").click()
        page.wait_for_url(url(base, "grants:proposal_new", round_id=round.pk))
        page.fill("#id_title", TITLE_A)
        page.fill("#id_summary", "为北京街独居及高龄长者上门评估居家安全，加装扶手、防滑垫和感应夜灯，并培训邻里互助员定期回访。")
        page.fill("#id_beneficiaries", "北京街独居及高龄长者")
        page.fill("#id_beneficiary_count", "60")
        page.fill("#id_outcomes", "60户长者家中完成安全改造，跌倒风险评估全覆盖，培训邻里互助员10名。")
        page.fill("#id_starts_on", begins.isoformat())
        page.fill("#id_ends_on", (begins + dt.timedelta(days=240)).isoformat())
        page.select_option("#line-1-category", "materials")
        page.fill("#line-1-item", "扶手、防滑垫与感应夜灯")
        page.fill("#line-1-quantity", "60")
        page.fill("#line-1-unit", "户")
        page.fill("#line-1-unit_price", "250")
        page.select_option("#line-2-category", "personnel")
        page.fill("#line-2-item", "安装师傅工时")
        page.fill("#line-2-quantity", "120")
        page.fill("#line-2-unit", "小时")
        page.fill("#line-2-unit_price", "25")
        assert page.locator("#lines-total").inner_text() == "¥18,000.00"  # 15,000 + 3,000, summed as typed
        page.fill("#milestone-1-title", "完成60户入户评估")
        page.fill("#milestone-1-due_on", (begins + dt.timedelta(days=60)).isoformat())
        page.fill("#milestone-2-title", "全部改造完成并回访")
        page.fill("#milestone-2-due_on", (begins + dt.timedelta(days=220)).isoformat())
        page.locator("[data-testid=needs] input[type=checkbox]").first.check()
        shoot(page, "2-proposal-form")
        page.click("[data-testid=save-submit]")
        page.wait_for_url(re.compile(r".*/grants/proposals/\d+/$"))
        a = Proposal.objects.get(round=round, applicant=elder)
        assert page.locator("[data-testid=status]").first.get_attribute("data-status") == ProposalStatus.SUBMITTED
        assert a.requested.amount == 18000 and a.lines.count() == 2 and a.milestones.count() == 2
        assert list(a.needs.all()) == [need]
        shoot(page, "2-proposal-submitted")

        b = gs.proposal_save(
            actor=w.managers["青年志愿者协会"], round=round, applicant=youth, title=TITLE_B,
            summary="放学后为双职工家庭的小学生提供作业辅导和阅读陪伴。", beneficiaries="北京街双职工家庭小学生", beneficiary_count=40,
            outcomes="每周五次课堂，全年服务不少于180场。", starts_on=begins, ends_on=begins + dt.timedelta(days=240),
            lines=[{"category": "personnel", "item": "大学生志愿者交通餐费补贴", "quantity": "160", "unit": "人次",
                    "unit_price": "100"}],
            milestones=[{"title": "课堂开班", "due_on": (begins + dt.timedelta(days=30)).isoformat()}])
        b = gs.proposal_submit(actor=w.managers["青年志愿者协会"], proposal=b)
        assert b.requested.amount == 16000  # 18,000 + 16,000 > the budget: one of the two goes unfunded

    # --- 3. screening: the station screens the elders' proposal feasible; the rubric is set before review opens -------
    with during(start, PhaseKind.SCREENING):
        sign_in(page, base, w.staff.username)
        page.goto(url(base, "grants:staff_round_proposals", round_id=round.pk))
        shoot(page, "3-staff-proposals")
        page.goto(url(base, "grants:staff_proposal", proposal_id=a.pk))
        form = page.locator("[data-testid=screen-form]")
        form.locator("input[type=radio][value=yes]").check()
        assert form.locator("#id_screen-accepted_price").input_value() == "18000.00"
        page.fill("#id_screen-note", "预算合理，入户评估与安装分工清楚。")
        shoot(page, "3-screening")
        form.locator("button[type=submit]").click()
        page.wait_for_url(url(base, "grants:staff_proposal", proposal_id=a.pk))
        assert Proposal.objects.get(pk=a.pk).status == ProposalStatus.FEASIBLE
        gs.proposal_screen(actor=w.staff, proposal=b, feasible=True, accepted_price="16000", note="课堂场地已落实。")

        page.goto(url(base, "grants:staff_round_review", round_id=round.pk))
        rubric = page.locator("[data-testid=rubric-form]")
        assert rubric.locator("#id_rubric-c0_name").input_value()  # the usual rubric, offered to start from
        rubric.locator("button[type=submit]").click()
        page.wait_for_url(url(base, "grants:staff_round_review", round_id=round.pk))
        criteria = list(Criterion.objects.filter(round=round).order_by("n"))
        assert len(criteria) >= 3

    # --- 4. review: the staff assign three experts; each scores the elders' proposal on the review page ---------------
    with during(start, PhaseKind.REVIEW):
        sign_in(page, base, w.staff.username)
        page.goto(url(base, "grants:staff_round_review", round_id=round.pk))
        assert page.locator("[data-testid=rubric-locked]").is_visible()
        assign = page.locator("[data-testid=assign-form]")
        for expert in reviewers:
            assign.locator(f"input[value='{expert.pk}']").check()
        assign.locator("button[type=submit]").click()
        page.wait_for_url(url(base, "grants:staff_round_review", round_id=round.pk))
        assert page.locator("[data-testid=assignments] [data-testid=assignment]").count() == 6  # 3 reviewers × 2 proposals
        shoot(page, "4-staff-review-assigned")

        for i, expert in enumerate(reviewers):
            sign_in(page, base, expert.username)
            mine = Assignment.objects.get(proposal=a, reviewer=expert)
            home = page.locator("[data-testid=assignments]")  # the expert's home lists the assignments
            assert home.locator(f"a[href$='/grants/reviews/{mine.pk}/']").count() == 1
            if i == 0:
                shoot(page, "4-expert-home")
            home.locator(f"a[href$='/grants/reviews/{mine.pk}/']").click()
            page.wait_for_url(url(base, "grants:expert_review", assignment_id=mine.pk))
            total = page.locator("[data-testid=weighted-total]")
            assert total.inner_text().strip() == "—"
            boxes = page.locator("[data-testid=criterion] input")
            assert boxes.count() == len(criteria)
            for n in range(len(criteria)):
                boxes.nth(n).fill(str(7 + (n + i) % 3))
            assert re.fullmatch(r"\d{1,3}\.\d%", total.inner_text().strip()), total.inner_text()  # the running score
            page.fill("#id_comment", f"需求清楚，预算合理。（评审{i + 1}）")
            if i == 0:
                shoot(page, "4-expert-review")
            page.click("[data-testid=submit-review]")
            page.wait_for_url(url(base, "grants:expert_review", assignment_id=mine.pk))
            assert page.locator("[data-testid=own-scores]").is_visible()
            assert Assignment.objects.get(pk=mine.pk).status == AssignmentStatus.SUBMITTED
            if i == len(reviewers) - 1:
                assert page.locator("[data-testid=others] [data-testid=other-review]").count() >= 1
                shoot(page, "4-expert-review-submitted")
        for assignment in Assignment.objects.filter(proposal=b, status=AssignmentStatus.ASSIGNED):  # the other proposal's
            gs.review_submit(actor=assignment.reviewer, assignment=assignment, scores={c.pk: 6 for c in criteria})

        sign_in(page, base, w.staff.username)
        page.goto(url(base, "grants:staff_round_review", round_id=round.pk))
        assert page.locator("[data-testid=board-row]").count() == 2
        shoot(page, "4-review-board")

    # --- 5. vote: three residents vote on their phones (all for the elders' project, one for the classroom too) -------
    with during(start, PhaseKind.VOTE):
        for i, resident in enumerate(w.residents[:3]):
            sign_in(page, base, resident.username, phone=True)
            page.goto(url(base, "grants:resident_home"))
            page.locator(f"[data-testid=round][data-round='{round.pk}'] [data-testid=vote]").click()
            page.wait_for_url(url(base, "grants:vote", round_id=round.pk))
            assert page.locator("[data-testid=ballot-form] [data-testid=proposal]").count() == 2
            page.check(f"input[name=choice][value='{a.pk}']")
            if i == 0:
                page.check(f"input[name=choice][value='{b.pk}']")
                assert no_horizontal_scroll(page)
                shoot(page, "5-ballot", phone=True)
            page.click("[data-testid=submit-ballot]")
            page.wait_for_url(url(base, "grants:vote", round_id=round.pk))
            chosen = page.locator("[data-testid=my-ballot] [data-testid=my-choice]")
            assert chosen.count() == (2 if i == 0 else 1)
            assert TITLE_A in page.locator("[data-testid=my-ballot]").inner_text()
            assert no_horizontal_scroll(page)
            if i == 0:
                shoot(page, "5-ballot-cast", phone=True)

    # --- 6. allocation: the fund's custodian runs it; each result with its reason -------------------------------------
    with during(start, PhaseKind.ALLOCATION):
        sign_in(page, base, w.admin.username)
        page.goto(url(base, "grants:staff_round_allocation", round_id=round.pk))
        page.click("[data-testid=run-allocation]")
        page.wait_for_url(url(base, "grants:staff_round_allocation", round_id=round.pk))
        results = page.locator("[data-testid=results] [data-testid=result]")
        assert results.count() == 2
        funded = page.locator("[data-testid=result][data-funded='1']")
        unfunded = page.locator("[data-testid=result][data-funded='0']")
        assert TITLE_A in funded.inner_text() and TITLE_B in unfunded.inner_text()
        assert funded.locator("[data-testid=reason]").inner_text().strip()
        assert unfunded.locator("[data-testid=reason]").inner_text().strip()
        shoot(page, "6-allocation")
        assert Result.objects.get(proposal=a).funded and not Result.objects.get(proposal=b).funded

    # --- 7. agreements: the station drafts it, the group signs, the fund signs ------------------------------------------
    with during(start, PhaseKind.AGREEMENTS):
        sign_in(page, base, w.staff.username)
        page.goto(url(base, "grants:agreement_new", proposal_id=a.pk))
        assert page.locator("[data-testid=award]").inner_text().strip() == "¥18,000.00"
        assert page.locator("[data-testid=tranche-row]").count() >= 2
        shoot(page, "7-agreement-draft")
        page.click("[data-testid=save-draft]")
        page.wait_for_url(re.compile(r".*/grants/agreements/\d+/$"))
        agreement = Agreement.objects.get(proposal=a)
        agreement_url = url(base, "grants:agreement", agreement_id=agreement.pk)
        assert agreement.status == AgreementStatus.DRAFT

        sign_in(page, base, w.managers["长者互助队"].username)
        page.goto(agreement_url)
        shoot(page, "7-agreement-applicant")
        page.click("[data-testid=sign]")
        page.wait_for_url(agreement_url)
        assert page.locator("[data-testid=signed-applicant]").inner_text().strip() != ""
        assert Agreement.objects.get(pk=agreement.pk).status == AgreementStatus.SIGNED_APPLICANT

        sign_in(page, base, w.admin.username)
        page.goto(agreement_url)
        page.click("[data-testid=sign]")
        page.wait_for_url(agreement_url)
        assert Agreement.objects.get(pk=agreement.pk).status == AgreementStatus.ACTIVE
        shoot(page, "7-agreement-active")

    # --- 8. execution: the advance is asked for; a second finance officer approves and pays it ----------------------------
    with during(start, PhaseKind.EXECUTION):
        sign_in(page, base, w.admin.username)
        page.goto(agreement_url)
        first = page.locator("[data-testid=tranche][data-tranche-n='1']")
        first.locator("[data-testid=tranche-request]").click()
        page.wait_for_url(agreement_url)
        first = page.locator("[data-testid=tranche][data-tranche-n='1']")
        assert first.locator("[data-testid=tranche-state]").get_attribute("data-state") == PayoutStatus.REQUESTED
        tranche = agreement.tranches.get(n=1)
        assert tranche.status == TrancheStatus.REQUESTED and tranche.payout is not None
        payout = tranche.payout
        shoot(page, "8-tranche-requested")
        first.locator("[data-testid=payout-link]").click()
        page.wait_for_url(url(base, "charity:payout_detail", payout_id=payout.pk))
        assert page.locator("[data-testid=approve]").count() == 0  # who asked does not approve
        assert page.locator("[data-testid=why-no-actions]").is_visible()

        sign_in(page, base, finance2.username)
        page.goto(url(base, "charity:payout_detail", payout_id=payout.pk))
        page.fill("#id_approve-note", "第一期预付款，符合协议")
        shoot(page, "8-payout-approve")
        page.click("[data-testid=approve]")
        page.wait_for_url(url(base, "charity:payout_detail", payout_id=payout.pk))
        assert page.locator("[data-testid=payout-status]").get_attribute("data-status") == PayoutStatus.APPROVED
        page.fill("#id_pay-payment_reference", "ICBC-GRANT-0001")
        page.click("[data-testid=pay]")
        page.wait_for_url(url(base, "charity:payout_detail", payout_id=payout.pk))
        assert page.locator("[data-testid=payout-status]").get_attribute("data-status") == PayoutStatus.PAID

        sign_in(page, base, w.admin.username)
        page.goto(agreement_url)
        first = page.locator("[data-testid=tranche][data-tranche-n='1']")
        assert first.locator("[data-testid=tranche-state]").get_attribute("data-state") == PayoutStatus.PAID
        assert page.locator("[data-testid=money-paid]").inner_text().strip() == str(tranche.amount)
        shoot(page, "8-tranche-paid")

        # --- 9. public: anyone sees the results with their reasons, and the project's paid tranche ---------------------
        page.context.clear_cookies()
        page.set_viewport_size(PHONE)
        page.goto(url(base, "grants_public:round", round_id=round.pk))
        rows = page.locator("[data-testid=result-row]")
        assert rows.count() == 2
        funded_row, unfunded_row = rows.and_(page.locator("[data-funded='1']")), rows.and_(page.locator("[data-funded='0']"))
        assert TITLE_A in funded_row.inner_text() and TITLE_B in unfunded_row.inner_text()
        assert funded_row.locator("[data-testid=result-reason]").inner_text().strip()
        assert unfunded_row.locator("[data-testid=result-reason]").inner_text().strip()
        assert no_horizontal_scroll(page)
        shoot(page, "9-public-round", phone=True)

        project = ServiceProject.objects.get(agreement=agreement)
        page.goto(url(base, "grants_public:project", service_project_id=project.pk))
        tranches = page.locator("[data-testid=tranche-row]")
        assert tranches.count() == agreement.tranches.count()
        assert tranches.first.get_attribute("data-paid") == "1"
        assert tranches.nth(1).get_attribute("data-paid") == "0"
        assert no_horizontal_scroll(page)
        shoot(page, "9-public-project", phone=True)
