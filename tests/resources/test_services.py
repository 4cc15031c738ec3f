"""The hub's rules, one test each: proposing, committing (quantities, fit, scope, all or nothing), delivering,
confirming, cancelling, conservation in Python and in the database, and the partners' record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from shanlian.core.models import AuditLog
from shanlian.resources import selectors as sel
from shanlian.resources import services as rs
from shanlian.resources.models import Match, Need, Offer


def _code(exc_info) -> str:
    return exc_info.value.code


def _fresh(row):
    row.refresh_from_db()
    return row


def _conserved() -> None:
    """Every offer's and need's committed is the sum of its live and cancelled matches' committed; each match conserves."""
    for o in Offer.objects.all():
        assert o.committed == (Match.objects.filter(offer=o).aggregate(s=Sum("committed"))["s"] or 0)
    for n in Need.objects.all():
        assert n.committed == (Match.objects.filter(need=n).aggregate(s=Sum("committed"))["s"] or 0)
    for m in Match.objects.all():
        assert m.committed == m.delivered + m.outstanding and m.confirmed <= m.delivered


def test_proposal_for_the_district(hub, db):
    proposed = sel.proposal_for_area(hub.users["district_admin"], hub.city.districts["越秀"])
    got = {(p.offer, p.need): p.quantity for p in proposed.plan.proposals}
    o, n = hub.offers, hub.needs
    # The hospital's 100 are split over 北京街 and 人民街 (110 needed, both as near); 石牌街 (天河) is not in 越秀's batch.
    assert got[(o["clinic"].pk, n["bjj_clinic"].pk)] + got[(o["clinic"].pk, n["rmj_clinic"].pk)] == 100
    assert got[(o["tutoring"].pk, n["bjj_tutoring"].pk)] == 20
    assert got[(o["money"].pk, n["bjj_money"].pk)] == 200050  # fen
    assert n["spj_clinic"].pk not in {p.need for p in proposed.plan.proposals}
    row = next(r for r in proposed.rows() if r[1].pk == n["bjj_clinic"].pk)
    assert row[3].by_area


def test_only_officers_match(hub, db):
    with pytest.raises(PermissionDenied) as e:
        sel.proposal_for_area(hub.users["station_worker"], hub.city.streets["北京街"])
    assert _code(e) == "not_matcher"
    with pytest.raises(PermissionDenied):
        rs.matches_commit(actor=hub.users["station_worker"], choices=[(hub.offers["clinic"].pk, hub.needs["bjj_clinic"].pk, 1)])
    with pytest.raises(PermissionDenied):  # a street officer matches in their street only
        sel.proposal_for_area(hub.users["street_officer"], hub.city.streets["人民街"])


def test_a_need_outside_the_officers_area_is_not_found(hub, db):
    with pytest.raises(NotFound):
        rs.matches_commit(actor=hub.users["street_officer"], choices=[(hub.offers["clinic"].pk, hub.needs["rmj_clinic"].pk, 1)])


def test_commit_then_the_reason_is_kept(hub, db):
    made = rs.matches_commit(actor=hub.users["street_officer"], choices=[(hub.offers["clinic"].pk, hub.needs["bjj_clinic"].pk, 30)])
    m = made[0]
    assert (m.committed, m.delivered, m.outstanding) == (30, 0, 30)
    assert "义诊" in m.reason and "越秀区" in m.reason and "盐运西社区" in m.reason
    assert _fresh(hub.offers["clinic"]).committed == 30 and _fresh(hub.needs["bjj_clinic"]).committed == 30
    assert AuditLog.objects.filter(action="resources.match_commit", object_id=str(m.pk)).exists()
    _conserved()


def test_a_match_beyond_the_offers_remaining_is_refused(hub, db):
    admin = hub.users["district_admin"]
    rs.matches_commit(actor=admin, choices=[(hub.offers["clinic"].pk, hub.needs["rmj_clinic"].pk, 80)])
    with pytest.raises(Conflict) as e:
        rs.matches_commit(actor=admin, choices=[(hub.offers["clinic"].pk, hub.needs["bjj_clinic"].pk, 21)])
    assert _code(e) == "offer_exceeded"
    assert _fresh(hub.needs["bjj_clinic"]).committed == 0


