"""Proposals: drafted and edited by a community group's manager with an exact budget and dated milestones, numbered
in their round, submitted (each version kept), returned for changes, withdrawn, and screened for feasibility."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from shanlian.core.audit import AuditLog
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from shanlian.grants import selectors_proposals as sel
from shanlian.grants.models import BudgetLine, Milestone, PhaseKind, Proposal, ProposalAttachment, ProposalRevision, ProposalStatus
from shanlian.grants.services.needs import need_merge, need_submit
from shanlian.grants.services.proposals import proposal_return, proposal_save, proposal_screen, proposal_submit, proposal_withdraw

from .conftest import DAY, phases_around

pytestmark = pytest.mark.django_db

ELDERS = "长者互助队"
YOUTH = "青年志愿者协会"
# Every login of the test city: none manages the community groups that propose.
CITY_ROLES = ["city_admin", "district_admin", "street_officer", "agency_manager", "station_worker", "other_worker",
              "finance", "expert", "volunteer", "donor", "nobody"]
# Logins of the test city that do not run the round (the fund's station, the custodian and the area's officers do).
NOT_ROUND_STAFF = ["other_worker", "expert", "volunteer", "donor", "nobody"]


def codes(exc: ValidationFailed) -> set[str]:
    """The refusal's code and every field's codes."""
    return {exc.code, *(c for errs in (exc.fields or {}).values() for c, _m in errs)}


def first_day() -> dt.date:
    """The projects' first day: a month ahead (never a 29 February, so "two years on" is a plain date)."""
    start = timezone.localdate() + 30 * DAY
    return start + DAY if (start.month, start.day) == (2, 29) else start


def proposal_args(world: Any, round: Any, group: str = ELDERS, **change: Any) -> dict[str, Any]:
    """A proposal for ¥12,000: 40 × ¥150 + 12 × ¥300 + 4 × ¥600, three milestones over ten months."""
    start = first_day()
    args: dict[str, Any] = {
        "actor": world.managers[group], "round": round, "applicant": world.groups[group],
        "title": "长者防跌倒入户改造", "summary": "为独居长者家中加装扶手、防滑垫，\n并开展防跌倒讲座。",
        "beneficiaries": "北京街独居及高龄长者", "beneficiary_count": 60, "outcomes": "60户完成改造；长者跌倒风险评估下降。",
        "lines": [
            {"category": "materials", "item": "不锈钢扶手", "quantity": "40", "unit": "套", "unit_price": "150.00"},
            {"category": "personnel", "item": "社工入户评估", "quantity": "12", "unit": "次", "unit_price": "300"},
            {"category": "activities", "item": "防跌倒讲座", "quantity": "4", "unit": "场", "unit_price": "600", "amount": "2400"},
        ],
        "milestones": [
            {"title": "入户评估完成", "due_on": start + 60 * DAY},
            {"title": "改造完成", "due_on": (start + 200 * DAY).isoformat()},
            {"title": "结项总结", "due_on": start + 290 * DAY},
        ],
        "starts_on": start, "ends_on": start + 300 * DAY,
    }
    args.update(change)
    return args


@pytest.fixture
def r(world):
    return world.round(PhaseKind.PROPOSALS)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def draft(world, r, group: str = ELDERS, **change) -> Proposal:
    return proposal_save(**proposal_args(world, r, group, **change))


def submitted(world, r, group: str = ELDERS, **change) -> Proposal:
    return proposal_submit(actor=world.managers[group], proposal=draft(world, r, group, **change))


def overlapping_round(world):
    """A round whose call for proposals opens while needs are still collected (phases may overlap)."""
    dates = phases_around(timezone.now(), PhaseKind.NEEDS)
    dates[PhaseKind.PROPOSALS] = (dates[PhaseKind.NEEDS][0] + DAY, dates[PhaseKind.PROPOSALS][1])
    return world.round(phases=dates)


def later(days: int):
    """Travel `days` on from now (the round's phases are ten days each, the one it was made in half over)."""
    return time_machine.travel(timezone.now() + days * DAY, tick=False)


# --- drafting ---------------------------------------------------------------------------------------------------

