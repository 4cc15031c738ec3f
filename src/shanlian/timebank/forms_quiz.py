"""Forms of the quiz-bank pages. They only parse: the rules for a question (lengths, 2–6 choices in order, the
answer among them, once per bank) are the service's (`services.quiz.question_clean`), whose errors come back
onto each field with their codes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields
from shanlian.core.errors import lazy_format

from .models import QuizQuestion
from .quiz_sheet import LETTERS, MAX_BYTES
from .services.quiz import CHOICE_MAX_LENGTH

TEXT = {"class": "form-control"}


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), required=False, strip=False,
                           widget=forms.Textarea(attrs={**TEXT, "rows": 3, "maxlength": 300}))
    answer = forms.ChoiceField(label=_("Right answer"), required=False, choices=[("", "—"), *((c, c) for c in LETTERS)],
                               widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n, letter in enumerate(LETTERS):
            self.fields[f"choice_{letter.lower()}"] = forms.CharField(
                label=lazy_format(_("Choice %(letter)s"), {"letter": letter}), required=False, strip=False,
                widget=forms.TextInput(attrs={**TEXT, "maxlength": CHOICE_MAX_LENGTH,
                                              "placeholder": _("optional") if n >= 2 else ""}))
        self.order_fields(["text", *(f"choice_{c.lower()}" for c in LETTERS), "answer"])

    @classmethod
    def initial_for(cls, question: QuizQuestion) -> dict[str, Any]:
        data: dict[str, Any] = {"text": question.text, "answer": LETTERS[question.answer] if question.answer < len(LETTERS) else ""}
        for n, choice in enumerate(question.choices[: len(LETTERS)]):
            data[f"choice_{LETTERS[n].lower()}"] = choice
        return data

    def choice_fields(self) -> list[forms.BoundField]:
        return [self[f"choice_{c.lower()}"] for c in LETTERS]

    def values(self) -> dict[str, Any]:
        """What the service takes: the text, the six choices (empty ones at the end are no choices), the answer's index."""
        data = self.cleaned_data
        letter = data.get("answer") or ""
        return {"text": data.get("text") or "", "choices": [data.get(f"choice_{c.lower()}") or "" for c in LETTERS],
                "answer": LETTERS.index(letter) if letter else None}


class ImportForm(forms.Form):
    file = fields.UploadField(label=_("XLSX file"), max_bytes=MAX_BYTES, accept=".xlsx",
                              help_text=_("One question a row: 题目, 选项A … 选项F, 答案 (the letter). At most 2 MB and 1,000 questions."))