def test_a_match_beyond_what_the_need_lacks_is_refused(hub, db):
    with pytest.raises(Conflict) as e:
        rs.matches_commit(actor=hub.users["district_admin"], choices=[(hub.offers["clinic"].pk, hub.needs["bjj_clinic"].pk, 31)])
    assert _code(e) == "need_exceeded"


def test_nothing_half_saved(hub, db):
    """The second pair does not fit (a tutoring offer for a clinic need): the first is not committed either."""
    with pytest.raises(Conflict) as e:
        rs.matches_commit(actor=hub.users["district_admin"], choices=[
            (hub.offers["clinic"].pk, hub.needs["bjj_clinic"].pk, 5), (hub.offers["tutoring"].pk, hub.needs["rmj_clinic"].pk, 5)])
    assert _code(e) == "pair_not_eligible"
    assert not Match.objects.exists() and _fresh(hub.offers["clinic"]).committed == 0


def test_area_and_dates_must_fit(hub, db):
    later = rs.offer_register(actor=hub.users["station_worker"], partner=hub.partners["school"], category=hub.cats["义诊"],
                              title="晚到的义诊", quantity="5", division=hub.city.streets["北京街"],
                              available_from=timezone.localdate() + dt.timedelta(days=60))
    with pytest.raises(Conflict) as e:  # available only after the need's date
        rs.matches_commit(actor=hub.users["district_admin"], choices=[(later.pk, hub.needs["bjj_clinic"].pk, 1)])
    assert _code(e) == "pair_not_eligible"
    with pytest.raises(Conflict):  # 北京街's school does not serve 人民街
        rs.matches_commit(actor=hub.users["district_admin"], choices=[(hub.offers["tutoring"].pk, hub.needs["rmj_clinic"].pk, 1)])


def test_a_pair_is_matched_once(hub, db):
    choice = [(hub.offers["clinic"].pk, hub.needs["bjj_clinic"].pk, 5)]
    rs.matches_commit(actor=hub.users["district_admin"], choices=choice)
    with pytest.raises(Conflict) as e:
        rs.matches_commit(actor=hub.users["district_admin"], choices=choice)
    assert _code(e) == "already_matched"


def test_withdrawn_offers_and_closed_needs_are_not_matched(hub, db):
    rs.offer_withdraw(actor=hub.users["district_admin"], offer=hub.offers["clinic"])
    with pytest.raises(Conflict) as e:
        rs.matches_commit(actor=hub.users["district_admin"], choices=[(hub.offers["clinic"].pk, hub.needs["bjj_clinic"].pk, 1)])
    assert _code(e) == "offer_withdrawn"
    rs.need_close(actor=hub.users["station_worker"], need=hub.needs["bjj_tutoring"])
    with pytest.raises(Conflict) as e:
        rs.matches_commit(actor=hub.users["district_admin"], choices=[(hub.offers["tutoring"].pk, hub.needs["bjj_tutoring"].pk, 1)])
    assert _code(e) == "need_closed"


def test_deliver_confirm_cancel_conserve(hub, db):
    m = rs.matches_commit(actor=hub.users["district_admin"], choices=[(hub.offers["money"].pk, hub.needs["bjj_money"].pk, 200050)])[0]
    d1 = rs.delivery_record(actor=hub.users["org_manager"], match=m, quantity="1000.25")  # the partner's side
    m = _fresh(m)
    assert (m.delivered, m.outstanding) == (100025, 100025)
    with pytest.raises(Conflict) as e:
        rs.delivery_record(actor=hub.users["org_manager"], match=m, quantity="1000.26")
    assert _code(e) == "over_delivery"
    with pytest.raises(PermissionDenied) as e:  # the giver does not confirm its own gift
        rs.delivery_confirm(actor=hub.users["org_manager"], delivery=d1)
    assert _code(e) == "not_receiver"
    with pytest.raises(PermissionDenied):  # nor another station
        rs.delivery_confirm(actor=hub.users["other_worker"], delivery=d1)
    rs.delivery_confirm(actor=hub.users["station_worker"], delivery=d1)
    rs.delivery_confirm(actor=hub.users["station_worker"], delivery=d1)  # a second time: quiet
    assert _fresh(m).confirmed == 100025
    m = rs.match_cancel(actor=hub.users["street_officer"], match=m)  # releases the rest
    assert (m.committed, m.delivered, m.outstanding, m.cancelled) == (100025, 100025, 0, True)
    assert _fresh(hub.offers["money"]).remaining == 500000 - 100025
    with pytest.raises(Conflict) as e:
        rs.delivery_record(actor=hub.users["station_worker"], match=m, quantity="1")
    assert _code(e) == "match_cancelled"
    _conserved()


