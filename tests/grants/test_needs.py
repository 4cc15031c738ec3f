"""Needs: named by residents of the round's area (or by the fund's station), supported once per resident, duplicates
merged by the round's staff; the public list most supported first."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from shanlian.core.audit import AuditLog
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.core.scoping import Role
from shanlian.grants import selectors_proposals as sel
from shanlian.grants.models import Need, NeedSource, NeedSupport, PhaseKind, Proposal
from shanlian.grants.services.needs import need_merge, need_submit, need_support
from shanlian.grants.services.proposals import proposal_save, proposal_submit

from .. import factories as f
from .conftest import DAY
from .test_proposals import NOT_ROUND_STAFF, codes, overlapping_round, proposal_args

pytestmark = pytest.mark.django_db

# Logins of the test city with no person on record (the volunteer lives in 盐运西, within the round's area).
NO_PERSON = ["city_admin", "district_admin", "street_officer", "agency_manager", "station_worker", "other_worker",
             "finance", "expert", "donor", "nobody"]


@pytest.fixture
def r(world):
    return world.round(PhaseKind.NEEDS)


@pytest.fixture
def outsider(world):
    """A resident of 西湖社区, in 人民街: outside the 北京街 round's area."""
    return f.user_with_role("outsider", Role.DONOR, None, person_in=world.city.communities["西湖"], name="外街居民")


def name(world, r, i: int = 0, text: str = "楼道没有扶手，老人上下楼困难", category: str = "elderly", **kw) -> Need:
    return need_submit(actor=world.residents[i], round=r, text=text, category=category, **kw)


def consistent(*needs: Need) -> bool:
    """Each need's `supporters` equals the count of its supports."""
    return all(Need.objects.get(pk=n.pk).supporters == NeedSupport.objects.filter(need=n).count() for n in needs)


# --- naming -----------------------------------------------------------------------------------------------------

def test_a_resident_names_a_need_in_their_own_community(world, r):
    need = name(world, r, text="  楼道灯坏了\n晚上出行不便  ")
    assert need.text == "楼道灯坏了\n晚上出行不便" and need.category == "elderly"
    assert need.community == world.city.communities["盐运西"] and need.source == NeedSource.RESIDENT
    assert need.submitted_by == world.residents[0] and need.station is None and need.supporters == 0
    assert AuditLog.objects.filter(action="grants.need.submit", object_id=str(need.pk)).count() == 1
    assert name(world, r, 1).community == world.city.communities["都府"]


def test_a_resident_may_name_a_need_of_another_community_in_the_area_only(world, r):
    assert name(world, r, 0, community=world.city.communities["都府"]).community == world.city.communities["都府"]
    for place, code in [(world.city.communities["西湖"], "community_not_in_area"), (world.city.streets["北京街"], "not_a_community")]:
        with pytest.raises(ValidationFailed) as refused:
            name(world, r, 0, community=place)
        assert refused.value.code == code
    assert Need.objects.count() == 1


def test_the_station_names_a_need_for_a_community_of_the_area(world, r):
    station = world.fund.station
    need = need_submit(actor=world.staff, round=r, text="社区缺少长者活动场地", category="elderly",
                       community=world.city.communities["都府"], station=station)
    assert need.source == NeedSource.STATION and need.station == station and need.submitted_by == world.staff
    with pytest.raises(ValidationFailed) as refused:
        need_submit(actor=world.staff, round=r, text="缺场地", category="elderly", station=station)
    assert refused.value.code == "community_required"
    with pytest.raises(ValidationFailed) as refused:
        need_submit(actor=world.staff, round=r, text="缺场地", category="elderly", community=world.city.communities["都府"],
                    station=world.city.stations["人民街"])
    assert refused.value.code == "not_the_fund_station"
    with pytest.raises(ValidationFailed) as refused:
        need_submit(actor=world.staff, round=r, text="缺场地", category="elderly", community=world.city.communities["东兴"],
                    station=station)
    assert refused.value.code == "community_not_in_area"
    assert Need.objects.count() == 1


@pytest.mark.parametrize("role", NOT_ROUND_STAFF)
def test_only_the_rounds_staff_name_needs_for_the_station(world, r, role):
    with pytest.raises(PermissionDenied) as refused:
        need_submit(actor=world.city.users[role], round=r, text="缺场地", category="elderly",
                    community=world.city.communities["都府"], station=world.fund.station)
    assert refused.value.code == "not_round_staff"
    assert not Need.objects.exists()


@pytest.mark.parametrize("role", NO_PERSON)
def test_logins_without_a_person_on_record_cannot_name_or_support_needs(world, r, role):
    need = name(world, r)
    with pytest.raises(PermissionDenied) as refused:
        need_submit(actor=world.city.users[role], round=r, text="路灯坏了", category="general")
    assert refused.value.code == "not_a_resident"
    with pytest.raises(PermissionDenied) as refused:
        need_support(actor=world.city.users[role], need=need)
    assert refused.value.code == "not_a_resident"
    assert Need.objects.count() == 1 and not NeedSupport.objects.exists()


