"""The allocation rules: equal to pabutools on every real approval election in ../shared/data/pabulib (its winners
recorded by `bench/allocation.py --record`, so pabutools need not be installed), equal to a plain, slow reading of
the rules on random small elections (the engine's shortcuts change no result), and right on hand-made edge cases,
with their reasons."""

from __future__ import annotations

import functools
import json
import os
from fractions import Fraction
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shanlian.grants import pabulib
from shanlian.grants.allocation import AllocationError, allocate
from shanlian.grants.pabulib import Election

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "pabulib"  # every developer and CI has ../shared beside the repository
RECORDED = Path(__file__).resolve().parent / "data" / "pabutools_winners.json"
RULES = ("greedy", "mes", "mes-add1-greedy")


@pytest.fixture(autouse=True)
def _english():
    """The messages checked here are the English source texts (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


@functools.cache
def recorded() -> dict[str, dict[str, list[str]]]:
    return json.loads(RECORDED.read_text(encoding="utf-8"))["elections"]


def approval_files() -> list[str]:
    assert DATA.is_dir(), f"the pabulib elections are missing: {DATA}"
    return sorted(p.name for p in DATA.glob("*.pb")
                  if any(line.startswith(("vote_type;approval", "vote_type;choose-1"))
                         for line in p.read_text(encoding="utf-8").split("\n", 40)[:40]))


def test_every_approval_election_is_recorded():
    assert sorted(recorded()) == approval_files()
    assert len(recorded()) == 231


@pytest.mark.parametrize("name", sorted(recorded()), ids=lambda name: name.removesuffix(".pb")[:70])
def test_equals_pabutools(name):
    election = pabulib.read(DATA / name)
    for rule in RULES:
        assert allocate(election, rule).winners == recorded()[name][rule], rule


def test_wieliczka_against_its_official_result():
    """Wieliczka's Green Million was decided by MES with add-one completion (rule equalshares/add1 in the file).
    Pabutools' `voter_budget_increment=1`, which we follow, settles at 150 zloty added and funds 66 and 67 where the
    city funded 46; the other 29 winners are the same. Held here so that a change on either side shows."""
    election = pabulib.read(DATA / "poland_wieliczka_2023.pb")
    official = {pid for pid, p in election.projects.items() if p.selected == 1}
    result = allocate(election, "mes-add1-greedy")
    assert set(result.winners) ^ official == {"46", "66", "67"}
    assert result.budget_increments == 150
    assert result.voter_budget == Fraction(1_000_000, 6586) + 150
    assert [result.reasons[p].code for p in ("66", "67", "46")] == ["mes_funded", "mes_funded", "does_not_fit"]


# -- a plain reading of the rules, one voter at a time, to hold the engine's shortcuts to ----------------------------


def plain_mes(costs: dict[str, Fraction], ballots: list[tuple[str, ...]], share: Fraction) -> list[str]:
    budgets = [share] * len(ballots)
    supporters = {p: [v for v, b in enumerate(ballots) if p in b] for p in costs}
    left = {p for p in costs if costs[p] > 0 and supporters[p]}
    winners = []
    while True:
        best = None
        for p in sorted(left):
            if sum(budgets[v] for v in supporters[p]) < costs[p]:
                continue
            paying = sorted(supporters[p], key=lambda v: budgets[v])
            paid, q = Fraction(0), None
            for k, v in enumerate(paying):
                q = (costs[p] - paid) / (len(paying) - k)
                if q <= budgets[v]:
                    break
                paid += budgets[v]
            rho = q / costs[p]
            if best is None or rho < best[0]:
                best = (rho, p, q)
        if best is None:
            return winners
        _rho, p, q = best
        winners.append(p)
        left.discard(p)
        for v in supporters[p]:
            budgets[v] -= min(budgets[v], q)


def plain_greedy(costs: dict[str, Fraction], ballots: list[tuple[str, ...]], budget: Fraction,
                 chosen: list[str]) -> list[str]:
    votes = {p: sum(p in b for b in ballots) for p in costs}
    order = sorted((p for p in costs if p not in chosen), key=lambda p: (-votes[p] if costs[p] > 0 else 0, p))
    left = budget - sum(costs[p] for p in chosen)
    out = list(chosen)
    for p in order:
        if costs[p] <= left:
            out.append(p)
            left -= costs[p]
    return out


def plain(rule: str, costs: dict[str, Fraction], ballots: list[tuple[str, ...]], budget: Fraction) -> list[str]:
    if rule == "greedy":
        return plain_greedy(costs, ballots, budget, [])
    if not ballots:
        return [] if rule == "mes" else plain_greedy(costs, ballots, budget, [])
    share = budget / len(ballots)
    if rule == "mes":
        return plain_mes(costs, ballots, share)
    eligible = [p for p in costs if costs[p] > 0 and any(p in b for b in ballots)]
    previous: list[str] = []
    while True:
        outcome = plain_mes(costs, ballots, share)
        spent = sum(costs[p] for p in outcome)
        if spent > budget:
            outcome = previous
            break
        if all(p in outcome or costs[p] > budget - spent for p in eligible):
            break
        previous = outcome
        share += 1
    return plain_greedy(costs, ballots, budget, outcome)


def election_of(budget, costs, ballots) -> Election:
    return Election.approval(budget=budget, costs=costs, ballots=ballots)


# The same 300 examples every run (CI judges the change, not the draw); SHANLIAN_EXPLORE=1 draws new ones and
# SHANLIAN_EXAMPLES=3000 draws more.
EXAMPLES = {"deadline": None, "max_examples": int(os.environ.get("SHANLIAN_EXAMPLES", "300")),
            "suppress_health_check": [HealthCheck.too_slow], "derandomize": os.environ.get("SHANLIAN_EXPLORE") != "1"}


@st.composite
def small_elections(draw):
    names = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "10", "9"]), min_size=1, max_size=7,
                          unique=True))
    costs = {p: Fraction(draw(st.integers(0, 40)) * 5 + draw(st.sampled_from([0, 0, 0, 1, 2]))) / 2 for p in names}
    ballots = draw(st.lists(st.lists(st.sampled_from(names), unique=True, max_size=4).map(tuple), max_size=12))
    ballots += draw(st.lists(st.sampled_from([(names[0],), tuple(names[:2])]), max_size=6))  # copies: merged ballots
    budget = Fraction(draw(st.integers(1, 120)) * 5, draw(st.sampled_from([1, 1, 2, 4])))
    return budget, costs, ballots


@settings(**EXAMPLES)
@given(small_elections())
def test_engine_equals_the_plain_reading(case):
    budget, costs, ballots = case
    election = election_of(budget, costs, ballots)
    for rule in RULES:
        assert allocate(election, rule).winners == plain(rule, costs, ballots, budget), rule


# -- hand-made edge cases --------------------------------------------------------------------------------------------


def test_greedy_ties_go_to_the_smaller_id_as_text():
    # "10" < "9" < "a" as text, as pabutools compares project names; equal votes, each fits.
    result = allocate(election_of(30, {"a": 10, "9": 10, "10": 10}, [("a", "9", "10")]), "greedy")
    assert result.winners == ["10", "9", "a"]


def test_greedy_skips_what_no_longer_fits_and_funds_what_still_does():
    ballots = [("big", "small")] * 3 + [("mid",)] * 2 + [("tiny",)]
    result = allocate(election_of(100, {"big": 70, "mid": 40, "small": 25, "tiny": 5}, ballots), "greedy")
    assert result.winners == ["big", "small", "tiny"]
    assert result.reasons["mid"].code == "does_not_fit"
    assert result.reasons["mid"].params["remaining"] == 5  # 100 - 70 - 25 when its turn came
    assert result.reasons["mid"].as_dict() == {"code": "does_not_fit", "remaining": "5.00", "cost": "40.00", "approvals": 2}
    assert result.total_cost == 100


def test_a_project_dearer_than_the_budget_is_never_funded():
    ballots = [("castle",)] * 9 + [("park",)]
    for rule in RULES:
        result = allocate(election_of(1000, {"castle": 5000, "park": 300}, ballots), rule)
        assert "castle" not in result.winners, rule
    assert allocate(election_of(1000, {"castle": 5000, "park": 300}, ballots), "greedy").winners == ["park"]


def test_zero_approvals_greedy_funds_leftovers_mes_does_not():
    ballots = [("a",)] * 4
    costs = {"a": 50, "nobody": 20}
    assert allocate(election_of(100, costs, ballots), "greedy").winners == ["a", "nobody"]
    mes = allocate(election_of(100, costs, ballots), "mes")
    assert mes.winners == ["a"]
    assert mes.reasons["nobody"].code == "no_approvals"
    # The completion is greedy: it funds the unvoted project with what Equal Shares left.
    assert allocate(election_of(100, costs, ballots), "mes-add1-greedy").winners == ["a", "nobody"]


def test_a_voter_who_approves_nothing_still_holds_a_share():
    # Two supporters of a 70-yuan project: with 2 voters each has 50 and it is affordable; a third voter who
    # approves nothing takes a third of the budget (33.33 each, 66.67 for the two), and MES alone cannot buy it.
    costs = {"a": 70}
    assert allocate(election_of(100, costs, [("a",), ("a",)]), "mes").winners == ["a"]
    result = allocate(election_of(100, costs, [("a",), ("a",), ()]), "mes")
    assert result.winners == []
    assert result.reasons["a"].code == "supporters_out_of_budget"
    assert result.reasons["a"].params["available"] == Fraction(200, 3)
    # Add-one raises each share by one yuan at a time: at 35.33 the two can pay 35 each.
    add_one = allocate(election_of(100, costs, [("a",), ("a",), ()]), "mes-add1-greedy")
    assert add_one.winners == ["a"] and add_one.budget_increments == 2 and add_one.reasons["a"].code == "mes_funded"


def test_exact_tie_that_floats_would_break_the_other_way():
    # 10 voters approve both; b costs 3 (price 0.3 each, 0.3 per 3 yuan of utility = 0.1), a costs 1 (0.1 each, 0.1).
    # Exactly tied at 0.1: the smaller id, a, wins. In floats 0.3/3 = 0.09999999999999999 < 0.1 = 0.1/1 and b would.
    # With 0.33 each, after a (0.1 each) the voters keep 2.3 in all, less than b's 3: b is not funded.
    assert (3 / 10) / 3 < (1 / 10) / 1  # the float trap this case is about
    ballots = [("a", "b")] * 10
    result = allocate(election_of(Fraction("3.3"), {"a": 1, "b": 3}, ballots), "mes")
    assert result.winners == ["a"]
    assert result.reasons["a"].params["payment"] == Fraction(1, 10)
    assert result.reasons["b"].params["available"] == Fraction(23, 10)


def test_greedy_fits_exactly_where_floats_would_not():
    # 0.3 - 0.2 = 0.09999999999999998 in floats, less than 0.1: exact money funds both.
    assert 0.3 - 0.2 < 0.1
    result = allocate(election_of(Fraction("0.3"), {"p": Fraction("0.2"), "q": Fraction("0.1")}, [("p",), ("p",), ("q",)]),
                      "greedy")
    assert result.winners == ["p", "q"]


def test_mes_reasons_name_the_round_the_supporters_and_the_payment():
    # 6 voters, 600 yuan, 100 each. x (cost 300) is approved by voters 1-4, y (200) by 4-6, z (250) by 5 and 6.
    ballots = [("x",), ("x",), ("x",), ("x", "y"), ("y", "z"), ("y", "z")]
    result = allocate(election_of(600, {"x": 300, "y": 200, "z": 250}, ballots), "mes")
    # x: 75 each, 75/300 = 1/4 per yuan of utility; y: 66.67 each, 1/3: x first. Then voter 4 has 25 left: it
    # pays that for y, and voters 5 and 6 pay (200 - 25) / 2 = 87.5 each, leaving them 25 for z's 250.
    assert result.winners == ["x", "y"]
    assert result.reasons["x"].as_dict() == {"code": "mes_funded", "round": 1, "supporters": 4, "payment": "75.00",
                                             "paid_all": 0}
    assert result.reasons["y"].params == {"round": 2, "supporters": 3, "payment": Fraction(175, 2), "paid_all": 1}
    assert result.reasons["z"].code == "supporters_out_of_budget"
    assert result.reasons["z"].params == {"available": 25, "cost": 250, "approvals": 2}
    assert "round 2" in result.reasons["y"].text() and "87.50" in result.reasons["y"].text()
    assert result.voter_budget == 100 and result.total_cost == 500


def test_add_one_stops_at_once_when_the_outcome_is_exhaustive():
    # As above: what MES leaves (100) buys nothing more, so no yuan is added and greedy has nothing to fund.
    ballots = [("x",), ("x",), ("x",), ("x", "y"), ("y", "z"), ("y", "z")]
    result = allocate(election_of(600, {"x": 300, "y": 200, "z": 250}, ballots), "mes-add1-greedy")
    assert result.winners == ["x", "y"] and result.budget_increments == 0 and result.voter_budget == 100
    assert result.reasons["z"].as_dict() == {"code": "does_not_fit", "remaining": "100.00", "cost": "250.00",
                                             "approvals": 2}


def test_add_one_completion_funds_what_plain_mes_leaves():
    # Plain MES funds only "common"; raising each share lets the three supporters of "local" afford it.
    ballots = [("common",)] * 6 + [("common", "local")] * 3 + [("other",)]
    costs = {"common": 500, "local": 400, "other": 600}
    plain_mes_result = allocate(election_of(1000, costs, ballots), "mes")
    add_one = allocate(election_of(1000, costs, ballots), "mes-add1-greedy")
    assert plain_mes_result.winners == ["common"]
    assert add_one.winners == ["common", "local"]
    assert add_one.reasons["local"].code == "mes_funded"
    assert add_one.winners == plain("mes-add1-greedy", {k: Fraction(v) for k, v in costs.items()}, ballots, Fraction(1000))


def test_free_project():
    ballots = [("free", "a")] * 3
    costs = {"a": 10, "free": 0}
    mes = allocate(election_of(10, costs, ballots), "mes")
    assert mes.winners == ["a"] and mes.reasons["free"].code == "free_project"
    # Greedy counts a free project's votes as zero (its cost satisfaction), so it comes last, but it always fits.
    assert allocate(election_of(10, costs, ballots), "greedy").winners == ["a", "free"]
    assert allocate(election_of(10, costs, ballots), "mes-add1-greedy").winners == ["a", "free"]


def test_no_voters():
    election = election_of(100, {"b": 60, "a": 50}, [])
    assert allocate(election, "greedy").winners == ["a"]
    assert allocate(election, "mes").winners == []
    assert allocate(election, "mes-add1-greedy").winners == ["a"]


def test_decimal_costs_and_budget():
    # 33.50 each; a costs 30.125 each of voters 1-2 and b 20.125 each of 2-3: both 1/2 per yuan of utility, an
    # exact tie that a wins; voter 2 is then left 3.375, and b's supporters have 36.875 of its 40.25.
    costs = {"a": Fraction("60.25"), "b": Fraction("40.25")}
    ballots = [("a",), ("a", "b"), ("b",)]
    election = election_of(Fraction("100.50"), costs, ballots)
    assert allocate(election, "mes").winners == ["a"]
    assert allocate(election, "mes").reasons["b"].params["available"] == Fraction("36.875")
    greedy = allocate(election, "greedy")
    assert greedy.winners == ["a", "b"] and greedy.total_cost == Fraction("100.50")  # exactly the budget
    assert allocate(election, "mes-add1-greedy").winners == plain("mes-add1-greedy", costs, ballots, Fraction("100.50"))


def test_only_approval_votes_are_allocated():
    election = pabulib.loads("META\nkey;value\nbudget;10\nvote_type;cumulative\nPROJECTS\nproject_id;cost\na;5\n"
                             "VOTES\nvoter_id;vote;points\n1;a;3\n")
    with pytest.raises(AllocationError) as exc:
        allocate(election, "mes")
    assert exc.value.code == "allocation_not_approval"
    with pytest.raises(AllocationError) as exc:
        allocate(election_of(10, {"a": 5}, []), "phragmen")
    assert exc.value.code == "allocation_unknown_rule"
