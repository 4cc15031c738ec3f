"""The public pages of a satisfaction survey, at its link (no login): the questions on a phone, and the thanks.

An anonymous survey is answered by whoever holds the link, once per phone: the page gives the phone a random cookie
(`DEVICE_COOKIE`, a year long, for this path only) whose keyed hash with the survey is all an answer keeps. A named
survey asks the resident to sign in. Before it opens, after it closes, or once answered, the page says so instead
of showing the questions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from shanlian.core.pages import submit
from shanlian.people.selectors import actor_scope

from . import satisfaction_counts as counts
from . import selectors_satisfaction as sel
from .forms_satisfaction import AnswerForm
from .models import Survey
from .services import satisfaction as services

DEVICE_COOKIE = "sl_survey_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600


def _device(request: HttpRequest) -> str:
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    return value if services.DEVICE.fullmatch(value) else ""


def _keep_device(request: HttpRequest, response: HttpResponse, survey: Survey, device: str) -> HttpResponse:
    """Give the phone its cookie (the surveys' pages only: /public/evaluation/satisfaction/s/)."""
    if device and request.COOKIES.get(DEVICE_COOKIE) != device:
        path = reverse("evaluation_public:satisfaction_answer", args=[survey.token]).removesuffix(f"{survey.token}/")
        response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_COOKIE_AGE, path=path, secure=settings.SESSION_COOKIE_SECURE,
                            httponly=True, samesite="Lax")
    return response


def _blocked(request: HttpRequest, survey: Survey, device: str) -> str:
    """Why the questions are not shown ('' when they are): the survey's dates, who answers it, an answer given."""
    state = sel.survey_state(survey)
    if state != "open":
        return f"survey_{state}"
    scope = actor_scope(request.user)
    refusal = sel.answer_refusal(scope, survey)
    if refusal is not None:
        return refusal[0]
    if sel.already_answered(survey, device=device, person_id=scope.person_id):
        return "already_answered"
    return ""


@never_cache
def answer(request: HttpRequest, survey_token: str) -> HttpResponse:
    survey = sel.survey_public_get(survey_token)
    sent = _device(request)
    device = sent or (services.new_device_id() if survey.anonymous else "")
    blocked = _blocked(request, survey, sent)
    form = AnswerForm(request.POST if request.method == "POST" and not blocked else None, survey=survey)
    status = 200
    if request.method == "POST" and not blocked:
        done = submit(form, lambda d: services.response_submit(
            survey=survey, answers=form.answers(), comment=d.get("comment", ""), actor=request.user, device=sent))
        if done.ok:
            return _keep_device(request, redirect("evaluation_public:satisfaction_thanks", survey_token=survey.token), survey, device)
        status = done.status
        if done.refusal is not None and done.refusal.code in ("already_answered", "survey_closed", "survey_not_open"):
            blocked = done.refusal.code
    elif request.method == "POST":
        status = 409 if blocked.startswith(("survey_", "already")) else 403
    context: dict[str, Any] = {"s": survey, "form": form, "blocked": blocked, "subject": sel.subject_name(survey),
                               "scale": counts.SCALE_LABELS, "login_url": f"{reverse('login')}?next={request.path}"}
    return _keep_device(request, render(request, "evaluation/satisfaction/answer.html", context, status=status), survey, device)


@never_cache
def thanks(request: HttpRequest, survey_token: str) -> HttpResponse:
    survey = sel.survey_public_get(survey_token)
    return render(request, "evaluation/satisfaction/thanks.html", {"s": survey, "subject": sel.subject_name(survey)})
