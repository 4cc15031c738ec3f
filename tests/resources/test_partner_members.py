"""A partner's own staff: added and ended by those who manage the partner; a member acts for their partner alone
(offers registered, edited with a version check, withdrawn; deliveries recorded), sees a need raised from a case
without the beneficiary's words, and sees what the partner gave. Pages and API, with every refusal's code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from shanlian.resources import access
from shanlian.resources import selectors_partner as mine
from shanlian.resources import services as rs
from shanlian.resources.models import Need, OfferStatus, PartnerMember
from tests import factories as f


@pytest.fixture
def staff(hub, db):
    """陈志远 of the district hospital (a partner based in 越秀, managed by the district), a member of it."""
    user = f.user_with_role("hospital_staff", "", person_in=hub.city.communities["盐运西"], name="陈志远")
    rs.partner_member_add(actor=hub.users["district_admin"], partner=hub.partners["hospital"], person=user.person,
                          title="志愿服务部主任")
    hub.users["hospital_staff"] = user
    return user


def _commit(hub, offer, need, q):
    return rs.matches_commit(actor=hub.users["district_admin"], choices=[(offer.pk, need.pk, q)])[0]


# -- members -------------------------------------------------------------------------------------------------------

def test_the_district_adds_a_member_once_and_ends_it(hub, db):
    person = f.user_with_role("m1", "", person_in=hub.city.communities["盐运西"], name="王敏").person
    a = rs.partner_member_add(actor=hub.users["district_admin"], partner=hub.partners["hospital"], person=person, title="干事")
    again = rs.partner_member_add(actor=hub.users["district_admin"], partner=hub.partners["hospital"], person=person)
    assert again.pk == a.pk and a.active
    ended = rs.partner_member_end(actor=hub.users["district_admin"], member=a)
    assert not ended.active and ended.ended_at is not None
    assert rs.partner_member_end(actor=hub.users["district_admin"], member=a).ended_at == ended.ended_at  # quiet
    b = rs.partner_member_add(actor=hub.users["district_admin"], partner=hub.partners["hospital"], person=person)
    assert b.pk != a.pk  # a new membership after the ended one


def test_only_the_partners_managers_keep_its_members(hub, db):
    person = f.user_with_role("m2", "", person_in=hub.city.communities["盐运西"], name="李强").person
    for name in ("station_worker", "other_worker", "volunteer", "org_manager"):  # the hospital is based in 越秀 (district)
        with pytest.raises(PermissionDenied) as e:
            rs.partner_member_add(actor=hub.users[name], partner=hub.partners["hospital"], person=person)
        assert e.value.code == "not_partner_manager"
    # the school is based in 北京街: its station's worker manages it; the foundation's manager manages the foundation
    rs.partner_member_add(actor=hub.users["station_worker"], partner=hub.partners["school"], person=person)
    rs.partner_member_add(actor=hub.users["org_manager"], partner=hub.partners["fund"], person=person)


def test_a_member_needs_a_login_and_a_bounded_title(hub, db):
    nobody = f.person("无账号", hub.city.communities["盐运西"])
    with pytest.raises(Conflict) as e:
        rs.partner_member_add(actor=hub.users["district_admin"], partner=hub.partners["hospital"], person=nobody)
    assert e.value.code == "member_without_login"
    person = f.user_with_role("m3", "", person_in=hub.city.communities["盐运西"], name="赵六").person
    with pytest.raises(ValidationFailed):
        rs.partner_member_add(actor=hub.users["district_admin"], partner=hub.partners["hospital"], person=person, title="长" * 65)
    assert not PartnerMember.objects.filter(person=person).exists()


def test_the_database_keeps_one_active_membership(hub, staff, db):
    m = PartnerMember.objects.get(person=staff.person)
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerMember.objects.create(partner=m.partner, person=m.person)


# -- acting for the partner -----------------------------------------------------------------------------------------

def test_a_member_registers_edits_and_withdraws_an_offer(hub, staff, db):
    yx = hub.city.districts["越秀"]
    today = timezone.localdate()
    o = rs.offer_register(actor=staff, partner=hub.partners["hospital"], category=hub.cats["义诊"], title="上门义诊", quantity="20",
                          division=hub.city.streets["北京街"], available_from=today)
    assert o.version == 1
    o = rs.offer_update(actor=staff, offer=o, version=1, title="上门义诊（周六）", quantity="25", division=yx, available_from=today)
    assert (o.title, o.quantity, o.version, o.division_id) == ("上门义诊（周六）", 25, 2, yx.pk)
    with pytest.raises(Conflict) as e:  # a stale edit: version 1 was read
        rs.offer_update(actor=staff, offer=o, version=1, title="覆盖", quantity="5", division=yx, available_from=today)
    assert e.value.code == "stale_offer"
    o.refresh_from_db()
    assert o.title == "上门义诊（周六）"
    assert rs.offer_withdraw(actor=staff, offer=o).status == OfferStatus.WITHDRAWN
    with pytest.raises(Conflict) as e:
        rs.offer_update(actor=staff, offer=o, version=3, title="x", quantity="5", division=yx, available_from=today)
    assert e.value.code == "offer_withdrawn"


def test_a_member_acts_for_their_partner_only_and_within_its_area(hub, staff, db):
    today = timezone.localdate()
    with pytest.raises(PermissionDenied) as e:
        rs.offer_register(actor=staff, partner=hub.partners["school"], category=hub.cats["义诊"], title="x", quantity="1",
                          division=hub.city.streets["北京街"], available_from=today)
    assert e.value.code == "not_partner_manager"
    with pytest.raises(PermissionDenied):
        rs.offer_withdraw(actor=staff, offer=hub.offers["tutoring"])
    with pytest.raises(ValidationFailed) as e:  # 天河 is not the hospital's area
        rs.offer_register(actor=staff, partner=hub.partners["hospital"], category=hub.cats["义诊"], title="x", quantity="1",
                          division=hub.city.districts["天河"], available_from=today)
    assert e.value.code == "division_out_of_area"
    with pytest.raises(NotFound):
        mine.my_offer_get(staff, hub.offers["tutoring"].pk)
    assert [p.pk for p in mine.my_partners(staff)] == [hub.partners["hospital"].pk]


def test_an_ended_member_acts_no_more(hub, staff, db):
    rs.partner_member_end(actor=hub.users["district_admin"], member=PartnerMember.objects.get(person=staff.person))
    with pytest.raises(PermissionDenied) as e:
        mine.my_partners(staff)
    assert e.value.code == "not_partner_member"
    with pytest.raises(PermissionDenied):
        rs.offer_withdraw(actor=staff, offer=hub.offers["clinic"])


def test_a_committed_offer_changes_only_its_words_and_never_below_committed(hub, staff, db):
    offer, yx, today = hub.offers["clinic"], hub.city.districts["越秀"], timezone.localdate()
    _commit(hub, offer, hub.needs["bjj_clinic"], 30)
    offer.refresh_from_db()
    with pytest.raises(ValidationFailed) as e:
        rs.offer_update(actor=staff, offer=offer, version=offer.version, title="社区义诊", quantity="29", division=yx,
                        available_from=offer.available_from)
    assert e.value.code == "below_committed"
    with pytest.raises(Conflict) as e:
        rs.offer_update(actor=staff, offer=offer, version=offer.version, title="社区义诊", quantity="100",
                        division=hub.city.streets["北京街"], available_from=offer.available_from)
    assert e.value.code == "offer_committed"
    done = rs.offer_update(actor=staff, offer=offer, version=offer.version, title="社区中医义诊", quantity="120", division=yx,
                           available_from=offer.available_from)
    assert (done.quantity, done.committed, done.title) == (120, 30, "社区中医义诊")
    assert today  # (dates unchanged)


def test_a_member_records_a_delivery_and_sees_what_the_partner_gave(hub, staff, db):
    m = _commit(hub, hub.offers["clinic"], hub.needs["bjj_clinic"], 30)
    d = rs.delivery_record(actor=staff, match=mine.my_match_get(staff, m.pk), quantity="10", note="首场")
    rs.delivery_confirm(actor=hub.users["station_worker"], delivery=d)
    with pytest.raises(Conflict) as e:
        rs.delivery_record(actor=staff, match=m, quantity="21")
    assert e.value.code == "over_delivery"
    gifts = mine.my_gifts(staff, hub.partners["hospital"], timezone.localdate().year)
    assert [(g.category.name, g.delivered, g.confirmed) for g in gifts] == [("义诊", 10, 10)]
    assert timezone.localdate().year in mine.my_gift_years(hub.partners["hospital"])


def test_a_need_raised_from_a_case_is_shown_without_its_words(hub, staff, db):
    need = hub.needs["bjj_clinic"]
    Need.objects.filter(pk=need.pk).update(source_kind="case", source_id=7, title="陈秀英上门义诊",
                                           description="陈秀英，独居，糖尿病")
    m = _commit(hub, hub.offers["clinic"], Need.objects.get(pk=need.pk), 5)
    found = mine.my_match_get(staff, m.pk)
    title, about = access.need_shown_to_partner(found.need)
    assert "陈秀英" not in title and about == "" and "义诊" in title
    c = hub.client("hospital_staff")
    page = c.get(reverse("resources:mine_match", args=[m.pk])).content.decode()
    assert "陈秀英" not in page and "糖尿病" not in page
    body = c.get(f"/api/resources/mine/matches/{m.pk}").content.decode()
    assert "陈秀英" not in body and "糖尿病" not in body
    assert "陈秀英" not in c.get(reverse("resources:mine_home")).content.decode()


def test_another_partners_match_is_not_found(hub, staff, db):
    m = _commit(hub, hub.offers["tutoring"], hub.needs["bjj_tutoring"], 5)
    with pytest.raises(NotFound):
        mine.my_match_get(staff, m.pk)
    with pytest.raises(PermissionDenied):
        rs.delivery_record(actor=staff, match=m, quantity="1")


def test_dates_of_an_uncommitted_offer_change(hub, staff, db):
    o, yx, today = hub.offers["clinic"], hub.city.districts["越秀"], timezone.localdate()
    done = rs.offer_update(actor=staff, offer=o, version=o.version, title=o.title, quantity="100", division=yx,
                           available_from=today, available_until=today + dt.timedelta(days=10))
    assert done.available_until == today + dt.timedelta(days=10)
    with pytest.raises(ValidationFailed) as e:
        rs.offer_update(actor=staff, offer=done, version=done.version, title=o.title, quantity="100", division=yx,
                        available_from=today, available_until=today - dt.timedelta(days=1))
    assert e.value.code == "dates_reversed"
