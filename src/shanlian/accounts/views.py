"""Account pages: sign up with a phone code, reset a forgotten password the same way, change a password, one's own
account page; and for administrators, a login for a new colleague (with a first password to hand over) and
deactivation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from shanlian.core.errors import DomainError, NotFound
from shanlian.core.pages import add_domain_error, flash_error
from shanlian.people.forms import RoleGrantForm
from shanlian.people.models import Person
from shanlian.people.selectors import actor_scope, person_get
from shanlian.web.selectors import personal_card

from . import services
from .forms import PasswordChangeForm, PhoneForm, ResetForm, SignupForm
from .middleware import SESSION_KEY
from .models import CodePurpose

BACKEND = "shanlian.accounts.backends.PhoneBackend"


def _send_code(request: HttpRequest, purpose: str) -> tuple[int, PhoneForm]:
    """The "send the code" button: its own small form, so the rest of the page is not checked yet."""
    phone_form = PhoneForm(request.POST)
    if not phone_form.is_valid():
        return 400, phone_form
    try:
        services.code_send(phone=phone_form.cleaned_data["phone"], purpose=purpose)
    except DomainError as exc:
        add_domain_error(phone_form, exc)
        return exc.status, phone_form
    messages.success(request, _("A code was sent by text message; it is valid for 10 minutes."))
    return 200, phone_form


def _code_page(request: HttpRequest, form_class: type[PhoneForm], purpose: str, template: str,
               submit: Callable[[dict[str, Any]], HttpResponse]) -> HttpResponse:
    """A page with a phone and "send the code" (its own small form), then the rest, which `submit` acts on."""
    status, phone_form = 200, None
    form = form_class(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "send":
            form = form_class(initial={"phone": request.POST.get("phone", "")})
            status, phone_form = _send_code(request, purpose)
        elif form.is_valid():
            try:
                return submit(form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
        else:
            status = 400
    return render(request, template, {"form": form, "phone_form": phone_form}, status=status)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """One page: the phone and "send the code", then the code, name, community and a password."""
    if request.user.is_authenticated:
        return redirect("web:home")

    def submit(data: dict[str, Any]) -> HttpResponse:
        user = services.resident_signup(phone=data["phone"], code=data["code"], real_name=data["real_name"],
                                        community=data["community"], password=data["password"])
        login(request, user, backend=BACKEND)
        messages.success(request, _("Welcome! Register as a volunteer at a station near you, or give to an appeal."))
        return redirect("timebank:register")

    return _code_page(request, SignupForm, CodePurpose.SIGNUP, "accounts/signup.html", submit)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    def submit(data: dict[str, Any]) -> HttpResponse:
        services.password_reset(phone=data["phone"], code=data["code"], password=data["password"])
        messages.success(request, _("Your password was changed: sign in with your phone number and the new password."))
        return redirect("login")

    return _code_page(request, ResetForm, CodePurpose.RESET, "accounts/reset.html", submit)


@never_cache
@login_required
@sensitive_post_parameters("old_password", "new_password")
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    status = 200
    form = PasswordChangeForm(request.POST or None)
    forced = services.must_change_password(request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.password_change(user=request.user, old_password=form.cleaned_data["old_password"],
                                                new_password=form.cleaned_data["new_password"])
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                update_session_auth_hash(request, user)
                request.session.pop(SESSION_KEY, None)
                messages.success(request, _("Your password was changed."))
                return redirect("web:home")
        else:
            status = 400
    return render(request, "accounts/password_change.html", {"form": form, "forced": forced}, status=status)


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    scope = actor_scope(request.user)
    return render(request, "accounts/account.html", {"scope": scope, "me": personal_card(scope=scope)})


# --- administrators -------------------------------------------------------------------------------------------


def _person_for_admin(request: HttpRequest, person_id: int) -> tuple[Any, Person]:
    scope = actor_scope(request.user)
    person = person_get(scope=scope, person_id=person_id)
    return scope, person


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest, person_id: int) -> HttpResponse:
    """A login for a person in the administrator's area, with its role; the first password is shown once."""
    scope, person = _person_for_admin(request, person_id)
    services._require_admin_over(scope, person)
    if person.user_id is not None:
        raise NotFound("account_exists", _("This person already has a login account."))
    form = StaffAccountForm(request.POST or None, scope=scope, initial={"role": "station_worker"})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                user, password = services.staff_account_create(actor=request.user, scope=scope, person=person,
                                                               username=data["username"], role=data["role"], target=data["target"])
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                return render(request, "accounts/staff_created.html", {"person": person, "account": user, "password": password})
        else:
            status = 400
    return render(request, "accounts/staff_create.html", {"form": form, "person": person}, status=status)


@login_required
@require_POST
def staff_deactivate(request: HttpRequest, person_id: int) -> HttpResponse:
    scope, person = _person_for_admin(request, person_id)
    try:
        services.account_deactivate(actor=request.user, scope=scope, person=person)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("The login was deactivated: it can no longer sign in."))
    return redirect("people:person_detail", person_id=person.pk)


@never_cache
@login_required
@require_POST
def staff_reactivate(request: HttpRequest, person_id: int) -> HttpResponse:
    scope, person = _person_for_admin(request, person_id)
    try:
        user, password = services.account_reactivate(actor=request.user, scope=scope, person=person)
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("people:person_detail", person_id=person.pk)
    return render(request, "accounts/staff_created.html", {"person": person, "account": user, "password": password})


class StaffAccountForm(RoleGrantForm):
    """The role grant's form, for a login that does not exist yet: its user name is new."""

    def clean_username(self) -> Any:
        return self.cleaned_data["username"]
