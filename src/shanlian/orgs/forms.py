"""Forms for the organization and station pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import OrgKind


class OrganizationSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=64,
        widget=forms.TextInput(attrs={
            "class": "form-control", "type": "search", "placeholder": _("Name, pinyin or initials (e.g. qm)"),
            "autocomplete": "off",
        }),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *OrgKind.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def filters(self) -> tuple[str, str]:
        """(query, kind); an invalid kind is ignored rather than an error on a search page."""
        if not self.is_bound or not self.is_valid():
            data = self.data if self.is_bound else {}
            q = str(data.get("q", ""))[:64]
            return q, ""
        return self.cleaned_data["q"], self.cleaned_data["kind"]