def test_a_manager_drafts_a_proposal_numbered_in_its_round_with_an_exact_budget(world, r):
    p = draft(world, r)
    assert (p.number, p.status, p.revision, p.requested) == (1, ProposalStatus.DRAFT, 1, Decimal("12000.00"))
    assert p.submitted_by == world.managers[ELDERS] and p.applicant == world.groups[ELDERS]
    assert [(line.n, line.amount) for line in p.lines.all()] == [(1, 6000), (2, 3600), (3, 2400)]
    assert [m.title for m in p.milestones.all()] == ["入户评估完成", "改造完成", "结项总结"]
    assert "\n" in p.summary
    assert AuditLog.objects.filter(action="grants.proposal.create", object_id=str(p.pk)).count() == 1
    q = draft(world, r, YOUTH, title="青年陪伴长者", co_funding="3,000.00", co_funding_source="社区居委会配套")
    assert q.number == 2 and q.co_funding == Decimal("3000.00") and q.co_funding_source == "社区居委会配套"


def test_numbers_are_sequential_per_round_and_never_shared(world, r):
    numbers = [draft(world, r, ELDERS if i % 2 else YOUTH, title=f"项目{i}").number for i in range(6)]
    assert numbers == [1, 2, 3, 4, 5, 6]
    other = world.round(PhaseKind.PROPOSALS, budget="30000", title="2026年北京街第二轮微创投")
    assert draft(world, other).number == 1
    assert sorted(Proposal.objects.filter(round=r).values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_drafts_take_different_numbers(world):
    import threading

    from django.db import connections

    r = world.round(PhaseKind.PROPOSALS)
    barrier = threading.Barrier(4)
    results: list[Any] = []

    def save(i: int) -> None:
        try:
            barrier.wait()
            results.append(draft(world, r, ELDERS if i % 2 else YOUTH, title=f"并发项目{i}").number)
        except Exception as exc:  # any failure is the test's failure
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(n for n in results if isinstance(n, int)) == [1, 2, 3, 4], results


def test_an_edit_replaces_the_budget_and_milestones_whole(world, r):
    p = draft(world, r)
    lines = [{"category": "venue", "item": "活动室租用", "quantity": "2.5", "unit": "月", "unit_price": "2000"},
             {"category": "other", "item": "意外险", "quantity": "60", "unit": "人", "unit_price": "45.50"}]
    p = proposal_save(**proposal_args(world, r, lines=lines, title="长者防跌倒（修订）", proposal=p))
    assert p.number == 1 and p.title == "长者防跌倒（修订）" and p.requested == Decimal("7730.00")
    assert list(BudgetLine.objects.filter(proposal=p).values_list("n", "amount")) == [(1, Decimal("5000.00")), (2, Decimal("2730.00"))]
    assert Milestone.objects.filter(proposal=p).count() == 3
    assert AuditLog.objects.filter(action="grants.proposal.update", object_id=str(p.pk)).count() == 1


@pytest.mark.parametrize(("line", "code"), [
    ({"quantity": "0.33", "unit_price": "0.10"}, "line_not_exact"),
    ({"quantity": "3", "unit_price": "0.35", "amount": "1.00"}, "line_not_exact"),
    ({"quantity": "0"}, "too_small"),
    ({"quantity": "-2"}, "too_small"),
    ({"quantity": "1.234"}, "too_many_decimals"),
    ({"quantity": "100001"}, "too_large"),
    ({"quantity": "1e3"}, "invalid_number"),
    ({"unit_price": "0"}, "amount_not_positive"),
    ({"unit_price": "1.005"}, "money_precision"),
    ({"category": "bribes"}, "invalid_line_category"),
    ({"item": ""}, "required"),
    ({"unit": "一个很长很长很长的单位名称"}, "too_long"),
    ({"colour": "red"}, "invalid_line"),
])
def test_a_budget_line_that_does_not_hold_is_refused(world, r, line, code):
    base = {"category": "materials", "item": "扶手", "quantity": "40", "unit": "套", "unit_price": "150"}
    lines = [{**base, **line}, {"category": "personnel", "item": "社工", "quantity": "20", "unit": "次", "unit_price": "300"}]
    with pytest.raises(ValidationFailed) as refused:
        draft(world, r, lines=lines)
    assert code in codes(refused.value)
    assert not Proposal.objects.exists() and not BudgetLine.objects.exists()


def test_the_line_not_exact_message_names_the_line(world, r):
    lines = [{"category": "materials", "item": "扶手", "quantity": "40", "unit": "套", "unit_price": "150"},
             {"category": "materials", "item": "防滑垫", "quantity": "0.33", "unit": "卷", "unit_price": "0.10"}]
    with pytest.raises(ValidationFailed) as refused:
        draft(world, r, lines=lines)
    assert refused.value.code == "line_not_exact" and "lines.2.amount" in refused.value.fields
    assert "do not add up" in refused.value.message_in("en")


@pytest.mark.parametrize(("lines", "code"), [
    ([], "lines_required"),
    ([{"category": "materials", "item": f"物品{i}", "quantity": "1", "unit": "个", "unit_price": "200"} for i in range(31)],
     "too_many_lines"),
    ("40 套扶手", "invalid_list"),
    ([["materials", "扶手", "40", "套", "150"]], "invalid_line"),
    ([{"category": "materials", "item": "扶手", "quantity": "10", "unit": "套", "unit_price": "499.99"}], "request_out_of_range"),
    ([{"category": "materials", "item": "扶手", "quantity": "10", "unit": "套", "unit_price": "2000.01"}], "request_out_of_range"),
])
def test_the_budget_has_one_to_thirty_lines_and_asks_within_the_rounds_range(world, r, lines, code):
    with pytest.raises(ValidationFailed) as refused:
        draft(world, r, lines=lines)
    assert code in codes(refused.value)
    assert not Proposal.objects.exists()


def test_a_request_at_the_edges_of_the_range_is_accepted(world, r):
    five = [{"category": "materials", "item": "扶手", "quantity": "10", "unit": "套", "unit_price": "500"}]
    twenty = [{"category": "materials", "item": f"物品{i}", "quantity": "1", "unit": "个", "unit_price": "666.67"} for i in range(29)]
    twenty.append({"category": "other", "item": "杂项", "quantity": "1", "unit": "项", "unit_price": "666.57"})
    assert draft(world, r, lines=five).requested == Decimal("5000.00")
    assert draft(world, r, YOUTH, lines=twenty).requested == Decimal("20000.00")


def test_milestones_one_to_twelve_within_the_period_in_order(world, r):
    start = first_day()
    cases = [
        ([], "milestones_required"),
        ([{"title": f"节点{i}", "due_on": start + i * DAY} for i in range(13)], "too_many_milestones"),
        ([{"title": "提前", "due_on": start - DAY}], "milestone_outside_period"),
        ([{"title": "超期", "due_on": start + 301 * DAY}], "milestone_outside_period"),
        ([{"title": "后", "due_on": start + 90 * DAY}, {"title": "前", "due_on": start + 60 * DAY}], "milestones_out_of_order"),
        ([{"title": "", "due_on": start + DAY}], "required"),
        ([{"title": "日期", "due_on": "明年三月"}], "invalid_date"),
        ([{"title": "日期", "due_on": timezone.now()}], "invalid_date"),
        ([{"title": "多余", "due_on": start + DAY, "owner": "张三"}], "invalid_milestone"),
    ]
    for milestones, code in cases:
        with pytest.raises(ValidationFailed) as refused:
            draft(world, r, milestones=milestones)
        assert code in codes(refused.value), milestones
    same_day = [{"title": "开班", "due_on": start + DAY}, {"title": "开班二", "due_on": start + DAY}]
    assert draft(world, r, milestones=same_day).milestones.count() == 2


def test_the_period_ends_after_it_starts_within_two_years(world, r):
    start = first_day()
    for ends_on, code in [(start - DAY, "period_reversed"), (start.replace(year=start.year + 2) + DAY, "period_too_long"),
                          ("2027/13/01", "invalid_date")]:
        with pytest.raises(ValidationFailed) as refused:
            draft(world, r, ends_on=ends_on)
        assert code in codes(refused.value)
    with pytest.raises(ValidationFailed) as refused:
        draft(world, r, starts_on=dt.date(1999, 1, 1))
    assert "date_out_of_range" in codes(refused.value)
    assert not Proposal.objects.exists()
    two_years = draft(world, r, ends_on=start.replace(year=start.year + 2))
    assert two_years.ends_on == start.replace(year=start.year + 2)


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"title": ""}, "title", "required"),
    ({"title": "长" * 65}, "title", "too_long"),
    ({"title": "长者\u202e改造"}, "title", "control_character"),
    ({"summary": "\x00"}, "summary", "nul_character"),
    ({"summary": "字" * 2001}, "summary", "too_long"),
    ({"outcomes": ""}, "outcomes", "required"),
    ({"beneficiaries": ""}, "beneficiaries", "required"),
    ({"beneficiary_count": 0}, "beneficiary_count", "too_small"),
    ({"beneficiary_count": 1_000_001}, "beneficiary_count", "too_large"),
    ({"beneficiary_count": "12.5"}, "beneficiary_count", "not_whole"),
    ({"co_funding": "-1"}, "co_funding", "amount_negative"),
    ({"co_funding": "2000"}, "co_funding_source", "co_funding_source_required"),
    ({"needs": [999999]}, "needs", "need_not_in_round"),
    ({"needs": "12"}, "needs", "invalid_list"),
    ({"needs": [None]}, "needs", "invalid_need"),
])
def test_each_field_is_checked(world, r, change, field, code):
    with pytest.raises(ValidationFailed) as refused:
        draft(world, r, **change)
    assert field in refused.value.fields and code in codes(refused.value)
    assert not Proposal.objects.exists()


