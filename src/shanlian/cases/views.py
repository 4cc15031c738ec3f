"""Beneficiaries' pages, built for a phone on a home visit: the list, registering, the file (values for the case
team, masked with a reveal-by-reason for officers), corrections, guardians, household, allowances, consents and
data-subject requests. Thin: each parses, calls one service or selector, renders."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core import crypto
from shanlian.core.audit import audit_log
from shanlian.core.errors import DomainError, PermissionDenied
from shanlian.core.pages import flash_error, paginate, submit

from . import access, services
from . import selectors as sel
from .access import Sight
from .forms import (
    AllowanceForm,
    AnswerForm,
    BeneficiaryForm,
    ConsentForm,
    EditForm,
    FilterForm,
    GuardianForm,
    HouseholdForm,
    RequestForm,
    RevealForm,
    WithdrawForm,
)
from .models import SENSITIVE, RequestKind, RequestStatus


def _form_page(request: HttpRequest, form: Any, title: str, back: str, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "cases/form.html", {"form": form, "title": title, "back": back, **extra}, status=status)


def _team_only(request: HttpRequest, beneficiary: Any) -> None:
    if access.sight(sel.scope_of(request.user), beneficiary) is not Sight.VALUES:
        raise PermissionDenied("not_case_team", _("Only the station's social workers and their supervisor change this record."))


@never_cache
@login_required
def beneficiaries(request: HttpRequest) -> HttpResponse:
    cats = list(sel.categories())
    form = FilterForm(request.GET or None, categories=cats)
    page = paginate(request, sel.beneficiaries_visible(request.user, **form.values()))
    scope = sel.scope_of(request.user)
    return render(request, "cases/beneficiaries.html", {"form": form, "page_obj": page, "may_add": access.may_register(scope),
                                                         "open_requests": sel.data_requests_visible(request.user, open_only=True)[:5]})


@never_cache
@login_required
def beneficiary_new(request: HttpRequest) -> HttpResponse:
    stations = list(sel.stations_served(request.user))
    if not stations:
        raise PermissionDenied("not_station_staff", _("Only the station's social workers and their agency register its beneficiaries."))
    form = BeneficiaryForm(request.POST or None, people=sel.people_to_register(request.user), stations=stations,
                           categories=sel.categories())
    status = 200
    if request.method == "POST":
        def write(d: dict[str, Any]) -> Any:
            guardians = [(d["guardian"], d["guardian_relation"])] if d["guardian"] is not None else []
            return services.beneficiary_register(
                actor=request.user, person=d["person"], station=d["station"], categories=d["categories"],
                living_situation=d["living_situation"], birth_date=d["birth_date"], address=d["address"], health=d["health"],
                disability=d["disability"], finances=d["finances"], child_situation=d["child_situation"], guardians=guardians)
        done = submit(form, write, renamed={"guardians": "guardian", "guardian_relation": "guardian_relation"})
        if done.value is not None:
            messages.success(request, _("Beneficiary registered."))
            return redirect("cases:beneficiary", beneficiary_id=done.value.pk)
        status = done.status
    return _form_page(request, form, _("Register a beneficiary"), "cases:beneficiaries", status)


def _file_page(request: HttpRequest, beneficiary: Any, *, revealed: tuple[Any, str] | None = None,
               reveal_form: Any = None, status: int = 200) -> HttpResponse:
    file = sel.beneficiary_file(request.user, beneficiary)
    return render(request, "cases/beneficiary.html", {
        "f": file, "b": beneficiary, "revealed": revealed, "reveal_form": reveal_form or RevealForm(),
        "collections": sel.COLLECTIONS}, status=status)


@never_cache
@login_required
def beneficiary(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    return _file_page(request, sel.beneficiary_get(request.user, beneficiary_id))


@never_cache
@login_required
@require_POST
def beneficiary_reveal(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    found = sel.beneficiary_get(request.user, beneficiary_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _file_page(request, found, reveal_form=form, status=400)
    try:
        value = sel.beneficiary_reveal(request.user, found, field=form.cleaned_data["field"], reason=form.cleaned_data["reason"])
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash_error(request, exc)
        return _file_page(request, found, reveal_form=form, status=exc.status)
    return _file_page(request, found, revealed=(sel.field_label(form.cleaned_data["field"]), value))


@never_cache
@login_required
def beneficiary_edit(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    found = sel.beneficiary_get(request.user, beneficiary_id)
    _team_only(request, found)
    initial: dict[str, Any] = {s.name: sel.decrypted(found, s.name) for s in SENSITIVE if s.name != "birth_date"}
    initial.update(version=found.version, living_situation=found.living_situation,
                   categories=[str(c.pk) for c in found.categories.all()])
    form = EditForm(request.POST or None, initial=initial, categories=sel.categories())
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.beneficiary_update(
            actor=request.user, beneficiary=found, version=d["version"], categories=d["categories"],
            living_situation=d["living_situation"], **{k: d[k] for k in ("address", "health", "disability", "finances",
                                                                         "child_situation")}))
        if done.value is not None:
            messages.success(request, _("Record corrected."))
            return redirect("cases:beneficiary", beneficiary_id=found.pk)
        status = done.status
    elif request.method == "GET":
        audit_log(actor=request.user, action="cases.read", obj=found, after={"fields": sorted(k for k, v in initial.items() if v and
                                                                                            k in {s.name for s in SENSITIVE})})
    return _form_page(request, form, _("Correct the record of %(name)s") % {"name": found.person.real_name}, "cases:beneficiaries",
                      status, back_id=found.pk)


def _sub_form(request: HttpRequest, beneficiary_id: int, make: Any, write: Any, title: str, done_text: str) -> HttpResponse:
    found = sel.beneficiary_get(request.user, beneficiary_id)
    _team_only(request, found)
    form = make(request.POST or None, found)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: write(found, d))
        if done.value is not None:
            messages.success(request, done_text)
            return redirect("cases:beneficiary", beneficiary_id=found.pk)
        status = done.status
    return _form_page(request, form, f"{title} · {found.person.real_name}", "cases:beneficiaries", status, back_id=found.pk)


@never_cache
@login_required
def guardian_new(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    return _sub_form(request, beneficiary_id, lambda data, b: GuardianForm(data, people=sel.people_near(b)),
                     lambda b, d: services.guardian_add(actor=request.user, beneficiary=b, person=d["person"],
                                                        relation=d["relation"], since=d["since"]),
                     _("Add a guardian"), _("Guardian added."))


@never_cache
@login_required
def household_new(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    return _sub_form(request, beneficiary_id, lambda data, b: HouseholdForm(data),
                     lambda b, d: services.household_member_add(actor=request.user, beneficiary=b, name=d["name"],
                                                                relation=d["relation"], lives_together=d["lives_together"]),
                     _("Add a household member"), _("Household member added."))


@never_cache
@login_required
def allowance_new(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    return _sub_form(request, beneficiary_id, lambda data, b: AllowanceForm(data),
                     lambda b, d: services.allowance_add(actor=request.user, beneficiary=b, kind=d["kind"],
                                                         monthly_amount=d["monthly_amount"], starts_on=d["starts_on"],
                                                         ends_on=d["ends_on"]),
                     _("Record an allowance"), _("Allowance recorded."))


@never_cache
@login_required
def consent_new(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    return _sub_form(request, beneficiary_id, lambda data, b: ConsentForm(data, guardians=sel.active_guardians(b)),
                     lambda b, d: services.consent_record(actor=request.user, beneficiary=b, purpose=d["purpose"],
                                                          recipients=d["recipients"], given_on=d["given_on"],
                                                          expires_on=d["expires_on"], given_by=d["given_by"],
                                                          guardian=d["guardian"]),
                     _("Record a consent"), _("Consent recorded."))


@never_cache
@login_required
def consent_withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    consent = sel.consent_get(request.user, consent_id)
    b = consent.beneficiary
    _team_only(request, b)
    form = WithdrawForm(request.POST or None, guardians=sel.active_guardians(b))
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.consent_withdraw(actor=request.user, consent=consent, withdrawn_on=d["withdrawn_on"],
                                                                withdrawn_by=d["withdrawn_by"], guardian=d["guardian"]))
        if done.value is not None:
            messages.success(request, _("Consent withdrawn."))
            return redirect("cases:beneficiary", beneficiary_id=b.pk)
        status = done.status
    return _form_page(request, form, _("Withdraw the consent: %(purpose)s") % {"purpose": consent.get_purpose_display()},
                      "cases:beneficiaries", status, back_id=b.pk, wording=consent.text)


@never_cache
@login_required
def request_new(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    return _sub_form(request, beneficiary_id, lambda data, b: RequestForm(data, guardians=sel.active_guardians(b)),
                     lambda b, d: services.data_request_record(actor=request.user, beneficiary=b, kind=d["kind"],
                                                               received_on=d["received_on"], requested_by=d["requested_by"],
                                                               guardian=d["guardian"], details=d["details"]),
                     _("Record a data-subject request"), _("Request recorded."))


@never_cache
@login_required
def requests(request: HttpRequest) -> HttpResponse:
    page = paginate(request, sel.data_requests_visible(request.user))
    return render(request, "cases/requests.html", {"page_obj": page})


@never_cache
@login_required
def data_request(request: HttpRequest, data_request_id: int) -> HttpResponse:
    found = sel.data_request_get(request.user, data_request_id)
    team = access.sight(sel.scope_of(request.user), found.beneficiary) is Sight.VALUES
    form = AnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not team:
            raise PermissionDenied("not_case_team", _("Only the station's social workers and their supervisor change this record."))
        done = submit(form, lambda d: services.data_request_answer(actor=request.user, request=found, note=d["note"],
                                                                   refuse=d["refuse"]))
        if done.value is not None:
            messages.success(request, _("Request answered."))
            return redirect("cases:data_request", data_request_id=found.pk)
        status = done.status
    details = answer = None
    if team:
        details = crypto.decrypt(found.details_enc)
        if found.answer_enc:
            answer = json.dumps(json.loads(crypto.decrypt(found.answer_enc)), ensure_ascii=False, indent=2)
        if details or answer:
            audit_log(actor=request.user, action="cases.read", obj=found.beneficiary, after={"data_request": found.pk})
    return render(request, "cases/request.html", {
        "r": found, "team": team, "form": form, "details": details, "answer": answer, "overdue": sel.data_request_overdue(found),
        "open": found.status == RequestStatus.OPEN, "access_kind": found.kind == RequestKind.ACCESS}, status=status)




