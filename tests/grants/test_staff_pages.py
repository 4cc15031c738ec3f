"""The staff's pages of a round before the award: the list and a new round, the dashboard's tabs, and each action
(extend, merge, screen, return, rubric, assign, paper keying, allocation, override, open and close), with the
refusals: not staff (403), staff of another street (404), the services' refusals as 4xx with their codes."""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from shanlian.core import crypto
from shanlian.core.money import Money
from shanlian.grants import services as gs
from shanlian.grants.models import (
    Assignment,
    Ballot,
    BallotChoice,
    Criterion,
    GrantRound,
    Need,
    PaperKeying,
    PhaseExtension,
    PhaseKind,
    Proposal,
    ProposalStatus,
    Result,
    RoundStatus,
)

from .. import factories as f
from .conftest import DAY, hold_of, phases_around

pytestmark = pytest.mark.django_db

RUBRIC = [
    {"name": "需求与受益人", "weight": "2", "max_score": 10,
     "levels": [{"from": 0, "text": "需求不清"}, {"from": 4, "text": "需求明确"}, {"from": 8, "text": "需求迫切"}]},
    {"name": "预算合理性", "weight": "1", "max_score": 5, "levels": [{"from": 0, "text": "不合理"}, {"from": 3, "text": "合理"}]},
]
STAFF = ("station_worker", "street_officer", "agency_manager", "finance", "district_admin", "city_admin")
_seq = count(1)


# --- helpers (used by the experts' and the API's tests too) ----------------------------------------------------------

def make_proposal(world, r, number: int, *, status: str = ProposalStatus.FEASIBLE, group: str = "长者互助队",
                  requested: str = "10000", price: str | None = "9000") -> Proposal:
    """A proposal as the proposal services would leave it (written directly, as the services' own tests do)."""
    return Proposal.objects.create(
        round=r, number=number, applicant=world.groups[group], submitted_by=world.managers[group], title=f"社区项目{number:02d}",
        summary="为长者提供助餐与探访", beneficiaries="独居长者", beneficiary_count=40, outcomes="每周探访一次",
        requested=Money(requested), accepted_price=Money(price) if status == ProposalStatus.FEASIBLE and price else None,
        starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 12, 31), status=status, submitted_at=timezone.now(),
        screening_note="不可行" if status == ProposalStatus.INFEASIBLE else "")


def review_round(world, n: int = 2, **kw):
    """A round in expert review, its rubric set while screening was on, `n` feasible proposals assigned to reviewers."""
    r = world.round(PhaseKind.REVIEW, **kw)
    with time_machine.travel(timezone.now() - 10 * DAY, tick=False):
        gs.criteria_set(actor=world.staff, round=r, criteria=RUBRIC)
    props = [make_proposal(world, r, i) for i in range(1, n + 1)]
    gs.reviews_assign(actor=world.staff, round=r, experts=world.experts)
    return r, props


def ballot(world, r, *chosen) -> Ballot:
    n = next(_seq)
    voter = f.person(f"投票人{n}", world.city.communities["盐运西"], resident_id=f.make_resident_id(seq=n + 700))
    now = timezone.now()
    b = Ballot.objects.create(round=r, voter=voter, community=voter.division, channel="online", cast_at=now, changed_at=now)
    BallotChoice.objects.bulk_create([BallotChoice(ballot=b, proposal=p) for p in chosen])
    return b


def has_code(response, code: str) -> bool:
    return f'data-error-code="{code}"' in response.content.decode()


@pytest.fixture
def as_user(client, world):
    def _as(user):
        client.force_login(world.city.users[user] if isinstance(user, str) else user)
        return client
    return _as


# --- the list and the tabs -----------------------------------------------------------------------------------------

def test_the_staff_see_the_rounds_they_run_with_phase_and_counts(world, as_user, django_assert_max_num_queries):
    r = world.round(PhaseKind.NEEDS)
    for user in STAFF:
        c = as_user(user)
        with django_assert_max_num_queries(25):
            page = c.get(reverse("grants:staff_rounds"))
        assert page.status_code == 200, user
        assert f'data-round="{r.pk}"' in page.content.decode(), user
    page = as_user("station_worker").get(reverse("grants:staff_rounds"))
    assert "需求征集" in page.content.decode() or "Needs collection" in page.content.decode()
    assert 'data-testid="new-round"' not in page.content.decode()  # a station worker does not set up rounds
    assert 'data-testid="new-round"' in as_user("finance").get(reverse("grants:staff_rounds")).content.decode()