def test_every_problem_is_reported_at_once(world, r):
    with pytest.raises(ValidationFailed) as refused:
        draft(world, r, title="", beneficiary_count=-1, lines=[], milestones=[], co_funding="x")
    assert set(refused.value.fields) >= {"title", "beneficiary_count", "lines", "milestones", "co_funding"}


def test_needs_answered_are_of_the_round_and_a_merged_need_counts_as_the_need_it_joined(world):
    r = overlapping_round(world)
    resident = world.residents[0]
    a = need_submit(actor=resident, round=r, text="楼道没有扶手", category="elderly")
    b = need_submit(actor=resident, round=r, text="老人上下楼难", category="elderly")
    need_merge(actor=world.staff, need=b, into=a)
    p = draft(world, r, needs=[b.pk, str(a.pk), a])
    assert list(p.needs.values_list("pk", flat=True)) == [a.pk]
    other = world.round(PhaseKind.NEEDS, budget="30000", title="第二轮")
    elsewhere = need_submit(actor=resident, round=other, text="别的轮次", category="elderly")
    with pytest.raises(ValidationFailed) as refused:
        draft(world, r, needs=[a, elsewhere])
    assert refused.value.code == "need_not_in_round"
    with pytest.raises(ValidationFailed) as refused:
        draft(world, r, needs=[need_submit(actor=resident, round=r, text=f"需求{i}", category="general") for i in range(21)])
    assert refused.value.code == "too_many_needs"


