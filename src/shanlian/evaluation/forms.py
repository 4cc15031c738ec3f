"""Forms of the framework pages. They only parse: every rule of a framework is the service's, whose errors come back
onto the form (a sheet's row named in the message)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields
from shanlian.core.errors import lazy_format
from shanlian.orgs.models import Grade, OrgKind

from .framework_sheet import MAX_BYTES
from .models import FrameworkKind

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
GRADES = list(reversed(Grade.values))  # 5A first, as notices list them
DEFAULT_BANDS = {"1000": ("951", "901", "851", "801", "751"), "100": ("90", "80", "70", "60", "50")}


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.get_level_display()}）"


class FrameworkImportForm(forms.Form):
    region = RegionChoiceField(label=_("Region"), queryset=None, widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label=_("Kind"), choices=FrameworkKind.choices, widget=forms.Select(attrs=SELECT))
    org_kind = forms.ChoiceField(label=_("Kind of organization"), required=False,
                                 choices=[("", _("Any (or a station framework)")), *OrgKind.choices], widget=forms.Select(attrs=SELECT))
    year = fields.IntegerField(label=_("Year"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs=TEXT))
    title = fields.TextField(label=_("Title"), max_length=128, widget=forms.TextInput(attrs=TEXT))
    total = forms.ChoiceField(label=_("Total points"), choices=[("1000", "1000"), ("100", "100")], widget=forms.Select(attrs=SELECT))
    file = fields.UploadField(
        label=_("XLSX file"), max_bytes=MAX_BYTES, accept=".xlsx",
        help_text=_("As the authorities publish it: 一级指标 … 四级指标, 分值, 评分方式, 评分标准, "
                    "需佐证, 类型. Download a framework to see the shape."))

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        for grade, default in zip(GRADES, DEFAULT_BANDS["1000"], strict=True):
            self.fields[f"band_{grade}"] = forms.CharField(
                label=lazy_format(_("%(grade)s from"), {"grade": grade}), required=False, max_length=12, initial=default,
                widget=forms.TextInput(attrs={**TEXT, "inputmode": "decimal"}))
        if not self.is_bound:
            self.fields["year"].initial = timezone.localdate().year
            widest = regions.first()  # the city for its administrators, else their district
            if widest is not None:
                self.fields["region"].initial = widest.pk

    def band_fields(self) -> list[Any]:
        return [self[f"band_{g}"] for g in GRADES]

    def bands(self) -> list[tuple[str, str]]:
        """The cut-offs given (a grade framework needs them; others may leave them empty)."""
        data = self.cleaned_data
        if data.get("kind") != FrameworkKind.GRADE:
            return []
        return [(g, data[f"band_{g}"]) for g in GRADES if data.get(f"band_{g}")]


class ReplaceForm(forms.Form):
    file = fields.UploadField(label=_("Corrected XLSX file"), max_bytes=MAX_BYTES, accept=".xlsx")


class CopyForm(forms.Form):
    year = fields.IntegerField(label=_("Year of the new version"), min_value=2000, max_value=2100, required=False,
                               widget=forms.NumberInput(attrs=TEXT))