def test_staff_of_another_street_see_no_round_and_others_are_refused(world, as_user, client):
    r = world.round(PhaseKind.NEEDS)
    page = as_user("other_worker").get(reverse("grants:staff_rounds"))
    assert page.status_code == 200 and f'data-round="{r.pk}"' not in page.content.decode()
    for name in ("staff_round", "staff_round_needs", "staff_round_proposals", "staff_round_review", "staff_round_vote",
                 "staff_round_allocation"):
        assert as_user("other_worker").get(reverse(f"grants:{name}", args=[r.pk])).status_code == 404, name
        for user in ("expert", "donor", "nobody"):
            assert as_user(user).get(reverse(f"grants:{name}", args=[r.pk])).status_code == 403, (name, user)
        assert as_user("station_worker").get(reverse(f"grants:{name}", args=[r.pk])).status_code == 200, name
        assert as_user("station_worker").get(reverse(f"grants:{name}", args=[10**9])).status_code == 404
    assert as_user("expert").get(reverse("grants:staff_rounds")).status_code == 403
    client.logout()
    assert client.get(reverse("grants:staff_rounds")).status_code == 302


def test_every_tab_renders_in_every_phase(world, as_user):
    """Each tab of a round in each phase (the board, turnout and results included) answers 200."""
    r, props = review_round(world, budget="20000")
    c = as_user("finance")
    for name in ("staff_round", "staff_round_needs", "staff_round_proposals", "staff_round_review", "staff_round_vote",
                 "staff_round_allocation"):
        assert c.get(reverse(f"grants:{name}", args=[r.pk])).status_code == 200
    assert c.get(reverse("grants:staff_proposal", args=[props[0].pk])).status_code == 200
    for kind in PhaseKind.values:
        other = world.round(kind, title=f"轮次{kind}", budget="8000", max_grant="8000")
        for name in ("staff_round", "staff_round_review", "staff_round_vote", "staff_round_allocation"):
            assert c.get(reverse(f"grants:{name}", args=[other.pk])).status_code == 200, (kind, name)


# --- a new round, open, close ----------------------------------------------------------------------------------------

def _round_post(world, **over) -> dict:
    start = timezone.localtime() + DAY
    data = {"fund": world.fund.pk, "title": "2027年北京街微创投", "year": 2027, "budget": "80000", "min_grant": "5000",
            "max_grant": "20000", "has_vote": "on", "rule": "mes-add1-greedy", "expert_weight": "0", "ballot_kind": "approval",
            "min_choices": 1, "max_choices": 5, "points": 0, "reviewers_per_proposal": 3}
    for i, kind in enumerate(PhaseKind.values):
        data[f"{kind}_opens"] = (start + i * 10 * DAY).strftime("%Y-%m-%dT%H:%M")
        data[f"{kind}_closes"] = (start + (i + 1) * 10 * DAY).strftime("%Y-%m-%dT%H:%M")
    data.update(over)
    return data


def test_a_round_admin_sets_up_a_round_and_opens_it(world, as_user):
    c = as_user("finance")
    assert c.get(reverse("grants:staff_round_create")).status_code == 200
    done = c.post(reverse("grants:staff_round_create"), _round_post(world))
    r = GrantRound.objects.get(title="2027年北京街微创投")
    assert done.status_code == 302 and done["Location"] == reverse("grants:staff_round", args=[r.pk])
    assert r.status == RoundStatus.DRAFT and r.phases.count() == 9 and r.budget == Money("80000")
    assert 'data-testid="open-round"' in c.get(done["Location"]).content.decode()
    opened = c.post(reverse("grants:staff_round_open", args=[r.pk]))
    assert opened.status_code == 302
    r.refresh_from_db()
    assert r.status == RoundStatus.OPEN and hold_of(r) is not None


