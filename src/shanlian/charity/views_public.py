"""Public disclosure pages (信息公开): no login. Funds, campaigns and projects with their income, spending,
balance and donors (names masked), CSV/XLSX downloads, receipt verification and the published reports.

Only public data reaches these pages: donor names go through `public_name`, statement lines through
`public_lines` (the raw ledger memo may carry a full name and is never shown)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from shanlian.core.errors import NotFound
from shanlian.core.money import Money
from shanlian.core.pagination import CappedPaginator

from . import exports
from .forms_public import DisclosureQueryForm, PublicSearchForm
from .models import CampaignStatus, Channel, DisclosureReport, ReceiptStatus
from .selectors import (
    campaign_disclosure,
    fund_disclosure,
    fund_project_accounts,
    fund_statement,
    project_disclosure,
    public_campaign_get,
    public_campaigns,
    public_donors,
    public_fund_get,
    public_funds,
    public_lines,
    public_name,
    public_project_get,
    public_receipt_get,
    public_report_get,
    public_reports,
    report_subject,
)

LIST_PAGE_SIZE = 20
DEFAULT_MONTHS = 12  # a fund page opens on the last 12 months; "all dates" is one click away


def _query(request: HttpRequest) -> DisclosureQueryForm:
    return DisclosureQueryForm(request.GET or None)


def _status(form: DisclosureQueryForm) -> int:
    return 400 if form.is_bound and not form.is_valid() else 200


def _export(request: HttpRequest, form: DisclosureQueryForm) -> str:
    """The requested download format ('' for the page); an unknown one is a bad request, with a code."""
    fmt = str(request.GET.get("format", "") or "")
    if fmt not in ("", "csv", "xlsx"):
        form.add_error("format", _("Downloads are CSV or XLSX."))
        return ""
    return fmt if form.is_valid() else ""


def _yuan(m: Money) -> str:
    return str(m.amount)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    form = PublicSearchForm(request.GET or None)
    query = form.query()
    funds = CappedPaginator(public_funds(query=query), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    campaigns = list(public_campaigns(query=query)[:12])
    for c in campaigns:
        c.raised = Money.from_fen(int(c.raised_fen or 0))  # type: ignore[attr-defined]
    for f in funds.object_list:
        f.money = Money.from_fen(int(f.money_fen or 0))
    reports = list(public_reports()[:5])
    return render(request, "charity/public/index.html", {
        "form": form, "query": query, "page_obj": funds, "campaigns": campaigns, "open_status": CampaignStatus.OPEN,
        "reports": [(r, report_subject(r)) for r in reports],
    })


@require_GET
def fund_page(request: HttpRequest, code: str) -> HttpResponseBase:
    fund = public_fund_get(code=code)
    form = _query(request)
    fmt = _export(request, form)
    start, end, default_period = form.period(default_months=DEFAULT_MONTHS)
    if fmt:
        name = f"{fund.code}-{start or 'all'}-{end or 'now'}"
        if fmt == "csv":
            return exports.csv_response(name, exports.statement_table(fund, start, end))
        return exports.xlsx_response(name, exports.fund_tables(fund, start, end))
    projects = fund_project_accounts(fund)
    disclosure = fund_disclosure(fund=fund, start=start, end=end, projects=projects)
    statement = fund_statement(fund=fund, start=start, end=end, cursor=form.value("cursor"), limit=20, projects=projects)
    donors = public_donors(subject=fund, page=form.value("page") or 1, start=start, end=end, count=disclosure.gifts)
    chart = {
        "months": [p.period.strftime("%Y-%m") for p in disclosure.income_by_month],
        "income": [_yuan(p.amount) for p in disclosure.income_by_month],
        "sources": [{"name": str(s.label), "value": _yuan(s.amount)} for s in disclosure.income_by_source],
        "labels": {"income": str(_("Income")), "yuan": str(_("yuan"))},
    }
    spent = {s.project.pk: s for s in disclosure.spending_by_project}
    rows = [(p, spent[p.pk].amount if p.pk in spent else Money(0), spent[p.pk].payouts if p.pk in spent else 0, left)
            for p, left in disclosure.restricted]
    return render(request, "charity/public/fund.html", {
        "fund": fund, "form": form, "d": disclosure, "projects": rows, "statement": statement,
        "lines": public_lines(statement.lines),
        "page_obj": donors, "chart": chart, "start": start, "end": end, "default_period": default_period,
        "default_months": DEFAULT_MONTHS,
    }, status=_status(form))


@require_GET
def campaign_page(request: HttpRequest, slug: str) -> HttpResponseBase:
    campaign = public_campaign_get(slug=slug)
    form = _query(request)
    fmt = _export(request, form)
    if fmt == "csv":
        return exports.csv_response(f"campaign-{campaign.slug}", exports.donors_table(campaign))
    if fmt == "xlsx":
        return exports.xlsx_response(f"campaign-{campaign.slug}", exports.campaign_tables(campaign))
    d = campaign_disclosure(campaign=campaign)
    chart = {
        "days": [p.period.isoformat() for p in d.by_day],
        "income": [_yuan(p.amount) for p in d.by_day],
        "labels": {"income": str(_("Raised")), "yuan": str(_("yuan"))},
    }
    return render(request, "charity/public/campaign.html", {
        "campaign": campaign, "d": d, "form": form, "page_obj": public_donors(subject=campaign, page=form.value("page") or 1),
        "chart": chart, "is_open": campaign.status == CampaignStatus.OPEN,
    }, status=_status(form))


@require_GET
def project_page(request: HttpRequest, project_id: int) -> HttpResponseBase:
    project = public_project_get(project_id=project_id)
    form = _query(request)
    fmt = _export(request, form)
    if fmt == "csv":
        return exports.csv_response(f"project-{project.pk}", exports.payouts_table(project_disclosure(project=project).payouts))
    if fmt == "xlsx":
        return exports.xlsx_response(f"project-{project.pk}", exports.project_tables(project))
    d = project_disclosure(project=project)
    return render(request, "charity/public/project.html", {
        "project": project, "d": d, "form": form, "page_obj": public_donors(subject=project, page=form.value("page") or 1),
    }, status=_status(form))


@require_GET
def receipt_verify(request: HttpRequest, code: str) -> HttpResponse:
    try:
        receipt = public_receipt_get(code=code)
    except NotFound as exc:
        response = render(request, "charity/public/receipt_unknown.html", {"error": exc}, status=404)
        response["X-Robots-Tag"] = "noindex"
        return response
    donation = receipt.donation
    context: dict[str, Any] = {
        "receipt": receipt, "donor": public_name(receipt.donor_name, donation.show_name),
        "voided": receipt.status == ReceiptStatus.VOIDED, "channel": dict(Channel.choices).get(donation.channel, ""),
    }
    response = render(request, "charity/public/receipt.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    page = CappedPaginator(public_reports(), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = [(r, report_subject(r)) for r in page.object_list]
    return render(request, "charity/public/report_list.html", {"page_obj": page})


@require_GET
def report_page(request: HttpRequest, report_id: int) -> HttpResponse:
    report = public_report_get(report_id=report_id)
    return render(request, "charity/public/report.html", {
        "report": report, "title": report_subject(report), "c": report.content,
        "is_campaign": report.subject_type == "campaign", "kinds": dict(DisclosureReport.Kind.choices),
    })