def test_residents_of_other_streets_and_anonymous_users_are_refused(world, r, outsider):
    need = name(world, r)
    for action in (lambda: need_submit(actor=outsider, round=r, text="路灯坏了", category="general"),
                   lambda: need_support(actor=outsider, need=need)):
        with pytest.raises(PermissionDenied) as refused:
            action()
        assert refused.value.code == "not_in_area"
    with pytest.raises(PermissionDenied) as refused:
        need_submit(actor=AnonymousUser(), round=r, text="路灯坏了", category="general")
    assert refused.value.code == "login_required"
    assert Need.objects.count() == 1 and not NeedSupport.objects.exists()


@pytest.mark.parametrize(("text", "category", "code"), [
    ("", "elderly", "required"),
    ("   \n ", "elderly", "required"),
    ("需" * 501, "elderly", "too_long"),
    ("路灯\x00坏了", "elderly", "nul_character"),
    ("路灯\x07坏了", "elderly", "control_character"),
    (["路灯坏了"], "elderly", "invalid_text"),
    ("路灯坏了", "roads", "invalid_category"),
    ("路灯坏了", "", "invalid_category"),
])
def test_the_text_and_category_are_checked(world, r, text, category, code):
    with pytest.raises(ValidationFailed) as refused:
        name(world, r, text=text, category=category)
    assert code in codes(refused.value)
    assert not Need.objects.exists()


def test_a_need_of_exactly_500_characters_is_taken_and_problems_are_reported_together(world, r):
    assert len(name(world, r, text="需" * 500).text) == 500
    with pytest.raises(ValidationFailed) as refused:
        name(world, r, text="", category="roads", community=world.city.communities["西湖"])
    assert set(refused.value.fields) == {"text", "category", "community"}


def test_needs_are_named_and_supported_only_while_needs_are_collected(world, r):
    need = name(world, r)
    other = name(world, r, 1, text="缺少儿童托管")
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):
        for action in (lambda: name(world, r, text="晚了"), lambda: need_support(actor=world.residents[1], need=need),
                       lambda: need_merge(actor=world.staff, need=other, into=need)):
            with pytest.raises(Conflict) as refused:
                action()
            assert refused.value.code == "phase_closed"
    early = world.round(PhaseKind.NEEDS, now=timezone.now() + 30 * DAY, budget="30000", title="下一轮")
    with pytest.raises(Conflict) as refused:
        name(world, early)
    assert refused.value.code == "phase_closed"
    draft = world.round(PhaseKind.NEEDS, open=False, budget="20000", title="草稿轮")
    with pytest.raises(Conflict) as refused:
        name(world, draft)
    assert refused.value.code == "round_not_open"
    assert Need.objects.count() == 2 and not NeedSupport.objects.exists()


# --- supporting -------------------------------------------------------------------------------------------------

def test_a_resident_supports_a_need_once(world, r):
    need = name(world, r)
    assert need_support(actor=world.residents[0], need=need).supporters == 1
    assert need_support(actor=world.residents[0], need=need).supporters == 1  # again: quiet
    assert need_support(actor=world.residents[3], need=need).supporters == 2
    assert need_support(actor=world.city.users["volunteer"], need=need).supporters == 3  # a resident who volunteers
    assert consistent(need) and AuditLog.objects.filter(action="grants.need.support").count() == 3


def test_supporting_a_merged_need_supports_the_need_it_joined(world, r):
    kept, dup = name(world, r), name(world, r, 1, text="楼梯扶手")
    need_support(actor=world.residents[2], need=kept)
    need_merge(actor=world.staff, need=dup, into=kept)
    dup.refresh_from_db()
    landed = need_support(actor=world.residents[3], need=dup)
    assert landed == kept and landed.supporters == 2
    assert need_support(actor=world.residents[2], need=dup).supporters == 2  # already behind the need it joined
    assert not NeedSupport.objects.filter(need=dup).exists() and consistent(kept, dup)


# --- merging ----------------------------------------------------------------------------------------------------

