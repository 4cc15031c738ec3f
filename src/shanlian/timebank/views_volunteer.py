"""The volunteer's pages, phone first: profile with star and credits, registration, the certification
quiz, activities near them with sign-up, scan-to-check-in, hours, the catalog and redemptions, giving
credits, the service certificate.

Every page acts for the signed-in user's own volunteer record only; there is no volunteer id in any
URL. A signed-in user who is not a volunteer is sent to registration; objects of other volunteers
(sign-ups, redemptions) are 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanlian.core.conf import domain_setting
from shanlian.core.errors import DomainError, NotFound, ValidationFailed
from shanlian.core.inputs import int_in
from shanlian.core.pages import add_domain_error, flash_error, paginate
from shanlian.places.models import Division

from . import selectors as sel
from . import selectors_volunteer as vsel
from . import services
from .forms_volunteer import FamilyForm, GiveCreditsForm, RegisterForm
from .models import Redemption, Shift, Signup, SignupStatus, Skill, Volunteer


def volunteer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else the login page) and a registered volunteer (else registration); the view gets the
    signed-in user's own volunteer record as `volunteer`."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        volunteer = vsel.volunteer_for_user(request.user)
        if volunteer is None:
            messages.info(request, _("Register as a volunteer first."))
            return redirect("timebank:register")
        return view(request, volunteer, *args, **kwargs)

    return wrapper


def _stars(n: int) -> list[bool]:
    return [i < n for i in range(5)]


# -- profile -------------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    volunteer = vsel.volunteer_for_user(request.user)
    if volunteer is None:
        person = getattr(request.user, "person", None)
        return render(request, "timebank/volunteer/welcome.html", {"has_person": person is not None})
    profile = sel.volunteer_profile(volunteer=volunteer)
    quiz = vsel.quiz_state(volunteer=volunteer)
    return render(request, "timebank/volunteer/home.html", {
        "volunteer": profile.volunteer, "profile": profile, "stars": _stars(profile.stars), "quiz": quiz,
        "signups": vsel.my_signups(volunteer=volunteer), "today": timezone.localdate(),
        "year_start": timezone.localdate().replace(month=1, day=1),
    })


@login_required
def register(request: HttpRequest) -> HttpResponse:
    if vsel.volunteer_for_user(request.user) is not None:
        return redirect("timebank:home")
    person = getattr(request.user, "person", None)
    if person is None:
        return render(request, "timebank/volunteer/welcome.html", {"has_person": False}, status=403)
    stations = list(vsel.stations_for_registration())
    own = vsel.home_station(person=person, stations=stations)
    chosen = request.POST.get("station") or (own.pk if own else None)
    station = next((s for s in stations if str(s.pk) == str(chosen)), None)
    communities = Division.objects.none()
    if station is not None:
        communities = vsel.station_communities(station=station)
    form = RegisterForm(request.POST or None, stations=stations, communities=communities,
                        initial={"station": own.pk if own else None})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = next(s for s in stations if s.pk == data["station"])
        try:
            services.volunteer_register(
                actor=request.user, person=person, station=target, skills=data["skills"], availability=data["availability"],
                service_areas=list(data["service_areas"]), party_member=data["party_member"], party_consent=data["party_consent"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("Welcome! You are a registered volunteer. Take the certification quiz next."))
            return redirect("timebank:home")
    elif request.method == "POST":
        status = 400
    return render(request, "timebank/volunteer/register.html", {"form": form, "person": person}, status=status)


# -- quiz ----------------------------------------------------------------------------------------------


@volunteer_required
def quiz(request: HttpRequest, volunteer: Volunteer) -> HttpResponse:
    status, answers, missing = 200, {}, False
    if request.method == "POST":
        try:
            if request.POST.get("action") == "start":
                services.quiz_start(actor=request.user, volunteer=volunteer)
                return redirect("timebank:quiz")
            state = vsel.quiz_state(volunteer=volunteer)
            if state["open"] is None:
                return redirect("timebank:quiz")
            answers = {str(q.pk): request.POST.get(f"q{q.pk}", "") for q in state["questions"]}
            parsed = {k: int(v) for k, v in answers.items() if v in {str(i) for i in range(10)}}
            missing = len(parsed) < len(answers)
            attempt = services.quiz_submit(actor=request.user, attempt=state["open"], answers=parsed)
        except DomainError as exc:
            flash_error(request, exc)
            status = exc.status
        else:
            if attempt.passed:
                messages.success(request, _("You passed with %(score)s points. Your certificate number is %(code)s.")
                                 % {"score": attempt.score, "code": attempt.certificate_code})
            else:
                messages.warning(request, _("%(score)s points: not yet a pass. Read the volunteer handbook and try again.")
                                 % {"score": attempt.score})
            return redirect("timebank:quiz")
    state = vsel.quiz_state(volunteer=volunteer)
    return render(request, "timebank/volunteer/quiz.html", {
        "volunteer": volunteer, "quiz": state, "answers": answers, "missing": missing,
        "max_attempts": domain_setting("TIMEBANK_QUIZ_MAX_ATTEMPTS"), "pass_percent": domain_setting("TIMEBANK_QUIZ_PASS_PERCENT"),
        "attempts_left": max(0, domain_setting("TIMEBANK_QUIZ_MAX_ATTEMPTS") - len(state["attempts"])),
    }, status=status)


# -- activities and sign-up ----------------------------------------------------------------------------


@volunteer_required
def activity_list(request: HttpRequest, got: Volunteer) -> HttpResponse:
    everywhere = request.GET.get("all") == "1"
    activities = sel.activities_upcoming(with_free_places=True) if everywhere else sel.activities_near(volunteer=got)
    page = paginate(request, activities)
    shift_ids = [s.pk for a in page.object_list for s in a.upcoming]
    return render(request, "timebank/volunteer/activity_list.html", {
        "volunteer": got, "page": page, "everywhere": everywhere, "mine": vsel.my_shift_states(volunteer=got, shift_ids=shift_ids),
        "certified": services.is_certified(got),
    })


@volunteer_required
def activity_detail(request: HttpRequest, got: Volunteer, activity_id: int) -> HttpResponse:
    try:
        activity = vsel.activity_for_volunteer(activity_id=activity_id)
    except NotFound:
        raise Http404 from None
    shifts = vsel.activity_shifts(activity=activity)
    return render(request, "timebank/volunteer/activity_detail.html", {
        "volunteer": got, "activity": activity, "shifts": shifts,
        "mine": vsel.my_shift_states(volunteer=got, shift_ids=[s.pk for s in shifts]), "certified": services.is_certified(got),
        "skill_labels": [label for value, label in Skill.choices if value in activity.skills],
    })


@volunteer_required
@require_POST
def signup(request: HttpRequest, got: Volunteer, shift_id: int) -> HttpResponse:
    shift = Shift.objects.select_related("activity").filter(pk=shift_id).first()
    if shift is None:
        raise Http404
    try:
        result = services.signup_create(actor=request.user, volunteer=got, shift=shift)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        if result.status == SignupStatus.CONFIRMED:
            messages.success(request, _("Signed up for “%(title)s”, %(when)s. See you there!")
                             % {"title": shift.activity.title, "when": timezone.localtime(shift.starts_at).strftime("%m-%d %H:%M")})
        else:
            messages.info(request, _("The shift is full: you are on the wait list, and you will be told if a place frees up."))
    return redirect("timebank:activity_detail", activity_id=shift.activity_id)


@volunteer_required
@require_POST
def signup_cancel(request: HttpRequest, got: Volunteer, signup_id: int) -> HttpResponse:
    mine = Signup.objects.select_related("shift__activity").filter(pk=signup_id, volunteer=got).first()
    if mine is None:
        raise Http404
    try:
        services.signup_cancel(actor=request.user, signup=mine)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Cancelled. Thank you for letting us know in time."))
    nxt = request.POST.get("next") or ""
    return redirect(nxt if nxt in _SAFE_NEXT else "timebank:home")


_SAFE_NEXT = {"timebank:home", "timebank:activity_list"}


# -- scan to check in and out --------------------------------------------------------------------------


@volunteer_required
def scan(request: HttpRequest, got: Volunteer) -> HttpResponse:
    """The page a phone opens from the organizer's QR code: it shows the shift and one button, check
    in or check out, that posts the scanned token with server time."""
    token = (request.POST.get("t") or request.GET.get("t") or "").strip()
    status, shift, done = 200, None, None
    try:
        shift = services.qr_check(token)
        if request.method == "POST":
            if request.POST.get("action") == "out":
                attendance, record = services.check_out(actor=request.user, volunteer=got, token=token)
                done = {"kind": "out", "attendance": attendance, "record": record}
            else:
                done = {"kind": "in", "attendance": services.check_in(actor=request.user, volunteer=got, token=token)}
    except DomainError as exc:
        flash_error(request, exc)
        status = exc.status
    context: dict[str, Any] = {"volunteer": got, "token": token, "shift": shift, "done": done}
    if shift is not None:
        context["open"] = vsel.open_attendance(volunteer=got, shift=shift)
        context["signup"] = vsel.my_signup(volunteer=got, shift=shift)
    return render(request, "timebank/volunteer/scan.html", context, status=status)


# -- hours, catalog, redemptions ------------------------------------------------------------------------


@volunteer_required
def hours(request: HttpRequest, got: Volunteer) -> HttpResponse:
    profile = sel.volunteer_profile(volunteer=got)
    return render(request, "timebank/volunteer/hours.html", {
        "volunteer": got, "profile": profile, "stars": _stars(profile.stars), "page": paginate(request, vsel.my_hours(volunteer=got)),
        "totals": vsel.my_hours_totals(volunteer=got),
    })


@volunteer_required
def catalog(request: HttpRequest, got: Volunteer) -> HttpResponse:
    profile = sel.volunteer_profile(volunteer=got)
    return render(request, "timebank/volunteer/catalog.html", {
        "volunteer": got, "profile": profile, "items": vsel.catalog_for(volunteer=got), "key": uuid.uuid4().hex,
        "min_stars": domain_setting("TIMEBANK_SPEND_MIN_STARS"), "can_spend": profile.stars >= domain_setting("TIMEBANK_SPEND_MIN_STARS"),
    })


@volunteer_required
@require_POST
def redeem(request: HttpRequest, got: Volunteer, item_id: int) -> HttpResponse:
    try:
        item = vsel.catalog_item(item_id=item_id)
        quantity = int_in(request.POST.get("quantity", "1"), field="quantity", minimum=1, maximum=99)
        key = (request.POST.get("idempotency_key") or "")[:128]
        if request.POST.get("confirm") != "1":
            # Credits are spent only after the volunteer has seen what it costs and what is left.
            profile = sel.volunteer_profile(volunteer=got)
            cost = item.price.value * quantity
            return render(request, "timebank/volunteer/redeem_confirm.html", {
                "volunteer": got, "item": item, "quantity": quantity, "cost": cost, "balance": profile.balance,
                "after": profile.balance - cost, "key": key})
        redemption = services.redemption_create(actor=request.user, volunteer=got, item=item, quantity=quantity,
                                                idempotency_key=f"web:{key}" if key else "")
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("timebank:catalog")
    messages.success(request, _("Redeemed: %(item)s × %(n)s for %(credits)s credits. Show the pickup code %(code)s to "
                                "%(where)s to collect it.")
                     % {"item": item.name, "n": redemption.quantity, "credits": redemption.credits.value,
                        "code": redemption.pickup_code, "where": item.merchant or item.station.name})
    return redirect("timebank:redemptions")


@volunteer_required
def redemptions(request: HttpRequest, got: Volunteer) -> HttpResponse:
    return render(request, "timebank/volunteer/redemptions.html", {
        "volunteer": got, "page": paginate(request, vsel.my_redemptions(volunteer=got)),
    })


@volunteer_required
@require_POST
def redemption_cancel(request: HttpRequest, got: Volunteer, redemption_id: int) -> HttpResponse:
    mine = Redemption.objects.filter(pk=redemption_id, volunteer=got).first()
    if mine is None:
        raise Http404
    try:
        services.redemption_cancel(actor=request.user, redemption=mine)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Cancelled; the credits are back in your balance."))
    return redirect("timebank:redemptions")


# -- giving credits and family -------------------------------------------------------------------------


@volunteer_required
def credits(request: HttpRequest, got: Volunteer) -> HttpResponse:
    family = vsel.my_family(volunteer=got)
    give = GiveCreditsForm(request.POST if request.POST.get("form") == "give" else None, family=family,
                           initial={"idempotency_key": uuid.uuid4().hex})
    add = FamilyForm(request.POST if request.POST.get("form") == "family" else None)
    status = 200
    if request.method == "POST" and request.POST.get("form") == "give":
        if give.is_valid():
            target = give.cleaned_data["to"]
            to = next((link.member for link in family if f"v{link.member_id}" == target), None)
            try:
                if to is None and target != "pool":
                    raise ValidationFailed("not_family", _("Credits can be given only to family members you have registered."))
                key = give.cleaned_data["idempotency_key"]
                services.credits_give(actor=request.user, volunteer=got, to=to, amount=give.cleaned_data["amount"],
                                      external_id=f"web:{key}" if key else "")
            except DomainError as exc:
                add_domain_error(give, exc)
                status = exc.status
            else:
                messages.success(request, _("Given: %(amount)s credits to %(to)s.")
                                 % {"amount": give.cleaned_data["amount"],
                                    "to": to.person.real_name if to else _("the community pool")})
                return redirect("timebank:credits")
        else:
            status = 400
    elif request.method == "POST" and request.POST.get("form") == "family":
        if add.is_valid():
            try:
                member = vsel.family_candidate(number=add.cleaned_data["number"], real_name=add.cleaned_data["real_name"])
                services.family_link(actor=request.user, volunteer=got, member=member, relation=add.cleaned_data["relation"])
            except DomainError as exc:
                add_domain_error(add, exc)
                status = exc.status
            else:
                messages.success(request, _("Added %(name)s to your family.") % {"name": member.person.real_name})
                return redirect("timebank:credits")
        else:
            status = 400
    profile = sel.volunteer_profile(volunteer=got)
    return render(request, "timebank/volunteer/credits.html", {
        "volunteer": got, "profile": profile, "family": family, "give": give, "add": add,
    }, status=status)
