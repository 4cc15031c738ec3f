"""Group and community work pages, built for a phone: the station's programmes with this month's counts, a programme
(sessions, members, counts), recording a session with attendance as a checklist, enrolling members, ending. Thin: each
parses, calls one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, PermissionDenied
from shanlian.core.pages import flash_error, paginate, submit
from shanlian.people.selectors import station_staff_users

from . import access, services
from . import selectors as sel
from .forms import EndForm, EnrolForm, FilterForm, LeaveForm, ProgrammeForm, SessionForm, worker_name
from .models import Kind, Status


def _team_only(request: HttpRequest, programme: Any) -> None:
    if not access.names_visible(sel.scope_of(request.user), programme):
        raise PermissionDenied("not_station_team", _("Only the station's social workers and their agency record its group work."))


def _form_page(request: HttpRequest, form: Any, title: str, programme: Any = None, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "groupwork/form.html", {"form": form, "title": title, "p": programme, **extra}, status=status)


@never_cache
@login_required
def programmes(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    page = paginate(request, sel.programmes_visible(request.user, **form.values()))
    today = timezone.localdate()
    start, end = sel.month_bounds(today)
    stations = list(sel.stations_visible(request.user)[:20])
    counts = sel.station_counts([s.pk for s in stations], start, end)
    rows = [(s, counts.get(s.pk, {}).get(Kind.GROUP, {}), counts.get(s.pk, {}).get(Kind.COMMUNITY, {})) for s in stations]
    return render(request, "groupwork/programmes.html", {
        "form": form, "page_obj": page, "month": start, "station_rows": rows,
        "may_add": access.may_create(sel.scope_of(request.user))})


@never_cache
@login_required
def programme_new(request: HttpRequest) -> HttpResponse:
    stations = list(sel.stations_served(request.user))
    if not stations:
        raise PermissionDenied("not_station_team", _("Only the station's social workers and their agency record its group work."))
    staff = list(station_staff_users(*stations))
    initial = {"station": str(stations[0].pk), "kind": Kind.GROUP, "starts_on": timezone.localdate(), "planned_sessions": 6,
               "leaders": [str(request.user.pk)]}
    form = ProgrammeForm(request.POST or None, initial=initial, stations=stations, staff=staff)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.programme_create(
            actor=request.user, station=d["station"], kind=d["kind"], title=d["title"], care_area=d["care_area"],
            group_type=d["group_type"], planned_sessions=d["planned_sessions"], starts_on=d["starts_on"], leaders=d["leaders"],
            aims=d["aims"]))
        if done.value is not None:
            messages.success(request, _("Programme started."))
            return redirect("groupwork:programme", programme_id=done.value.pk)
        status = done.status
    return _form_page(request, form, _("New group or community activity"), status=status)


@never_cache
@login_required
def programme(request: HttpRequest, programme_id: int) -> HttpResponse:
    found = sel.programme_get(request.user, programme_id)
    view = sel.programme_view(request.user, found)
    return render(request, "groupwork/programme.html", {
        "v": view, "p": found, "open": found.status != Status.ENDED, "group": found.kind == Kind.GROUP,
        "leaders": [worker_name(u) for u in view.leaders]})


@never_cache
@login_required
def session_new(request: HttpRequest, programme_id: int) -> HttpResponse:
    found = sel.programme_get(request.user, programme_id)
    _team_only(request, found)
    group = found.kind == Kind.GROUP
    initial = {"held_on": timezone.localdate(), "starts_at": "09:30", "minutes": 90, "workers": [str(request.user.pk)],
               "headcount": 0, "volunteers": 0}
    form = SessionForm(request.POST or None, initial=initial, members=sel.members_of(found),
                       staff=station_staff_users(found.station), activities=sel.timebank_activities(found), group=group)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.session_record(
            actor=request.user, programme=found, held_on=d["held_on"], starts_at=d["starts_at"], minutes=d["minutes"],
            venue=d["venue"], theme=d["theme"], content=d["content"], present=[m.person for m in d["present"]],
            headcount=d.get("headcount") or 0, workers=d["workers"], volunteers=d["volunteers"] or 0,
            timebank_activity=d["timebank_activity"]))
        if done.value is not None:
            messages.success(request, _("Session %(n)s recorded: %(pt)s person-times.") % {
                "n": done.value.number, "pt": done.value.person_times})
            return redirect("groupwork:programme", programme_id=found.pk)
        status = done.status
    return render(request, "groupwork/session_form.html", {"form": form, "p": found, "group": group}, status=status)


@never_cache
@login_required
def session(request: HttpRequest, session_id: int) -> HttpResponse:
    found = sel.session_get(request.user, session_id)
    return render(request, "groupwork/session.html", {
        "s": found, "p": found.programme, "attendees": sel.attendees(request.user, found),
        "workers": [worker_name(u) for u in found.workers.select_related("person").order_by("id")]})


@never_cache
@login_required
def members_enrol(request: HttpRequest, programme_id: int) -> HttpResponse:
    found = sel.programme_get(request.user, programme_id)
    _team_only(request, found)
    query = (request.GET.get("q") or "")[:32]
    form = EnrolForm(request.POST or None, people=sel.people_to_enrol(found, query))
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.members_enrol(actor=request.user, programme=found, people=d["people"]))
        if done.value is not None:
            messages.success(request, _("%(n)s members enrolled.") % {"n": len(done.value)})
            return redirect("groupwork:programme", programme_id=found.pk)
        status = done.status
    return render(request, "groupwork/enrol.html", {"form": form, "p": found, "q": query}, status=status)


@never_cache
@login_required
@require_POST
def member_leave(request: HttpRequest, group_member_id: int) -> HttpResponse:
    member = sel.member_get(request.user, group_member_id)
    _team_only(request, member.programme)
    form = LeaveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the day the member left, such as 2026-09-05."), extra_tags="invalid_date")
    else:
        try:
            services.member_leave(actor=request.user, member=member, left_on=form.cleaned_data["left_on"])
            messages.success(request, _("%(name)s has left the programme.") % {"name": member.person.real_name})
        except DomainError as exc:
            flash_error(request, exc)
    return redirect("groupwork:programme", programme_id=member.programme_id)


@never_cache
@login_required
def programme_end(request: HttpRequest, programme_id: int) -> HttpResponse:
    found = sel.programme_get(request.user, programme_id)
    _team_only(request, found)
    form = EndForm(request.POST or None)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.programme_end(actor=request.user, programme=found, summary=d["summary"]))
        if done.value is not None:
            messages.success(request, _("Programme ended."))
            return redirect("groupwork:programme", programme_id=found.pk)
        status = done.status
    return _form_page(request, form, _("End %(title)s") % {"title": found.title}, programme=found, status=status)
