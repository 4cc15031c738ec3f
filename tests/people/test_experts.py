"""The expert pool: profiles and standing ties (who writes them, what is refused), and the one conflict rule that
grant reviews and evaluations share."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from shanlian.core.errors import PermissionDenied, ValidationFailed
from shanlian.core.scoping import Role
from shanlian.people.models import ExpertProfile, ExpertTie
from shanlian.people.selectors_experts import TIE, WORKS_FOR, assignable, expert_conflicts, expert_pool
from shanlian.people.services_experts import expert_profile_save, expert_tie_declare
from tests import factories as f


@pytest.fixture
def expert(city):
    return city.users["expert"]


def test_an_expert_keeps_their_profile_and_administrators_keep_anyone_s(city, expert):
    p = expert_profile_save(actor=expert, user=expert, fields=["finance", "elderly", "finance"], title="高级会计师",
                            employer="广州某会计师事务所", max_load="6")
    assert (p.fields, p.max_load) == (["elderly", "finance"], 6)  # in the list's order, once each
    expert_profile_save(actor=city.users["city_admin"], user=expert, fields=["law"],
                        away_from=dt.date(2026, 12, 1), away_until=dt.date(2026, 12, 31))
    assert ExpertProfile.objects.get(user=expert).fields == ["law"]
    for name in ("station_worker", "agency_manager", "volunteer"):
        with pytest.raises(PermissionDenied):
            expert_profile_save(actor=city.users[name], user=expert, fields=["law"])
    with pytest.raises(ValidationFailed) as refused:
        expert_profile_save(actor=city.users["city_admin"], user=city.users["volunteer"], fields=["law"])
    assert refused.value.code == "not_an_expert"


@pytest.mark.parametrize("kw, field, code", [
    ({"fields": []}, "fields", "fields_count"),
    ({"fields": ["astrology"]}, "fields", "unknown_field"),
    ({"fields": "law"}, "fields", "invalid_fields"),
    ({"fields": ["law"], "max_load": 0}, "max_load", "too_small"),
    ({"fields": ["law"], "away_from": dt.date(2026, 12, 9)}, "away_until", "away_period_incomplete"),
    ({"fields": ["law"], "away_from": dt.date(2026, 12, 9), "away_until": dt.date(2026, 12, 1)}, "away_until",
     "away_period_reversed"),
    ({"fields": ["law"], "title": "x" * 65}, "title", "too_long"),
])
def test_a_bad_profile_is_refused_and_nothing_is_saved(expert, kw, field, code):
    with pytest.raises(ValidationFailed) as refused:
        expert_profile_save(actor=expert, user=expert, **kw)
    assert field in refused.value.fields and code in {c for c, _m in refused.value.fields[field]}
    assert not ExpertProfile.objects.exists()


def test_ties_and_roles_bar_an_expert_and_an_ended_tie_cools_off(city, expert):
    tongxin, qiming = city.orgs["同心"], city.orgs["启明"]
    tie = expert_tie_declare(actor=expert, user=expert, organization=tongxin, kind="employee", note="2019年至2023年曾任督导",
                             ended_on=dt.date(2023, 12, 31))
    again = expert_tie_declare(actor=expert, user=expert, organization=tongxin, kind="employee", note="曾任督导",
                               ended_on=dt.date(2023, 12, 31))
    assert again.pk == tie.pk and ExpertTie.objects.count() == 1  # restated, never doubled
    worker = city.users["station_worker"]  # works at a station 启明 runs
    found = expert_conflicts(user_ids=[expert.pk, worker.pk], organization_ids=[tongxin.pk, qiming.pk], on=dt.date(2026, 12, 4))
    assert found[(expert.pk, tongxin.pk)].kind == TIE and found[(expert.pk, tongxin.pk)].note == "曾任督导"
    assert found[(worker.pk, qiming.pk)].kind == WORKS_FOR
    later = expert_conflicts(user_ids=[expert.pk], organization_ids=[tongxin.pk], on=dt.date(2027, 1, 1))
    assert later == {}  # three years after the tie ended
    with pytest.raises(ValidationFailed) as refused:
        expert_tie_declare(actor=expert, user=expert, organization=qiming, kind="cousin")
    assert refused.value.code == "invalid_tie_kind"


def test_the_pool_gives_the_solver_each_expert_s_fields_ceiling_and_time_away(city, expert):
    other = f.user_with_role("expert2", Role.EXPERT, None, name="何婉仪")
    expert_profile_save(actor=expert, user=expert, fields=["finance"], max_load=2)
    expert_profile_save(actor=other, user=other, fields=["elderly"], away_from=dt.date(2026, 12, 1),
                        away_until=dt.date(2026, 12, 10))
    with time_machine.travel(dt.datetime(2026, 12, 4, 9, tzinfo=timezone.get_current_timezone()), tick=False):
        pool = expert_pool(on=timezone.localdate())
    assert [(e.name, e.fields, e.away) for e in pool] == [("评审专家", ("finance",), False), ("何婉仪", ("elderly",), True)]
    solver_view = assignable(pool, load={expert.pk: 3})
    assert [(e.key, e.load, e.capacity) for e in solver_view] == [(expert.pk, 3, 3)]  # over the ceiling: takes nothing more