def test_a_merge_moves_supports_once_per_person_and_the_proposals_answering_it(world):
    r = overlapping_round(world)
    kept, dup = name(world, r, 0), name(world, r, 1, text="老人上下楼难")
    for i in (0, 1):
        need_support(actor=world.residents[i], need=kept)
    for i in (1, 2, 3):
        need_support(actor=world.residents[i], need=dup)
    answers_dup = proposal_submit(actor=world.managers["长者互助队"],
                                  proposal=proposal_save(**proposal_args(world, r, needs=[dup])))
    answers_both = proposal_save(**proposal_args(world, r, "青年志愿者协会", title="青年陪伴", needs=[dup, kept]))
    survivor = need_merge(actor=world.staff, need=dup, into=kept)
    assert survivor == kept and survivor.supporters == 4  # residents 0-3, resident 1 once
    dup.refresh_from_db()
    assert dup.merged_into == kept and dup.supporters == 0
    assert consistent(kept, dup)
    assert set(NeedSupport.objects.filter(need=kept).values_list("user_id", flat=True)) == {u.pk for u in world.residents[:4]}
    assert list(answers_dup.needs.all()) == [kept] and list(answers_both.needs.all()) == [kept]
    assert not Proposal.needs.through.objects.filter(need=dup).exists()
    logged = AuditLog.objects.get(action="grants.need.merge")
    assert logged.object_id == str(dup.pk) and logged.after == {"merged_into": kept.pk, "supporters": 4}
    assert need_merge(actor=world.staff, need=dup, into=kept) == kept  # again: quiet
    assert AuditLog.objects.filter(action="grants.need.merge").count() == 1


def test_merging_a_need_that_absorbed_others_takes_them_along(world, r):
    a, b, c = name(world, r, 0, text="甲"), name(world, r, 1, text="乙"), name(world, r, 2, text="丙")
    need_support(actor=world.residents[4], need=c)
    need_merge(actor=world.staff, need=c, into=b)
    need_merge(actor=world.staff, need=b, into=a)
    c.refresh_from_db()
    assert c.merged_into == a  # no chains
    assert need_support(actor=world.residents[5], need=c) == a
    a.refresh_from_db()
    assert a.supporters == 2 and consistent(a, b, c)


def test_what_cannot_be_merged(world, r):
    a, b, c = name(world, r, 0, text="甲"), name(world, r, 1, text="乙"), name(world, r, 2, text="丙")
    with pytest.raises(ValidationFailed) as refused:
        need_merge(actor=world.staff, need=a, into=a)
    assert refused.value.code == "merge_into_itself"
    need_merge(actor=world.staff, need=b, into=a)
    b.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        need_merge(actor=world.staff, need=b, into=c)
    assert refused.value.code == "already_merged"
    with pytest.raises(ValidationFailed) as refused:
        need_merge(actor=world.staff, need=c, into=b)
    assert refused.value.code == "into_merged"
    other = world.round(PhaseKind.NEEDS, budget="30000", title="第二轮")
    elsewhere = name(world, other, 3, text="丁")
    with pytest.raises(ValidationFailed) as refused:
        need_merge(actor=world.staff, need=c, into=elsewhere)
    assert refused.value.code == "need_other_round"
    c.refresh_from_db()
    assert c.merged_into is None and AuditLog.objects.filter(action="grants.need.merge").count() == 1


@pytest.mark.parametrize("role", [*NOT_ROUND_STAFF, "resident"])
def test_only_the_rounds_staff_merge(world, r, role):
    actor = world.residents[0] if role == "resident" else world.city.users[role]
    a, b = name(world, r, 0, text="甲"), name(world, r, 1, text="乙")
    need_support(actor=world.residents[2], need=b)
    with pytest.raises(PermissionDenied) as refused:
        need_merge(actor=actor, need=b, into=a)
    assert refused.value.code == "not_round_staff"
    b.refresh_from_db()
    assert b.merged_into is None and b.supporters == 1 and consistent(a, b)


@pytest.mark.parametrize("role", ["street_officer", "district_admin", "city_admin", "finance", "agency_manager"])
def test_the_rounds_staff_merge(world, r, role):
    a, b = name(world, r, 0, text="甲"), name(world, r, 1, text="乙")
    assert need_merge(actor=world.city.users[role], need=b, into=a) == a


# --- the public list --------------------------------------------------------------------------------------------

def test_the_public_list_is_most_supported_first_without_merged_needs(world, django_assert_num_queries):
    r = overlapping_round(world)
    a, b, c, d = (name(world, r, i, text=t) for i, t in enumerate(["甲", "乙", "丙", "丁"]))
    for i in range(3):
        need_support(actor=world.residents[i], need=c)
    need_support(actor=world.residents[0], need=b)
    need_support(actor=world.residents[0], need=d)
    need_merge(actor=world.staff, need=d, into=a)
    proposal_submit(actor=world.managers["长者互助队"], proposal=proposal_save(**proposal_args(world, r, needs=[c, a])))
    proposal_save(**proposal_args(world, r, "青年志愿者协会", title="草稿", needs=[c]))  # a draft is not counted
    with django_assert_num_queries(1):
        shown = [(n.text, n.supporters, n.proposal_count, n.community.name) for n in sel.needs_public(r)]
    assert shown == [("丙", 3, 1, "盐运西社区"), ("甲", 1, 1, "盐运西社区"), ("乙", 1, 0, "都府社区")]
