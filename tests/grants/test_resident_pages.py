"""The resident's pages of micro-venture rounds: the rounds of their area, naming and supporting needs, and the
phone-first ballot. Each page and operation, allowed and refused (not a resident, outside the area, outside the phase,
a second support, a ballot over the most, under the fewest, over the budget), always a 4xx with the reason, never 500."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shanlian.core.money import Money
from shanlian.core.scoping import Role
from shanlian.grants import services as gs
from shanlian.grants.models import Ballot, BallotChoice, Need, NeedSupport, PhaseKind, Proposal, ProposalStatus

from .. import factories as f
from .conftest import DAY

pytestmark = pytest.mark.django_db


def text(resp) -> str:
    return resp.content.decode()


def error_codes(resp) -> set[str]:
    return set(re.findall(r'data-error-code="([^"]+)"', text(resp)))


def feasible(world, r, price: str = "10000", group: str = "长者互助队") -> Proposal:
    n = Proposal.objects.filter(round=r).count() + 1
    return Proposal.objects.create(
        round=r, number=n, applicant=world.groups[group], submitted_by=world.managers[group], title=f"微创投项目{n}",
        summary="为社区长者提供服务" * (1 + n * 10), beneficiaries="社区长者", beneficiary_count=40, outcomes="服务400人次",
        requested=Money(price), accepted_price=Money(price), starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 12, 31),
        status=ProposalStatus.FEASIBLE, submitted_at=timezone.now(), screened_at=timezone.now())


@pytest.fixture
def as_user(client):
    def _as(user):
        client.force_login(user)
        return client
    return _as


@pytest.fixture
def needs_round(world):
    return world.round(PhaseKind.NEEDS)


@pytest.fixture
def vote_round(world):
    """The vote open now (budget ¥40,000, 1 to 3 projects, knapsack) with four projects: ¥20,000 ¥15,000 ¥12,000 ¥8,000."""
    r = world.round(PhaseKind.VOTE, budget="40000", max_choices=3, knapsack=True)
    r.ps = [feasible(world, r, price) for price in ("20000", "15000", "12000", "8000")]
    return r


def outsider(city):
    return f.user_with_role("outsider", Role.DONOR, None, person_in=city.communities["东兴"], name="东兴居民")


# --- home --------------------------------------------------------------------------------------------------------

def test_home_lists_the_rounds_of_the_area_with_what_may_be_done_now(world, needs_round, as_user, django_assert_max_num_queries):
    other = world.round(PhaseKind.VOTE, title="第二轮", budget="20000")
    c = as_user(world.residents[0])
    with django_assert_max_num_queries(14):
        resp = c.get(reverse("grants:resident_home"))
    assert resp.status_code == 200
    page = text(resp)
    assert '<meta name="viewport"' in page
    assert page.count('data-testid="round"') == 2
    assert reverse("grants:need_new", args=[needs_round.pk]) in page
    assert reverse("grants:vote", args=[other.pk]) in page
    assert f"/public/grants/rounds/{needs_round.pk}/" in page  # the public round page (or its path)
    assert reverse("grants:need_new", args=[other.pk]) not in page  # needs of the second round: not collected now


def test_home_of_someone_outside_every_area_is_empty(world, needs_round, as_user):
    resp = as_user(outsider(world.city)).get(reverse("grants:resident_home"))
    assert resp.status_code == 200 and 'data-testid="no-rounds"' in text(resp)


def test_a_login_without_a_person_is_refused(world, needs_round, as_user):
    c = as_user(world.city.users["expert"])
    for url in (reverse("grants:resident_home"), reverse("grants:resident_round", args=[needs_round.pk]),
                reverse("grants:need_new", args=[needs_round.pk]), reverse("grants:vote", args=[needs_round.pk])):
        resp = c.get(url)
        assert resp.status_code == 403 and "not_a_resident" in error_codes(resp), url


def test_anonymous_goes_to_login(client, world, needs_round):
    resp = client.get(reverse("grants:resident_home"))
    assert resp.status_code == 302 and reverse("login") in resp["Location"]


def test_a_draft_round_is_not_found(world, as_user):
    draft = world.round(PhaseKind.NEEDS, open=False)
    resp = as_user(world.residents[0]).get(reverse("grants:resident_round", args=[draft.pk]))
    assert resp.status_code == 404


# --- needs -------------------------------------------------------------------------------------------------------

def test_a_resident_names_a_need_for_their_own_community_by_default(world, needs_round, as_user):
    c = as_user(world.residents[0])
    url = reverse("grants:need_new", args=[needs_round.pk])
    page = c.get(url)
    assert page.status_code == 200
    own = world.city.communities["盐运西"]
    assert f'<option value="{own.pk}" selected>' in text(page)
    resp = c.post(url, {"text": "楼道缺少扶手，长者上下楼不便", "category": "elderly", "community": own.pk})
    assert resp.status_code == 302 and resp["Location"] == reverse("grants:resident_round", args=[needs_round.pk])
    need = Need.objects.get()
    assert (need.community, need.category, need.submitted_by) == (own, "elderly", world.residents[0])
    other = world.city.communities["都府"]
    c.post(url, {"text": "都府社区需要四点半课堂", "category": "children", "community": other.pk})
    assert Need.objects.filter(community=other).count() == 1


def test_a_need_with_bad_input_shows_the_errors_next_to_the_fields(world, needs_round, as_user):
    c = as_user(world.residents[0])
    url = reverse("grants:need_new", args=[needs_round.pk])
    resp = c.post(url, {"text": "", "category": "nonsense"})
    assert resp.status_code == 400 and not Need.objects.exists()
    resp = c.post(url, {"text": "", "category": "elderly"})
    assert resp.status_code == 400 and "required" in error_codes(resp)
    resp = c.post(url, {"text": "x" * 501, "category": "elderly"})
    assert resp.status_code == 400 and not Need.objects.exists()
    resp = c.post(url, {"text": "好", "category": "elderly", "community": world.city.communities["东兴"].pk})
    assert resp.status_code == 400  # a community outside the round's area is not among the choices


def test_needs_are_named_only_while_they_are_collected(world, as_user):
    r = world.round(PhaseKind.PROPOSALS)
    c = as_user(world.residents[0])
    resp = c.get(reverse("grants:need_new", args=[r.pk]))
    assert resp.status_code == 409 and "phase_closed" in error_codes(resp)
    resp = c.post(reverse("grants:need_new", args=[r.pk]), {"text": "需求", "category": "elderly"})
    assert resp.status_code == 409 and not Need.objects.exists()


def test_needs_are_named_only_by_residents_of_the_area(world, needs_round, as_user):
    resp = as_user(outsider(world.city)).post(reverse("grants:need_new", args=[needs_round.pk]), {"text": "需求", "category": "elderly"})
    assert resp.status_code == 403 and "not_in_area" in error_codes(resp) and not Need.objects.exists()


def test_supporting_a_need_once(world, needs_round, as_user):
    need = gs.need_submit(actor=world.residents[1], round=needs_round, text="社区需要长者饭堂", category="elderly")
    c = as_user(world.residents[0])
    page = c.get(reverse("grants:resident_round", args=[needs_round.pk]))
    assert page.status_code == 200 and 'data-testid="support"' in text(page)
    url = reverse("grants:need_support", args=[needs_round.pk, need.pk])
    resp = c.post(url)
    assert resp.status_code == 302 and f"#need-{need.pk}" in resp["Location"]
    need.refresh_from_db()
    assert need.supporters == 1
    again = c.post(url, follow=True)  # a second support: nothing changes, and the resident is told
    with translation.override("zh-hans"):  # the page speaks the site's language
        told = str(_("You already support this need; each resident supports a need once."))
    assert again.status_code == 200 and told in text(again)
    need.refresh_from_db()
    assert need.supporters == 1 and NeedSupport.objects.count() == 1
    assert 'data-testid="supported"' in text(c.get(reverse("grants:resident_round", args=[needs_round.pk])))


def test_support_is_refused_outside_the_area_the_phase_or_the_round(world, needs_round, as_user):
    need = gs.need_submit(actor=world.residents[1], round=needs_round, text="社区需要长者饭堂", category="elderly")
    url = reverse("grants:need_support", args=[needs_round.pk, need.pk])
    resp = as_user(outsider(world.city)).post(url)
    assert resp.status_code == 403 and "not_in_area" in error_codes(resp)
    c = as_user(world.residents[0])
    assert c.get(url).status_code == 405
    other = world.round(PhaseKind.NEEDS, title="第二轮", budget="20000")
    assert c.post(reverse("grants:need_support", args=[other.pk, need.pk])).status_code == 404
    with time_machine.travel(timezone.now() + 6 * DAY, tick=False):
        resp = c.post(url)
    assert resp.status_code == 409 and "phase_closed" in error_codes(resp)
    assert NeedSupport.objects.count() == 0


# --- the ballot --------------------------------------------------------------------------------------------------

def test_the_vote_page_is_a_phone_ballot_with_a_live_counter(world, vote_round, as_user):
    resp = as_user(world.residents[0]).get(reverse("grants:vote", args=[vote_round.pk]))
    assert resp.status_code == 200
    page = text(resp)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert page.count('data-testid="proposal"') == 4 and page.count('name="choice"') == 4
    assert "¥20,000.00" in page and "广州市越秀区北京街长者互助服务队" in page
    assert 'data-knapsack="1"' in page and 'data-budget="4000000"' in page and 'id="n-chosen"' in page
    assert "<script src=\"http" not in page  # no external libraries


def test_a_resident_votes_sees_the_ballot_and_changes_it(world, vote_round, as_user):
    c = as_user(world.residents[0])
    url = reverse("grants:vote", args=[vote_round.pk])
    p = vote_round.ps
    resp = c.post(url, {"choice": [p[0].pk, p[3].pk]})
    assert resp.status_code == 302 and resp["Location"] == url
    ballot = Ballot.objects.get()
    assert set(BallotChoice.objects.filter(ballot=ballot).values_list("proposal_id", flat=True)) == {p[0].pk, p[3].pk}
    shown = c.get(url)
    page = text(shown)
    assert shown.status_code == 200 and 'data-testid="my-ballot"' in page and page.count('data-testid="my-choice"') == 2
    assert 'data-testid="change-ballot"' in page and 'data-testid="ballot-form"' not in page
    change = c.get(url + "?change=1")
    assert 'data-testid="ballot-form"' in text(change) and text(change).count(" checked>") == 2
    assert c.post(url, {"choice": [p[1].pk]}).status_code == 302
    assert list(BallotChoice.objects.values_list("proposal_id", flat=True)) == [p[1].pk]
    with time_machine.travel(timezone.now() + 6 * DAY, tick=False):  # the vote closed: the ballot shown, no change
        closed = c.get(url)
        assert closed.status_code == 200 and 'data-testid="closed-note"' in text(closed)
        assert 'data-testid="change-ballot"' not in text(closed) and 'data-testid="ballot-form"' not in text(closed)
        late = c.post(url, {"choice": [p[2].pk]})
        assert late.status_code == 409 and "phase_closed" in error_codes(late)
    assert list(BallotChoice.objects.values_list("proposal_id", flat=True)) == [p[1].pk]


@pytest.mark.parametrize(("pick", "code"), [
    ([0, 1, 2, 3], "ballot_too_many"),  # over the most (3)
    ([0, 1, 2], "ballot_over_budget"),  # ¥47,000 over the budget of ¥40,000
    ([], "ballot_too_few"),
    (["abc"], "invalid_choices"),
    ([0, 0], "ballot_duplicate"),
])
def test_a_ballot_that_breaks_the_rules_is_refused_beside_the_form(world, vote_round, as_user, pick, code):
    c = as_user(world.residents[0])
    ids = [vote_round.ps[i].pk if isinstance(i, int) else i for i in pick]
    resp = c.post(reverse("grants:vote", args=[vote_round.pk]), {"choice": ids})
    assert resp.status_code == 400, text(resp)
    assert code in error_codes(resp) and 'data-testid="ballot-form"' in text(resp)
    assert 'data-testid="ballot-error"' in text(resp)
    assert not Ballot.objects.exists()


def test_under_the_fewest(world, as_user):
    r = world.round(PhaseKind.VOTE, min_choices=2, max_choices=3)
    ps = [feasible(world, r) for _ in range(3)]
    resp = as_user(world.residents[0]).post(reverse("grants:vote", args=[r.pk]), {"choice": [ps[0].pk]})
    assert resp.status_code == 400 and "ballot_too_few" in error_codes(resp)
    assert " checked>" in text(resp)  # what was ticked stays ticked


def test_a_cumulative_ballot_shares_points(world, as_user):
    r = world.round(PhaseKind.VOTE, ballot_kind="cumulative", points=10, max_choices=3, rule="combined", expert_weight="0.5")
    ps = [feasible(world, r) for _ in range(3)]
    c = as_user(world.residents[0])
    url = reverse("grants:vote", args=[r.pk])
    page = text(c.get(url))
    assert f'name="points-{ps[0].pk}"' in page and 'id="pts-left"' in page
    over = c.post(url, {f"points-{ps[0].pk}": "8", f"points-{ps[1].pk}": "5"})
    assert over.status_code == 400 and "ballot_points" in error_codes(over)
    bad = c.post(url, {f"points-{ps[0].pk}": "-1"})
    assert bad.status_code == 400 and not Ballot.objects.exists()
    ok = c.post(url, {f"points-{ps[0].pk}": "7", f"points-{ps[2].pk}": "3", f"points-{ps[1].pk}": "0"})
    assert ok.status_code == 302
    assert dict(BallotChoice.objects.values_list("proposal_id", "points")) == {ps[0].pk: 7, ps[2].pk: 3}
    assert "7" in text(c.get(url))


def test_the_vote_page_before_the_vote_says_when(world, as_user):
    r = world.round(PhaseKind.REVIEW)
    resp = as_user(world.residents[0]).get(reverse("grants:vote", args=[r.pk]))
    assert resp.status_code == 409 and "phase_closed" in error_codes(resp)


def test_the_vote_is_for_residents_of_the_area(world, vote_round, as_user):
    url = reverse("grants:vote", args=[vote_round.pk])
    resp = as_user(outsider(world.city)).post(url, {"choice": [vote_round.ps[3].pk]})
    assert resp.status_code == 403 and "not_in_area" in error_codes(resp)
    resp = as_user(world.city.users["donor"]).post(url, {"choice": [vote_round.ps[3].pk]})
    assert resp.status_code == 403 and "not_a_resident" in error_codes(resp)
    assert not Ballot.objects.exists()


def test_a_paper_ballot_is_shown_and_not_changed_online(world, vote_round, as_user):
    from shanlian.people.models import Person

    voter = Person.objects.get(user=world.residents[0])
    for who in (world.staff, world.admin):
        gs.paper_ballot_key(actor=who, round=vote_round, paper_number="A-001", voter=voter, choices=[vote_round.ps[3].pk])
    c = as_user(world.residents[0])
    url = reverse("grants:vote", args=[vote_round.pk])
    page = text(c.get(url))
    assert 'data-testid="paper-note"' in page and 'data-testid="ballot-form"' not in page
    resp = c.post(url, {"choice": [vote_round.ps[2].pk]})
    assert resp.status_code == 409 and "ballot_on_paper" in error_codes(resp)
