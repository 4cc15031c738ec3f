"""Writes for organizations, stations and donation points."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log, snapshot
from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed, field_error
from shanlian.core.identifiers import clean_credit_code
from shanlian.core.inputs import Checks, date_window, int_in, model_text
from shanlian.core.scoping import ADMIN_ROLES, Scope
from shanlian.places.models import Division, Level
from shanlian.places.services import pinyin_full, pinyin_initials

from .models import (
    DonationPoint,
    Grade,
    InspectionResult,
    Organization,
    OrgKind,
    PartyBranch,
    StandingKind,
    StandingRecord,
    Station,
)

ORG_AUDIT_FIELDS = [
    "name", "kind", "credit_code", "registered_on", "division", "grade", "grade_valid_from", "grade_valid_until",
    "public_fundraising", "is_charity_federation", "is_agency", "party_branch", "party_branch_name",
]



def grade_validity(*, grade: str, valid_from: dt.date | None, valid_years: int) -> tuple[dt.date | None, dt.date | None]:
    if not grade:
        return None, None
    if grade not in Grade.values:
        raise field_error("grade", "invalid_grade", _("A grade is one of 1A to 5A."))
    if valid_from is None:
        raise field_error("grade_valid_from", "grade_date_required", _("A grade needs the date it was awarded."))
    try:
        until = valid_from.replace(year=valid_from.year + valid_years)
    except ValueError:  # 29 February
        until = valid_from.replace(year=valid_from.year + valid_years, day=28)
    return valid_from, until


@transaction.atomic
def organization_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    credit_code: str,
    registered_on: dt.date,
    division: Division,
    address: str = "",
    legal_representative: str = "",
    grade: str = "",
    grade_awarded_on: dt.date | None = None,
    public_fundraising: bool = False,
    is_charity_federation: bool = False,
    is_agency: bool = False,
    party_branch: str = PartyBranch.NONE,
    party_branch_name: str = "",
) -> Organization:
    name = (name or "").strip()
    if not name:
        raise field_error("name", "name_required", _("A name is required."))
    if kind not in OrgKind.values:
        raise field_error("kind", "invalid_kind", _("Unknown organization kind."))
    try:
        code = clean_credit_code(credit_code)
    except ValidationFailed as exc:
        raise field_error("credit_code", exc.code, exc.message) from None
    if registered_on > dt.date.today():
        raise field_error("registered_on", "date_in_future", _("The registration date cannot be in the future."))
    if division.level not in (Level.CITY, Level.DISTRICT):
        raise field_error("division", "invalid_division", _("Organizations register with a city or district."))
    if is_charity_federation and not public_fundraising:
        raise field_error(
            "public_fundraising", "federation_needs_fundraising",
            _("A charity federation must hold the public-fundraising qualification."),
        )
    if party_branch not in PartyBranch.values:
        raise field_error("party_branch", "invalid_party_branch", _("Unknown kind of party organization."))
    valid_from, valid_until = grade_validity(
        grade=grade, valid_from=grade_awarded_on, valid_years=domain_setting("GRADE_VALID_YEARS")
    )
    if Organization.objects.filter(credit_code=code).exists():
        raise Conflict(
            "duplicate_credit_code",
            _("An organization with this unified social credit code is already registered."),
            fields={"credit_code": [("duplicate", _("Already registered."))]},
        )
    org = Organization(
        name=name,
        name_initials=pinyin_initials(name),
        name_pinyin=pinyin_full(name),
        kind=kind,
        credit_code=code,
        registered_on=registered_on,
        division=division,
        address=address.strip(),
        legal_representative=legal_representative.strip(),
        grade=grade,
        grade_valid_from=valid_from,
        grade_valid_until=valid_until,
        public_fundraising=public_fundraising,
        is_charity_federation=is_charity_federation,
        is_agency=is_agency,
        party_branch=party_branch,
        party_branch_name=party_branch_name.strip(),
    )
    org.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError:  # a concurrent registration of the same code won the race
        raise Conflict("duplicate_credit_code", _("An organization with this unified social credit code is already registered.")) from None
    audit_log(actor=actor, action="organization.create", obj=org, after=snapshot(org, ORG_AUDIT_FIELDS))
    return org


@transaction.atomic
def organization_grade_set(*, actor: Any, organization: Organization, grade: str, awarded_on: dt.date | None) -> Organization:
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    before = snapshot(org, ["grade", "grade_valid_from", "grade_valid_until"])
    org.grade = grade
    org.grade_valid_from, org.grade_valid_until = grade_validity(
        grade=grade, valid_from=awarded_on, valid_years=domain_setting("GRADE_VALID_YEARS")
    )
    org.save(update_fields=["grade", "grade_valid_from", "grade_valid_until"])
    audit_log(actor=actor, action="organization.grade", obj=org, before=before,
              after=snapshot(org, ["grade", "grade_valid_from", "grade_valid_until"]))
    return org


@transaction.atomic
def station_create(
    *,
    actor: Any,
    street: Division,
    agency: Organization,
    contract_start: dt.date,
    contract_end: dt.date,
    name: str = "",
    address: str = "",
    office_phone: str = "",
    opened_on: dt.date | None = None,
) -> Station:
    if street.level != Level.STREET:
        raise field_error("street", "invalid_street", _("A station belongs to a street or town."))
    if not agency.is_agency:
        raise field_error("agency", "not_an_agency", _("Only a social work agency can run a station."))
    if contract_end <= contract_start:
        raise field_error("contract_end", "invalid_contract_period", _("The contract must end after it starts."))
    if Station.objects.filter(street=street).exists():
        raise Conflict("station_exists", _("This street already has a station."))
    station = Station(
        name=(name or f"{street.name}社工站").strip(),
        street=street,
        agency=agency,
        contract_start=contract_start,
        contract_end=contract_end,
        address=address,
        office_phone=office_phone,
        opened_on=opened_on,
    )
    station.full_clean(validate_unique=False)
    station.save()
    audit_log(actor=actor, action="station.create", obj=station,
              after=snapshot(station, ["name", "street", "agency", "contract_start", "contract_end"]))
    return station


@transaction.atomic
def donation_point_create(
    *,
    actor: Any,
    station: Station,
    name: str,
    address: str = "",
    accepts_cash: bool = True,
    accepts_transfer: bool = True,
    accepts_goods: bool = True,
    opening_hours: str = "",
) -> DonationPoint:
    name = (name or "").strip()
    if not name:
        raise field_error("name", "name_required", _("A name is required."))
    if not (accepts_cash or accepts_transfer or accepts_goods):
        raise ValidationFailed("accepts_nothing", _("A donation point must accept cash, transfers or goods."))
    if DonationPoint.objects.filter(station=station, name=name).exists():
        raise Conflict("duplicate_donation_point", _("This station already has a donation point with this name."))
    point = DonationPoint(
        station=station, name=name, address=address, accepts_cash=accepts_cash, accepts_transfer=accepts_transfer,
        accepts_goods=accepts_goods, opening_hours=opening_hours,
    )
    point.full_clean(validate_unique=False)
    point.save()
    audit_log(actor=actor, action="donation_point.create", obj=point, after=snapshot(point, ["station", "name"]))
    return point


@transaction.atomic
def standing_record(*, actor: Any, scope: Scope, organization: Organization, kind: str, on: dt.date,
                    year: int | None = None, result: str = "", ended_on: dt.date | None = None,
                    note: str = "") -> StandingRecord:
    """Record an annual inspection, an abnormal listing or a penalty, as the registration authority (an administrator
    whose area holds the organization) decided it. A removal from the abnormal list is recorded on the listing
    itself (the same listing date again, with the day removed)."""
    if not (scope.is_superuser or (scope.roles & ADMIN_ROLES and scope.covers_path(organization.division.path, scope.admin_paths))):
        raise PermissionDenied("not_registration_authority",
                               _("Only the civil-affairs administrators of the organization's area record its standing."))
    checks = Checks()
    if kind not in StandingKind.values:
        raise field_error("kind", "invalid_standing_kind", _("Choose an annual inspection, an abnormal listing or a penalty."))
    checks(date_window, on, field="on", latest=timezone.localdate())
    note = checks(model_text, StandingRecord, "note", note)
    if kind == StandingKind.INSPECTION:
        year = checks(int_in, year, field="year", minimum=organization.registered_on.year, maximum=on.year)
        if result not in InspectionResult.values:
            checks.failed.append(field_error("result", "invalid_result", _("Choose the inspection's result.")))
        ended_on = None
    else:
        year, result = None, ""
        if ended_on is not None and (kind != StandingKind.ABNORMAL or ended_on < on):
            checks.failed.append(field_error("ended_on", "invalid_removal",
                                             _("Only an abnormal listing is removed, on or after its date.")))
        if ended_on is not None:
            checks(date_window, ended_on, field="ended_on", latest=timezone.localdate())
    checks.done()
    record = None
    if kind == StandingKind.ABNORMAL:  # the removal of a listing updates that listing
        record = StandingRecord.objects.select_for_update().filter(organization=organization, kind=kind, on=on).first()
    elif kind == StandingKind.INSPECTION:  # a year's inspection is one record, corrected in place with a trace
        record = StandingRecord.objects.select_for_update().filter(organization=organization, kind=kind, year=year).first()
    fields = ["on", "year", "result", "ended_on", "note"]
    before = snapshot(record, fields) if record else None
    if record is None:
        record = StandingRecord(organization=organization, kind=kind, recorded_by=actor)
    record.on, record.year, record.result, record.ended_on, record.note = on, year, result, ended_on, note
    record.save()
    audit_log(actor=actor, action=f"organization.standing.{kind}", obj=organization, before=before,
              after={"record": record.pk, **snapshot(record, fields)})
    return record