def test_a_delivery_is_not_dated_before_its_match_was_committed(hub, db):
    m = rs.matches_commit(actor=hub.users["district_admin"], choices=[(hub.offers["clinic"].pk, hub.needs["rmj_clinic"].pk, 10)])[0]
    with pytest.raises(ValidationFailed) as e:
        rs.delivery_record(actor=hub.users["district_admin"], match=m, quantity="1",
                           delivered_on=timezone.localdate() - dt.timedelta(days=1))
    assert _code(e) == "before_match" and "before_match" in e.value.fields["delivered_on"][0]
    assert _fresh(m).delivered == 0 and not m.deliveries.exists()
    rs.delivery_record(actor=hub.users["district_admin"], match=m, quantity="1", delivered_on=timezone.localdate())
    assert _fresh(m).delivered == 1


def test_strangers_do_not_record_deliveries(hub, db):
    m = rs.matches_commit(actor=hub.users["district_admin"], choices=[(hub.offers["clinic"].pk, hub.needs["rmj_clinic"].pk, 10)])[0]
    with pytest.raises(PermissionDenied) as e:
        rs.delivery_record(actor=hub.users["other_worker"], match=m, quantity="1")
    assert _code(e) == "not_delivery_party"


def test_the_database_conserves_quantities(hub, db):
    m = rs.matches_commit(actor=hub.users["district_admin"], choices=[(hub.offers["clinic"].pk, hub.needs["rmj_clinic"].pk, 10)])[0]
    for change in ({"delivered": 3}, {"confirmed": 1}, {"outstanding": 11}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Match.objects.filter(pk=m.pk).update(**change)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=hub.offers["clinic"].pk).update(committed=101)
    with pytest.raises(IntegrityError), transaction.atomic():
        Need.objects.filter(pk=hub.needs["rmj_clinic"].pk).update(station=None)


def test_needs_are_the_stations_own(hub, db):
    args = {"category": hub.cats["义诊"], "title": "x", "quantity": "1", "needed_by": timezone.localdate() + dt.timedelta(days=3)}
    with pytest.raises(PermissionDenied) as e:
        rs.need_register(actor=hub.users["other_worker"], station=hub.city.stations["北京街"],
                         division=hub.city.streets["北京街"], **args)
    assert _code(e) == "not_station_staff"
    with pytest.raises(ValidationFailed) as e:
        rs.need_register(actor=hub.users["station_worker"], station=hub.city.stations["北京街"],
                         division=hub.city.streets["人民街"], **args)
    assert _code(e) == "division_out_of_area"


@pytest.mark.parametrize(("change", "code"), [
    ({"quantity": "1.5"}, "not_whole"), ({"quantity": "0"}, "too_small"), ({"quantity": "1e3"}, "invalid_number"),
    ({"needed_by": dt.date(2020, 1, 1)}, "date_past"), ({"title": ""}, "required"),
    ({"category": "money", "quantity": "10.005"}, "money_precision"), ({"source_kind": "case"}, "invalid_source"),
    ({"latitude": "23.1"}, "point_incomplete"),
])
def test_bad_need_input(hub, db, change, code):
    args = {"category": hub.cats["义诊"], "title": "义诊", "quantity": "1", "needed_by": timezone.localdate() + dt.timedelta(days=3),
            "station": hub.city.stations["北京街"], "division": hub.city.streets["北京街"], **change}
    if args["category"] == "money":
        args["category"] = hub.cats["慈善资金"]
    with pytest.raises(ValidationFailed) as e:
        rs.need_register(actor=hub.users["station_worker"], **args)
    assert code in {e.value.code, *(c for errs in e.value.fields.values() for c, _m in errs)}
    assert not Need.objects.filter(title="义诊").exists()