def test_a_round_without_a_vote_and_a_bad_round_are_refused_with_their_codes(world, as_user):
    c = as_user("finance")
    page = c.post(reverse("grants:staff_round_create"), _round_post(world, max_grant="90000"))
    assert page.status_code == 400 and has_code(page, "grant_over_budget")
    page = c.post(reverse("grants:staff_round_create"), _round_post(world, has_vote=""))
    assert page.status_code == 400 and has_code(page, "vote_required")
    data = _round_post(world, has_vote="", rule="combined", expert_weight="1")
    assert c.post(reverse("grants:staff_round_create"), data).status_code == 302
    assert not GrantRound.objects.get(title="2027年北京街微创投").phases.filter(kind="vote").exists()
    page = c.post(reverse("grants:staff_round_create"), _round_post(world, year="abc", budget="1,0,0"))
    assert page.status_code == 400
    page = c.post(reverse("grants:staff_round_create"), _round_post(world, fund="999999999"))
    assert page.status_code == 400


def test_only_round_admins_set_up_open_and_close_rounds(world, as_user):
    assert as_user("station_worker").get(reverse("grants:staff_round_create")).status_code == 403
    assert as_user("station_worker").post(reverse("grants:staff_round_create"), _round_post(world)).status_code == 403
    assert as_user("expert").get(reverse("grants:staff_round_create")).status_code == 403
    draft = world.round(PhaseKind.NEEDS, open=False)
    page = as_user("station_worker").post(reverse("grants:staff_round_open", args=[draft.pk]))
    assert page.status_code == 403 and 'data-error-code="not_round_admin"' in page.content.decode()
    assert as_user("other_worker").post(reverse("grants:staff_round_open", args=[draft.pk])).status_code == 404
    draft.refresh_from_db()
    assert draft.status == RoundStatus.DRAFT


def test_a_running_round_is_not_closed(world, as_user):
    r = world.round(PhaseKind.REVIEW)
    page = as_user("finance").post(reverse("grants:staff_round_close", args=[r.pk]))
    assert page.status_code == 409 and 'data-error-code="round_running"' in page.content.decode()
    with time_machine.travel(timezone.now() + 100 * DAY, tick=False):
        assert as_user("finance").post(reverse("grants:staff_round_close", args=[r.pk])).status_code == 302
    r.refresh_from_db()
    assert r.status == RoundStatus.CLOSED


# --- phases ------------------------------------------------------------------------------------------------------------

def test_staff_extend_a_phase_with_a_reason(world, as_user):
    r = world.round(PhaseKind.NEEDS)
    needs = r.phases.get(kind="needs")
    later = timezone.localtime(needs.closes_at + DAY)
    c = as_user("station_worker")
    data = {"extend-kind": "needs", "extend-closes_at": later.strftime("%Y-%m-%dT%H:%M"), "extend-reason": "春节假期"}
    assert c.post(reverse("grants:staff_phase_extend", args=[r.pk]), data).status_code == 302
    assert PhaseExtension.objects.get(phase=needs).reason == "春节假期"
    assert "春节假期" in c.get(reverse("grants:staff_round", args=[r.pk])).content.decode()
    page = c.post(reverse("grants:staff_phase_extend", args=[r.pk]), {**data, "extend-reason": ""})
    assert page.status_code == 400 and has_code(page, "required")
    early = {**data, "extend-closes_at": timezone.localtime(needs.opens_at).strftime("%Y-%m-%dT%H:%M"), "extend-reason": "再延"}
    page = c.post(reverse("grants:staff_phase_extend", args=[r.pk]), early)
    assert page.status_code == 400 and has_code(page, "not_later")
    assert as_user("other_worker").post(reverse("grants:staff_phase_extend", args=[r.pk]), data).status_code == 404
    assert as_user("expert").post(reverse("grants:staff_phase_extend", args=[r.pk]), data).status_code == 403


# --- needs -----------------------------------------------------------------------------------------------------------

