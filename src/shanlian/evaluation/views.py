"""The framework pages: the list, one framework's tree, importing one from XLSX (a new draft) or correcting a draft,
downloading it, publishing it, and starting its next version. Thin: each parses, calls one service or selector."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, PermissionDenied
from shanlian.core.pages import flash_error, submit
from shanlian.people.selectors import actor_scope

from . import services
from .forms import CopyForm, FrameworkImportForm, ReplaceForm
from .framework_sheet import sheet_read, sheet_response
from .models import Framework
from .selectors import framework_get, framework_view, frameworks_visible, regions_administered


@never_cache
@login_required
def frameworks(request: HttpRequest) -> HttpResponse:
    scope = actor_scope(request.user)
    rows = frameworks_visible(scope).order_by("-year", "kind", "org_kind", "-version")[:200]
    return render(request, "evaluation/frameworks.html", {"rows": rows, "may_import": regions_administered(scope).exists()})


def _page(request: HttpRequest, framework: Framework, forms_: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    scope = actor_scope(request.user)
    view = framework_view(scope, framework)
    forms_ = forms_ or {}
    return render(request, "evaluation/framework.html", {
        "v": view, "f": framework, "replace_form": forms_.get("replace") or ReplaceForm(),
        "copy_form": forms_.get("copy") or CopyForm(initial={"year": framework.year + 1})}, status=status)


@never_cache
@login_required
def framework(request: HttpRequest, framework_id: int) -> HttpResponse:
    return _page(request, framework_get(actor_scope(request.user), framework_id))


@never_cache
@login_required
def framework_export(request: HttpRequest, framework_id: int) -> HttpResponse:
    return sheet_response(framework_get(actor_scope(request.user), framework_id))


@never_cache
@login_required
def framework_import(request: HttpRequest) -> HttpResponse:
    scope = actor_scope(request.user)
    regions = regions_administered(scope)
    if not regions.exists():
        raise PermissionDenied("not_framework_admin", _("Only the region's civil-affairs administrators manage its frameworks."))
    form = FrameworkImportForm(request.POST or None, request.FILES or None, regions=regions)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.framework_save(
            actor=request.user, region=d["region"], kind=d["kind"], org_kind=d["org_kind"], year=d["year"], title=d["title"],
            total=d["total"], tree=sheet_read(d["file"]), bands=form.bands()), renamed={"indicators": "file", "bands": "band_5A"})
        if (made := done.value) is not None:
            messages.success(request, _("Framework saved as a draft (version %(n)s): check it, then publish it.") % {"n": made.version})
            return redirect("evaluation:framework", framework_id=made.pk)
        status = done.status
    return render(request, "evaluation/framework_import.html", {"form": form}, status=status)


@never_cache
@login_required
@require_POST
def framework_replace(request: HttpRequest, framework_id: int) -> HttpResponse:
    found = framework_get(actor_scope(request.user), framework_id)
    form = ReplaceForm(request.POST, request.FILES)
    done = submit(form, lambda d: services.framework_replace(
        actor=request.user, framework=found, tree=sheet_read(d["file"]),
        bands=[(b.grade, b.minimum) for b in found.bands.all()]), renamed={"indicators": "file", "framework": "file"})
    if done.ok:
        messages.success(request, _("The draft's indicators are replaced by the file's."))
        return redirect("evaluation:framework", framework_id=found.pk)
    return _page(request, found, {"replace": form}, status=done.status)


@never_cache
@login_required
@require_POST
def framework_publish(request: HttpRequest, framework_id: int) -> HttpResponse:
    found = framework_get(actor_scope(request.user), framework_id)
    try:
        services.framework_publish(actor=request.user, framework=found)
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("evaluation:framework", framework_id=found.pk)
    messages.success(request, _("Published: assessments are now made under this version, which never changes."))
    return redirect("evaluation:framework", framework_id=found.pk)


@never_cache
@login_required
@require_POST
def framework_copy(request: HttpRequest, framework_id: int) -> HttpResponse:
    found = framework_get(actor_scope(request.user), framework_id)
    form = CopyForm(request.POST)
    done = submit(form, lambda d: services.framework_new_version(actor=request.user, framework=found, year=d["year"]))
    if (made := done.value) is not None:
        messages.success(request, _("A new draft version (%(n)s) copied from this one.") % {"n": made.version})
        return redirect("evaluation:framework", framework_id=made.pk)
    return _page(request, found, {"copy": form}, status=done.status)
