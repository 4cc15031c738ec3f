"""A respondent's page: their diagnosis's questionnaire, answered through the link they were sent (no login, on a
phone). The link is the key: an unknown one is not found, an answered one answers no more."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from shanlian.core.pages import submit

from .forms_capacity import LevelsForm, renamed_level
from .models import DiagnosisStatus
from .selectors_capacity import questionnaire_view
from .services import capacity as services


@never_cache
def answer(request: HttpRequest, respondent_token: str) -> HttpResponse:
    respondent = services.respondent_by_token(respondent_token)
    diagnosis = respondent.diagnosis
    view = questionnaire_view(None, diagnosis.questionnaire)
    answered = respondent.submitted_at is not None
    closed = diagnosis.status != DiagnosisStatus.OPEN
    form = LevelsForm(request.POST or None, questions=view.questions) if not (answered or closed) else None
    status = 200
    if request.method == "POST":
        if form is None:
            status = 409
        else:
            done = submit(form, lambda d: services.diagnosis_answer(token=respondent_token, levels=form.levels()), renamed=renamed_level)
            if done.ok:
                return redirect("evaluation_public:capacity_answer", respondent_token=respondent_token)
            status = done.status
    sections = [(d, [(q, form.field_for(q) if form is not None else None) for q in qs]) for d, qs in view.dimensions]
    return render(request, "evaluation/capacity/answer.html", {
        "respondent": respondent, "diagnosis": diagnosis, "sections": sections, "form": form, "answered": answered,
        "closed": closed, "count": len(view.questions)}, status=status)