def test_staff_merge_a_duplicate_need(world, as_user):
    r = world.round(PhaseKind.NEEDS)
    a = gs.need_submit(actor=world.residents[0], round=r, text="长者助餐点", category="elderly")
    b = gs.need_submit(actor=world.residents[1], round=r, text="老人吃饭难", category="elderly")
    gs.need_support(actor=world.residents[2], need=b)
    c = as_user("station_worker")
    page = c.get(reverse("grants:staff_round_needs", args=[r.pk]))
    assert page.status_code == 200 and "长者助餐点" in page.content.decode() and 'data-testid="merge-form"' in page.content.decode()
    assert c.post(reverse("grants:staff_need_merge", args=[r.pk]), {"need": b.pk, "into": a.pk}).status_code == 302
    b.refresh_from_db()
    assert b.merged_into_id == a.pk
    page = c.post(reverse("grants:staff_need_merge", args=[r.pk]), {"need": a.pk, "into": a.pk})
    assert page.status_code == 400 and has_code(page, "merge_into_itself")
    page = c.post(reverse("grants:staff_need_merge", args=[r.pk]), {"need": "x", "into": "1" * 30})
    assert page.status_code == 400
    assert as_user("other_worker").post(reverse("grants:staff_need_merge", args=[r.pk]), {"need": b.pk, "into": a.pk}).status_code == 404


def test_needs_are_merged_only_while_needs_are_collected(world, as_user):
    r = world.round(PhaseKind.NEEDS)
    a = gs.need_submit(actor=world.residents[0], round=r, text="长者助餐点", category="elderly")
    b = gs.need_submit(actor=world.residents[1], round=r, text="老人吃饭难", category="elderly")
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):
        page = as_user("station_worker").post(reverse("grants:staff_need_merge", args=[r.pk]), {"need": b.pk, "into": a.pk})
        assert page.status_code == 409 and has_code(page, "phase_closed")
    assert Need.objects.get(pk=b.pk).merged_into_id is None


# --- screening ---------------------------------------------------------------------------------------------------------

def test_staff_screen_a_proposal_feasible_at_a_price_or_not_feasible_with_a_reason(world, as_user):
    r = world.round(PhaseKind.SCREENING)
    p1 = make_proposal(world, r, 1, status=ProposalStatus.SUBMITTED)
    p2 = make_proposal(world, r, 2, status=ProposalStatus.SUBMITTED)
    c = as_user("station_worker")
    page = c.get(reverse("grants:staff_proposal", args=[p1.pk]))
    assert page.status_code == 200 and 'data-testid="screen-form"' in page.content.decode()
    screen = reverse("grants:staff_proposal_screen", args=[p1.pk])
    page = c.post(screen, {"screen-feasible": "yes", "screen-accepted_price": "12000"})
    assert page.status_code == 400 and has_code(page, "price_over_request")
    assert c.post(screen, {"screen-feasible": "yes", "screen-accepted_price": "8,500.00"}).status_code == 302
    p1.refresh_from_db()
    assert p1.status == ProposalStatus.FEASIBLE and p1.accepted_price == Money("8500")
    screen2 = reverse("grants:staff_proposal_screen", args=[p2.pk])
    page = c.post(screen2, {"screen-feasible": "no"})
    assert page.status_code == 400 and has_code(page, "reason_required")
    assert c.post(screen2, {"screen-feasible": "no", "screen-note": "与本轮主题不符"}).status_code == 302
    p2.refresh_from_db()
    assert p2.status == ProposalStatus.INFEASIBLE and p2.screening_note == "与本轮主题不符"
    page = c.post(screen2, {"screen-feasible": "yes"})
    assert page.status_code == 409 and has_code(page, "already_screened")
    assert c.post(screen2, {"screen-feasible": "maybe"}).status_code == 400


def test_staff_return_a_proposal_for_changes_and_outsiders_are_refused(world, as_user):
    r = world.round(PhaseKind.SCREENING)
    p = make_proposal(world, r, 1, status=ProposalStatus.SUBMITTED)
    back = reverse("grants:staff_proposal_return", args=[p.pk])
    page = as_user("station_worker").post(back, {"return-note": ""})
    assert page.status_code == 400 and has_code(page, "note_required")
    assert as_user("other_worker").get(reverse("grants:staff_proposal", args=[p.pk])).status_code == 404
    assert as_user("other_worker").post(back, {"return-note": "补充预算"}).status_code == 404
    assert as_user("expert").post(back, {"return-note": "补充预算"}).status_code == 403
    assert as_user("station_worker").post(back, {"return-note": "请补充预算明细"}).status_code == 302
    p.refresh_from_db()
    assert p.status == ProposalStatus.RETURNED and p.note == "请补充预算明细"
    draft = make_proposal(world, r, 2, status=ProposalStatus.DRAFT)
    assert as_user("station_worker").get(reverse("grants:staff_proposal", args=[draft.pk])).status_code == 404


