"""Forms for the people and role pages. The services check every rule (ID checksum, phone, duplicates,
who may grant what) and `add_domain_error` puts their errors back on the form with their codes; the
person form also runs the same identifier checks itself, only so that all mistakes show at once."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import DomainError
from shanlian.core.identifiers import clean_phone, clean_resident_id
from shanlian.core.scoping import ROLE_SCOPE_KIND, Role, Scope, ScopeKind
from shanlian.places.models import Division, Level

from . import selectors
from .models import Gender
from .search import masked_echo

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}


def _set_choices(form: forms.BaseForm, name: str, queryset: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class DivisionChoiceField(forms.ModelChoiceField):
    """Streets and communities, a community labelled with its street so equal names stay apart."""

    def label_from_instance(self, obj: Division) -> str:
        if obj.level == Level.COMMUNITY and obj.parent is not None:
            return f"{obj.parent.name} · {obj.name}"
        return obj.name


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=64,
        widget=forms.TextInput(attrs={
            **TEXT, "type": "search", "autocomplete": "off",
            "placeholder": _("Name, pinyin, phone (or last 4), resident ID"),
        }),
    )
    division = DivisionChoiceField(
        label=_("Area"), required=False, queryset=Division.objects.none(), empty_label=_("All my area"),
        widget=forms.Select(attrs=SELECT),
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        _set_choices(self, "division", selectors.person_division_choices(scope=scope))

    def masked_for_display(self) -> PersonSearchForm:
        """The same form with a full resident ID or phone in `q` shown masked, so the page never
        repeats an unmasked identifier (the search itself used the full value)."""
        if not self.is_bound:
            return self
        shown = masked_echo(str(self.data.get("q", "")))
        if shown is None:
            return self
        data = {key: self.data.get(key) for key in ("q", "division")}
        data["q"] = shown
        return PersonSearchForm(data, scope=self.scope)

    def filters(self) -> tuple[str, int | None]:
        if not self.is_bound:
            return "", None
        if self.is_valid():
            division = self.cleaned_data["division"]
            return self.cleaned_data["q"], division.pk if division else None
        # A division outside the area: show nothing rather than silently dropping the filter.
        q = self.cleaned_data.get("q", "") if hasattr(self, "cleaned_data") else ""
        return q, 0 if "division" in self.errors else None


class PersonForm(forms.Form):
    real_name = forms.CharField(label=_("Real name"), max_length=32, widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=Gender.choices, widget=forms.Select(attrs=SELECT),
        help_text=_("If not stated, taken from the resident ID."),
    )
    division = DivisionChoiceField(
        label=_("Community of residence"), queryset=Division.objects.none(), empty_label=_("Choose…"),
        widget=forms.Select(attrs=SELECT),
    )
    resident_id = forms.CharField(
        label=_("Resident ID"), required=False, max_length=24,
        help_text=_("18 characters. Stored encrypted, shown masked; it cannot be changed later."),
        widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off", "inputmode": "text", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("Phone"), required=False, max_length=24,
        widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off", "inputmode": "tel"}),
    )
    clear_phone = forms.BooleanField(
        label=_("Remove the phone number"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )

    def __init__(self, *args: Any, scope: Scope, creating: bool, phone_masked: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "division", selectors.person_division_choices(scope=scope))
        if creating:
            del self.fields["clear_phone"]
        else:
            del self.fields["resident_id"]
            if phone_masked:
                self.fields["phone"].help_text = _("Now %(phone)s. Leave blank to keep it.") % {"phone": phone_masked}
                self.fields["phone"].widget.attrs["placeholder"] = phone_masked
            else:
                del self.fields["clear_phone"]

    def _identifier(self, name: str, check: Any) -> str:
        value = self.cleaned_data.get(name, "")
        if value:
            try:
                check(value)
            except DomainError as exc:
                raise ValidationError(str(exc.message), code=exc.code) from None
        return value  # the service cleans it again and keeps its own normal form

    def clean_resident_id(self) -> str:
        return self._identifier("resident_id", clean_resident_id)

    def clean_phone(self) -> str:
        return self._identifier("phone", clean_phone)


class RoleGrantForm(forms.Form):
    """Grant `role` to the account `username` over the target its scope kind calls for."""

    username = forms.CharField(label=_("User name"), max_length=150, widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("Choose…")), *Role.choices], widget=forms.Select(attrs=SELECT))
    division = forms.ModelChoiceField(
        label=_("Division"), required=False, queryset=Division.objects.none(), empty_label="—", widget=forms.Select(attrs=SELECT)
    )
    organization = forms.ModelChoiceField(
        label=_("Organization"), required=False, queryset=Division.objects.none(), empty_label="—",
        widget=forms.Select(attrs=SELECT),
    )
    station = forms.ModelChoiceField(
        label=_("Station"), required=False, queryset=Division.objects.none(), empty_label="—", widget=forms.Select(attrs=SELECT)
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        targets = selectors.role_grant_targets(scope=scope)
        for name in ("division", "organization", "station"):
            _set_choices(self, name, targets[name])
            self.fields[name].widget.attrs["data-scope-kind"] = name

    def clean_username(self) -> Any:
        try:
            return selectors.account_get_by_username(scope=self.scope, username=self.cleaned_data["username"])
        except DomainError as exc:
            raise ValidationError(str(exc.message), code=exc.code) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        data["target"] = None
        if role:
            kind = ROLE_SCOPE_KIND[role]
            if kind != ScopeKind.SELF:
                target = data.get(kind)
                if target is None:
                    self.add_error(kind, ValidationError(_("Choose what this role is granted over."), code="target_required"))
                data["target"] = target
        return data
