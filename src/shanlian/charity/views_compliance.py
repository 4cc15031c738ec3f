"""The compliance dashboard (/charity/compliance/): per federation and year, charitable spending against
70% of last year's income (or the three-year average) and management cost against its cap, with
warnings. Federation finance officers see their federations, city and district administrators those
in their area, superusers all; anyone else is refused (403), a federation out of scope is missing (404)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from shanlian.core.errors import PermissionDenied, field_error
from shanlian.core.pagination import CappedPaginator
from shanlian.core.scoping import Scope
from shanlian.people.selectors import actor_scope

from .forms_public import YearForm, years_choice
from .permissions import may_see_compliance
from .selectors import ComplianceReport, compliance, compliance_federation_get, compliance_federations, compliance_many

PAGE_SIZE = 10


def _require_role(scope: Scope) -> None:
    if not may_see_compliance(scope):
        raise PermissionDenied("compliance_not_allowed",
                               _("Only federation finance officers and city or district administrators see compliance."))


def _year(request: HttpRequest) -> tuple[YearForm, int]:
    form = YearForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        raise field_error("year", "invalid_year", _("Choose a year between 2000 and 2100."))
    return form, form.year_or_current()


def _pct(value: Decimal | None) -> float | None:
    return None if value is None else float((value * 100).quantize(Decimal("0.1")))


def _gauges(r: ComplianceReport) -> dict[str, Any]:
    """Numbers for the charts: percentages (floats are fine for drawing; the page prints exact amounts)."""
    return {
        "spending": _pct(r.spending_ratio_last_year), "spending_avg": _pct(r.spending_ratio_average),
        "min": _pct(r.min_ratio), "mgmt": _pct(r.mgmt_ratio), "cap": _pct(r.mgmt_cap),
        "years": [str(y) for y, _m in r.income_by_year] + [str(r.year)],
        "income": [str(m.amount) for _y, m in r.income_by_year] + [str(r.income_this_year.amount)],
        "spent": ["0" for _y in r.income_by_year] + [str(r.spending.amount)],
        "labels": {"spending": str(_("Charitable spending / last year's income")), "mgmt": str(_("Management cost / spending")),
                   "income": str(_("Income")), "spent": str(_("Charitable spending")), "min": str(_("Minimum")),
                   "cap": str(_("Cap"))},
    }


def pct_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{(value * 100).quantize(Decimal('0.1'))}%"


def _bar_width(ratio: Decimal | None, scale: Decimal) -> int:
    """Width of a bar in percent of its track, where the track shows 0..scale."""
    if ratio is None or scale <= 0:
        return 0
    return int(min(Decimal(100), ratio * 100 / scale))


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = actor_scope(request.user)
    _require_role(scope)
    form, year = _year(request)
    page = CappedPaginator(compliance_federations(scope=scope), PAGE_SIZE).get_page(request.GET.get("page"))
    reports = compliance_many(federations=list(page.object_list), year=year)
    rows = [{
        "r": r,
        # Tracks: spending 0..100% of last year's income (the mark at 70%); management cost 0..2x the cap.
        "spend_bar": _bar_width(r.spending_ratio_last_year, Decimal(1)), "min_mark": int(r.min_ratio * 100),
        "mgmt_bar": _bar_width(r.mgmt_ratio, r.mgmt_cap * 2), "cap_mark": 50,
        "spend_pct": pct_text(r.spending_ratio_last_year), "avg_pct": pct_text(r.spending_ratio_average),
        "mgmt_pct": pct_text(r.mgmt_ratio), "cap_pct": pct_text(r.mgmt_cap), "min_pct": pct_text(r.min_ratio),
    } for r in reports]
    return render(request, "charity/compliance/dashboard.html", {
        "form": form, "year": year, "years": years_choice(), "page_obj": page, "rows": rows,
        "chart": {"names": [r.federation.name for r in reports], "spending": [_pct(r.spending_ratio_last_year) for r in reports],
                  "spending_avg": [_pct(r.spending_ratio_average) for r in reports],
                  "mgmt": [_pct(r.mgmt_ratio) for r in reports], "min": _pct(reports[0].min_ratio) if reports else 70,
                  "labels": {"last": str(_("vs last year's income")), "avg": str(_("vs three-year average")),
                             "mgmt": str(_("Management cost / spending")), "min": str(_("Minimum"))}},
    })


@login_required
@require_GET
def federation_detail(request: HttpRequest, federation_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    _require_role(scope)
    federation = compliance_federation_get(scope=scope, federation_id=federation_id)
    form, year = _year(request)
    r = compliance(federation=federation, year=year)
    return render(request, "charity/compliance/federation.html", {
        "form": form, "year": year, "years": years_choice(), "r": r, "chart": _gauges(r), "min_pct": pct_text(r.min_ratio),
        "cap_pct": pct_text(r.mgmt_cap), "mgmt_pct": pct_text(r.mgmt_ratio),
    })