def test_screening_outside_its_phase_is_refused(world, as_user):
    r = world.round(PhaseKind.PROPOSALS)
    p = make_proposal(world, r, 1, status=ProposalStatus.SUBMITTED)
    page = as_user("station_worker").post(reverse("grants:staff_proposal_screen", args=[p.pk]), {"screen-feasible": "yes"})
    assert page.status_code == 409 and has_code(page, "phase_closed")


# --- the rubric, the assignment, the board ----------------------------------------------------------------------------------

def _rubric_post(rows) -> dict:
    data = {}
    for i, row in enumerate(rows):
        data[f"rubric-c{i}_name"] = row["name"]
        data[f"rubric-c{i}_weight"] = row["weight"]
        data[f"rubric-c{i}_max_score"] = str(row["max_score"])
        data[f"rubric-c{i}_levels"] = "\n".join(f"{lv['from']} {lv['text']}" for lv in row["levels"])
    return data


def test_staff_set_the_rubric_with_levels_before_review(world, as_user):
    r = world.round(PhaseKind.SCREENING)
    c = as_user("station_worker")
    page = c.get(reverse("grants:staff_round_review", args=[r.pk]))
    assert page.status_code == 200 and 'data-testid="rubric-form"' in page.content.decode()
    assert c.post(reverse("grants:staff_rubric_set", args=[r.pk]), _rubric_post(RUBRIC)).status_code == 302
    made = list(Criterion.objects.filter(round=r).order_by("n"))
    assert [(x.name, x.max_score) for x in made] == [("需求与受益人", 10), ("预算合理性", 5)]
    assert made[0].levels == [{"from": 0, "text": "需求不清"}, {"from": 4, "text": "需求明确"}, {"from": 8, "text": "需求迫切"}]
    bad = _rubric_post([{**RUBRIC[0], "levels": [{"from": 0, "text": "弱"}, {"from": 12, "text": "强"}]}])
    page = c.post(reverse("grants:staff_rubric_set", args=[r.pk]), bad)
    assert page.status_code == 400 and has_code(page, "level_above_max")
    page = c.post(reverse("grants:staff_rubric_set", args=[r.pk]), _rubric_post([{**RUBRIC[0], "weight": "abc"}]))
    assert page.status_code == 400
    page = c.post(reverse("grants:staff_rubric_set", args=[r.pk]), {})
    assert page.status_code == 400 and has_code(page, "criteria_count")
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):
        page = c.post(reverse("grants:staff_rubric_set", args=[r.pk]), _rubric_post(RUBRIC))
        assert page.status_code == 409 and has_code(page, "review_started")


def test_staff_assign_reviewers_and_see_the_board(world, as_user):
    r = world.round(PhaseKind.REVIEW)
    with time_machine.travel(timezone.now() - 10 * DAY, tick=False):
        gs.criteria_set(actor=world.staff, round=r, criteria=RUBRIC)
    p1, p2 = make_proposal(world, r, 1), make_proposal(world, r, 2, group="青年志愿者协会")
    c = as_user("station_worker")
    page = c.get(reverse("grants:staff_round_review", args=[r.pk]))
    assert page.content.decode().count('data-testid="pool-expert"') == 4
    experts = {"assign-experts": [str(e.pk) for e in world.experts[:2]]}
    page = c.post(reverse("grants:staff_reviews_assign", args=[r.pk]), experts)
    assert page.status_code == 400 and has_code(page, "not_enough_reviewers")
    assert not Assignment.objects.exists()
    done = c.post(reverse("grants:staff_reviews_assign", args=[r.pk]), {"assign-experts": [str(e.pk) for e in world.experts]})
    assert done.status_code == 302
    assert Assignment.objects.filter(proposal__round=r).count() == 6
    a = Assignment.objects.filter(proposal=p1).first()
    gs.review_submit(actor=a.reviewer, assignment=a, scores=dict(zip(
        Criterion.objects.filter(round=r).order_by("n").values_list("id", flat=True), [8, 4], strict=True)))
    page = c.get(reverse("grants:staff_round_review", args=[r.pk]))
    body = page.content.decode()
    assert f'data-proposal="{p1.pk}"' in body and f'data-proposal="{p2.pk}"' in body and "80.0%" in body
    page = c.post(reverse("grants:staff_reviews_assign", args=[r.pk]), {"assign-experts": ["999999999"]})
    assert page.status_code == 400


