"""The organizer's and the station's time-bank pages (/timebank/manage/): activities and publishing, the
rotating check-in QR code, the hours queue with late entries, the attendance sheet, the station's figures.

Reads go through `selectors_manage` (an object of another station is a logged 404), writes through one
service each, whose DomainError comes back onto the page with its code, in Chinese and in English, while
nothing is written."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from shanlian.core.addresses import public_url
from shanlian.core.conf import domain_setting
from shanlian.core.documents import qr_svg
from shanlian.core.errors import DomainError
from shanlian.core.inputs import id_param
from shanlian.core.pages import add_domain_error, flash_error, paginate
from shanlian.core.scoping import Role
from shanlian.core.sheets import XLSX_TYPE as XLSX

from . import selectors, services
from . import selectors_manage as sm
from .forms_manage import ActivityForm, CatalogItemForm, HoursActionForm, LateEntryForm, ShiftFormSet, shift_rows
from .models import HoursStatus, Shift, Skill

PUBLISHED_KEY = "timebank_published_tokens"  # form token → the activity it published (the last 50)


def _station_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("station", "")
    return id_param(raw)


# --- activities ----------------------------------------------------------------------------------------


@never_cache
@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    scope = sm.organizer_scope(request.user)
    stations = list(sm.stations_managed(scope))
    station_id = _station_param(request)
    if station_id is not None:
        sm.station_managed_get(scope=scope, station_id=station_id)
    page = paginate(request, sm.activities_managed(scope=scope, station_id=station_id))
    return render(request, "timebank/manage/activity_list.html", {
        "page_obj": page, "stations": stations, "station_id": station_id, "now": timezone.now(),
    })


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    scope = sm.organizer_scope(request.user)
    stations = sm.stations_managed(scope)
    initial: dict[str, Any] = {}
    station_id = _station_param(request)
    if station_id is not None:
        initial["station"] = sm.station_managed_get(scope=scope, station_id=station_id)
    elif len(stations) == 1:
        initial["station"] = stations[0]
    form = ActivityForm(request.POST or None, stations=stations, communities=sm.communities_of(stations), initial=initial)
    shifts = ShiftFormSet(request.POST or None, prefix="shifts")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and shifts.is_valid():
            data = form.cleaned_data
            published: dict[str, int] = request.session.get(PUBLISHED_KEY, {})
            token = data["token"].hex
            if token in published:
                messages.info(request, _("This activity was already published (the form was sent twice)."))
                return redirect("timebank:manage_activity", activity_id=published[token])
            try:
                activity = services.activity_publish(
                    actor=request.user, station=data["station"], title=data["title"], category=data["category"],
                    division=data["division"], place=data["place"], shifts=shift_rows(shifts), description=data["description"],
                    skills=list(data["skills"]), quiz_required=data["quiz_required"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                request.session[PUBLISHED_KEY] = dict(list({**published, token: activity.pk}.items())[-50:])
                messages.success(request, _("The activity is published."))
                return redirect("timebank:manage_activity", activity_id=activity.pk)
    return render(request, "timebank/manage/activity_form.html", {"form": form, "shifts": shifts}, status=status)


@never_cache
@login_required
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    scope = sm.organizer_scope(request.user)
    activity = sm.activity_get(scope=scope, activity_id=activity_id)
    shifts = sm.activity_shifts(activity=activity)
    for shift in shifts:
        for row in (*shift.active_signups, *shift.checkins):  # type: ignore[attr-defined]
            row.shown_name = selectors.volunteer_name(scope=scope, station_id=activity.station_id, name=row.volunteer.person.real_name)
    labels = dict(Skill.choices)
    return render(request, "timebank/manage/activity_detail.html", {
        "activity": activity, "shifts": shifts, "now": timezone.now(), "skills": [labels.get(s, s) for s in activity.skills]})


@never_cache
@login_required
def attendance_xlsx(request: HttpRequest, activity_id: int) -> HttpResponse:
    """The attendance sheet: one row per volunteer and shift; full names (only the station's own staff open it),
    no ID numbers, no phones."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    scope = sm.organizer_scope(request.user)
    activity = sm.activity_get(scope=scope, activity_id=activity_id)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=gettext("Attendance"))
    sheet.append([_text(activity.title)])
    sheet.append([f"{activity.station.name} · {activity.division.name} · {_text(activity.place)}"])
    header = [gettext("Shift starts"), gettext("Shift ends"), gettext("Volunteer number"), gettext("Name"), gettext("Sign-up"),
              gettext("First check-in"), gettext("Last check-out"), gettext("Check-ins"), gettext("Hours"), gettext("Hours status")]
    cells = []
    for h in header:
        cell = WriteOnlyCell(sheet, value=h)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)
    for row in sm.attendance_sheet(scope=scope, activity=activity):
        sheet.append([_when(row.shift.starts_at), _when(row.shift.ends_at), row.number, _text(row.name), row.signup,
                      _when(row.first_in), _when(row.last_out), row.checkins, row.hours, row.hours_status])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="attendance-{activity.pk}-{stamp}.xlsx"'
    return response


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _text(value: str) -> str:
    """Text a spreadsheet would run as a formula is kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --- the QR code on the table --------------------------------------------------------------------------


def _scan_url(request: HttpRequest, token: str) -> str:
    """The volunteer's scan page with the token: an address the volunteer's phone opens (core.addresses)."""
    return public_url(reverse("timebank:scan") + "?t=" + quote(token, safe=""), request=request)


def _qr_context(request: HttpRequest, shift: Shift) -> dict[str, Any]:
    token = services.qr_token(shift=shift)
    url = _scan_url(request, token)
    return {
        "shift": shift, "token": token, "scan_url": url,
        "qr": mark_safe(qr_svg(url)),  # noqa: S308 - generated by segno from our own URL
        "rotate": domain_setting("TIMEBANK_QR_ROTATE_SECONDS"), "checkins": sm.shift_checkins(shift=shift),
        "confirmed": sm.shift_confirmed_count(shift=shift), "now": timezone.now(),
    }


@never_cache
@login_required
def shift_qr(request: HttpRequest, shift_id: int) -> HttpResponse:
    scope = sm.organizer_scope(request.user)
    shift = sm.shift_get(scope=scope, shift_id=shift_id)
    return render(request, "timebank/manage/shift_qr.html", _qr_context(request, shift))


@never_cache
@login_required
def shift_qr_code(request: HttpRequest, shift_id: int) -> HttpResponse:
    """The fragment htmx fetches every rotation: a fresh code and who has checked in."""
    scope = sm.organizer_scope(request.user)
    shift = sm.shift_get(scope=scope, shift_id=shift_id)
    return render(request, "timebank/manage/_qr_live.html", _qr_context(request, shift))


# --- hours ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    record_id: int
    number: str
    name: str
    day: Any
    hours: Any
    ok: bool
    status: str  # the record's status label after the action
    code: str
    message: str


def _apply(request: HttpRequest, scope: Any, form: HoursActionForm) -> list[Outcome]:
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    found = sm.hours_records_for(scope=scope, ids=form.record_ids)
    out = []
    for pk in form.record_ids:
        record = found.get(pk)
        if record is None:
            out.append(Outcome(pk, "", "", None, None, False, "", "not_found", gettext("Not found")))
            continue
        name = selectors.volunteer_name(scope=scope, station_id=record.shift.activity.station_id, name=record.volunteer.person.real_name)
        base: dict[str, Any] = {"record_id": pk, "number": record.volunteer.number, "name": name, "day": record.day,
                                "hours": record.hours}
        try:
            with transaction.atomic():
                if action in ("approve", "agency_approve"):
                    # One button does what this user may do with this row: the organizer's approval of a pending
                    # row, the agency's of a row waiting for it (an organizer's "approve" on it changed nothing).
                    if record.status == HoursStatus.NEEDS_AGENCY:
                        done = services.hours_agency_approve(actor=request.user, record=record)
                    else:
                        done = services.hours_approve(actor=request.user, record=record)
                else:
                    done = services.hours_decline(actor=request.user, record=record, reason=reason)
        except DomainError as exc:
            out.append(Outcome(**base, ok=False, status=str(record.get_status_display()), code=exc.code, message=str(exc.message)))
            continue
        note = ""
        if done.status == HoursStatus.NEEDS_AGENCY:
            note = gettext("Waiting for the agency's approval (more than %(n)s h that day, or a late entry).") % {
                "n": domain_setting("TIMEBANK_ORGANIZER_DAY_HOURS")}
        out.append(Outcome(**base, ok=True, status=str(done.get_status_display()), code="ok", message=note))
    return out


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def hours_queue(request: HttpRequest) -> HttpResponse:
    scope = sm.organizer_scope(request.user)
    station_id = _station_param(request)
    if station_id is not None:
        sm.station_managed_get(scope=scope, station_id=station_id)
    form = HoursActionForm(request.POST or None)
    results: list[Outcome] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            results = _apply(request, scope, form)
        else:
            status = 400
    page = paginate(request, sm.hours_queue(scope=scope, station_id=station_id))
    return render(request, "timebank/manage/hours_queue.html", {
        "page_obj": page, "rows": sm.queue_rows(scope=scope, records=page.object_list), "form": form, "results": results,
        "stations": list(sm.stations_managed(scope)), "station_id": station_id,
        "organizer_limit": domain_setting("TIMEBANK_ORGANIZER_DAY_HOURS"), "max_limit": domain_setting("TIMEBANK_MAX_DAY_HOURS"),
        "results_failed": sum(1 for r in results if not r.ok),
        "agency_manager": scope.is_superuser or scope.has(Role.AGENCY_MANAGER),
    }, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def late_entry(request: HttpRequest) -> HttpResponse:
    scope = sm.organizer_scope(request.user)
    initial: dict[str, Any] = {}
    shift_id = id_param(request.GET.get("shift", ""))
    if shift_id is not None:
        initial["shift"] = sm.shift_get(scope=scope, shift_id=shift_id)
    form = LateEntryForm(request.POST or None, shifts=sm.shifts_for_late_entry(scope=scope), initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            volunteer = sm.volunteer_by_number(data["number"])
            if volunteer is None:
                form.add_error("number", ValidationError(_("No volunteer has this number."), code="volunteer_not_found"))
            else:
                try:
                    services.hours_late_entry(actor=request.user, volunteer=volunteer, shift=data["shift"], hours=data["hours"],
                                              reason=data["reason"])
                except DomainError as exc:
                    add_domain_error(form, exc)
                    status = exc.status
                else:
                    messages.success(request, _("The late entry is recorded; the agency approves it after you."))
                    return redirect("timebank:manage_hours")
    return render(request, "timebank/manage/late_entry.html", {"form": form}, status=status)


# --- catalog and redemptions ---------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def catalog(request: HttpRequest) -> HttpResponse:
    """The stations' catalog with a form to add an item, and the redemptions waiting to be handed over: the
    station confirms for itself or on behalf of the partner merchant once the volunteer has the service or good."""
    scope = sm.organizer_scope(request.user)
    stations = sm.stations_managed(scope)
    form = CatalogItemForm(request.POST or None, stations=stations, initial={"station": stations.first()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                item = services.catalog_item_create(
                    actor=request.user, station=data["station"], name=data["name"], price=data["price"], stock=data["stock"],
                    per_person_limit=data["per_person_limit"], merchant=data["merchant"], description=data["description"])
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("“%(name)s” is in the catalog.") % {"name": item.name})
                return redirect("timebank:manage_catalog")
    pending = paginate(request, sm.redemptions_pending(scope=scope))
    return render(request, "timebank/manage/catalog.html", {
        "form": form, "items": sm.catalog_managed(scope=scope), "page_obj": pending,
        "pending": [(r, selectors.volunteer_name(scope=scope, station_id=r.item.station_id, name=r.volunteer.person.real_name))
                    for r in pending.object_list],
    }, status=status)


@never_cache
@login_required
@require_POST
def redemption_decide(request: HttpRequest, redemption_id: int, action: str) -> HttpResponse:
    """Handed over (fulfilled), or cancelled, which gives the credits back by a reversing entry."""
    scope = sm.organizer_scope(request.user)
    redemption = sm.redemption_managed_get(scope=scope, redemption_id=redemption_id)
    try:
        if action == "fulfil":
            services.redemption_fulfil(actor=request.user, redemption=redemption, pickup_code=request.POST.get("pickup_code", ""))
            messages.success(request, _("Handed over: %(item)s to %(number)s.")
                             % {"item": redemption.item.name, "number": redemption.volunteer.number})
        else:
            services.redemption_cancel(actor=request.user, redemption=redemption)
            messages.success(request, _("Cancelled; the credits went back to %(number)s.") % {"number": redemption.volunteer.number})
    except DomainError as exc:
        flash_error(request, exc)
    return redirect("timebank:manage_catalog")


# --- stations ------------------------------------------------------------------------------------------


@never_cache
@login_required
def station_list(request: HttpRequest) -> HttpResponse:
    scope = sm.reader_scope(request.user)
    page = paginate(request, sm.stations_readable(scope))
    return render(request, "timebank/manage/station_list.html", {"page_obj": page})


@never_cache
@login_required
def station_detail(request: HttpRequest, station_id: int) -> HttpResponse:
    scope = sm.reader_scope(request.user)
    station = sm.station_readable_get(scope=scope, station_id=station_id)
    this_year = timezone.localdate().year
    raw = request.GET.get("year", "")
    year = int(raw) if re.fullmatch(r"20\d\d", raw) and int(raw) <= this_year else this_year
    figures = selectors.station_figures(station=station, year=year)
    board = selectors.station_leaderboard(station=station, limit=10)
    page = paginate(request, sm.station_volunteers(station=station))
    last = timezone.localdate().month if year == this_year else 12  # no empty future months
    months = [r for r in figures.by_month if r["month"] <= last]
    chart = {
        "months": [str(r["month"]) for r in months],
        "month_names": [gettext("Month %(m)s") % {"m": r["month"]} for r in months],
        "month_hours": [float(r["hours"]) for r in months],
        "month_people": [r["person_times"] for r in months],
        "categories": [str(r["label"]) for r in figures.by_category],
        "category_hours": [float(r["hours"]) for r in figures.by_category],
        "category_people": [r["person_times"] for r in figures.by_category],
        "labels": {"hours": gettext("Hours"), "people": gettext("Person-times")},
    }
    organizer = sm.is_organizer_of(scope, station.pk)
    return render(request, "timebank/manage/station_detail.html", {
        "station": station, "figures": figures, "year": year, "years": list(range(this_year, this_year - 5, -1)),
        "party_percent": (figures.party_share * 100).quantize(Decimal("0.1")),
        "leaderboard": [(n + 1, v.number, selectors.volunteer_name(scope=scope, station_id=station.pk, name=v.person.real_name),
                         v.approved_hours.value) for n, v in enumerate(board)],
        "page_obj": page, "volunteers": sm.volunteer_rows(page.object_list, scope=scope, station=station), "chart": chart,
        "has_chart": figures.person_times > 0,
        "organizer": organizer,
        "upcoming": sm.station_upcoming(station=station) if organizer else [],
        "pending": sm.station_pending_hours(station=station) if organizer else 0,
    })