def test_offers_are_registered_by_the_partners_side(hub, db):
    args = {"category": hub.cats["粮油"], "title": "大米", "quantity": "50", "available_from": timezone.localdate()}
    made = rs.offer_register(actor=hub.users["org_manager"], partner=hub.partners["fund"], division=hub.city.city, **args)
    assert made.kind == "goods" and made.quantity == 50
    with pytest.raises(PermissionDenied) as e:  # an organization's manager does not speak for the hospital
        rs.offer_register(actor=hub.users["org_manager"], partner=hub.partners["hospital"], division=hub.city.city, **args)
    assert _code(e) == "not_partner_manager"
    with pytest.raises(PermissionDenied):  # nor 石牌街's worker for 北京街's school
        rs.offer_register(actor=hub.users["other_worker"], partner=hub.partners["school"],
                          division=hub.city.streets["北京街"], **args)
    with pytest.raises(ValidationFailed) as e:
        rs.offer_register(actor=hub.users["org_manager"], partner=hub.partners["fund"], division=hub.city.city,
                          **{**args, "available_until": args["available_from"] - dt.timedelta(days=1)})
    assert _code(e) == "dates_reversed"


def test_partners_are_registered_in_ones_area(hub, db):
    with pytest.raises(PermissionDenied):
        rs.partner_register(actor=hub.users["station_worker"], name="石牌超市", kind="firm", division=hub.city.streets["石牌街"])
    again = rs.partner_register(actor=hub.users["district_admin"], name="越秀区中医院", kind="hospital",
                                division=hub.city.districts["越秀"])
    assert again.pk == hub.partners["hospital"].pk
    with pytest.raises(PermissionDenied):
        rs.category_create(actor=hub.users["station_worker"], name="衣物", kind="goods", unit="件")


def test_what_each_partner_gave(hub, db):
    m = rs.matches_commit(actor=hub.users["district_admin"], choices=[(hub.offers["clinic"].pk, hub.needs["rmj_clinic"].pk, 50)])[0]
    d = rs.delivery_record(actor=hub.users["district_admin"], match=m, quantity="40")
    rs.delivery_record(actor=hub.users["district_admin"], match=m, quantity="5")
    rs.delivery_confirm(actor=hub.users["agency_manager"], delivery=d)  # 启明 runs 人民街's station
    rows = sel.partner_gifts(hub.users["district_admin"], timezone.localdate().year)
    assert [(g.partner.name, g.delivered, g.confirmed, g.deliveries, g.needs) for g in rows] == [("越秀区中医院", 45, 40, 2, 1)]
    assert sel.partner_gifts(hub.users["other_worker"], timezone.localdate().year) == []  # 天河 sees none of it
    assert sel.partner_gifts(hub.users["district_admin"], timezone.localdate().year - 1) == []


def test_scopes_of_the_lists(hub, db):
    def needs(name):
        return set(sel.needs_visible(hub.users[name]).values_list("title", flat=True))

    def offers(name):
        return set(sel.offers_visible(hub.users[name]).values_list("title", flat=True))

    assert needs("station_worker") == {"独居长者义诊", "困境儿童课业辅导", "特困家庭临时救助"}
    assert needs("agency_manager") == needs("station_worker") | {"人民街长者义诊"}
    assert needs("other_worker") == {"石牌街义诊"}
    assert needs("street_officer") == needs("station_worker")
    assert "石牌街义诊" not in needs("district_admin") and "石牌街义诊" in needs("city_admin")
    assert needs("org_manager") == set()
    assert offers("other_worker") == {"助困资金"}  # the city-wide money serves 石牌街 too; 越秀's hospital does not
    assert offers("org_manager") == {"助困资金"}
    assert offers("station_worker") == {"社区义诊", "大学生志愿辅导", "助困资金"}
    for name in ("finance", "expert", "volunteer", "donor", "nobody"):
        with pytest.raises(PermissionDenied):
            sel.needs_visible(hub.users[name])
