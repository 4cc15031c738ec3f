"""Public pages of micro-venture rounds and service projects (no login): the rounds, one round (phases, needs,
proposals with the screening's answer, the live turnout, the results with their reasons once the vote has closed),
the registry of service projects and one project (agreement, tranches paid, milestones, progress, final report),
each with CSV/XLSX downloads (?format=csv|xlsx, ?table=... for which CSV table).

Thin: every read is one selector of selectors_public; what is hidden and when is decided there."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from shanlian.charity import exports
from shanlian.charity.models import Purpose
from shanlian.core.errors import Conflict, ValidationFailed, lazy_format
from shanlian.core.pages import paginate

from . import exports_public as tables
from .models import BrandStage, ProjectOrigin, ProjectStatus, RoundStatus
from .selectors_pb import round_pb
from .selectors_public import (
    current_phase_label,
    project_public,
    project_public_get,
    projects_public,
    round_public,
    round_public_get,
    rounds_public,
)

FORMATS = ("csv", "xlsx")
ROUND_TABLES = ("results", "proposals", "needs", "turnout")
PROJECT_TABLES = ("progress", "tranches", "budget")


def _download(request: HttpRequest, tables_allowed: tuple[str, ...]) -> tuple[str, str]:
    """The requested format ('' for the page) and CSV table (the first allowed by default); anything else is a
    400 saying what may be asked."""
    fmt = request.GET.get("format", "")
    if fmt not in ("", *FORMATS):
        raise ValidationFailed("bad_format", _("Downloads are CSV or XLSX (format=csv or format=xlsx)."),
                               fields={"format": [("bad_format", _("Downloads are CSV or XLSX."))]})
    table = request.GET.get("table", "") or tables_allowed[0]
    if table not in tables_allowed:
        message = lazy_format(_("Choose a table: %(tables)s."), {"tables": ", ".join(tables_allowed)})
        raise ValidationFailed("bad_table", message, fields={"table": [("bad_table", message)]})
    return fmt, table


@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, rounds_public())
    rows = [(r, current_phase_label(r)) for r in page.object_list]
    return render(request, "grants/public/round_list.html", {"page_obj": page, "rows": rows, "closed": RoundStatus.CLOSED})


@require_GET
def round_page(request: HttpRequest, round_id: int) -> HttpResponseBase:
    r = round_public_get(round_id)
    if request.GET.get("format") == "pb":  # the vote as a pabulib file, for analysts (refused until the vote has closed)
        response = HttpResponse(round_pb(r), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="shanlian-round-{r.pk}.pb"'
        return response
    fmt, table = _download(request, ROUND_TABLES)
    page = round_public(r)
    if fmt == "xlsx":
        return exports.xlsx_response(f"round-{r.pk}", tables.round_tables(page))
    if fmt == "csv":
        if table == "results":
            if page.results is None:
                raise Conflict(page.results_code or "results_hidden", page.results_note)
            return exports.csv_response(f"round-{r.pk}-results", tables.results_table(page.results))
        if table == "turnout" and page.turnout is None:
            raise Conflict("turnout_hidden", _("The turnout is shown once the vote has opened."))
        chosen = {"proposals": tables.proposals_table, "needs": tables.needs_table, "turnout": tables.turnout_table}[table]
        return exports.csv_response(f"round-{r.pk}-{table}", chosen(page))
    return render(request, "grants/public/round.html", {"p": page, "r": r})


class ProjectFilterForm(forms.Form):
    area = forms.ChoiceField(label=_("Service area"), required=False, choices=[("", _("All areas")), *Purpose.choices])
    brand_stage = forms.ChoiceField(label=_("Brand list"), required=False, choices=[("", _("All")), *BrandStage.choices])
    origin = forms.ChoiceField(label=_("Origin"), required=False, choices=[("", _("All")), *ProjectOrigin.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *ProjectStatus.choices])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for f in self.fields.values():
            f.widget.attrs["class"] = "form-select form-select-sm"

    def filters(self) -> dict[str, str]:
        """The valid filters (a bad one is left out, and said so on the page)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v}


@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    form = ProjectFilterForm(request.GET or None)
    filters = form.filters()
    page = paginate(request, projects_public(**filters))
    return render(request, "grants/public/project_list.html", {"form": form, "page_obj": page, "filtered": bool(filters)},
                  status=400 if form.errors else 200)


@require_GET
def project_page(request: HttpRequest, service_project_id: int) -> HttpResponseBase:
    project = project_public_get(service_project_id)
    fmt, table = _download(request, PROJECT_TABLES)
    page = project_public(project)
    if fmt == "xlsx":
        return exports.xlsx_response(f"project-{project.pk}", tables.project_tables(page))
    if fmt == "csv":
        if table in ("tranches", "budget") and page.agreement is None:
            raise Conflict("no_agreement", _("This project has no grant agreement in force."))
        chosen = {"progress": tables.progress_table, "tranches": tables.tranches_table, "budget": tables.budget_table}[table]
        return exports.csv_response(f"project-{project.pk}-{table}", chosen(page))
    return render(request, "grants/public/project.html", {"p": page, "project": project, "a": page.agreement})
