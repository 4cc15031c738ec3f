"""The certification quiz's question banks: the city bank (questions without a station), which every station's
quiz draws from, and each station's own questions on top (`models.quiz_pool`).

Who writes which bank is one rule, `_access.may_edit_quiz_bank`: a station's organizers its own questions,
city administrators the city bank. A question drawn into a paper is part of a volunteer's record (the paper
keeps its id, the volunteer's answer its index): it is never deleted, only retired, and editing it retires it
and puts a new version in its place, so the paper still reads as it was answered. A question nobody has drawn
yet is edited in place. The same text is in use once per bank (a database constraint too), and a station's own
question may not repeat one in use in the city bank, which its volunteers already draw."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, ValidationFailed, field_error, lazy_format
from shanlian.core.inputs import Checks, model_text, text_in
from shanlian.orgs.models import Station

from ..models import QuizQuestion
from ..quiz_sheet import COLUMN_LABELS, LETTERS, sheet_read
from ._access import require_quiz_editor

MIN_CHOICES, MAX_CHOICES = 2, len(LETTERS)
CHOICE_MAX_LENGTH = 120


def _choice_field(index: int) -> str:
    return f"choice_{LETTERS[index].lower()}" if index < len(LETTERS) else "choices"


def question_clean(*, text: Any, choices: Sequence[Any], answer: Any) -> tuple[str, list[str], int]:
    """The one rule for a question, from the page, the import and the demo: a text of at most 300 characters,
    2 to 6 distinct choices of at most 120 given in order (A, B, … with none skipped; empty ones at the end
    are no choices), the answer the index of one of them. Every problem at once, each on its field."""
    checks = Checks()
    clean_text = checks(model_text, QuizQuestion, "text", text, required=True)
    if not isinstance(choices, list | tuple):
        raise field_error("choices", "invalid_choices", _("Expected a list of choices."))
    if len(choices) > MAX_CHOICES and any(str(c or "").strip() for c in choices[MAX_CHOICES:]):
        checks.failed.append(field_error("choices", "too_many_choices",
                                         lazy_format(_("At most %(n)s choices, A to F."), {"n": MAX_CHOICES})))
    cells = [checks(text_in, c, field=_choice_field(i), max_length=CHOICE_MAX_LENGTH) for i, c in enumerate(choices[:MAX_CHOICES])]
    filled = [c or "" for c in cells]
    while filled and not filled[-1]:
        filled.pop()
    for i, c in enumerate(filled):
        if not c and cells[i] is not None:  # a gap: C empty, D filled
            checks.failed.append(field_error(_choice_field(i), "choice_skipped", lazy_format(
                _("Fill in the choices in order: %(letter)s is empty but a later one is not."), {"letter": LETTERS[i]})))
    seen: dict[str, int] = {}
    for i, c in enumerate(filled):
        key = unicodedata.normalize("NFKC", c).casefold()
        if c and key in seen:
            checks.failed.append(field_error(_choice_field(i), "choice_repeated", lazy_format(
                _("Choice %(letter)s repeats choice %(first)s."), {"letter": LETTERS[i], "first": LETTERS[seen[key]]})))
        seen.setdefault(key, i)
    if len(filled) < MIN_CHOICES:
        checks.failed.append(field_error(_choice_field(len(filled)), "too_few_choices", _("Give at least two choices (A and B).")))
    index: int | None = None
    if isinstance(answer, bool) or not isinstance(answer, int):
        checks.failed.append(field_error("answer", "answer_required", _("Choose the right answer.")))
    elif not 0 <= answer < len(filled):
        checks.failed.append(field_error("answer", "answer_out_of_range", lazy_format(
            _("The right answer must be one of the choices given (A to %(last)s)."),
            {"last": LETTERS[max(len(filled), MIN_CHOICES) - 1]})))
    else:
        index = answer
    checks.done()
    assert clean_text is not None and index is not None
    return clean_text, filled, index


def _duplicate(*, station: Station | None, text: str, exclude: int | None = None) -> QuizQuestion | None:
    """An active question with this text in the same bank, or (for a station's) in the city bank."""
    qs = QuizQuestion.objects.filter(active=True, text=text)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if station is None:
        return qs.filter(station__isnull=True).first()
    return qs.filter(station=station).first() or qs.filter(station__isnull=True).first()


def _duplicate_error(found: QuizQuestion) -> Conflict:
    if found.station_id is None:
        message = _("This question is already in the city bank, which every station's quiz draws from.")
    else:
        message = _("This question is already in this bank.")
    return Conflict("question_exists", message, fields={"text": [("question_exists", message)]})


def _insert(*, actor: Any, station: Station | None, text: str, choices: list[str], answer: int, action: str,
            extra: dict[str, Any] | None = None) -> QuizQuestion:
    found = _duplicate(station=station, text=text)
    if found is not None:
        raise _duplicate_error(found)
    try:
        with transaction.atomic():  # a savepoint: the constraint's refusal leaves the outer transaction usable
            question = QuizQuestion.objects.create(station=station, text=text, choices=choices, answer=answer)
    except IntegrityError:  # the same question written at the same moment by someone else
        raise _duplicate_error(QuizQuestion(station=station)) from None
    audit_log(actor=actor, action=action, obj=question,
              after={"station": station.pk if station else None, "text": text, "choices": choices, "answer": answer, **(extra or {})})
    return question


@transaction.atomic
def quiz_question_create(*, actor: Any, station: Station | None, text: Any, choices: Sequence[Any], answer: Any) -> QuizQuestion:
    """A question in a station's own bank, or with `station=None` in the city bank."""
    require_quiz_editor(actor, station)
    clean_text, clean_choices, index = question_clean(text=text, choices=choices, answer=answer)
    return _insert(actor=actor, station=station, text=clean_text, choices=clean_choices, answer=index,
                   action="timebank.quiz_question.create")


def _locked(question: QuizQuestion) -> QuizQuestion:
    return QuizQuestion.objects.select_for_update().get(pk=question.pk)


@transaction.atomic
def quiz_question_edit(*, actor: Any, question: QuizQuestion, text: Any, choices: Sequence[Any], answer: Any) -> QuizQuestion:
    """Change a question in use; returns the question now in the bank: the same one when nobody has drawn it yet,
    otherwise a new version (the old one is retired, as the papers it was drawn into answered it). An edit that
    changes nothing changes nothing."""
    require_quiz_editor(actor, question.station)
    locked = _locked(question)
    if not locked.active:
        raise Conflict("question_retired", _("This question is retired; put it back in use before editing it."))
    clean_text, clean_choices, index = question_clean(text=text, choices=choices, answer=answer)
    before = {"text": locked.text, "choices": locked.choices, "answer": locked.answer}
    if before == {"text": clean_text, "choices": clean_choices, "answer": index}:
        return locked
    found = _duplicate(station=locked.station, text=clean_text, exclude=locked.pk)
    if found is not None:
        raise _duplicate_error(found)
    if locked.drawn_at is None:
        locked.text, locked.choices, locked.answer = clean_text, clean_choices, index
        try:
            with transaction.atomic():
                locked.save(update_fields=["text", "choices", "answer"])
        except IntegrityError:
            raise _duplicate_error(locked) from None
        audit_log(actor=actor, action="timebank.quiz_question.edit", obj=locked, before=before,
                  after={"text": clean_text, "choices": clean_choices, "answer": index})
        return locked
    locked.active = False
    locked.save(update_fields=["active"])
    new = _insert(actor=actor, station=locked.station, text=clean_text, choices=clean_choices, answer=index,
                  action="timebank.quiz_question.revise", extra={"replaces": locked.pk})
    audit_log(actor=actor, action="timebank.quiz_question.retire", obj=locked, before={"active": True},
              after={"active": False, "replaced_by": new.pk})
    return new


@transaction.atomic
def quiz_question_retire(*, actor: Any, question: QuizQuestion) -> QuizQuestion:
    """No longer drawn. Papers it was drawn into keep it; retiring again is quiet."""
    require_quiz_editor(actor, question.station)
    locked = _locked(question)
    if locked.active:
        locked.active = False
        locked.save(update_fields=["active"])
        audit_log(actor=actor, action="timebank.quiz_question.retire", obj=locked, before={"active": True}, after={"active": False})
    return locked


@transaction.atomic
def quiz_question_reactivate(*, actor: Any, question: QuizQuestion) -> QuizQuestion:
    """Back in use, unless the same question is in use again in the meantime."""
    require_quiz_editor(actor, question.station)
    locked = _locked(question)
    if locked.active:
        return locked
    found = _duplicate(station=locked.station, text=locked.text, exclude=locked.pk)
    if found is not None:
        raise _duplicate_error(found)
    locked.active = True
    try:
        with transaction.atomic():
            locked.save(update_fields=["active"])
    except IntegrityError:
        raise _duplicate_error(locked) from None
    audit_log(actor=actor, action="timebank.quiz_question.reactivate", obj=locked, before={"active": False}, after={"active": True})
    return locked


# -- the spreadsheet ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: Any  # the column's label
    code: str
    message: Any


class ImportRefused(ValidationFailed):
    """A file with bad rows: nothing was written; `problems` names each by its row number."""

    def __init__(self, problems: list[RowProblem]) -> None:
        rows = len({p.row for p in problems})
        message = lazy_format(_("%(n)s rows of the file have problems, listed below by row number. Nothing was imported: "
                                "correct them and upload the file again."), {"n": rows})
        super().__init__("import_rows_invalid", message, fields={"file": [("import_rows_invalid", message)]})
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    created: list[QuizQuestion]
    unchanged: int  # rows already in the bank exactly as written


def _answer_index(raw: str) -> int | ValidationFailed:
    letter = unicodedata.normalize("NFKC", raw).strip().upper()
    if not letter:
        return field_error("answer", "answer_required", _("Give the letter of the right choice (A to F)."))
    if len(letter) != 1 or letter not in LETTERS:
        shown = "".join(ch if ch.isprintable() else "\ufffd" for ch in raw)[:20]
        return field_error("answer", "answer_out_of_range", lazy_format(
            _("The answer is the letter of the right choice, A to F: “%(value)s” is not."), {"value": shown}))
    return LETTERS.index(letter)


@transaction.atomic
def quiz_questions_import(*, actor: Any, station: Station | None, data: bytes) -> ImportResult:
    """Questions from an XLSX file into a bank, all or nothing: a row that breaks a rule (`question_clean`), repeats
    an earlier row, or clashes with a question in use under the same text is named by its row number and nothing
    is written. A row already in the bank exactly as written is skipped, so importing a file twice adds nothing."""
    require_quiz_editor(actor, station)
    rows = sheet_read(data)
    problems: list[RowProblem] = []
    clean: list[tuple[int, str, list[str], int]] = []
    first_row: dict[str, int] = {}
    for r in rows:
        index = _answer_index(r.answer)
        try:
            text, choices, answer = question_clean(text=r.text, choices=r.choices,
                                                   answer=index if isinstance(index, int) else None)
        except ValidationFailed as exc:
            fields = dict(exc.fields)
            if isinstance(index, ValidationFailed):  # the letter's own message, not "choose the answer"
                fields["answer"] = index.fields["answer"]
            for name, errors in fields.items():
                for code, message in errors:
                    problems.append(RowProblem(row=r.row, column=COLUMN_LABELS.get(name, _("Choices")), code=code, message=message))
            continue
        if text in first_row:
            problems.append(RowProblem(row=r.row, column=COLUMN_LABELS["text"], code="row_repeated", message=lazy_format(
                _("The same question is already in row %(row)s of this file."), {"row": first_row[text]})))
            continue
        first_row[text] = r.row
        clean.append((r.row, text, choices, answer))
    texts = [c[1] for c in clean]
    pool = QuizQuestion.objects.filter(active=True, text__in=texts)
    pool = pool.filter(station__isnull=True) if station is None else pool.filter(Q(station=station) | Q(station__isnull=True))
    existing: dict[str, QuizQuestion] = {}
    for q in pool:
        if q.station_id is not None or q.text not in existing:  # the bank's own question before the city's
            existing[q.text] = q
    todo: list[tuple[str, list[str], int]] = []
    unchanged = 0
    for row, text, choices, answer in clean:
        found = existing.get(text)
        if found is None:
            todo.append((text, choices, answer))
        elif found.station_id == (station.pk if station else None) and (found.choices, found.answer) == (choices, answer):
            unchanged += 1
        else:
            message = (_("This question is already in the city bank, which every station's quiz draws from.")
                       if found.station_id is None and station is not None
                       else _("A question with this text is already in the bank with other choices or another answer; "
                              "edit it on the page instead."))
            problems.append(RowProblem(row=row, column=COLUMN_LABELS["text"], code="question_exists", message=message))
    if problems:
        raise ImportRefused(sorted(problems, key=lambda p: p.row))
    created = [_insert(actor=actor, station=station, text=text, choices=choices, answer=answer,
                       action="timebank.quiz_question.create", extra={"via": "import"}) for text, choices, answer in todo]
    audit_log(actor=actor, action="timebank.quiz_question.import", object_type="timebank.quizquestion",
              object_id=f"station:{station.pk}" if station else "city",
              after={"rows": len(rows), "created": [q.pk for q in created], "unchanged": unchanged})
    return ImportResult(created=created, unchanged=unchanged)
