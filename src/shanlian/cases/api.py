"""Beneficiaries' data for other systems, under the same scopes as the pages: the case team gets values (each read
logged), area officers masked values and a reveal with a reason (logged), anyone else a 404. Consents, the consent
check every referral, share and export makes, exports, and data-subject requests."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from shanlian.core import crypto
from shanlian.core.errors import NotFound, field_error
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.orgs.models import Organization

from . import selectors as sel
from . import services
from .models import Beneficiary, Consent, DataRequest, GivenBy, Recipient

router = Router(tags=["cases"])


# --- schemas ---------------------------------------------------------------------------------------------------------

class CaseCategoryOut(Schema):
    code: str
    name: str
    name_en: str
    area: str = Field(..., description="elderly, hardship, children, disability or other")


class ConsentTextOut(Schema):
    id: int
    purpose: str
    version: int
    wording: str
    wording_en: str


class BeneficiaryRowOut(Schema):
    id: int
    person_id: int
    name: str
    station_id: int
    station: str
    community: str
    categories: list[str]
    living_situation: str
    status: str
    version: int


class BeneficiaryPage(PageOut):
    results: list[BeneficiaryRowOut]


class SensitiveFieldOut(Schema):
    name: str
    label: str
    purpose: str
    value: str = Field(..., description="The value for the case team; masked for area officers (reveal it with a reason).")
    masked: bool


class GuardianOut(Schema):
    id: int
    person_id: int
    name: str
    relation: str
    since: dt.date
    ended_on: dt.date | None


class HouseholdMemberOut(Schema):
    id: int
    name: str = Field(..., description="Masked for area officers.")
    relation: str
    lives_together: bool
    ended_on: dt.date | None


class AllowanceOut(Schema):
    id: int
    kind: str
    monthly_amount: str = Field(..., description="Yuan with 2 decimals for the case team; masked for area officers.")
    starts_on: dt.date
    ends_on: dt.date | None


class CaseConsentOut(Schema):
    id: int
    purpose: str
    text_version: int
    recipients: list[str]
    organization_ids: list[int]
    given_on: dt.date
    expires_on: dt.date
    given_by: str
    guardian_id: int | None
    withdrawn_on: dt.date | None
    withdrawn_by: str
    state: str = Field(..., description="valid, withdrawn, expired or not_yet")


class BeneficiaryOut(BeneficiaryRowOut):
    sight: str = Field(..., description="values (the case team) or masked (area officers)")
    child: bool = Field(..., description="Under 14 today: a guardian acts for them.")
    fields: list[SensitiveFieldOut]
    guardians: list[GuardianOut]
    household: list[HouseholdMemberOut]
    allowances: list[AllowanceOut]
    consents: list[CaseConsentOut]


class BeneficiaryFilter(PageIn):
    q: str | None = Field(None, max_length=32)
    category: str | None = Field(None, max_length=32)


class BeneficiaryIn(Schema):
    person_id: int = Field(..., ge=1)
    station_id: int = Field(..., ge=1)
    categories: list[str] = Field(..., min_length=1, max_length=services.CATEGORIES_MAX, description="Category codes.")
    living_situation: str = Field(..., max_length=16)
    birth_date: dt.date | None = Field(None, description="Only for a person without a resident ID.")
    address: str = Field("", max_length=services.TEXT_MAX["address"])
    health: str = Field("", max_length=services.TEXT_MAX["health"])
    disability: str = Field("", max_length=services.TEXT_MAX["disability"])
    finances: str = Field("", max_length=services.TEXT_MAX["finances"])
    child_situation: str = Field("", max_length=services.TEXT_MAX["child_situation"])
    guardian_person_id: int | None = Field(None, ge=1, description="Required for a child under 14.")
    guardian_relation: str = Field("", max_length=16)


class BeneficiaryCorrectIn(Schema):
    version: int = Field(..., ge=1, le=2**31 - 1, description="The version you read; a record changed since is refused (409).")
    categories: list[str] | None = Field(None, min_length=1, max_length=services.CATEGORIES_MAX)
    living_situation: str | None = Field(None, max_length=16)
    address: str | None = Field(None, max_length=services.TEXT_MAX["address"])
    health: str | None = Field(None, max_length=services.TEXT_MAX["health"])
    disability: str | None = Field(None, max_length=services.TEXT_MAX["disability"])
    finances: str | None = Field(None, max_length=services.TEXT_MAX["finances"])
    child_situation: str | None = Field(None, max_length=services.TEXT_MAX["child_situation"])


class CaseRevealIn(Schema):
    field: str = Field(..., max_length=40)
    reason: str = Field(..., max_length=200)


class CaseRevealOut(Schema):
    field: str
    value: str


class GuardianIn(Schema):
    person_id: int = Field(..., ge=1)
    relation: str = Field(..., max_length=16)
    since: dt.date | None = None


class HouseholdMemberIn(Schema):
    name: str = Field(..., max_length=services.NAME_MAX)
    relation: str = Field(..., max_length=16)
    lives_together: bool = True


class AllowanceIn(Schema):
    kind: str = Field(..., max_length=24)
    monthly_amount: str = Field(..., max_length=40, description="Yuan, at most 2 decimals.")
    starts_on: dt.date
    ends_on: dt.date | None = None


class CaseConsentIn(Schema):
    purpose: str = Field(..., max_length=16)
    recipients: list[str] = Field(..., min_length=1, max_length=len(Recipient.values))
    organization_ids: list[int] = Field([], max_length=20)
    given_on: dt.date
    expires_on: dt.date | None = None
    given_by: str = Field(GivenBy.SELF, max_length=16)
    guardian_id: int | None = Field(None, ge=1)
    text_id: int | None = Field(None, ge=1, description="The wording shown; the latest for the purpose when omitted.")


class ConsentWithdrawIn(Schema):
    withdrawn_on: dt.date | None = None
    withdrawn_by: str = Field(GivenBy.SELF, max_length=16)
    guardian_id: int | None = Field(None, ge=1)


class ConsentCheckIn(Schema):
    purpose: str = Field(..., max_length=16)
    recipient: str = Field(..., max_length=16)
    organization_id: int | None = Field(None, ge=1)


class ConsentCheckOut(Schema):
    allowed: bool
    consent_id: int | None


class ExportIn(ConsentCheckIn):
    reason: str = Field(..., max_length=200)


class DataRequestOut(Schema):
    id: int
    beneficiary_id: int
    kind: str
    received_on: dt.date
    due_on: dt.date
    requested_by: str
    status: str
    answered_on: dt.date | None
    overdue: bool
    answered_late: bool


class DataRequestPage(PageOut):
    results: list[DataRequestOut]


class DataRequestIn(Schema):
    kind: str = Field(..., max_length=16)
    received_on: dt.date
    requested_by: str = Field(GivenBy.SELF, max_length=16)
    guardian_id: int | None = Field(None, ge=1)
    details: str = Field("", max_length=services.NOTE_MAX)


class DataRequestAnswerIn(Schema):
    note: str = Field("", max_length=services.NOTE_MAX)
    refuse: bool = False


class DataRequestAnswerOut(DataRequestOut):
    answer: dict[str, Any] | None = Field(None, description="What was given (for access: the export), for the case team.")


# --- rows ------------------------------------------------------------------------------------------------------------

def _row(b: Beneficiary) -> dict[str, Any]:
    return {"id": b.pk, "person_id": b.person_id, "name": b.person.real_name, "station_id": b.station_id, "station": b.station.name,
            "community": b.person.division.name, "categories": [c.code for c in b.categories.all()],
            "living_situation": b.living_situation, "status": b.status, "version": b.version}


def _consent(c: Consent, state: str) -> dict[str, Any]:
    return {"id": c.pk, "purpose": c.purpose, "text_version": c.text.version, "recipients": c.recipients,
            "organization_ids": [o.pk for o in c.organizations.all()], "given_on": c.given_on, "expires_on": c.expires_on,
            "given_by": c.given_by, "guardian_id": c.guardian_id, "withdrawn_on": c.withdrawn_on, "withdrawn_by": c.withdrawn_by,
            "state": state}


def _detail(request: ApiRequest, beneficiary_id: int) -> dict[str, Any]:
    b = sel.beneficiary_get(request.auth, beneficiary_id)
    f = sel.beneficiary_file(request.auth, b)
    return {**_row(b), "sight": f.sight.value, "child": f.child,
            "fields": [{"name": x.name, "label": str(x.label), "purpose": str(x.purpose), "value": x.value, "masked": x.masked}
                       for x in f.fields],
            "guardians": [{"id": g.pk, "person_id": g.person_id, "name": g.person.real_name, "relation": g.relation, "since": g.since,
                           "ended_on": g.ended_on} for g in f.guardians],
            "household": [{"id": m.pk, "name": name, "relation": m.relation, "lives_together": m.lives_together,
                           "ended_on": m.ended_on} for m, name in f.household],
            "allowances": [{"id": a.pk, "kind": a.kind, "monthly_amount": amount, "starts_on": a.starts_on, "ends_on": a.ends_on}
                           for a, amount in f.allowances],
            "consents": [_consent(c, state) for c, state in f.consents]}


def _request_row(r: DataRequest) -> dict[str, Any]:
    return {"id": r.pk, "beneficiary_id": r.beneficiary_id, "kind": r.kind, "received_on": r.received_on, "due_on": r.due_on,
            "requested_by": r.requested_by, "status": r.status, "answered_on": r.answered_on,
            "overdue": sel.data_request_overdue(r), "answered_late": r.answered_late}


def _categories(codes: list[str]) -> list[Any]:
    found = list(sel.categories().filter(code__in=codes))
    if len(found) != len(set(codes)):
        raise field_error("categories", "invalid_choice", NotFound().message)
    return found


def _guardian(b: Beneficiary, guardian_id: int | None) -> Any:
    if guardian_id is None:
        return None
    found = b.guardians.filter(pk=guardian_id).first()
    if found is None:
        raise field_error("guardian_id", "not_guardian", NotFound().message)
    return found


def _recipient(payload: ConsentCheckIn) -> Any:
    if payload.organization_id is None:
        return payload.recipient
    org = Organization.objects.filter(pk=payload.organization_id).first()
    if org is None:
        raise field_error("organization_id", "not_found", NotFound().message)
    return org


# --- operations ------------------------------------------------------------------------------------------------------

@router.get("/categories", response={200: list[CaseCategoryOut], **errors(401)}, summary="Beneficiary categories")
def categories(request: ApiRequest) -> Any:
    return [{"code": c.code, "name": c.name, "name_en": c.name_en, "area": c.area} for c in sel.categories()]


@router.get("/consent-texts", response={200: list[ConsentTextOut], **errors(401)}, summary="Consent wording, every version")
def consent_texts(request: ApiRequest) -> Any:
    return [{"id": t.pk, "purpose": t.purpose, "version": t.version, "wording": t.wording, "wording_en": t.wording_en}
            for t in sel.consent_texts()]


@router.get("/beneficiaries", response={200: BeneficiaryPage, **errors(400, 401, 403)}, summary="Beneficiaries")
def beneficiaries(request: ApiRequest, filters: Query[BeneficiaryFilter]) -> Any:
    page = paginate(sel.beneficiaries_visible(request.auth, query=(filters.q or "").strip(), category=filters.category or ""),
                    filters)
    page["results"] = [_row(b) for b in page["results"]]
    return page


@router.post("/beneficiaries", response={201: BeneficiaryOut, **errors(400, 401, 403, 404, 409)}, summary="Register a beneficiary")
def beneficiary_create(request: ApiRequest, payload: BeneficiaryIn) -> Any:
    """A child under 14 needs `guardian_person_id` (`guardian_required`)."""
    station = sel.stations_served(request.auth).filter(pk=payload.station_id).first()
    if station is None:
        raise field_error("station_id", "not_station_staff", NotFound().message)
    person = sel.person_for(request.auth, payload.person_id)
    guardians = [(sel.person_for(request.auth, payload.guardian_person_id), payload.guardian_relation)] \
        if payload.guardian_person_id else []
    made = services.beneficiary_register(
        actor=request.auth, person=person, station=station, categories=_categories(payload.categories),
        living_situation=payload.living_situation, birth_date=payload.birth_date, address=payload.address, health=payload.health,
        disability=payload.disability, finances=payload.finances, child_situation=payload.child_situation, guardians=guardians)
    return Status(201, _detail(request, made.pk))


@router.get("/beneficiaries/{id:beneficiary_id}", response={200: BeneficiaryOut, **errors(401, 404)}, summary="One beneficiary")
def beneficiary_detail(request: ApiRequest, beneficiary_id: int) -> Any:
    return _detail(request, beneficiary_id)


@router.post("/beneficiaries/{id:beneficiary_id}/correct", response={200: BeneficiaryOut, **errors(400, 401, 403, 404, 409)},
             summary="Correct a beneficiary's record")
def beneficiary_correct(request: ApiRequest, beneficiary_id: int, payload: BeneficiaryCorrectIn) -> Any:
    """Only the fields sent change; `version` must be the current one (`stale_version`, 409, otherwise)."""
    b = sel.beneficiary_get(request.auth, beneficiary_id)
    texts = {k: v for k, v in payload.dict().items() if k in services.TEXT_MAX and v is not None}
    services.beneficiary_update(actor=request.auth, beneficiary=b, version=payload.version,
                                categories=_categories(payload.categories) if payload.categories is not None else None,
                                living_situation=payload.living_situation, **texts)
    return _detail(request, beneficiary_id)


@router.post("/beneficiaries/{id:beneficiary_id}/reveal", response={200: CaseRevealOut, **errors(400, 401, 403, 404)},
             summary="Reveal one masked value, with a reason (logged)")
def beneficiary_reveal(request: ApiRequest, beneficiary_id: int, payload: CaseRevealIn) -> Any:
    b = sel.beneficiary_get(request.auth, beneficiary_id)
    return {"field": payload.field, "value": sel.beneficiary_reveal(request.auth, b, field=payload.field, reason=payload.reason)}


@router.post("/beneficiaries/{id:beneficiary_id}/guardians", response={201: BeneficiaryOut, **errors(400, 401, 403, 404)},
             summary="Add a guardian")
def guardian_create(request: ApiRequest, beneficiary_id: int, payload: GuardianIn) -> Any:
    b = sel.beneficiary_get(request.auth, beneficiary_id)
    services.guardian_add(actor=request.auth, beneficiary=b, person=sel.person_for(request.auth, payload.person_id),
                          relation=payload.relation, since=payload.since)
    return Status(201, _detail(request, beneficiary_id))


@router.post("/beneficiaries/{id:beneficiary_id}/household", response={201: BeneficiaryOut, **errors(400, 401, 403, 404)},
             summary="Add a household member")
def household_create(request: ApiRequest, beneficiary_id: int, payload: HouseholdMemberIn) -> Any:
    b = sel.beneficiary_get(request.auth, beneficiary_id)
    services.household_member_add(actor=request.auth, beneficiary=b, name=payload.name, relation=payload.relation,
                                  lives_together=payload.lives_together)
    return Status(201, _detail(request, beneficiary_id))


@router.post("/beneficiaries/{id:beneficiary_id}/allowances", response={201: BeneficiaryOut, **errors(400, 401, 403, 404)},
             summary="Record an allowance")
def allowance_create(request: ApiRequest, beneficiary_id: int, payload: AllowanceIn) -> Any:
    b = sel.beneficiary_get(request.auth, beneficiary_id)
    services.allowance_add(actor=request.auth, beneficiary=b, kind=payload.kind, monthly_amount=payload.monthly_amount,
                           starts_on=payload.starts_on, ends_on=payload.ends_on)
    return Status(201, _detail(request, beneficiary_id))


@router.post("/beneficiaries/{id:beneficiary_id}/consents", response={201: CaseConsentOut, **errors(400, 401, 403, 404, 409)},
             summary="Record a consent")
def consent_create(request: ApiRequest, beneficiary_id: int, payload: CaseConsentIn) -> Any:
    b = sel.beneficiary_get(request.auth, beneficiary_id)
    orgs = list(Organization.objects.filter(pk__in=payload.organization_ids))
    if len(orgs) != len(set(payload.organization_ids)):
        raise field_error("organization_ids", "not_found", NotFound().message)
    text = sel.consent_texts().filter(pk=payload.text_id).first() if payload.text_id else None
    if payload.text_id and text is None:
        raise field_error("text_id", "not_found", NotFound().message)
    made = services.consent_record(actor=request.auth, beneficiary=b, purpose=payload.purpose, recipients=payload.recipients,
                                   organizations=orgs, given_on=payload.given_on, expires_on=payload.expires_on,
                                   given_by=payload.given_by, guardian=_guardian(b, payload.guardian_id), text=text)
    return Status(201, _consent(made, sel.consent_state(made, dt.date.today())))


@router.post("/consents/{id:consent_id}/withdraw", response={200: CaseConsentOut, **errors(400, 401, 403, 404)},
             summary="Withdraw a consent")
def consent_withdraw(request: ApiRequest, consent_id: int, payload: ConsentWithdrawIn) -> Any:
    c = sel.consent_get(request.auth, consent_id)
    done = services.consent_withdraw(actor=request.auth, consent=c, withdrawn_on=payload.withdrawn_on,
                                     withdrawn_by=payload.withdrawn_by, guardian=_guardian(c.beneficiary, payload.guardian_id))
    return _consent(done, sel.consent_state(done, dt.date.today()))


@router.post("/beneficiaries/{id:beneficiary_id}/consent-check", response={200: ConsentCheckOut, **errors(400, 401, 403, 404)},
             summary="Whether consent covers a use")
def consent_check(request: ApiRequest, beneficiary_id: int, payload: ConsentCheckIn) -> Any:
    """200 with the consent that covers the use, or 403 with `consent_missing`, `consent_expired` or `consent_withdrawn`."""
    b = sel.beneficiary_get(request.auth, beneficiary_id)
    found = services.consent_require(b, payload.purpose, _recipient(payload))
    return {"allowed": True, "consent_id": found.pk if found else None}


@router.post("/beneficiaries/{id:beneficiary_id}/export", response={200: dict[str, Any], **errors(400, 401, 403, 404)},
             summary="Export a beneficiary's data to a recipient (consent-checked, logged)")
def beneficiary_export(request: ApiRequest, beneficiary_id: int, payload: ExportIn) -> Any:
    b = sel.beneficiary_get(request.auth, beneficiary_id)
    return services.beneficiary_export(actor=request.auth, beneficiary=b, purpose=payload.purpose, recipient=_recipient(payload),
                                       reason=payload.reason)


@router.get("/data-requests", response={200: DataRequestPage, **errors(400, 401, 403)}, summary="Data-subject requests")
def data_requests(request: ApiRequest, filters: Query[PageIn]) -> Any:
    page = paginate(sel.data_requests_visible(request.auth), filters)
    page["results"] = [_request_row(r) for r in page["results"]]
    return page


@router.post("/beneficiaries/{id:beneficiary_id}/data-requests", response={201: DataRequestOut, **errors(400, 401, 403, 404)},
             summary="Record a data-subject request")
def data_request_create(request: ApiRequest, beneficiary_id: int, payload: DataRequestIn) -> Any:
    b = sel.beneficiary_get(request.auth, beneficiary_id)
    made = services.data_request_record(actor=request.auth, beneficiary=b, kind=payload.kind, received_on=payload.received_on,
                                        requested_by=payload.requested_by, guardian=_guardian(b, payload.guardian_id),
                                        details=payload.details)
    return Status(201, _request_row(made))


@router.get("/data-requests/{id:data_request_id}", response={200: DataRequestOut, **errors(401, 404)}, summary="One request")
def data_request_detail(request: ApiRequest, data_request_id: int) -> Any:
    return _request_row(sel.data_request_get(request.auth, data_request_id))


@router.post("/data-requests/{id:data_request_id}/answer", response={200: DataRequestAnswerOut, **errors(400, 401, 403, 404)},
             summary="Answer a data-subject request")
def data_request_answer(request: ApiRequest, data_request_id: int, payload: DataRequestAnswerIn) -> Any:
    """For access, the answer is the export of all the person's data (logged); a refusal needs a note."""
    found = sel.data_request_get(request.auth, data_request_id)
    done = services.data_request_answer(actor=request.auth, request=found, note=payload.note, refuse=payload.refuse)
    return {**_request_row(done), "answer": json.loads(crypto.decrypt(done.answer_enc)) if done.answer_enc else None}


