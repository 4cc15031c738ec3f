"""The resident's forms: naming a need, and reading a ballot from the vote page's fields. The rules are the services'
(need_submit, ballot_cast); these only carry what was typed to them and their errors back to the page."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import Purpose

from .models import GrantRound, Proposal
from .services.needs import NEED_TEXT_MAX

POINTS_MAX_DIGITS = 6  # a points field longer than this is passed on as typed, for the service to refuse


class NeedForm(forms.Form):
    text = forms.CharField(label=_("What does your community need?"), max_length=NEED_TEXT_MAX, required=False,
                           widget=forms.Textarea(attrs={"rows": 4, "class": "form-control", "required": True,
                                                        "maxlength": NEED_TEXT_MAX}),
                           help_text=_("Describe the need in a few sentences: who needs what, and why."))
    category = forms.ChoiceField(label=_("Category"), choices=Purpose.choices, required=False,
                                 widget=forms.Select(attrs={"class": "form-select"}))
    community = forms.TypedChoiceField(label=_("Community"), coerce=int, required=False,
                                       widget=forms.Select(attrs={"class": "form-select"}),
                                       help_text=_("Your own community, or another one in the round's area."))

    def __init__(self, *args: Any, communities: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["community"]).choices = [(c.pk, c.name) for c in communities]


def ballot_choices_in(round: GrantRound, data: QueryDict, on_ballot: list[Proposal]) -> Any:
    """The vote page's fields as the service's `choices`: approval, the ticked ids (`choice`); cumulative, {id: points}
    from `points-<id>` for each project on the ballot given more than 0. Anything that is not a plain number is passed
    on as typed, so the service's refusal (with its code) is what the resident reads."""
    if round.ballot_kind == "cumulative":
        shared: dict[int, Any] = {}
        for p in on_ballot:
            raw = (data.get(f"points-{p.pk}") or "").strip()
            if raw in ("", "0"):
                continue
            shared[p.pk] = int(raw) if raw.isdigit() and len(raw) <= POINTS_MAX_DIGITS else raw
        return shared
    picked: list[Any] = []
    for raw in data.getlist("choice")[:100]:
        raw = raw.strip()
        picked.append(int(raw) if raw.isdigit() and len(raw) <= 18 else raw)
    return picked
