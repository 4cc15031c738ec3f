"""The hub's demo on a small 越秀区 with the demo's logins: offers from a hospital, a school, firms and a department,
needs of three stations, matched, partly delivered and confirmed; a second run writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from shanlian.core.scoping import Role
from shanlian.demo.resources import seed_resources
from shanlian.orgs.models import Station
from shanlian.places.models import Level
from shanlian.resources import monthly
from shanlian.resources.models import Delivery, Match, Need, Offer, Partner
from tests import factories as f


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]), \
            transaction.atomic():
        gz = f.division("广州市", Level.CITY, "440100")
        yx = f.division("越秀区", Level.DISTRICT, "440104", gz)
        streets = [f.division(name, Level.STREET, f"44010400{i}", yx) for i, name in enumerate(["北京街道", "人民街道", "东山街道"], 1)]
        for s in streets:
            f.division(f"{s.name[:2]}社区", Level.COMMUNITY, f"{s.code}001", s)
        agency = f.organization("广州市越秀区启明社会工作服务中心", district=yx, is_agency=True)
        stations = [f.station(s, agency) for s in streets]
        get_user_model().objects.create_superuser("admin", password=f.PASSWORD)
        f.user_with_role("city_admin", Role.CITY_ADMIN, gz)
        f.user_with_role("district_admin", Role.DISTRICT_ADMIN, yx)
        f.user_with_role("station_worker", Role.STATION_WORKER, stations[0])
        first = seed_resources()
        second = seed_resources()
        yield first, second
        transaction.set_rollback(True)


def test_the_demo_is_written_once(seeded, db):
    first, second = seeded
    assert first["resource_partners"] == 6 and first["resource_offers"] == 8 and first["resource_needs"] == 11
    assert first["resource_matches"] == Match.objects.count() > 5
    assert not second and Offer.objects.count() == 8


def test_the_demo_has_every_stage(seeded, db):
    assert {p.kind for p in Partner.objects.all()} == {"hospital", "school", "firm", "government"}
    assert Delivery.objects.filter(confirmed_at__isnull=False).exists()
    assert Delivery.objects.filter(confirmed_at__isnull=True).exists()
    assert Match.objects.filter(outstanding__gt=0, delivered=0).exists()
    for n in Need.objects.all():
        assert n.committed <= n.quantity


def test_last_month_s_report_counts_what_was_handed_over_and_no_delivery_precedes_its_match(seeded, db):
    today = timezone.localdate()
    month_end = today.replace(day=1)
    month_start = (month_end - dt.timedelta(days=1)).replace(day=1)
    figures = monthly.counts(list(Station.objects.values_list("pk", flat=True)), month_start, month_end)
    assert sum(f["deliveries"] for f in figures.values()) >= 3 and sum(f["partners"] for f in figures.values()) >= 2
    for d in Delivery.objects.select_related("match"):
        assert timezone.localdate(d.match.committed_at) <= d.delivered_on <= today
        assert d.confirmed_at is None or timezone.localdate(d.confirmed_at) >= d.delivered_on
    assert Delivery.objects.filter(delivered_on=today, confirmed_at__isnull=True).exists()  # today's clinic, to confirm
