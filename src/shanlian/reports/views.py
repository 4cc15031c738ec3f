"""The monthly report's page and its two exports. Thin: each parses the month and the area, calls the one selector,
renders; the exports are the page's report, written out."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shanlian.core.errors import ValidationFailed
from shanlian.core.sheets import XLSX_TYPE

from . import exports
from .months import default_month, month_in, months_choice
from .selectors import Report, level_label, monthly_report, report_scope


def _report(request: HttpRequest) -> Report:
    report_scope(request.user)  # refused before the month is even read
    month = month_in(request.GET.get("month"))
    return monthly_report(request.user, month=month, area=request.GET.get("area"))


def _cells(report: Report, row: Any) -> list[dict[str, Any]]:
    """A row's figures with how to show each: money with two decimals, hours with one, counts grouped; a line before
    each section's first column."""
    return [{"value": v, "money": c.money, "hours": c.hours, "first": c is s.columns[0]}
            for (s, c), v in zip(report.columns, report.values(row), strict=True)]


@never_cache
@login_required
@require_GET
def monthly(request: HttpRequest) -> HttpResponse:
    report_scope(request.user)
    context: dict[str, Any] = {"months": months_choice(), "month_text": request.GET.get("month", "")[:16]}
    try:
        report = _report(request)
    except ValidationFailed as exc:
        context.update(error=exc, month=default_month())
        return render(request, "reports/monthly.html", context, status=exc.status)
    context.update(r=report, month=report.month, values=[(row, _cells(report, row)) for row in report.rows],
                   total=_cells(report, report.area), rows_label=level_label(report.rows[0].kind) if report.rows else "")
    return render(request, "reports/monthly.html", context)


@never_cache
@login_required
@require_GET
def monthly_xlsx(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    response = HttpResponse(exports.report_xlsx(report), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{exports.file_name(report, "xlsx")}"'
    return response


@never_cache
@login_required
@require_GET
def monthly_pdf(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    response = HttpResponse(exports.report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{exports.file_name(report, "pdf")}"'
    return response