def test_attachments_are_kept_with_their_digest_within_size_and_type(world, r):
    pdf = SimpleUploadedFile("..\\方案/实施方案.pdf", b"%PDF-1.4 plan", content_type="application/pdf")
    p = draft(world, r, attachments=[pdf])
    kept = ProposalAttachment.objects.get(proposal=p)
    assert kept.name == "实施方案.pdf" and len(kept.sha256) == 64 and kept.uploaded_by == world.managers[ELDERS]
    big = SimpleUploadedFile("大.pdf", b"0" * (10 * 1024 * 1024 + 1), content_type="application/pdf")
    exe = SimpleUploadedFile("setup.exe", b"MZ", content_type="application/octet-stream")
    many = [SimpleUploadedFile(f"{i}.png", b"png", content_type="image/png") for i in range(10)]
    for uploads, code in [([big], "attachment_too_big"), ([exe], "attachment_type"), (many, "too_many_attachments"),
                          (["plan.pdf"], "invalid_attachment")]:
        with pytest.raises(ValidationFailed) as refused:
            proposal_save(**proposal_args(world, r, title="改了标题", attachments=uploads, proposal=p))
        assert refused.value.code == code
    p.refresh_from_db()
    assert p.title == "长者防跌倒入户改造" and p.attachments.count() == 1