def test_a_declared_tie_keeps_the_expert_off_the_applicant_s_proposals(world, as_user):
    r = world.round(PhaseKind.REVIEW)
    p = make_proposal(world, r, 1)
    tied = world.experts[0]
    gs.tie_declare(actor=tied, round=r, organization=p.applicant, note="前雇主")
    c = as_user("station_worker")
    page = c.post(reverse("grants:staff_reviews_assign", args=[r.pk]), {"assign-experts": [str(e.pk) for e in world.experts]})
    assert page.status_code == 302
    assert not Assignment.objects.filter(proposal=p, reviewer=tied).exists()
    assert "前雇主" in c.get(reverse("grants:staff_round_review", args=[r.pk])).content.decode()


# --- the vote: paper ballots and turnout ------------------------------------------------------------------------------

def _resident_id(user) -> str:
    return crypto.decrypt(user.person.resident_id_enc)


def test_two_staff_key_a_paper_ballot_and_it_counts(world, as_user):
    r = world.round(PhaseKind.VOTE)
    p1, p2 = make_proposal(world, r, 1), make_proposal(world, r, 2)
    voter = world.residents[0]
    data = {"paper-paper_number": "A-001", "paper-voter": _resident_id(voter), "paper-choices": [str(p1.pk)]}
    c = as_user("station_worker")
    page = c.get(reverse("grants:staff_round_vote", args=[r.pk]))
    assert page.status_code == 200 and 'data-testid="paper-form"' in page.content.decode()
    assert c.post(reverse("grants:staff_paper_key", args=[r.pk]), data).status_code == 302
    assert 'data-status="pending"' in c.get(reverse("grants:staff_round_vote", args=[r.pk])).content.decode()
    page = c.post(reverse("grants:staff_paper_key", args=[r.pk]), data)
    assert page.status_code == 409 and has_code(page, "second_keying_same_person")
    c = as_user("street_officer")
    assert c.post(reverse("grants:staff_paper_key", args=[r.pk]), {**data, "paper-paper_number": "ａ-００１"}).status_code == 302
    assert PaperKeying.objects.filter(round=r, status="counted").count() == 2
    page = c.get(reverse("grants:staff_round_vote", args=[r.pk]))
    assert 'data-status="counted"' in page.content.decode() and 'data-testid="count-ballots">1<' in page.content.decode()
    other = {"paper-paper_number": "A-002", "paper-voter": _resident_id(world.residents[1]), "paper-choices": [str(p1.pk)]}
    assert as_user("station_worker").post(reverse("grants:staff_paper_key", args=[r.pk]), other).status_code == 302
    differ = {**other, "paper-choices": [str(p2.pk)]}
    assert as_user("finance").post(reverse("grants:staff_paper_key", args=[r.pk]), differ).status_code == 302
    assert 'data-status="mismatch"' in as_user("finance").get(reverse("grants:staff_round_vote", args=[r.pk])).content.decode()


def test_a_paper_ballot_naming_nobody_or_too_many_is_refused(world, as_user):
    r = world.round(PhaseKind.VOTE, max_choices=1)
    p1, p2 = make_proposal(world, r, 1), make_proposal(world, r, 2)
    c = as_user("station_worker")
    data = {"paper-paper_number": "B-1", "paper-voter": "110101199003074514", "paper-choices": [str(p1.pk)]}
    page = c.post(reverse("grants:staff_paper_key", args=[r.pk]), data)
    assert page.status_code == 400 and has_code(page, "voter_not_found")
    page = c.post(reverse("grants:staff_paper_key", args=[r.pk]), {**data, "paper-voter": "张三"})
    assert page.status_code == 400 and has_code(page, "invalid_voter")
    data = {**data, "paper-voter": _resident_id(world.residents[0]), "paper-choices": [str(p1.pk), str(p2.pk)]}
    page = c.post(reverse("grants:staff_paper_key", args=[r.pk]), data)
    assert page.status_code == 400 and has_code(page, "ballot_too_many")
    assert as_user("other_worker").post(reverse("grants:staff_paper_key", args=[r.pk]), data).status_code == 404
    assert not PaperKeying.objects.exists()
    c = as_user("station_worker")
    with time_machine.travel(timezone.now() - 20 * DAY, tick=False):
        page = c.post(reverse("grants:staff_paper_key", args=[r.pk]), {**data, "paper-choices": [str(p1.pk)]})
        assert page.status_code == 409 and has_code(page, "phase_closed")


