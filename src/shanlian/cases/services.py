"""Every write about beneficiaries: registering them (with their guardians when under 14), correcting their record under
a version check, household, guardians, allowances, consent (recorded, withdrawn, required by every referral, share and
export), exports, and data-subject requests. Nothing is deleted: what ends gets an end date; sensitive values never
enter the audit log, only the names of the fields that changed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric

from shanlian.core import crypto
from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed, field_error, lazy_format
from shanlian.core.inputs import Checks, date_window, decimal_in, model_text, text_in
from shanlian.orgs.models import Organization, Station
from shanlian.people.models import Person
from shanlian.people.selectors import signed_in_scope

from . import access
from . import selectors as sel
from ._common import _locked, _past_day, _team, _today
from .models import (
    SENSITIVE_BY_NAME,
    Allowance,
    AllowanceKind,
    Beneficiary,
    Category,
    Consent,
    ConsentText,
    DataRequest,
    GivenBy,
    Guardian,
    HouseholdMember,
    LivingSituation,
    Purpose,
    Recipient,
    Relation,
    RequestKind,
    RequestStatus,
)

# Lengths of the sensitive texts (their columns hold ciphertext, so the bound is here).
TEXT_MAX = {"address": 200, "health": 1000, "disability": 500, "finances": 1000, "child_situation": 1000}
NAME_MAX = 32
ALLOWANCE_MONTHLY_MAX = Decimal("100000")
CATEGORIES_MAX = 12
GUARDIANS_MAX = 4
NOTE_MAX = 2000
EARLIEST_BIRTH = dt.date(1900, 1, 1)


def _ended_on(on: dt.date | None, since: dt.date | None = None) -> dt.date:
    """The day a guardianship or a household membership ended: today by default, a past day, not before it began."""
    checks = Checks()
    on = on or _today()
    _past_day(checks, on, "ended_on")
    if since is not None and on < since:
        checks.failed.append(field_error("ended_on", "dates_reversed", _("The end comes before the start.")))
    checks.done()
    return on


def _relation(checks: Checks, relation: Any, field: str = "relation") -> None:
    if relation not in Relation.values:
        checks.failed.append(field_error(field, "invalid_choice", _("Choose the relation.")))


def _sensitive_texts(checks: Checks, values: dict[str, Any]) -> dict[str, str]:
    out = {}
    for name, value in values.items():
        out[name] = checks(text_in, value, field=name, max_length=TEXT_MAX[name], multiline=name != "address") or ""
    return out


def _birth_date(checks: Checks, person: Person, given: dt.date | None) -> dt.date | None:
    """From the resident ID when the person has one (a typed date must agree), else as typed."""
    from_id = None
    resident_id = crypto.decrypt(person.resident_id_enc)
    if resident_id:
        from_id = ric.get_birth_date(resident_id)
    if given is None:
        if from_id is None:
            checks.failed.append(field_error("birth_date", "birth_date_required",
                                             _("Enter the date of birth (the person has no resident ID on record).")))
        return from_id
    if not EARLIEST_BIRTH <= given <= _today():
        checks.failed.append(field_error("birth_date", "date_out_of_range", _("Enter a real date of birth.")))
        return None
    if from_id is not None and given != from_id:
        checks.failed.append(field_error("birth_date", "birth_date_mismatch",
                                         _("The date of birth does not match the person's resident ID.")))
        return None
    return given


def _categories(checks: Checks, chosen: Iterable[Category]) -> list[Category]:
    picked = list({c.pk: c for c in chosen}.values())
    if not picked:
        checks.failed.append(field_error("categories", "categories_required", _("Choose at least one category.")))
    elif len(picked) > CATEGORIES_MAX or any(not c.active for c in picked):
        checks.failed.append(field_error("categories", "invalid_choice", _("Choose among the active categories.")))
    return picked


def _under_age(born: dt.date | None, on: dt.date | None = None) -> bool:
    return born is not None and sel.age_on(born, on or _today()) < int(settings.SHANLIAN["CASES_GUARDIAN_AGE"])


def _guardian_required() -> ValidationFailed:
    return field_error("guardians", "guardian_required", _("A child under 14 needs a registered guardian."))


# --- beneficiaries --------------------------------------------------------------------------------------------------

@transaction.atomic
def beneficiary_register(*, actor: Any, person: Person, station: Station, categories: Iterable[Category],
                         living_situation: str, birth_date: dt.date | None = None, address: str = "", health: str = "",
                         disability: str = "", finances: str = "", child_situation: str = "",
                         guardians: Sequence[tuple[Person, str]] = ()) -> Beneficiary:
    """A person becomes a beneficiary of a station where they live. A child under 14 is registered only with a guardian
    (`guardian_required`); all problems are reported at once and nothing is written on any."""
    scope = signed_in_scope(actor)
    if not scope.is_station_staff(station.pk):
        raise PermissionDenied("not_station_staff", _("Only the station's social workers and their agency register its beneficiaries."))
    checks = Checks()
    if not person.division.path.startswith(station.street.path):
        checks.failed.append(field_error("person", "person_outside_station", _("The person does not live in the station's street.")))
    picked = _categories(checks, categories)
    if living_situation not in LivingSituation.values:
        checks.failed.append(field_error("living_situation", "invalid_choice", _("Choose the living situation.")))
    born = _birth_date(checks, person, birth_date)
    texts = _sensitive_texts(checks, {"address": address, "health": health, "disability": disability, "finances": finances,
                                      "child_situation": child_situation})
    guardians = list(guardians)
    if len(guardians) > GUARDIANS_MAX:
        checks.failed.append(field_error("guardians", "too_many", _("At most 4 guardians.")))
    for who, relation in guardians:
        _relation(checks, relation, "guardian_relation")
        if who.pk == person.pk:
            checks.failed.append(field_error("guardian", "guardian_is_self", _("A person cannot be their own guardian.")))
    if len({who.pk for who, _r in guardians}) != len(guardians):
        checks.failed.append(field_error("guardian", "guardian_twice", _("The same guardian is named twice.")))
    if _under_age(born) and not guardians:
        checks.failed.append(_guardian_required())
    checks.done()
    Person.objects.select_for_update().filter(pk=person.pk).first()  # two registrations of one person: one waits, then sees the other
    if Beneficiary.objects.filter(person=person).exists():
        raise Conflict("already_beneficiary", _("This person is already registered as a beneficiary."),
                       fields={"person": [("already_beneficiary", _("Already registered."))]})
    made = Beneficiary.objects.create(
        person=person, station=station, living_situation=living_situation, registered_by=actor,
        birth_date_enc=crypto.encrypt(born.isoformat() if born else ""),
        **{f"{name}_enc": crypto.encrypt(value) for name, value in texts.items()})
    made.categories.set(picked)
    since = _today()
    for who, relation in guardians:
        Guardian.objects.create(beneficiary=made, person=who, relation=relation, since=since, added_by=actor)
    audit_log(actor=actor, action="cases.beneficiary_register", obj=made, after={
        "person": person.pk, "station": station.pk, "categories": sorted(c.code for c in picked),
        "living_situation": living_situation, "guardians": len(guardians),
        "sensitive": sorted(["birth_date", *(n for n, v in texts.items() if v)] if born else [n for n, v in texts.items() if v])})
    return made


@transaction.atomic
def beneficiary_update(*, actor: Any, beneficiary: Beneficiary, version: int, categories: Iterable[Category] | None = None,
                       living_situation: str | None = None, **sensitive: Any) -> Beneficiary:
    """Correct the record: only the fields given change. `version` is the one the writer read; a record changed since is
    refused (`stale_version`), never silently overwritten. Audited with the names of the fields changed, not values."""
    _team(actor, beneficiary)
    unknown = set(sensitive) - set(SENSITIVE_BY_NAME)
    if unknown:
        raise ValidationFailed("invalid_field", _("This field cannot be changed here."))
    locked = _locked(beneficiary)
    if locked.version != version:
        raise Conflict("stale_version", _("Someone changed this record after you opened it: reload it and make your change again."))
    checks = Checks()
    changes: dict[str, Any] = {}
    before: dict[str, Any] = {}
    if living_situation is not None and living_situation != locked.living_situation:
        if living_situation not in LivingSituation.values:
            checks.failed.append(field_error("living_situation", "invalid_choice", _("Choose the living situation.")))
        before["living_situation"] = locked.living_situation
        changes["living_situation"] = living_situation
    picked = _categories(checks, categories) if categories is not None else None
    born = sel.birth_date(locked)
    if "birth_date" in sensitive:
        born = _birth_date(checks, locked.person, sensitive.pop("birth_date"))
    texts = _sensitive_texts(checks, sensitive)
    checks.done()
    if _under_age(born) and not locked.guardians.filter(ended_on__isnull=True).exists():
        raise _guardian_required()
    changed_sensitive = []
    if born != sel.birth_date(locked):
        changes["birth_date_enc"] = crypto.encrypt(born.isoformat() if born else "")
        changed_sensitive.append("birth_date")
    for name, value in texts.items():
        if value != sel.decrypted(locked, name):
            changes[f"{name}_enc"] = crypto.encrypt(value)
            changed_sensitive.append(name)
    after: dict[str, Any] = {k: v for k, v in changes.items() if not k.endswith("_enc")}
    if picked is not None:
        old = sorted(locked.categories.values_list("code", flat=True))
        new = sorted(c.code for c in picked)
        if old != new:
            locked.categories.set(picked)
            before["categories"], after["categories"] = old, new
    if not changes and "categories" not in after:
        return locked
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.version += 1
    locked.save(update_fields=[*changes, "version", "updated_at"])
    audit_log(actor=actor, action="cases.beneficiary_update", obj=locked, before=before,
              after={**after, "sensitive_changed": changed_sensitive, "version": locked.version})
    return locked


def _touch(locked: Beneficiary) -> None:
    """A change to what belongs to the record (guardians, household, allowances) moves its version too."""
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])


# --- guardians and household ----------------------------------------------------------------------------------------

@transaction.atomic
def guardian_add(*, actor: Any, beneficiary: Beneficiary, person: Person, relation: str, since: dt.date | None = None) -> Guardian:
    _team(actor, beneficiary)
    locked = _locked(beneficiary)
    checks = Checks()
    _relation(checks, relation)
    since = since or _today()
    _past_day(checks, since, "since")
    if person.pk == locked.person_id:
        checks.failed.append(field_error("person", "guardian_is_self", _("A person cannot be their own guardian.")))
    checks.done()
    found = locked.guardians.filter(person=person, ended_on__isnull=True).first()
    if found is not None:
        return found
    made = Guardian.objects.create(beneficiary=locked, person=person, relation=relation, since=since, added_by=actor)
    _touch(locked)
    audit_log(actor=actor, action="cases.guardian_add", obj=made, after={"beneficiary": locked.pk, "person": person.pk,
                                                                          "relation": relation})
    return made


@transaction.atomic
def guardian_end(*, actor: Any, guardian: Guardian, on: dt.date | None = None) -> Guardian:
    """End a guardianship; refused (`guardian_required`) when it would leave a child under 14 without one."""
    _team(actor, guardian.beneficiary)
    locked = _locked(guardian.beneficiary)
    row = Guardian.objects.select_for_update().get(pk=guardian.pk)
    if row.ended_on is not None:
        return row
    on = _ended_on(on, row.since)
    if sel.is_child(locked) and not locked.guardians.filter(ended_on__isnull=True).exclude(pk=row.pk).exists():
        raise _guardian_required()
    row.ended_on, row.ended_by = on, actor
    row.save(update_fields=["ended_on", "ended_by"])
    _touch(locked)
    audit_log(actor=actor, action="cases.guardian_end", obj=row, after={"ended_on": on.isoformat()})
    return row


@transaction.atomic
def household_member_add(*, actor: Any, beneficiary: Beneficiary, name: str, relation: str, lives_together: bool = True,
                         person: Person | None = None) -> HouseholdMember:
    _team(actor, beneficiary)
    locked = _locked(beneficiary)
    checks = Checks()
    clean = checks(text_in, name if person is None else person.real_name, field="name", max_length=NAME_MAX, required=True)
    _relation(checks, relation)
    checks.done()
    made = HouseholdMember.objects.create(beneficiary=locked, name_enc=crypto.encrypt(clean), relation=relation,
                                          lives_together=bool(lives_together), person=person, added_by=actor)
    _touch(locked)
    audit_log(actor=actor, action="cases.household_add", obj=made, after={"beneficiary": locked.pk, "relation": relation})
    return made


@transaction.atomic
def household_member_end(*, actor: Any, member: HouseholdMember, on: dt.date | None = None) -> HouseholdMember:
    _team(actor, member.beneficiary)
    locked = _locked(member.beneficiary)
    row = HouseholdMember.objects.select_for_update().get(pk=member.pk)
    if row.ended_on is not None:
        return row
    on = _ended_on(on)
    row.ended_on = on
    row.save(update_fields=["ended_on"])
    _touch(locked)
    audit_log(actor=actor, action="cases.household_end", obj=row, after={"ended_on": on.isoformat()})
    return row


# --- allowances -----------------------------------------------------------------------------------------------------

@transaction.atomic
def allowance_add(*, actor: Any, beneficiary: Beneficiary, kind: str, monthly_amount: Any, starts_on: dt.date,
                  ends_on: dt.date | None = None) -> Allowance:
    """An allowance received: the monthly amount in yuan (two decimals at most, above zero, at most ¥100,000)."""
    _team(actor, beneficiary)
    locked = _locked(beneficiary)
    checks = Checks()
    if kind not in AllowanceKind.values:
        checks.failed.append(field_error("kind", "invalid_choice", _("Choose the kind of allowance.")))
    amount = checks(decimal_in, monthly_amount, field="monthly_amount", places=2, minimum=Decimal("0.01"),
                    maximum=ALLOWANCE_MONTHLY_MAX, currency=True)
    checks(date_window, starts_on, field="starts_on")
    if ends_on is not None:
        checks(date_window, ends_on, field="ends_on")
        if starts_on is not None and ends_on < starts_on:
            checks.failed.append(field_error("ends_on", "dates_reversed", _("The end comes before the start.")))
    checks.done()
    made = Allowance.objects.create(beneficiary=locked, kind=kind, monthly_amount_enc=crypto.encrypt(f"{amount:.2f}"),
                                    starts_on=starts_on, ends_on=ends_on, recorded_by=actor)
    _touch(locked)
    audit_log(actor=actor, action="cases.allowance_add", obj=made, after={"beneficiary": locked.pk, "kind": kind,
                                                                           "starts_on": starts_on.isoformat()})
    return made


@transaction.atomic
def allowance_end(*, actor: Any, allowance: Allowance, on: dt.date) -> Allowance:
    _team(actor, allowance.beneficiary)
    locked = _locked(allowance.beneficiary)
    row = Allowance.objects.select_for_update().get(pk=allowance.pk)
    if row.ends_on == on:
        return row
    checks = Checks()
    checks(date_window, on, field="ends_on")
    if on is not None and on < row.starts_on:
        checks.failed.append(field_error("ends_on", "dates_reversed", _("The end comes before the start.")))
    checks.done()
    before = row.ends_on
    row.ends_on = on
    row.save(update_fields=["ends_on"])
    _touch(locked)
    audit_log(actor=actor, action="cases.allowance_end", obj=row, before={"ends_on": before.isoformat() if before else None},
              after={"ends_on": on.isoformat()})
    return row


# --- consent --------------------------------------------------------------------------------------------------------

@transaction.atomic
def consent_text_publish(*, actor: Any, purpose: str, wording: str, wording_en: str = "") -> ConsentText:
    """A new version of the wording for a purpose; earlier versions stay as they were (consents point at them)."""
    scope = signed_in_scope(actor)
    if not access.may_keep_texts(scope):
        raise PermissionDenied("not_text_admin", _("Only city and district administrators publish consent wording."))
    checks = Checks()
    if purpose not in Purpose.values:
        checks.failed.append(field_error("purpose", "invalid_choice", _("Choose a purpose.")))
    wording = checks(model_text, ConsentText, "wording", wording, required=True)
    wording_en = checks(model_text, ConsentText, "wording_en", wording_en)
    checks.done()
    latest = ConsentText.objects.select_for_update().filter(purpose=purpose).order_by("-version").first()
    if latest is not None and (latest.wording, latest.wording_en) == (wording, wording_en):
        return latest
    made = ConsentText.objects.create(purpose=purpose, version=(latest.version + 1) if latest else 1, wording=wording,
                                      wording_en=wording_en, published_by=actor)
    audit_log(actor=actor, action="cases.consent_text_publish", obj=made, after={"purpose": purpose, "version": made.version})
    return made


def _acting_guardian(checks: Checks, beneficiary: Beneficiary, by: str, guardian: Guardian | None, on: dt.date,
                     field: str) -> Guardian | None:
    """Who acts: the person, or one of their active guardians; for a child under 14 on that day, a guardian only."""
    if by not in GivenBy.values:
        checks.failed.append(field_error(field, "invalid_choice", _("Say who gave it: the person or a guardian.")))
        return None
    if by == GivenBy.SELF:
        if sel.is_child(beneficiary, on):
            checks.failed.append(field_error(field, "guardian_consent_required",
                                             _("For a child under 14, a guardian gives and withdraws consent.")))
        return None
    if guardian is None or guardian.beneficiary_id != beneficiary.pk or guardian.ended_on is not None:
        checks.failed.append(field_error("guardian", "not_guardian", _("Choose one of the person's current guardians.")))
        return None
    return guardian


def _recipients(checks: Checks, recipients: Iterable[str], organizations: Sequence[Organization]) -> list[str]:
    chosen = sorted(set(recipients))
    if not chosen:
        checks.failed.append(field_error("recipients", "recipients_required", _("Name at least one recipient.")))
    elif any(r not in Recipient.values for r in chosen):
        checks.failed.append(field_error("recipients", "invalid_choice", _("Choose among the listed recipients.")))
    if (Recipient.ORGANIZATION in chosen) != bool(organizations):
        checks.failed.append(field_error("organizations", "organizations_required",
                                         _("Name the organizations when consent covers named organizations (and only then).")))
    return chosen


@transaction.atomic
def consent_record(*, actor: Any, beneficiary: Beneficiary, purpose: str, recipients: Iterable[str], given_on: dt.date,
                   expires_on: dt.date | None = None, given_by: str = GivenBy.SELF, guardian: Guardian | None = None,
                   organizations: Sequence[Organization] = (), text: ConsentText | None = None) -> Consent:
    """A consent as it was given: the purpose, the recipients, the text version shown (the latest for the purpose unless
    named), the day, the expiry (at most CASES_CONSENT_MAX_YEARS later; that long by default), who gave it."""
    _team(actor, beneficiary)
    locked = _locked(beneficiary)
    checks = Checks()
    if purpose not in Purpose.values:
        checks.failed.append(field_error("purpose", "invalid_choice", _("Choose a purpose.")))
    chosen = _recipients(checks, recipients, organizations)
    _past_day(checks, given_on, "given_on")
    acting: Guardian | None = None
    years = int(settings.SHANLIAN["CASES_CONSENT_MAX_YEARS"])
    if given_on is not None:
        latest = _years_later(given_on, years)
        expires_on = expires_on or latest
        if expires_on <= given_on:
            checks.failed.append(field_error("expires_on", "dates_reversed", _("The expiry must come after the day it was given.")))
        elif expires_on > latest:
            checks.failed.append(field_error("expires_on", "expiry_too_far",
                                             lazy_format(_("A consent lasts at most %(n)s years."), {"n": years})))
        acting = _acting_guardian(checks, locked, given_by, guardian, given_on, "given_by")
    checks.done()
    assert given_on is not None and expires_on is not None
    text = text or sel.consent_text_current(purpose)
    if text is None:
        raise Conflict("no_consent_text", _("No consent wording is published for this purpose yet."))
    if text.purpose != purpose:
        raise field_error("text", "text_purpose_mismatch", _("This wording is for another purpose."))
    made = Consent.objects.create(beneficiary=locked, purpose=purpose, text=text, recipients=chosen, given_on=given_on,
                                  expires_on=expires_on, given_by=given_by, guardian=acting, recorded_by=actor)
    if organizations:
        made.organizations.set(organizations)
    audit_log(actor=actor, action="cases.consent_record", obj=made, after={
        "beneficiary": locked.pk, "purpose": purpose, "text_version": text.version, "recipients": chosen,
        "organizations": sorted(o.pk for o in organizations), "given_on": given_on.isoformat(),
        "expires_on": expires_on.isoformat(), "given_by": given_by})
    return made


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def consent_withdraw(*, actor: Any, consent: Consent, withdrawn_on: dt.date | None = None, withdrawn_by: str = GivenBy.SELF,
                     guardian: Guardian | None = None) -> Consent:
    """Withdrawn from a day on, by the person or a guardian (a guardian for a child under 14); a second withdrawal of the
    same consent returns it as it is."""
    _team(actor, consent.beneficiary)
    locked = _locked(consent.beneficiary)
    row = Consent.objects.select_for_update().get(pk=consent.pk)
    if row.withdrawn_on is not None:
        return row
    checks = Checks()
    withdrawn_on = withdrawn_on or _today()
    _past_day(checks, withdrawn_on, "withdrawn_on")
    if withdrawn_on < row.given_on:
        checks.failed.append(field_error("withdrawn_on", "dates_reversed", _("A consent is withdrawn after it was given.")))
    acting = _acting_guardian(checks, locked, withdrawn_by, guardian, withdrawn_on, "withdrawn_by")
    checks.done()
    row.withdrawn_on, row.withdrawn_by, row.withdrawn_guardian, row.withdrawal_recorded_by = withdrawn_on, withdrawn_by, acting, actor
    row.save(update_fields=["withdrawn_on", "withdrawn_by", "withdrawn_guardian", "withdrawal_recorded_by"])
    audit_log(actor=actor, action="cases.consent_withdraw", obj=row, after={"withdrawn_on": withdrawn_on.isoformat(),
                                                                             "withdrawn_by": withdrawn_by})
    return row


def consent_require(beneficiary: Beneficiary, purpose: str, recipient: str | Organization, *, on: dt.date | None = None) -> Consent | None:
    """The consent that allows giving the beneficiary's data to `recipient` (a `Recipient` value or a named organization)
    for `purpose` on the day, or a refusal: `consent_missing`, `consent_expired` or `consent_withdrawn`. Every referral,
    share and export calls this. The person's own access (recipient `subject`, PIPL art. 45) needs no consent: None."""
    if purpose not in Purpose.values:
        raise ValidationFailed("invalid_purpose", _("Unknown purpose."))
    if recipient == Recipient.SUBJECT:
        return None
    day = on or _today()
    found = list(Consent.objects.filter(beneficiary_id=beneficiary.pk, purpose=purpose, given_on__lte=day)
                 .prefetch_related("organizations").order_by("-expires_on", "-id"))
    if isinstance(recipient, Organization):
        covering = [c for c in found if Recipient.ORGANIZATION in c.recipients and recipient in c.organizations.all()]
    elif recipient in Recipient.values:
        covering = [c for c in found if recipient in c.recipients]
    else:
        raise ValidationFailed("invalid_recipient", _("Unknown recipient."))
    states = {c.pk: sel.consent_state(c, day) for c in covering}
    for c in covering:
        if states[c.pk] == "valid":
            return c
    if "expired" in states.values():
        raise PermissionDenied("consent_expired", _("The person's consent for this has expired: ask for it again."))
    if "withdrawn" in states.values():
        raise PermissionDenied("consent_withdrawn", _("The person has withdrawn their consent for this."))
    raise PermissionDenied("consent_missing", _("The person has not consented to this use of their data."))