def test_a_refused_edit_leaves_the_proposal_as_it_was(world, r):
    p = draft(world, r)
    before = list(BudgetLine.objects.filter(proposal=p).values_list("item", "amount"))
    bad = [{"category": "materials", "item": "扶手", "quantity": "10", "unit": "套", "unit_price": "9999"}]
    with pytest.raises(ValidationFailed):
        proposal_save(**proposal_args(world, r, title="新标题", lines=bad, proposal=p))
    p.refresh_from_db()
    assert p.title == "长者防跌倒入户改造" and p.requested == Decimal("12000.00")
    assert list(BudgetLine.objects.filter(proposal=p).values_list("item", "amount")) == before
    assert not AuditLog.objects.filter(action="grants.proposal.update").exists()


@pytest.mark.parametrize("role", CITY_ROLES)
def test_only_a_manager_of_the_organization_proposes_for_it(world, r, role):
    with pytest.raises(PermissionDenied) as refused:
        draft(world, r, actor=world.city.users[role])
    assert refused.value.code == "not_applicant"
    p = draft(world, r)
    for action in (lambda: proposal_save(**proposal_args(world, r, actor=world.city.users[role], proposal=p)),
                   lambda: proposal_submit(actor=world.city.users[role], proposal=p),
                   lambda: proposal_withdraw(actor=world.city.users[role], proposal=p)):
        with pytest.raises(PermissionDenied):
            action()
    p.refresh_from_db()
    assert p.status == ProposalStatus.DRAFT and Proposal.objects.count() == 1


def test_another_groups_manager_and_anonymous_users_are_refused(world, r):
    with pytest.raises(PermissionDenied) as refused:
        draft(world, r, actor=world.managers[YOUTH])
    assert refused.value.code == "not_applicant"
    with pytest.raises(PermissionDenied) as refused:
        draft(world, r, actor=AnonymousUser())
    assert refused.value.code == "login_required"
    p = draft(world, r)
    with pytest.raises(ValidationFailed) as refused:  # (their own group, someone else's proposal)
        proposal_save(**proposal_args(world, r, YOUTH, proposal=p))
    assert refused.value.code == "applicant_changed"
    other = world.round(PhaseKind.PROPOSALS, budget="30000", title="第二轮")
    with pytest.raises(ValidationFailed) as refused:
        proposal_save(**proposal_args(world, other, proposal=p))
    assert refused.value.code == "proposal_other_round"


def test_proposals_are_drafted_only_while_proposals_are_called_for(world):
    needs = world.round(PhaseKind.NEEDS)
    with pytest.raises(Conflict) as refused:
        draft(world, needs)
    assert refused.value.code == "phase_closed"
    r = world.round(PhaseKind.PROPOSALS, budget="30000", title="第二轮")
    p = draft(world, r)
    with later(10):  # screening
        with pytest.raises(Conflict) as refused:
            draft(world, r)
        assert refused.value.code == "phase_closed"
        with pytest.raises(Conflict) as refused:
            proposal_save(**proposal_args(world, r, proposal=p, title="晚了"))
        assert refused.value.code == "phase_closed"
        with pytest.raises(Conflict) as refused:
            proposal_submit(actor=world.managers[ELDERS], proposal=p)
        assert refused.value.code == "phase_closed"
    p.refresh_from_db()
    assert p.status == ProposalStatus.DRAFT and p.title == "长者防跌倒入户改造"
    draft_round = world.round(PhaseKind.PROPOSALS, open=False, budget="20000", title="草稿轮")
    with pytest.raises(Conflict) as refused:
        draft(world, draft_round)
    assert refused.value.code == "round_not_open"


# --- submitting, returning, withdrawing -------------------------------------------------------------------------

