"""Time-bank pages: the service certificate (the volunteer's PDF and its public verification page)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError
from shanlian.core.pages import flash_error

from . import selectors, services
from .documents import certificate_pdf as certificate_pdf_bytes
from .models import ServiceCertificate, Volunteer


@login_required
@require_POST
def certificate_create(request: HttpRequest) -> HttpResponse:
    volunteer = Volunteer.objects.filter(person__user=request.user.pk).first()
    if volunteer is None:
        raise Http404
    try:
        start = dt.date.fromisoformat(request.POST.get("start", ""))
        end = dt.date.fromisoformat(request.POST.get("end", "")) if request.POST.get("end") else timezone.localdate()
        cert = services.certificate_issue(actor=request.user, volunteer=volunteer, period_start=start, period_end=end)
    except ValueError:
        messages.error(request, _("Enter dates as YYYY-MM-DD."))
        return redirect("timebank:home")
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("timebank:home")
    return redirect("timebank:certificate_pdf", code=cert.code)


@login_required
def certificate_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The PDF, for its volunteer only (others get 404, as for a missing one)."""
    cert = get_object_or_404(ServiceCertificate.objects.select_related("volunteer__person"), code=code,
                             volunteer__person__user=request.user.pk)
    response = HttpResponse(certificate_pdf_bytes(cert, request=request), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{cert.code}.pdf"'
    return response


def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone holding the code sees the certificate with the name masked."""
    cert = get_object_or_404(ServiceCertificate.objects.select_related("volunteer__person"), code=code.upper())
    name = selectors.volunteer_name(scope=None, station_id=cert.volunteer.station_id, name=cert.volunteer.person.real_name)
    return render(request, "timebank/certificate_verify.html", {"cert": cert, "name": name})