# --- exports and data-subject requests ------------------------------------------------------------------------------

def beneficiary_export(*, actor: Any, beneficiary: Beneficiary, purpose: str, recipient: str | Organization,
                       reason: str) -> dict[str, Any]:
    """The person's data for a recipient, only with the consent that covers it (`consent_require`); every export is
    logged with its purpose, recipient and reason, a refused one too."""
    _team(actor, beneficiary)
    why = text_in(reason, field="reason", max_length=200, required=True)
    target = f"org:{recipient.pk}" if isinstance(recipient, Organization) else str(recipient)
    try:
        consent = consent_require(beneficiary, purpose, recipient)
    except PermissionDenied as exc:
        audit_log(actor=actor, action="cases.export.denied", obj=beneficiary,
                  after={"purpose": purpose, "recipient": target, "code": exc.code})
        raise
    data = sel.export_data(beneficiary)
    audit_log(actor=actor, action="cases.export", obj=beneficiary, after={
        "purpose": purpose, "recipient": target, "reason": why, "consent": consent.pk if consent else None})
    return data


@transaction.atomic
def data_request_record(*, actor: Any, beneficiary: Beneficiary, kind: str, received_on: dt.date,
                        requested_by: str = GivenBy.SELF, guardian: Guardian | None = None, details: str = "") -> DataRequest:
    """A data subject's access or correction request, due CASES_DATA_REQUEST_DAYS after it was received."""
    _team(actor, beneficiary)
    locked = _locked(beneficiary)
    checks = Checks()
    if kind not in RequestKind.values:
        checks.failed.append(field_error("kind", "invalid_choice", _("Choose the kind of request.")))
    _past_day(checks, received_on, "received_on")
    text = checks(text_in, details, field="details", max_length=NOTE_MAX, multiline=True) or ""
    if kind == RequestKind.CORRECTION and not text:
        checks.failed.append(field_error("details", "required", _("Say what the person asks to correct.")))
    acting = _acting_guardian(checks, locked, requested_by, guardian, received_on or _today(), "requested_by")
    checks.done()
    due = received_on + dt.timedelta(days=int(settings.SHANLIAN["CASES_DATA_REQUEST_DAYS"]))
    made = DataRequest.objects.create(beneficiary=locked, kind=kind, received_on=received_on, due_on=due,
                                      requested_by=requested_by, guardian=acting, details_enc=crypto.encrypt(text),
                                      recorded_by=actor)
    audit_log(actor=actor, action="cases.data_request_record", obj=made, after={
        "beneficiary": locked.pk, "kind": kind, "received_on": received_on.isoformat(), "due_on": due.isoformat()})
    return made