def test_submitting_keeps_the_version_as_it_was(world, r):
    p = draft(world, r, co_funding="1000", co_funding_source="居委会")
    p = proposal_submit(actor=world.managers[ELDERS], proposal=p)
    assert p.status == ProposalStatus.SUBMITTED and p.revision == 1 and p.submitted_at is not None
    rev = ProposalRevision.objects.get(proposal=p)
    assert rev.number == 1 and rev.by == world.managers[ELDERS]
    c = rev.content
    assert c["requested"] == "12000.00" and c["co_funding"] == "1000.00" and c["title"] == "长者防跌倒入户改造"
    assert c["lines"][0] == {"n": 1, "category": "materials", "item": "不锈钢扶手", "quantity": "40.00", "unit": "套",
                             "unit_price": "150.00", "amount": "6000.00"}
    assert [m["title"] for m in c["milestones"]] == ["入户评估完成", "改造完成", "结项总结"]
    assert c["starts_on"] == p.starts_on.isoformat()
    again = proposal_submit(actor=world.managers[ELDERS], proposal=p)  # a retry: quiet
    assert again.status == ProposalStatus.SUBMITTED and ProposalRevision.objects.filter(proposal=p).count() == 1
    assert AuditLog.objects.filter(action="grants.proposal.submit", object_id=str(p.pk)).count() == 1
    with pytest.raises(Conflict) as refused:
        proposal_save(**proposal_args(world, r, proposal=p, title="提交后再改"))
    assert refused.value.code == "not_editable"


def test_a_returned_proposal_is_mended_and_resubmitted_as_a_new_revision_even_during_screening(world, r):
    p = submitted(world, r)
    p = proposal_return(actor=world.staff, proposal=p, note="预算中扶手单价偏高，请补充报价单")
    assert p.status == ProposalStatus.RETURNED and p.note.startswith("预算中")
    assert AuditLog.objects.filter(action="grants.proposal.return").count() == 1
    with later(10):  # screening: a returned proposal may still be mended and sent back
        cheaper = proposal_args(world, r)["lines"]
        cheaper[0] = {**cheaper[0], "unit_price": "120"}
        p = proposal_save(**proposal_args(world, r, lines=cheaper, proposal=p))
        assert p.requested == Decimal("10800.00") and p.status == ProposalStatus.RETURNED
        p = proposal_submit(actor=world.managers[ELDERS], proposal=p)
    assert p.status == ProposalStatus.SUBMITTED and p.revision == 2 and p.note == ""
    revisions = list(ProposalRevision.objects.filter(proposal=p).order_by("number"))
    assert [(v.number, v.content["requested"]) for v in revisions] == [(1, "12000.00"), (2, "10800.00")]
    assert revisions[1].note == "预算中扶手单价偏高，请补充报价单"
    with later(10):
        p = proposal_return(actor=world.staff, proposal=p, note="请补充里程碑")
        p = proposal_submit(actor=world.managers[ELDERS], proposal=p)
    assert p.revision == 3 and ProposalRevision.objects.filter(proposal=p).count() == 3
    with later(20):  # review: too late to send back
        with pytest.raises(Conflict) as refused:
            proposal_return(actor=world.staff, proposal=p, note="太晚了")
        assert refused.value.code == "phase_closed"


def test_a_return_needs_a_note_and_a_submitted_proposal(world, r):
    p = draft(world, r)
    with pytest.raises(Conflict) as refused:
        proposal_return(actor=world.staff, proposal=p, note="还是草稿")
    assert refused.value.code == "invalid_transition"
    p = proposal_submit(actor=world.managers[ELDERS], proposal=p)
    with pytest.raises(ValidationFailed) as refused:
        proposal_return(actor=world.staff, proposal=p, note="  ")
    assert refused.value.code == "note_required"
    with pytest.raises(ValidationFailed) as refused:
        proposal_return(actor=world.staff, proposal=p, note="长" * 501)
    assert refused.value.code == "too_long"
    p.refresh_from_db()
    assert p.status == ProposalStatus.SUBMITTED and p.note == ""
    first = proposal_return(actor=world.staff, proposal=p, note="请修改")
    assert proposal_return(actor=world.staff, proposal=first, note="请修改").status == ProposalStatus.RETURNED  # quiet


