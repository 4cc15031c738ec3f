"""Test data made through the services, so tests exercise the same paths as real use."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from django.contrib.auth import get_user_model
from stdnum.cn import ric, uscc

from shanlian.core.identifiers import org_code_check_digit
from shanlian.orgs import services as org_services
from shanlian.orgs.models import Organization, OrgKind, Station
from shanlian.people import services as people_services
from shanlian.people.models import Person
from shanlian.places import services as place_services
from shanlian.places.models import Division, Level

_seq = itertools.count(1)
PASSWORD = "Shanlian-test-2026"


def make_resident_id(district_code: str = "440104", birth: dt.date | None = None, seq: int | None = None) -> str:
    birth = birth or dt.date(1986, 1, 1) + dt.timedelta(days=random.randint(0, 7000))
    n = seq if seq is not None else next(_seq)
    body = f"{district_code}{birth:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_credit_code(kind_digit: str = "2", district_code: str = "440104", seq: int | None = None) -> str:
    n = seq if seq is not None else next(_seq)
    org_code_body = f"{n:08d}"[-8:]
    body = f"5{kind_digit}{district_code}{org_code_body}{org_code_check_digit(org_code_body)}"
    return body + uscc.calc_check_digit(body + "0")


def make_phone(seq: int | None = None) -> str:
    n = seq if seq is not None else next(_seq)
    return f"139{n:08d}"[-11:]


def division(name: str, level: str, code: str, parent: Division | None = None) -> Division:
    return place_services.division_create(name=name, level=level, code=code, parent=parent)


def organization(name: str, *, district: Division, kind: str = OrgKind.SERVICE_INSTITUTION, **kw) -> Organization:
    kw.setdefault("credit_code", make_credit_code(district_code=district.code if len(district.code) == 6 else "440100"))
    kw.setdefault("registered_on", dt.date(2015, 6, 1))
    return org_services.organization_create(actor=None, name=name, kind=kind, division=district, **kw)


def station(street: Division, agency: Organization) -> Station:
    return org_services.station_create(
        actor=None, street=street, agency=agency, contract_start=dt.date(2025, 1, 1), contract_end=dt.date(2027, 12, 31)
    )


def person(name: str, community: Division, *, district_code: str = "440104", **kw) -> Person:
    kw.setdefault("resident_id", make_resident_id(district_code))
    kw.setdefault("phone", make_phone())
    return people_services.person_create(actor=None, real_name=name, division=community, **kw)


def user_with_role(username: str, role: str, target=None, *, person_in: Division | None = None, name: str = ""):
    """A login (optionally a person) holding one role over `target`, granted by a superuser."""
    User = get_user_model()
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=name or username)
    if person_in is not None:
        p = person(name or username, person_in)
        Person.objects.filter(pk=p.pk).update(user=user)
    if role:
        root = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("root", password=PASSWORD)
        from shanlian.people.selectors import actor_scope

        people_services.role_grant(actor=root, scope=actor_scope(root), user=user, role=role, target=target)
    return user


__all__ = ["Level", "PASSWORD"]
