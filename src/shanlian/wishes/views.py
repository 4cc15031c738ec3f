"""The station's wish pages (list, register, the wish page with its actions: edit before a claim, cancel, message the
claimant, record what was given, confirm with a photo), the counts per station and year, and the photo. Thin: each
parses, calls one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import PermissionDenied
from shanlian.core.inputs import id_param
from shanlian.core.pages import paginate, submit

from . import access, services, services_fulfil
from . import selectors as sel
from .forms import CancelForm, ConfirmForm, FulfilForm, MessageForm, StationFilterForm, WishEditForm, WishForm
from .selectors_stats import station_year_counts, years_with_wishes


@never_cache
@login_required
def wish_list(request: HttpRequest) -> HttpResponse:
    form = StationFilterForm(request.GET or None)
    page = paginate(request, sel.wishes_visible(request.user, **form.values()))
    scope = sel.scope_of(request.user)
    return render(request, "wishes/list.html", {"form": form, "page_obj": page, "may_add": access.may_register(scope),
                                                "now": timezone.now()})


@never_cache
@login_required
def wish_new(request: HttpRequest) -> HttpResponse:
    people = list(sel.beneficiaries_for_wishes(request.user))
    if not access.may_register(sel.scope_of(request.user)):
        raise PermissionDenied("not_station_staff", _("Only a station's social workers and its agency post its wishes."))
    form = WishForm(request.POST or None, beneficiaries=people)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.wish_register(
            actor=request.user, beneficiary=d["beneficiary"], title=d["title"], description=d["description"],
            private_note=d["private_note"], wish_for=d["wish_for"], kind=d["kind"], value=d["value"], needed_by=d["needed_by"]))
        if done.value is not None:
            messages.success(request, _("Wish posted on the wall."))
            return redirect("wishes:wish", wish_id=done.value.pk)
        status = done.status
    return render(request, "wishes/form.html", {"form": form, "title": _("Post a micro-wish"), "back": "wishes:list"},
                  status=status)


def _page(request: HttpRequest, wish: Any, status: int = 200, **forms: Any) -> HttpResponse:
    file = sel.wish_file(request.user, wish)
    projects = services_fulfil.projects_for(wish) if file.team else []
    context = {
        "f": file, "w": wish, "today": timezone.localdate(),
        "message_form": forms.get("message_form") or MessageForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "fulfil_form": forms.get("fulfil_form") or FulfilForm(projects=projects, initial={
            "kind": "service" if wish.kind == "service" else "goods", "value": file.room.amount,
            "delivered_on": timezone.localdate(), "goods_item": wish.title, "goods_quantity": "1"}),
        "confirm_form": forms.get("confirm_form") or ConfirmForm(initial={"acknowledged_on": timezone.localdate()}),
    }
    return render(request, "wishes/wish.html", context, status=status)


@never_cache
@login_required
def wish(request: HttpRequest, wish_id: int) -> HttpResponse:
    return _page(request, sel.wish_get(request.user, wish_id))


def _team_only(request: HttpRequest, wish: Any) -> None:
    if not access.is_team(sel.scope_of(request.user), wish.station_id):
        raise PermissionDenied("not_case_team", _("Only the station's social workers and their supervisor change its wishes."))


@never_cache
@login_required
def wish_edit(request: HttpRequest, wish_id: int) -> HttpResponse:
    found = sel.wish_get(request.user, wish_id)
    _team_only(request, found)
    from shanlian.core import crypto

    initial = {"version": found.version, "title": found.title, "description": found.description, "wish_for": found.wish_for,
               "kind": found.kind, "value": found.value.amount, "needed_by": found.needed_by,
               "private_note": crypto.decrypt(found.private_note_enc) if found.private_note_enc else ""}
    form = WishEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.wish_update(
            actor=request.user, wish=found, version=d["version"], title=d["title"], description=d["description"],
            private_note=d["private_note"], wish_for=d["wish_for"], kind=d["kind"], value=d["value"], needed_by=d["needed_by"]))
        if done.value is not None:
            messages.success(request, _("Wish updated."))
            return redirect("wishes:wish", wish_id=found.pk)
        status = done.status
    return render(request, "wishes/form.html", {"form": form, "title": _("Edit the wish"), "back_id": found.pk}, status=status)


def _action(request: HttpRequest, wish_id: int, form_class: Any, key: str, write: Any, done_text: str,
            form_kwargs: dict[str, Any] | None = None) -> HttpResponse:
    found = sel.wish_get(request.user, wish_id)
    _team_only(request, found)
    form = form_class(request.POST, request.FILES, **(form_kwargs or {}))
    done = submit(form, lambda d: write(found, d))
    if done.value is not None:
        messages.success(request, done_text)
        return redirect("wishes:wish", wish_id=found.pk)
    return _page(request, sel.wish_get(request.user, wish_id), done.status, **{key: form})


@never_cache
@login_required
@require_POST
def wish_cancel(request: HttpRequest, wish_id: int) -> HttpResponse:
    return _action(request, wish_id, CancelForm, "cancel_form",
                   lambda w, d: services.wish_cancel(actor=request.user, wish=w, reason=d["reason"]), _("Wish cancelled."))


@never_cache
@login_required
@require_POST
def wish_message(request: HttpRequest, wish_id: int) -> HttpResponse:
    return _action(request, wish_id, MessageForm, "message_form",
                   lambda w, d: services.message_send(actor=request.user, wish=w, text=d["text"]), _("Message sent to the claimant."))


@never_cache
@login_required
@require_POST
def wish_fulfil(request: HttpRequest, wish_id: int) -> HttpResponse:
    found = sel.wish_get(request.user, wish_id)
    projects = services_fulfil.projects_for(found)
    return _action(request, wish_id, FulfilForm, "fulfil_form", lambda w, d: services_fulfil.wish_fulfil(
        actor=request.user, wish=w, kind=d["kind"], value=d["value"], delivered_on=d["delivered_on"], goods_item=d["goods_item"],
        goods_quantity=d["goods_quantity"], goods_unit=d["goods_unit"], channel=d["channel"] or "cash", project=d["project"],
        note=d["note"]), _("Delivery recorded."), {"projects": projects})


@never_cache
@login_required
@require_POST
def wish_confirm(request: HttpRequest, wish_id: int) -> HttpResponse:
    return _action(request, wish_id, ConfirmForm, "confirm_form", lambda w, d: services_fulfil.wish_confirm(
        actor=request.user, wish=w, photo=d["photo"], acknowledged_by=d["acknowledged_by"],
        acknowledged_how=d["acknowledged_how"], acknowledged_on=d["acknowledged_on"], note=d["note"]), _("Wish confirmed as fulfilled."))


@never_cache
@login_required
def wish_photo(request: HttpRequest, wish_id: int) -> FileResponse:
    found = sel.wish_get(request.user, wish_id)
    confirmation = getattr(found, "confirmation", None)
    if confirmation is None:
        raise Http404
    try:
        handle = confirmation.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kind = "image/png" if confirmation.photo_name.lower().endswith(".png") else "image/jpeg"
    return FileResponse(handle, filename=confirmation.photo_name, content_type=kind)


@never_cache
@login_required
def stats(request: HttpRequest) -> HttpResponse:
    years = years_with_wishes(request.user)
    raw = id_param(request.GET.get("year", ""))
    year = raw if raw is not None and raw in years else timezone.localdate().year
    rows = station_year_counts(request.user, year=year)
    return render(request, "wishes/stats.html", {"rows": rows, "year": year, "years": years})