@pytest.mark.parametrize("role", [*NOT_ROUND_STAFF, "manager"])
def test_only_the_rounds_staff_return_and_screen(world, r, role):
    actor = world.managers[ELDERS] if role == "manager" else world.city.users[role]
    p = submitted(world, r)
    with pytest.raises(PermissionDenied) as refused:
        proposal_return(actor=actor, proposal=p, note="请修改")
    assert refused.value.code == "not_round_staff"
    with later(10), pytest.raises(PermissionDenied):
        proposal_screen(actor=actor, proposal=p, feasible=True)
    p.refresh_from_db()
    assert p.status == ProposalStatus.SUBMITTED and p.screened_by is None


@pytest.mark.parametrize("role", ["station_worker", "agency_manager", "street_officer", "district_admin", "city_admin", "finance"])
def test_the_rounds_staff_may_return(world, r, role):
    p = submitted(world, r)
    assert proposal_return(actor=world.city.users[role], proposal=p, note="请修改").status == ProposalStatus.RETURNED


def test_the_applicant_withdraws_before_a_decision(world, r):
    a, b, c = draft(world, r), submitted(world, r, title="乙"), submitted(world, r, title="丙")
    c = proposal_return(actor=world.staff, proposal=c, note="请修改")
    for p in (a, b, c):
        done = proposal_withdraw(actor=world.managers[ELDERS], proposal=p, reason="团队人手不足")
        assert done.status == ProposalStatus.WITHDRAWN
    assert proposal_withdraw(actor=world.managers[ELDERS], proposal=a).status == ProposalStatus.WITHDRAWN  # quiet
    logged = AuditLog.objects.filter(action="grants.proposal.withdraw")
    assert logged.count() == 3 and logged.first().after["reason"] == "团队人手不足"
    with pytest.raises(Conflict) as refused:
        proposal_submit(actor=world.managers[ELDERS], proposal=a)
    assert refused.value.code == "invalid_transition"
    with pytest.raises(ValidationFailed) as refused:
        proposal_withdraw(actor=world.managers[ELDERS], proposal=submitted(world, r, title="丁"), reason="\x00")
    assert refused.value.code == "nul_character"
    d = submitted(world, r, title="戊")
    with later(10):
        d = proposal_screen(actor=world.staff, proposal=d, feasible=True)
    with pytest.raises(Conflict) as refused:
        proposal_withdraw(actor=world.managers[ELDERS], proposal=d)
    assert refused.value.code == "invalid_transition"


# --- screening --------------------------------------------------------------------------------------------------

def test_screening_accepts_at_the_asked_price_or_less(world, r):
    p, q = submitted(world, r), submitted(world, r, YOUTH, title="青年陪伴")
    with later(10):
        p = proposal_screen(actor=world.staff, proposal=p, feasible=True)
        q = proposal_screen(actor=world.staff, proposal=q, feasible=True, accepted_price="¥9,500", note="讲座场次减为两场")
    assert p.status == ProposalStatus.FEASIBLE and p.accepted_price == Decimal("12000.00") and p.cost == Decimal("12000.00")
    assert p.screened_by == world.staff and p.screened_at is not None
    assert q.accepted_price == Decimal("9500.00") and q.screening_note == "讲座场次减为两场"
    assert AuditLog.objects.filter(action="grants.proposal.screen").count() == 2


@pytest.mark.parametrize(("price", "code"), [
    ("12000.01", "price_over_request"),
    ("4999.99", "price_below_minimum"),
    ("0", "amount_not_positive"),
    ("-100", "amount_not_positive"),
    ("9000.001", "money_precision"),
    ("九千", "invalid_number"),
])
def test_an_accepted_price_outside_its_bounds_is_refused(world, r, price, code):
    p = submitted(world, r)
    with later(10), pytest.raises(ValidationFailed) as refused:
        proposal_screen(actor=world.staff, proposal=p, feasible=True, accepted_price=price)
    assert refused.value.code == code
    p.refresh_from_db()
    assert p.status == ProposalStatus.SUBMITTED and p.accepted_price is None and p.screened_at is None