@transaction.atomic
def data_request_answer(*, actor: Any, request: DataRequest, note: str = "", refuse: bool = False) -> DataRequest:
    """Answer a request: for access, the export of the person's data given to them (kept encrypted as the answer); for a
    correction, a note of what was corrected (the correction itself is `beneficiary_update`); or a refusal with a reason.
    An answered request returns as it is. Late answers are allowed and marked (`answered_late`)."""
    _team(actor, request.beneficiary)
    row = DataRequest.objects.select_for_update().select_related("beneficiary").get(pk=request.pk)
    if row.status != RequestStatus.OPEN:
        return row
    text = text_in(note, field="note", max_length=NOTE_MAX, multiline=True)
    if (refuse or row.kind == RequestKind.CORRECTION) and not text:
        raise field_error("note", "note_required", _("Write the answer: what was corrected, or why the request is refused."))
    if refuse:
        answer: dict[str, Any] = {"refused": text}
    elif row.kind == RequestKind.ACCESS:
        answer = {"note": text, "export": beneficiary_export(actor=actor, beneficiary=row.beneficiary, purpose=Purpose.SERVICE,
                                                             recipient=Recipient.SUBJECT,
                                                             reason=f"data-subject access request #{row.pk}")}
    else:
        answer = {"note": text}
    today = _today()
    row.status = RequestStatus.REFUSED if refuse else RequestStatus.ANSWERED
    row.answered_on, row.answered_by = today, actor
    row.answer_enc = crypto.encrypt(json.dumps(answer, ensure_ascii=False))
    row.save(update_fields=["status", "answered_on", "answered_by", "answer_enc"])
    audit_log(actor=actor, action="cases.data_request_answer", obj=row,
              after={"status": row.status, "answered_on": today.isoformat(), "late": row.answered_late})
    return row
