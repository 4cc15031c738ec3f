import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from shanlian.core.errors import Conflict, ValidationFailed
from shanlian.orgs import services
from shanlian.orgs.models import Organization, OrgKind, Station
from tests import factories as f


def test_organization_fields_and_pinyin(city):
    org = city.orgs["启明"]
    assert org.name_initials == "gzsyxqqmshgzfwzx"
    assert org.grade == "4A" and org.grade_valid_until == dt.date(2027, 5, 1)
    assert org.grade_current(dt.date(2026, 11, 22)) == "4A"
    assert org.grade_current(dt.date(2027, 5, 1)) == ""


def test_invalid_credit_code_saves_nothing(city):
    before = Organization.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.organization_create(actor=None, name="坏代码协会", kind=OrgKind.ASSOCIATION, credit_code="12345",
                                     registered_on=dt.date(2020, 1, 1), division=city.districts["越秀"])
    assert exc.value.code == "invalid_credit_code" and "credit_code" in exc.value.fields
    assert Organization.objects.count() == before


def test_duplicate_credit_code_refused(city):
    with pytest.raises(Conflict) as exc:
        services.organization_create(actor=None, name="另一个名字", kind=OrgKind.ASSOCIATION,
                                     credit_code=city.orgs["启明"].credit_code, registered_on=dt.date(2020, 1, 1),
                                     division=city.districts["越秀"])
    assert exc.value.code == "duplicate_credit_code"


def test_federation_needs_public_fundraising(city):
    with pytest.raises(ValidationFailed) as exc:
        f.organization("某区慈善会", district=city.districts["天河"], kind=OrgKind.ASSOCIATION, is_charity_federation=True)
    assert exc.value.code == "federation_needs_fundraising"


def test_database_refuses_grade_without_validity(city):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=city.orgs["同心"].pk).update(grade="3A")


def test_one_station_per_street(city):
    with pytest.raises(Conflict):
        f.station(city.streets["北京街"], city.orgs["同心"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Station.objects.create(name="重复", street=city.streets["北京街"], agency=city.orgs["同心"],
                               contract_start=dt.date(2025, 1, 1), contract_end=dt.date(2026, 1, 1))


def test_station_rules(city):
    new_street = f.division("五山街道", "street", "440106002", city.districts["天河"])
    with pytest.raises(ValidationFailed) as exc:
        f.station(new_street, city.orgs["基金会"])
    assert exc.value.code == "not_an_agency"
    with pytest.raises(ValidationFailed):
        f.station(city.communities["东兴"], city.orgs["同心"])
    with pytest.raises(ValidationFailed) as exc:
        services.station_create(actor=None, street=new_street, agency=city.orgs["同心"],
                                contract_start=dt.date(2026, 1, 1), contract_end=dt.date(2025, 1, 1))
    assert exc.value.code == "invalid_contract_period"


def test_donation_point(city):
    point = services.donation_point_create(actor=None, station=city.stations["北京街"], name="北京街慈善超市")
    assert point.accepts_goods
    with pytest.raises(Conflict):
        services.donation_point_create(actor=None, station=city.stations["北京街"], name="北京街慈善超市")
    with pytest.raises(ValidationFailed):
        services.donation_point_create(actor=None, station=city.stations["北京街"], name="空站点",
                                       accepts_cash=False, accepts_transfer=False, accepts_goods=False)