def test_not_feasible_needs_the_reason_shown_to_all(world, r):
    p = submitted(world, r)
    with later(10):
        with pytest.raises(ValidationFailed) as refused:
            proposal_screen(actor=world.staff, proposal=p, feasible=False)
        assert refused.value.code == "reason_required"
        with pytest.raises(ValidationFailed) as refused:
            proposal_screen(actor=world.staff, proposal=p, feasible="no")
        assert refused.value.code == "invalid_choice"
        p = proposal_screen(actor=world.staff, proposal=p, feasible=False, note="改造涉及房屋结构，超出微创投范围")
    assert p.status == ProposalStatus.INFEASIBLE and p.accepted_price is None
    assert p.screening_note.startswith("改造涉及") and p.screened_by == world.staff
    assert sel.proposal_detail(p.pk).screening_note == p.screening_note  # public


def test_a_screening_decision_is_made_once(world, r):
    p = submitted(world, r)
    with later(10):
        first = proposal_screen(actor=world.staff, proposal=p, feasible=True, accepted_price="10000")
        again = proposal_screen(actor=world.staff, proposal=p, feasible=True, accepted_price="10000")
        assert again.screened_at == first.screened_at
        for kw in ({"feasible": True, "accepted_price": "11000"}, {"feasible": False, "note": "改主意了"}):
            with pytest.raises(Conflict) as refused:
                proposal_screen(actor=world.staff, proposal=p, **kw)
            assert refused.value.code == "already_screened"
    assert AuditLog.objects.filter(action="grants.proposal.screen").count() == 1


def test_screening_happens_in_its_phase_on_submitted_proposals_only(world, r):
    p = submitted(world, r)
    with pytest.raises(Conflict) as refused:
        proposal_screen(actor=world.staff, proposal=p, feasible=True)
    assert refused.value.code == "phase_closed"
    d = draft(world, r, title="草稿")
    back = proposal_return(actor=world.staff, proposal=submitted(world, r, title="退回"), note="请修改")
    with later(10):
        for q in (d, back):
            with pytest.raises(Conflict) as refused:
                proposal_screen(actor=world.staff, proposal=q, feasible=True)
            assert refused.value.code == "invalid_transition"
    with later(20), pytest.raises(Conflict) as refused:
        proposal_screen(actor=world.staff, proposal=p, feasible=True)
    assert refused.value.code == "phase_closed"
    p.refresh_from_db()
    assert p.status == ProposalStatus.SUBMITTED


# --- reading ----------------------------------------------------------------------------------------------------

def test_the_public_list_leaves_drafts_out_and_loads_its_parts_at_once(world, r, django_assert_num_queries):
    draft(world, r, title="草稿")
    for i in range(4):
        submitted(world, r, YOUTH if i % 2 else ELDERS, title=f"项目{i}")
    with django_assert_num_queries(4):  # proposals with round and applicant; lines; milestones; needs
        rows = list(sel.proposals_public(r))
        shown = [(p.number, p.applicant.name, len(p.lines.all()), len(p.milestones.all()), len(p.needs.all())) for p in rows]
    assert [s[0] for s in shown] == [2, 3, 4, 5] and all(s[2:4] == (3, 3) for s in shown)


def test_an_applicant_sees_its_own_drafts_and_nobody_elses(world, r):
    mine = draft(world, r)
    theirs = draft(world, r, YOUTH, title="青年")
    assert list(sel.my_proposals(world.managers[ELDERS])) == [mine]
    assert list(sel.my_proposals(world.managers[YOUTH])) == [theirs]
    assert not sel.my_proposals(world.city.users["nobody"]).exists()
    assert not sel.my_proposals(AnonymousUser()).exists()
    assert sel.proposal_detail(mine, actor=world.managers[ELDERS]) == mine
    for actor in (None, world.managers[YOUTH], world.staff):
        with pytest.raises(NotFound):
            sel.proposal_detail(mine, actor=actor)
    with pytest.raises(NotFound):
        sel.proposal_detail(999999)
    shown = sel.proposal_detail(proposal_submit(actor=world.managers[ELDERS], proposal=mine).pk)
    assert len(shown.lines.all()) == 3 and len(shown.revisions.all()) == 1 and shown.round.fund == world.fund

