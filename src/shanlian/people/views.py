"""Pages for residents' records (masked; unmasking is a logged, permission-checked POST) and for
role management. Every read goes through the selectors with the actor's scope; every write through
the services, whose domain errors come back onto the form with their codes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, PermissionDenied
from shanlian.core.pages import add_domain_error, flash_error, paginate
from shanlian.core.scoping import PEOPLE_ROLES, ROLE_SCOPE_KIND, Scope

from . import selectors, services
from .forms import PersonForm, PersonSearchForm, RoleGrantForm
from .permissions import may_manage_roles, may_open_people

REVEAL_PERMISSION = "people.reveal_sensitive"


def _require_people_role(scope: Scope) -> None:
    if not may_open_people(scope):
        raise PermissionDenied("people_not_allowed", _("Only staff working with residents can open people's records."))


def _may_edit(scope: Scope) -> bool:
    return scope.is_superuser or bool(scope.roles & PEOPLE_ROLES)


@never_cache
@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    scope = selectors.actor_scope(request.user)
    _require_people_role(scope)
    form = PersonSearchForm(request.GET or None, scope=scope)
    query, division_id = form.filters()
    page = paginate(request, selectors.people_list(scope=scope, query=query, division_id=division_id))
    shown = form.masked_for_display()
    context = {"form": shown, "page_obj": page, "query": shown["q"].value() if shown.is_bound else ""}
    return render(request, "people/person_list.html", context)


@never_cache
@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    scope = selectors.actor_scope(request.user)
    person = selectors.person_get(scope=scope, person_id=person_id)
    return render(request, "people/person_detail.html", _detail_context(request, scope, person))


def _detail_context(request: HttpRequest, scope: Scope, person: Any, revealed: dict[str, str] | None = None) -> dict:
    return {
        "person": person,
        "roles": selectors.person_roles(person=person),
        "can_reveal": request.user.has_perm(REVEAL_PERMISSION),
        "can_edit": _may_edit(scope),
        "can_manage_login": may_manage_roles(scope),
        "revealed": revealed or {},
    }


@never_cache
@login_required
@require_POST
def person_reveal(request: HttpRequest, person_id: int, field: str) -> HttpResponse:
    scope = selectors.actor_scope(request.user)
    person = selectors.person_get(scope=scope, person_id=person_id)
    value = selectors.person_reveal(scope=scope, user=request.user, person=person, field=field)
    if request.headers.get("HX-Request"):
        return render(request, "people/_revealed.html", {"value": value, "field": field})
    return render(request, "people/person_detail.html", _detail_context(request, scope, person, {field: value}))


@never_cache
@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    scope = selectors.actor_scope(request.user)
    _require_people_role(scope)
    form = PersonForm(request.POST or None, scope=scope, creating=True)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = services.person_create(
                    actor=request.user, real_name=data["real_name"], division=data["division"],
                    resident_id=data["resident_id"], phone=data["phone"], gender=data["gender"], scope=scope,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("%(name)s was added.") % {"name": person.real_name})
                return redirect("people:person_detail", person_id=person.pk)
    return render(request, "people/person_form.html", {"form": form, "person": None}, status=status)


@never_cache
@login_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    scope = selectors.actor_scope(request.user)
    _require_people_role(scope)
    person = selectors.person_get(scope=scope, person_id=person_id)
    initial = {"real_name": person.real_name, "gender": person.gender, "division": person.division_id}
    form = PersonForm(request.POST or None, initial=initial, scope=scope, creating=False, phone_masked=person.phone_masked)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            phone = data["phone"] or ("" if data.get("clear_phone") else None)  # None keeps the stored phone
            try:
                services.person_update(
                    actor=request.user, person=person, real_name=data["real_name"], division=data["division"],
                    phone=phone, gender=data["gender"], scope=scope,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Changes saved."))
                return redirect("people:person_detail", person_id=person.pk)
    return render(request, "people/person_form.html", {"form": form, "person": person}, status=status)


def _require_admin(scope: Scope) -> None:
    if not may_manage_roles(scope):
        raise PermissionDenied("not_admin", _("Only administrators manage roles."))


def _role_page(request: HttpRequest, scope: Scope, form: RoleGrantForm, status: int = 200) -> HttpResponse:
    page = paginate(request, selectors.role_grant_list(scope=scope))
    context = {"form": form, "page_obj": page, "role_scope_kinds": {str(k): str(v) for k, v in ROLE_SCOPE_KIND.items()}}
    return render(request, "people/role_list.html", context, status=status)


@never_cache
@login_required
def role_list(request: HttpRequest) -> HttpResponse:
    scope = selectors.actor_scope(request.user)
    _require_admin(scope)
    return _role_page(request, scope, RoleGrantForm(scope=scope))


@never_cache
@login_required
@require_POST
def role_grant(request: HttpRequest) -> HttpResponse:
    scope = selectors.actor_scope(request.user)
    _require_admin(scope)
    form = RoleGrantForm(request.POST, scope=scope)
    if not form.is_valid():
        return _role_page(request, scope, form, status=400)
    data = form.cleaned_data
    try:
        grant = services.role_grant(actor=request.user, scope=scope, user=data["username"], role=data["role"],
                                    target=data["target"])
    except DomainError as exc:
        add_domain_error(form, exc)
        return _role_page(request, scope, form, status=exc.status)
    messages.success(request, _("Granted: %(grant)s to %(user)s.") % {"grant": grant, "user": grant.user.username})
    return redirect("people:role_list")


@never_cache
@login_required
@require_POST
def role_revoke(request: HttpRequest, grant_id: int) -> HttpResponse:
    scope = selectors.actor_scope(request.user)
    grant = selectors.role_grant_get(scope=scope, grant_id=grant_id)
    try:
        services.role_revoke(actor=request.user, scope=scope, grant=grant)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Revoked: %(grant)s from %(user)s.") % {"grant": grant, "user": grant.user.username})
    return redirect("people:role_list")
