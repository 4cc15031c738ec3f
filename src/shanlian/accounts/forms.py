"""Forms of the account pages: they only parse; every rule (phone, code, password strength, scope) is the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shanlian.places.models import Division, Level

TEXT = {"class": "form-control"}


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, widget=forms.TextInput(attrs={
        **TEXT, "inputmode": "tel", "autocomplete": "tel", "placeholder": "138 0013 8000"}))


class CommunityChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def communities() -> Any:
    return (Division.objects.filter(level=Level.COMMUNITY).select_related("parent__parent")
            .order_by("parent__parent__name", "parent__name", "name"))


class SignupForm(PhoneForm):
    code = forms.CharField(label=_("Code from the text message"), max_length=12, widget=forms.TextInput(attrs={
        **TEXT, "inputmode": "numeric", "autocomplete": "one-time-code"}))
    real_name = forms.CharField(label=_("Real name"), max_length=32, widget=forms.TextInput(attrs={**TEXT, "autocomplete": "name"}))
    community = CommunityChoice(label=_("Community you live in"), queryset=Division.objects.none(), empty_label=_("Choose…"),
                                widget=forms.Select(attrs={"class": "form-select"}))
    password = forms.CharField(label=_("Password"), max_length=128,
                               widget=forms.PasswordInput(attrs={**TEXT, "autocomplete": "new-password"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = communities()
        groups: dict[str, list[tuple[Any, str]]] = {}
        for c in field.queryset:
            street = c.parent
            label = f"{street.parent.name} · {street.name}" if street is not None and street.parent is not None else str(street)
            groups.setdefault(label, []).append((c.pk, c.name))
        field.choices = [("", _("Choose…")), *groups.items()]


class ResetForm(PhoneForm):
    code = forms.CharField(label=_("Code from the text message"), max_length=12, widget=forms.TextInput(attrs={
        **TEXT, "inputmode": "numeric", "autocomplete": "one-time-code"}))
    password = forms.CharField(label=_("New password"), max_length=128,
                               widget=forms.PasswordInput(attrs={**TEXT, "autocomplete": "new-password"}))


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), max_length=128,
                                   widget=forms.PasswordInput(attrs={**TEXT, "autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("New password"), max_length=128,
                                   widget=forms.PasswordInput(attrs={**TEXT, "autocomplete": "new-password"}))


class StaffAccountForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150, widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}),
                               help_text=_("Letters, digits and @ . + - _; e.g. the colleague's name in pinyin."))
