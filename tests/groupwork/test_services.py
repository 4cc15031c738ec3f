"""The rules of group and community work, one test each, each refusal with its code and nothing half-saved; the database
constraints; the counts the monthly report takes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from shanlian.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from shanlian.core.monthly import declared_sections
from shanlian.groupwork import selectors as sel
from shanlian.groupwork import services as gs
from shanlian.groupwork.models import Attendance, Member, Programme, Session, person_times

from .conftest import ELDER, days_ago


def _codes(exc) -> set[str]:
    return {exc.value.code} | {code for errs in exc.value.fields.values() for code, _m in errs}


def _record(site, programme=None, actor="station_worker", **kw):
    args = {"actor": site.users[actor], "programme": programme or site.group, "held_on": days_ago(1), "starts_at": dt.time(9, 30),
                "minutes": 90, "venue": "活动室", "theme": "主题", "workers": [site.users["station_worker"]],
            "present": [site.people[ELDER]]}
    args.update(kw)
    return gs.session_record(**args)


def test_person_times_are_present_plus_headcount_and_stored(site, db):
    assert person_times(3, 180) == 183
    s = Session.objects.get(pk=site.sessions[2].pk)
    assert (s.present_count, s.headcount, s.person_times) == (1, 180, 181)
    assert [x.person_times for x in Session.objects.filter(programme=site.group).order_by("number")] == [5, 3]


def test_the_first_session_starts_the_programme(site, db):
    assert Programme.objects.get(pk=site.group.pk).status == "running"
    assert Programme.objects.get(pk=site.far.pk).status == "planned"
    _record(site, programme=site.far, actor="other_worker", workers=[site.users["other_worker"]], present=[site.people["东兴居民"]])
    assert Programme.objects.get(pk=site.far.pk).status == "running"


def test_sessions_are_numbered_in_order(site, db):
    made = _record(site)
    assert made.number == 3 and made.attendance.count() == 1


@pytest.mark.parametrize("kw, code", [
    ({"held_on": "future"}, "date_in_future"),
    ({"held_on": "old"}, "date_too_old"),
    ({"minutes": 5}, "too_small"),
    ({"minutes": 600}, "too_large"),
    ({"minutes": "90.5"}, "not_whole"),
    ({"headcount": 10}, "headcount_not_for_group"),
    ({"present": "non_member"}, "not_member"),
    ({"present": "twice"}, "duplicate_attendance"),
    ({"workers": "other"}, "worker_other_station"),
    ({"workers": []}, "required"),
    ({"venue": ""}, "required"),
    ({"theme": "x" * 65}, "too_long"),
    ({"present": []}, "nobody_present"),
    ({"volunteers": 501}, "too_large"),
])
def test_bad_sessions_are_refused_and_nothing_is_saved(site, db, kw, code):
    fixed = dict(kw)
    if fixed.get("held_on") == "future":
        fixed["held_on"] = timezone.localdate() + dt.timedelta(days=1)
    if fixed.get("held_on") == "old":
        fixed["held_on"] = days_ago(400)
    if fixed.get("present") == "non_member":
        fixed["present"] = [site.people["周叔"]]
    if fixed.get("present") == "twice":
        fixed["present"] = [site.people[ELDER], site.people[ELDER]]
    if fixed.get("workers") == "other":
        fixed["workers"] = [site.users["other_worker"]]
    before = (Session.objects.count(), Attendance.objects.count())
    with pytest.raises(DomainError) as e:
        _record(site, **fixed)
    assert code in _codes(e)
    assert (Session.objects.count(), Attendance.objects.count()) == before


def test_a_community_activity_takes_a_headcount(site, db):
    made = _record(site, programme=site.activity, present=[], headcount=64)
    assert made.person_times == 64


def test_an_ended_programme_takes_no_more(site, db):
    ended = gs.programme_end(actor=site.users["station_worker"], programme=site.group, summary="八节小组完成，组员能自行记录血压。")
    assert ended.status == "ended" and ended.ended_on == timezone.localdate()
    again = gs.programme_end(actor=site.users["station_worker"], programme=site.group, summary="再次结束也不会报错的总结")
    assert again.summary.startswith("八节")  # quietly, as it was
    with pytest.raises(Conflict) as e:
        _record(site)
    assert e.value.code == "programme_ended"
    with pytest.raises(Conflict) as e:
        gs.members_enrol(actor=site.users["station_worker"], programme=site.group, people=[site.people["周叔"]])
    assert e.value.code == "programme_ended"


def test_ending_needs_a_summary(site, db):
    with pytest.raises(DomainError) as e:
        gs.programme_end(actor=site.users["station_worker"], programme=site.group, summary="短")
    assert "summary_too_short" in _codes(e)
    assert Programme.objects.get(pk=site.group.pk).status == "running"


def test_enrolment_rules(site, db):
    worker = site.users["station_worker"]
    with pytest.raises(Conflict) as e:
        gs.members_enrol(actor=worker, programme=site.group, people=[site.people[ELDER]])
    assert e.value.code == "already_member"
    with pytest.raises(DomainError) as e:
        gs.members_enrol(actor=worker, programme=site.group, people=[site.people["东兴居民"]])
    assert "person_outside_station" in _codes(e)
    with pytest.raises(DomainError) as e:
        gs.members_enrol(actor=worker, programme=site.group, people=[site.people["周叔"], site.people["周叔"]])
    assert "duplicate_member" in _codes(e)
    assert Member.objects.filter(programme=site.group).count() == 5


def test_a_member_leaves_and_stays_on_the_record(site, db):
    worker = site.users["station_worker"]
    member = Member.objects.get(programme=site.group, person=site.people["梁姨"])  # came to the session 35 days ago only
    for day, code in [(days_ago(-1), "date_in_future"), (days_ago(41), "before_joined")]:
        with pytest.raises(DomainError) as e:
            gs.member_leave(actor=worker, member=member, left_on=day)
        assert code in _codes(e)
    mid = Member.objects.get(programme=site.group, person=site.people[ELDER])  # came 35 and 28 days ago
    with pytest.raises(DomainError) as e:
        gs.member_leave(actor=worker, member=mid, left_on=days_ago(30))
    assert "attended_after" in _codes(e) and Member.objects.get(pk=mid.pk).left_on is None
    with pytest.raises(NotFound):
        gs.member_leave(actor=site.users["other_worker"], member=member)
    gs.member_leave(actor=worker, member=member, left_on=days_ago(20))
    assert Member.objects.get(pk=member.pk).left_on == days_ago(20) and member.attendance.count() == 1
    with pytest.raises(Conflict) as c:
        gs.member_leave(actor=worker, member=member)
    assert c.value.code == "already_left"
    with pytest.raises(DomainError) as e:  # not marked present after leaving; before it, yes
        _record(site, present=[site.people["梁姨"]])
    assert "not_member" in _codes(e)
    assert _record(site, held_on=days_ago(21), present=[site.people["梁姨"]]).present_count == 1
    view = sel.programme_view(worker, site.group)
    assert view.member_count == 4 and len(view.members) == 5
    assert site.people["梁姨"] not in [m.person for m in sel.members_of(site.group)]


def test_a_member_who_left_is_enrolled_again_as_a_new_period(site, db):
    worker, liang = site.users["station_worker"], site.people["梁姨"]
    first = Member.objects.get(programme=site.group, person=liang)  # joined 40 days ago, came 35 days ago
    gs.member_leave(actor=worker, member=first, left_on=timezone.localdate())
    with pytest.raises(Conflict) as e:  # back on the day she left: the periods would meet
        gs.members_enrol(actor=worker, programme=site.group, people=[liang])
    assert "rejoined_before_left" in _codes(e) and Member.objects.filter(programme=site.group, person=liang).count() == 1
    Member.objects.filter(pk=first.pk).update(left_on=days_ago(20))
    assert liang in sel.people_to_enrol(site.group)  # offered again on the enrol page
    again = gs.members_enrol(actor=worker, programme=site.group, people=[liang])[0]  # today
    assert again.pk != first.pk and (again.joined_on, again.left_on) == (timezone.localdate(), None)
    assert liang not in sel.people_to_enrol(site.group)
    with pytest.raises(Conflict) as e:
        gs.members_enrol(actor=worker, programme=site.group, people=[liang])
    assert e.value.code == "already_member"
    # a session of the first period counts there, one after the return in the new one; the days away in neither
    assert _record(site, held_on=days_ago(21), present=[liang]).attendance.get().member_id == first.pk
    with pytest.raises(DomainError) as e:
        _record(site, held_on=days_ago(1), present=[liang])
    assert "not_member" in _codes(e)
    assert _record(site, held_on=timezone.localdate(), present=[liang]).attendance.get().member_id == again.pk
    view = sel.programme_view(worker, site.group)
    assert view.member_count == 5
    assert [(m.pk, m.returned) for m in view.members if m.person_id == liang.pk] == [(first.pk, False), (again.pk, True)]
    with pytest.raises(Conflict):  # the first period is over; the new one may end
        gs.member_leave(actor=worker, member=first)
    assert gs.member_leave(actor=worker, member=again).left_on == timezone.localdate()


def test_the_database_allows_one_current_membership_a_person(site, db):
    member = Member.objects.filter(programme=site.group).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(programme=site.group, person=member.person, joined_on=member.joined_on)
    Member.objects.filter(pk=member.pk).update(left_on=days_ago(10))
    Member.objects.create(programme=site.group, person=member.person, joined_on=days_ago(5))  # a second period


def test_the_database_keeps_a_member_s_period(site, db):
    member = Member.objects.filter(programme=site.group).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(left_on=member.joined_on - dt.timedelta(days=1))


@pytest.mark.parametrize("kw, code", [
    ({"kind": "group", "group_type": ""}, "group_type_required"),
    ({"kind": "community", "group_type": "support"}, "group_type_not_for_activity"),
    ({"planned_sessions": 0}, "too_small"),
    ({"planned_sessions": 61}, "too_large"),
    ({"care_area": "nope"}, "invalid_choice"),
    ({"leaders": "other"}, "worker_other_station"),
    ({"title": ""}, "required"),
])
def test_bad_programmes_are_refused(site, db, kw, code):
    args = {"actor": site.users["station_worker"], "station": site.city.stations["北京街"], "kind": "group", "title": "新小组",
                "care_area": "elderly", "group_type": "support", "planned_sessions": 6, "starts_on": days_ago(0),
                "leaders": [site.users["station_worker"]]}
    args.update(kw)
    if args["leaders"] == "other":
        args["leaders"] = [site.users["other_worker"]]
    before = Programme.objects.count()
    with pytest.raises(DomainError) as e:
        gs.programme_create(**args)
    assert code in _codes(e)
    assert Programme.objects.count() == before


@pytest.mark.parametrize("who", ["other_worker", "street_officer", "district_admin", "volunteer", "donor", "finance", "nobody"])
def test_only_the_station_team_writes(site, db, who):
    with pytest.raises((PermissionDenied, NotFound)) as e:
        _record(site, actor=who)
    expected = PermissionDenied if who in ("street_officer", "district_admin") else NotFound
    assert isinstance(e.value, expected)
    with pytest.raises(PermissionDenied):
        gs.programme_create(actor=site.users[who], station=site.city.stations["北京街"], kind="community", title="x",
                            care_area="elderly", planned_sessions=1, starts_on=days_ago(0), leaders=[site.users["station_worker"]])


def test_the_database_holds_the_invariants(site, db):
    s = site.sessions[0]
    for change in ({"headcount": -1}, {"minutes": 5}, {"person_times": 999}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Session.objects.filter(pk=s.pk).update(**change)
    with pytest.raises(IntegrityError), transaction.atomic():
        a = Attendance.objects.filter(session=s).first()
        Attendance.objects.create(session=s, member=a.member, person=a.person)
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=site.sessions[1].pk).update(number=1)


def test_station_counts_and_the_monthly_sections(site, db):
    bjj, spj = site.city.stations["北京街"].pk, site.city.stations["石牌街"].pk
    start, end = days_ago(60), days_ago(-1)
    counts = sel.station_counts([bjj, spj], start, end)
    assert counts[bjj]["group"] == {"programmes": 1, "sessions": 2, "person_times": 8}
    assert counts[bjj]["community"] == {"programmes": 1, "sessions": 1, "person_times": 181}
    assert spj not in counts
    sections = {s.key: s for s in declared_sections()}
    assert sections["group_work"].counts([bjj, spj], start, end) == {bjj: {"groups": 1, "sessions": 2, "person_times": 8}}
    assert sections["community_work"].counts([bjj, spj], start, end) == {bjj: {"activities": 1, "sessions": 1, "person_times": 181}}
    # `end` is exclusive: a period ending on the day of the second session leaves it out
    assert sel.station_counts([bjj], start, days_ago(28))[bjj]["group"]["sessions"] == 1


def test_station_counts_take_one_query(site, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        sel.station_counts([s.pk for s in site.city.stations.values()], days_ago(60), days_ago(-1))