def test_a_round_without_a_vote_says_so(world, as_user):
    around = phases_around(timezone.now(), PhaseKind.REVIEW)
    r = world.round(PhaseKind.REVIEW, rule="combined", expert_weight="1", phases={k: v for k, v in around.items() if k != "vote"})
    page = as_user("station_worker").get(reverse("grants:staff_round_vote", args=[r.pk]))
    assert page.status_code == 200 and 'data-testid="no-vote"' in page.content.decode()
    assert as_user("station_worker").post(reverse("grants:staff_paper_key", args=[r.pk]), {}).status_code == 400


# --- allocation and override -------------------------------------------------------------------------------------------

def test_the_round_admin_runs_the_allocation_and_overrides_with_a_reason(world, as_user):
    r = world.round(PhaseKind.ALLOCATION, budget="20000")
    p1, p2, p3 = (make_proposal(world, r, i, requested="10000", price="10000") for i in (1, 2, 3))
    for chosen in ((p1, p2), (p1,), (p2, p3), (p1,)):
        ballot(world, r, *chosen)
    page = as_user("station_worker").post(reverse("grants:staff_allocation_run", args=[r.pk]))
    assert page.status_code == 403 and has_code(page, "not_round_admin")
    assert not Result.objects.exists()
    c = as_user("finance")
    assert 'data-testid="run-allocation"' in c.get(reverse("grants:staff_round_allocation", args=[r.pk])).content.decode()
    assert c.post(reverse("grants:staff_allocation_run", args=[r.pk])).status_code == 302
    results = {x.proposal_id: x for x in Result.objects.filter(round=r)}
    assert results[p1.pk].funded and results[p2.pk].funded and not results[p3.pk].funded
    page = c.get(reverse("grants:staff_round_allocation", args=[r.pk]))
    assert page.content.decode().count('data-testid="result"') == 3 and 'data-testid="reason"' in page.content.decode()
    override = reverse("grants:staff_result_override", args=[results[p2.pk].pk])
    page = c.post(override, {f"override-{results[p2.pk].pk}-reason": ""})
    assert page.status_code == 400 and has_code(page, "required")
    assert as_user("station_worker").post(override, {f"override-{results[p2.pk].pk}-reason": "x"}).status_code == 403
    assert as_user("other_worker").post(override, {f"override-{results[p2.pk].pk}-reason": "x"}).status_code == 404
    c = as_user("finance")
    assert c.post(override, {f"override-{results[p2.pk].pk}-reason": "申请方已解散"}).status_code == 302
    done = Result.objects.get(pk=results[p2.pk].pk)
    assert not done.funded and done.overridden and done.override_reason == "申请方已解散"
    assert "申请方已解散" in c.get(reverse("grants:staff_round_allocation", args=[r.pk])).content.decode()


def test_the_allocation_outside_its_phase_is_refused(world, as_user):
    r = world.round(PhaseKind.VOTE)
    make_proposal(world, r, 1)
    page = as_user("finance").post(reverse("grants:staff_allocation_run", args=[r.pk]))
    assert page.status_code == 409 and has_code(page, "phase_closed")
    assert not Result.objects.exists()
    assert as_user("expert").post(reverse("grants:staff_allocation_run", args=[r.pk])).status_code == 403


def test_action_addresses_take_post_only(world, as_user):
    r = world.round(PhaseKind.NEEDS)
    for name in ("staff_round_open", "staff_round_close", "staff_phase_extend", "staff_need_merge", "staff_rubric_set",
                 "staff_reviews_assign", "staff_paper_key", "staff_allocation_run"):
        assert as_user("finance").get(reverse(f"grants:{name}", args=[r.pk])).status_code == 405, name
