"""Reads about beneficiaries, always through the acting user's scope: the case team gets values (and the read is
logged), officers of the area get masked values and reveal one with a reason (logged, refusals too), anyone else gets
nothing, answered as for a record that does not exist (and the look is logged)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.core.audit import access_denied, audit_log
from shanlian.core.errors import NotFound, PermissionDenied, ValidationFailed, field_error, lazy_format
from shanlian.core.inputs import text_in
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Station
from shanlian.people.selectors import actor_scope

from . import access
from .access import Sight
from .models import (
    SENSITIVE,
    SENSITIVE_BY_NAME,
    Allowance,
    AllowanceKind,
    Beneficiary,
    Category,
    Consent,
    ConsentText,
    DataRequest,
    Guardian,
    HouseholdMember,
    Purpose,
    RequestStatus,
)

# Reveal keys beyond the beneficiary's own sensitive fields: every allowance's amount, every household member's name.
COLLECTIONS = {"allowance_amounts": _("Allowance amounts"), "household_names": _("Household members' names")}


def scope_of(actor: Any) -> Scope:
    return actor_scope(actor)


def categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True).order_by("order", "id")


def stations_served(actor: Any) -> QuerySet[Station]:
    """The stations whose beneficiaries the actor registers: their own stations (workers, agency managers)."""
    scope = scope_of(actor)
    if scope.is_superuser:
        return Station.objects.select_related("street").order_by("street__code")
    if not access.may_register(scope):
        return Station.objects.none()
    return Station.objects.filter(pk__in=scope.station_ids).select_related("street").order_by("street__code")


def beneficiaries_visible(actor: Any, *, query: str = "", category: str = "", station_id: int | None = None,
                          status: str = "") -> QuerySet[Beneficiary]:
    scope = scope_of(actor)
    if not access.may_open_cases(scope):
        raise PermissionDenied("not_case_reader", _("Only stations' staff and area officers open beneficiaries' records."))
    qs = (Beneficiary.objects.filter(access.visible_q(scope))
          .select_related("person", "person__division", "station", "station__street")
          .prefetch_related(Prefetch("categories", queryset=Category.objects.order_by("order", "id"))))
    if query:
        qs = qs.filter(Q(person__real_name__icontains=query) | Q(person__name_initials__startswith=query.lower())
                       | Q(person__name_pinyin__startswith=query.lower()))
    if category:
        qs = qs.filter(categories__code=category)
    if station_id is not None:
        qs = qs.filter(station_id=station_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("station__street__code", "person__real_name", "id")


def beneficiary_get(actor: Any, beneficiary_id: int) -> Beneficiary:
    """The record, if the actor sees it at all; otherwise the look is logged and answered as not found."""
    scope = scope_of(actor)
    found = (Beneficiary.objects.select_related("person", "person__division", "station", "station__street", "station__agency")
             .filter(pk=beneficiary_id).first())
    if found is None or access.sight(scope, found) is Sight.NONE:
        access_denied(user_id=scope.user_id, object_type="cases.beneficiary", object_id=beneficiary_id)
        raise NotFound()
    return found


# --- values and masks -----------------------------------------------------------------------------------------------

def decrypted(beneficiary: Beneficiary, name: str) -> str:
    return crypto.decrypt(getattr(beneficiary, f"{name}_enc"))


def masked(value: str, kind: str) -> str:
    if not value:
        return ""
    if kind == "date":
        return value[:4] + "-**-**"
    if kind == "address":
        return crypto.mask(value, 6, 0)
    if kind == "amount":
        return "¥***"
    if kind == "name":
        return crypto.mask_name(value)
    return crypto.mask(value, 1, 0)


def birth_date(beneficiary: Beneficiary) -> dt.date | None:
    text = decrypted(beneficiary, "birth_date")
    return dt.date.fromisoformat(text) if text else None


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def is_child(beneficiary: Beneficiary, on: dt.date | None = None) -> bool:
    """Under CASES_GUARDIAN_AGE (14) on the day: a guardian acts for them (consent, requests) and must be registered."""
    born = birth_date(beneficiary)
    return born is not None and age_on(born, on or timezone.localdate()) < int(settings.SHANLIAN["CASES_GUARDIAN_AGE"])


def amount_text(value: str) -> str:
    return f"¥{Decimal(value):,.2f}" if value else ""


@dataclass
class FieldView:
    name: str
    label: Any
    purpose: Any
    why: Any
    value: str
    masked: bool


@dataclass
class BeneficiaryFile:
    beneficiary: Beneficiary
    sight: Sight
    fields: list[FieldView]
    household: list[tuple[HouseholdMember, str]]
    guardians: list[Guardian]
    allowances: list[tuple[Allowance, str]]
    consents: list[tuple[Consent, str]]
    requests: list[DataRequest]
    child: bool

    @property
    def values(self) -> bool:
        return self.sight is Sight.VALUES


def beneficiary_file(actor: Any, beneficiary: Beneficiary, *, log: bool = True) -> BeneficiaryFile:
    """The record as the actor may see it. The case team gets values, and every such read is in the audit log
    (`cases.read`, naming the fields shown, never their values); officers get masked values."""
    scope = scope_of(actor)
    seen = access.sight(scope, beneficiary)
    if seen is Sight.NONE:
        access_denied(user_id=scope.user_id, object_type="cases.beneficiary", object_id=beneficiary.pk)
        raise NotFound()
    show = seen is Sight.VALUES
    fields = []
    for s in SENSITIVE:
        value = decrypted(beneficiary, s.name)
        fields.append(FieldView(s.name, s.label, Purpose(s.purpose).label, s.why, value if show else masked(value, s.mask),
                                not show and bool(value)))
    household = [(m, crypto.decrypt(m.name_enc) if show else masked(crypto.decrypt(m.name_enc), "name"))
                 for m in beneficiary.household.select_related("person").order_by("ended_on", "id")]
    allowances = [(a, amount_text(crypto.decrypt(a.monthly_amount_enc)) if show else masked("x", "amount"))
                  for a in beneficiary.allowances.order_by("-starts_on", "id")]
    today = timezone.localdate()
    consents = [(c, consent_state(c, today)) for c in consents_of(beneficiary)]
    if show and log:
        audit_log(actor=actor, action="cases.read", obj=beneficiary,
                  after={"fields": [f.name for f in fields if f.value], "household": len(household), "allowances": len(allowances)})
    return BeneficiaryFile(
        beneficiary=beneficiary, sight=seen, fields=fields, household=household,
        guardians=list(beneficiary.guardians.select_related("person").order_by("ended_on", "id")),
        allowances=allowances, consents=consents,
        requests=list(beneficiary.data_requests.order_by("-received_on", "-id")), child=is_child(beneficiary, today))


def beneficiary_reveal(actor: Any, beneficiary: Beneficiary, *, field: str, reason: str) -> str:
    """One masked value, unmasked for an officer of the area, with a typed reason; the read is logged with the reason
    (`cases.reveal`), and so is a refusal (`cases.reveal.denied`)."""
    scope = scope_of(actor)
    if not access.may_reveal(scope, beneficiary):
        audit_log(actor=actor, action="cases.reveal.denied", obj=beneficiary, after={"field": str(field)[:40], "why": "out_of_scope"})
        raise NotFound()
    if field not in SENSITIVE_BY_NAME and field not in COLLECTIONS:
        raise field_error("field", "invalid_field", _("This field cannot be revealed."))
    minimum = int(settings.SHANLIAN["CASES_REVEAL_REASON_MIN"])
    try:
        why = text_in(reason, field="reason", max_length=200, required=True)
    except ValidationFailed:
        why = ""
    if len(why) < minimum:
        audit_log(actor=actor, action="cases.reveal.denied", obj=beneficiary, after={"field": field, "why": "reason_required"})
        raise field_error("reason", "reason_required", lazy_format(
            _("Type why you need to see this (at least %(n)s characters, at most 200)."), {"n": minimum}))
    if field == "allowance_amounts":
        value = "\n".join(f"{a.get_kind_display()}: {amount_text(crypto.decrypt(a.monthly_amount_enc))}"
                          for a in beneficiary.allowances.order_by("-starts_on", "id"))
    elif field == "household_names":
        value = "\n".join(f"{m.get_relation_display()}: {crypto.decrypt(m.name_enc)}" for m in beneficiary.household.order_by("id"))
    else:
        value = decrypted(beneficiary, field)
    audit_log(actor=actor, action="cases.reveal", obj=beneficiary, after={"field": field, "reason": why})
    return value


def field_label(field: str) -> Any:
    if field in SENSITIVE_BY_NAME:
        return SENSITIVE_BY_NAME[field].label
    return COLLECTIONS.get(field, field)


def export_data(beneficiary: Beneficiary) -> dict[str, Any]:
    """Everything the system holds about the person as a beneficiary, decrypted: the body of an export (the service
    that calls this checks consent and logs)."""
    person = beneficiary.person
    today = timezone.localdate()
    return {
        "person": {"name": person.real_name, "gender": person.gender, "birth_year": person.birth_year,
                   "community": person.division.name, "resident_id": crypto.decrypt(person.resident_id_enc),
                   "phone": crypto.decrypt(person.phone_enc)},
        "station": beneficiary.station.name,
        "status": beneficiary.status,
        "categories": [c.name for c in beneficiary.categories.order_by("order", "id")],
        "living_situation": beneficiary.living_situation,
        "sensitive": {s.name: decrypted(beneficiary, s.name) for s in SENSITIVE},
        "household": [{"name": crypto.decrypt(m.name_enc), "relation": m.relation, "lives_together": m.lives_together,
                       "ended_on": _iso(m.ended_on)} for m in beneficiary.household.order_by("id")],
        "guardians": [{"name": g.person.real_name, "relation": g.relation, "since": _iso(g.since), "ended_on": _iso(g.ended_on)}
                      for g in beneficiary.guardians.select_related("person").order_by("id")],
        "allowances": [{"kind": a.kind, "monthly_amount": crypto.decrypt(a.monthly_amount_enc), "from": _iso(a.starts_on),
                        "to": _iso(a.ends_on)} for a in beneficiary.allowances.order_by("starts_on", "id")],
        "consents": [{"purpose": c.purpose, "text_version": c.text.version, "wording": c.text.wording, "recipients": c.recipients,
                      "given_on": _iso(c.given_on), "expires_on": _iso(c.expires_on), "given_by": c.given_by,
                      "withdrawn_on": _iso(c.withdrawn_on), "state": consent_state(c, today)}
                     for c in consents_of(beneficiary)],
        "exported_on": today.isoformat(),
    }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# --- consent --------------------------------------------------------------------------------------------------------

def consents_of(beneficiary: Beneficiary) -> QuerySet[Consent]:
    return (Consent.objects.filter(beneficiary=beneficiary).select_related("text", "guardian__person")
            .prefetch_related("organizations").order_by("-given_on", "-id"))


def consent_state(consent: Consent, on: dt.date) -> str:
    """valid, withdrawn, expired or not_yet (given for a later day)."""
    if consent.withdrawn_on is not None and consent.withdrawn_on <= on:
        return "withdrawn"
    if on >= consent.expires_on:
        return "expired"
    if on < consent.given_on:
        return "not_yet"
    return "valid"


def consent_valid_q(on: dt.date, prefix: str = "") -> Q:
    """`consent_state(c, on) == "valid"` as a filter, for consents at `prefix` (e.g. "consent__")."""
    return (Q(**{f"{prefix}given_on__lte": on, f"{prefix}expires_on__gt": on})
            & (Q(**{f"{prefix}withdrawn_on__isnull": True}) | Q(**{f"{prefix}withdrawn_on__gt": on})))


def consent_text_current(purpose: str) -> ConsentText | None:
    return ConsentText.objects.filter(purpose=purpose).order_by("-version").first()


def consent_texts() -> QuerySet[ConsentText]:
    return ConsentText.objects.order_by("purpose", "-version")


def consent_get(actor: Any, consent_id: int) -> Consent:
    found = Consent.objects.select_related("beneficiary", "text").filter(pk=consent_id).first()
    if found is None:
        raise NotFound()
    beneficiary_get(actor, found.beneficiary_id)
    return found


# --- data-subject requests ------------------------------------------------------------------------------------------

def data_requests_visible(actor: Any, *, open_only: bool = False) -> QuerySet[DataRequest]:
    scope = scope_of(actor)
    if not access.may_open_cases(scope):
        raise PermissionDenied("not_case_reader", _("Only stations' staff and area officers open beneficiaries' records."))
    qs = DataRequest.objects.filter(access.visible_q(scope, "beneficiary__")).select_related(
        "beneficiary__person", "beneficiary__station")
    if open_only:
        qs = qs.filter(status=RequestStatus.OPEN)
    return qs.order_by("status", "due_on", "id")


def data_request_get(actor: Any, request_id: int) -> DataRequest:
    found = DataRequest.objects.select_related("beneficiary", "guardian__person").filter(pk=request_id).first()
    if found is None:
        raise NotFound()
    beneficiary_get(actor, found.beneficiary_id)
    return found


def data_request_overdue(request: DataRequest, today: dt.date | None = None) -> bool:
    return request.status == RequestStatus.OPEN and (today or timezone.localdate()) > request.due_on


def allowance_kinds() -> list[tuple[str, Any]]:
    return list(AllowanceKind.choices)


# --- choices for the pages and the API ------------------------------------------------------------------------------

PEOPLE_CHOICES_MAX = 500


def _streets_q(stations: Any) -> Q:
    q = Q(pk__in=[])
    for station in stations:
        q |= Q(division__path__startswith=station.street.path)
    return q


def people_to_register(actor: Any) -> QuerySet[Any]:
    """People living in the streets of the actor's stations who are not beneficiaries yet (the newest first, capped)."""
    from shanlian.people.models import Person

    return (Person.objects.filter(_streets_q(stations_served(actor)), beneficiary__isnull=True).select_related("division")
            .order_by("-id")[:PEOPLE_CHOICES_MAX])


def people_near(beneficiary: Beneficiary) -> QuerySet[Any]:
    """Who may be named as a guardian on the pages: people of the beneficiary's street, themselves excluded."""
    from shanlian.people.models import Person

    return (Person.objects.filter(_streets_q([beneficiary.station])).exclude(pk=beneficiary.person_id).select_related("division")
            .order_by("real_name", "id")[:PEOPLE_CHOICES_MAX])


def person_for(actor: Any, person_id: int) -> Any:
    """A person the actor may name (as a beneficiary or a guardian): one in their people scope."""
    from shanlian.people.selectors import person_get

    return person_get(scope=scope_of(actor), person_id=person_id)


def active_guardians(beneficiary: Beneficiary) -> QuerySet[Guardian]:
    return beneficiary.guardians.filter(ended_on__isnull=True).select_related("person").order_by("id")
