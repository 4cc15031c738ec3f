"""The front door's forms: the station finder and the code box."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shanlian.core.inputs import id_param
from shanlian.places.models import Division
from shanlian.places.selectors import districts_with_stations, streets_with_stations

SELECT = {"class": "form-select"}
CODE = re.compile(r"[0-9A-Z]{6,32}")


class StationFinderForm(forms.Form):
    district = forms.ModelChoiceField(label=_("District"), queryset=Division.objects.none(), required=False,
                                      empty_label=_("All districts"), widget=forms.Select(attrs=SELECT))
    street = forms.ModelChoiceField(label=_("Street / town"), queryset=Division.objects.none(), required=False,
                                    empty_label=_("All streets"), widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district = self.fields["district"]
        assert isinstance(district, forms.ModelChoiceField)
        district.queryset = districts_with_stations()
        chosen = self.data.get("district") if self.is_bound else None
        street = self.fields["street"]
        assert isinstance(street, forms.ModelChoiceField)
        district_id = id_param(chosen)
        if district_id is not None:
            street.queryset = streets_with_stations(district_id=district_id)

    def chosen(self) -> tuple[int | None, int | None]:
        if not self.is_bound or not self.is_valid():
            return None, None
        district, street = self.cleaned_data.get("district"), self.cleaned_data.get("street")
        return (district.pk if district else None), (street.pk if street else None)


class VerifyForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to check"), choices=[("receipt", _("Donation receipt")),
                                                                ("certificate", _("Volunteer service certificate"))],
                             widget=forms.Select(attrs=SELECT))
    code = forms.CharField(label=_("Verification code"), max_length=32, widget=forms.TextInput(attrs={
        "class": "form-control", "autocomplete": "off", "placeholder": _("the code printed under the QR code")}))

    def clean_code(self) -> str:
        code = "".join(str(self.cleaned_data["code"]).split()).upper()
        if not CODE.fullmatch(code):
            raise ValidationError(_("A verification code has 6 to 32 letters and digits."), code="invalid_code")
        return code
