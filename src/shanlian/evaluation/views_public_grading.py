"""Public pages of grade and brand evaluation: the decisions on notice (anyone may object while a notice runs), a
certificate's check page and PDF, an organization's grade with its certificate. Nothing else of an assessment is public."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from shanlian.core.errors import NotFound
from shanlian.core.pages import submit
from shanlian.orgs.models import Organization

from . import selectors_grading as sel
from .certificates import certificate_pdf
from .forms_grading import ObjectionForm
from .selectors_brand import brand_named, showcase
from .services import decisions as sd


def notices(request: HttpRequest) -> HttpResponse:
    rows = list(sel.notices_public()[:200])
    now = timezone.now()
    return render(request, "evaluation/public/notices.html", {
        "running": [a for a in rows if a.status == "notice" and a.notice_until and a.notice_until > now],
        "awarded": [a for a in rows if a.status == "awarded"]})


@never_cache
def notice(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = sel.notice_public_get(assessment_id)
    form = ObjectionForm(request.POST or None, prefix="objection")
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: sd.objection_lodge(assessment=a, name=d["name"], contact=d["contact"], text=d["text"]))
        if done.value is not None:
            messages.success(request, _("Your objection is received; the committee will answer you."))
            return redirect("evaluation_public:notice", assessment_id=a.pk)
        status = done.status
    running = a.status == "notice" and a.notice_until is not None and a.notice_until > timezone.now()
    return render(request, "evaluation/public/notice.html", {"a": a, "form": form, "running": running}, status=status)


def certificate(request: HttpRequest, number: str) -> HttpResponse:
    return render(request, "evaluation/public/certificate.html", {"a": sel.certificate_public_get(number[:32])})


def certificate_download(request: HttpRequest, number: str) -> HttpResponse:
    return certificate_pdf(sel.certificate_public_get(number[:32]), request)


def organization_grade(request: HttpRequest, organization_id: int) -> HttpResponse:
    org = Organization.objects.filter(pk=organization_id).first()
    if org is None:
        raise NotFound()
    return render(request, "evaluation/public/organization.html", {
        "org": org, "award": sel.latest_award(org.pk), "brand": sel.latest_award(org.pk, brand=True)})


def brands(request: HttpRequest) -> HttpResponse:
    return render(request, "evaluation/public/brands.html", {"rows": list(brand_named()[:300])})


def brand(request: HttpRequest, organization_id: int) -> HttpResponse:
    return render(request, "evaluation/public/brand.html", {"s": showcase(organization_id)})
