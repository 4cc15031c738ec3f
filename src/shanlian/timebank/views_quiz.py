"""The quiz question banks (/timebank/manage/quiz/): the city bank every station's quiz draws from and each
station's own questions; add, edit, retire and put back, import from XLSX (all or nothing, bad rows named by
row number), export and an empty template of the same shape.

Who may do what is `selectors_quiz` (reads) and `services._access.may_edit_quiz_bank` (writes): station
workers and agency managers change their stations' own questions, city administrators the city bank; street
officers and district administrators read the city bank."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shanlian.core.errors import DomainError
from shanlian.core.pages import add_domain_error, flash_error, paginate
from shanlian.core.sheets import XLSX_TYPE as XLSX

from . import selectors_quiz as sq
from . import services
from .forms_quiz import ImportForm, QuestionForm
from .models import QuizQuestion
from .quiz_sheet import LETTERS, sheet_write
from .services._access import require_quiz_editor


def _bank_url(bank: sq.Bank, *, retired: bool = False) -> str:
    url = reverse("timebank:manage_quiz") + f"?bank={bank.key}"
    return url + "&show=retired" if retired else url


def _rows(questions: Any) -> list[tuple[QuizQuestion, list[tuple[str, str, bool]]]]:
    """Each question with its choices lettered, the right one marked."""
    return [(q, [(LETTERS[n], c, n == q.answer) for n, c in enumerate(q.choices[: len(LETTERS)])]) for q in questions]


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def quiz_bank(request: HttpRequest) -> HttpResponse:
    scope = sq.quiz_scope(request.user)
    bank = sq.quiz_bank_get(scope=scope, key=request.GET.get("bank"))
    retired = request.GET.get("show") == "retired"
    form = QuestionForm(request.POST or None) if bank.editable else None
    status = 200
    if request.method == "POST":
        require_quiz_editor(request.user, bank.station)
        assert form is not None
        status = 400
        if form.is_valid():
            try:
                question = services.quiz_question_create(actor=request.user, station=bank.station, **form.values())
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The question is in the bank: %(text)s") % {"text": question.text[:60]})
                return redirect(_bank_url(bank))
    page = paginate(request, sq.bank_questions(bank=bank, retired=retired))
    return render(request, "timebank/manage/quiz_bank.html", {
        "bank": bank, "banks": sq.quiz_banks(scope), "figures": sq.bank_figures(bank=bank), "retired": retired,
        "page_obj": page, "rows": _rows(page.object_list), "form": form, "tab": "quiz",
    }, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def quiz_question_edit(request: HttpRequest, question_id: int) -> HttpResponse:
    scope = sq.quiz_scope(request.user)
    question = sq.quiz_question_get(scope=scope, question_id=question_id)
    bank = sq.Bank(station=question.station, editable=True)
    form = QuestionForm(request.POST or None, initial=QuestionForm.initial_for(question))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                now = services.quiz_question_edit(actor=request.user, question=question, **form.values())
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                if now.pk != question.pk:
                    messages.success(request, _("Saved as a new version; the old one is retired and stays with the papers it was "
                                                "drawn into."))
                else:
                    messages.success(request, _("The question is saved."))
                return redirect(_bank_url(bank))
    return render(request, "timebank/manage/quiz_edit.html", {
        "question": question, "bank": bank, "form": form, "tab": "quiz"}, status=status)


@never_cache
@login_required
@require_POST
def quiz_question_state(request: HttpRequest, question_id: int, action: str) -> HttpResponse:
    """Retire a question (no longer drawn; papers keep it) or put it back in use."""
    scope = sq.quiz_scope(request.user)
    question = sq.quiz_question_get(scope=scope, question_id=question_id)
    bank = sq.Bank(station=question.station, editable=True)
    try:
        if action == "retire":
            services.quiz_question_retire(actor=request.user, question=question)
            messages.success(request, _("Retired: the question is no longer drawn. Put it back in use from the retired questions."))
        else:
            services.quiz_question_reactivate(actor=request.user, question=question)
            messages.success(request, _("The question is back in use."))
    except DomainError as exc:
        flash_error(request, exc)
    return redirect(_bank_url(bank, retired=action != "retire"))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def quiz_import(request: HttpRequest) -> HttpResponse:
    scope = sq.quiz_scope(request.user)
    bank = sq.quiz_bank_get(scope=scope, key=request.GET.get("bank"))
    require_quiz_editor(request.user, bank.station)
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[services.RowProblem] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = services.quiz_questions_import(actor=request.user, station=bank.station, data=form.cleaned_data["file"])
            except services.ImportRefused as exc:
                add_domain_error(form, exc)
                problems = exc.problems
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, gettext("Imported %(created)s new questions; %(unchanged)s were already in the bank.")
                                 % {"created": len(result.created), "unchanged": result.unchanged})
                return redirect(_bank_url(bank))
    return render(request, "timebank/manage/quiz_import.html", {
        "bank": bank, "form": form, "problems": problems, "tab": "quiz", "letters": LETTERS}, status=status)


def _xlsx(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@login_required
@require_GET
def quiz_export(request: HttpRequest) -> HttpResponse:
    """The bank's questions in use, in the shape the import reads."""
    scope = sq.quiz_scope(request.user)
    bank = sq.quiz_bank_get(scope=scope, key=request.GET.get("bank"))
    stamp = timezone.localdate().strftime("%Y%m%d")
    name = "city" if bank.station is None else f"station-{bank.station.pk}"
    title = gettext("Quiz questions: %(bank)s, %(day)s") % {"bank": bank.label, "day": timezone.localdate().isoformat()}
    return _xlsx(sheet_write(sq.bank_export(bank=bank), title=title), f"quiz-{name}-{stamp}.xlsx")


@never_cache
@login_required
@require_GET
def quiz_template(request: HttpRequest) -> HttpResponse:
    sq.quiz_scope(request.user)
    return _xlsx(sheet_write([], title=gettext("Quiz questions: template")), "quiz-template.xlsx")
