"""Forms for the charity staff pages. They only parse: every rule about money (amounts above zero with
at most two decimals, balances, four eyes, who may do what) is the services', whose errors come back
onto the form with their codes (`core.pages.add_domain_error`). Amounts stay text here, so "1.234"
reaches the service and gets its own code."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shanlian.core import fields
from shanlian.orgs.models import DonationPoint

from .models import Campaign, Channel, DonationStatus, PayoutStatus, Project, ReceiptStatus
from .selectors.staff import GoodsLine

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
AMOUNT = {**TEXT, "inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"}
STATION_CHANNELS = [(Channel.CASH.value, Channel.CASH.label), (Channel.TRANSFER.value, Channel.TRANSFER.label),
                    (Channel.GOODS.value, Channel.GOODS.label)]


def new_token() -> str:
    return uuid.uuid4().hex


class TokenField(forms.UUIDField):
    """The form's idempotency key, made when the form is shown: a second submit of the same form is the
    same request, so it records once."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=forms.HiddenInput, **kwargs)


def _queryset(form: forms.BaseForm, name: str, queryset: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class PointChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        kinds = [str(label) for ok, label in ((obj.accepts_cash, _("cash")), (obj.accepts_transfer, _("transfer")),
                                                (obj.accepts_goods, _("goods"))) if ok]
        return f"{obj.name}（{'/'.join(kinds)}）"


class GiftForm(forms.Form):
    token = TokenField()
    channel = forms.ChoiceField(label=_("How was it given"), choices=STATION_CHANNELS, initial=Channel.CASH,
                                widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    point = PointChoiceField(label=_("Donation point"), queryset=DonationPoint.objects.none(), required=False,
                             empty_label=_("Not at a point"),
                             widget=forms.Select(attrs=SELECT))
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=24, widget=forms.TextInput(attrs=AMOUNT),
                             help_text=_("For goods: what they are worth."))
    goods_item = forms.CharField(label=_("Goods"), max_length=64, required=False,
                                 widget=forms.TextInput(attrs={**TEXT, "placeholder": _("e.g. rice")}))
    goods_quantity = forms.CharField(label=_("Quantity"), max_length=16, required=False,
                                     widget=forms.TextInput(attrs={**TEXT, "inputmode": "decimal"}))
    goods_unit = forms.CharField(label=_("Unit"), max_length=16, required=False,
                                 widget=forms.TextInput(attrs={**TEXT, "placeholder": _("e.g. bag")}))
    project = forms.ModelChoiceField(label=_("Restricted to a project"), queryset=Project.objects.none(), required=False,
                                     empty_label=_("No: the fund's general money"), widget=forms.Select(attrs=SELECT),
                                     help_text=_("A restricted gift (定向捐赠) is spent only on this project."))
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False, empty_label=_("None"),
                                      widget=forms.Select(attrs=SELECT))
    donor_name = forms.CharField(label=_("Donor"), max_length=128, required=False,
                                 widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}),
                                 help_text=_("Leave empty for an anonymous gift."))
    show_name = forms.BooleanField(label=_("The donor agrees to show their name in public"), required=False,
                                   widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    message = forms.CharField(label=_("Message"), max_length=200, required=False, widget=forms.TextInput(attrs=TEXT))

    def __init__(self, *args: Any, points: Any, projects: Any, campaigns: Any, **kwargs: Any) -> None:
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("token", new_token())
        first_point = points.first()
        if first_point is not None:
            initial.setdefault("point", first_point.pk)  # the station's point is where most gifts come in
        super().__init__(*args, **kwargs)
        _queryset(self, "point", points)
        _queryset(self, "project", projects)
        _queryset(self, "campaign", campaigns)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("channel") == Channel.GOODS:
            # As typed: the service parses it with the one number parser (core.inputs) and says what is wrong.
            data["goods_quantity_value"] = (data.get("goods_quantity") or "").strip()
        return data


class GoodsOutForm(forms.Form):
    token = TokenField()
    stock = forms.ChoiceField(label=_("Goods on hand"), choices=(), widget=forms.Select(attrs=SELECT))
    quantity = forms.CharField(label=_("Quantity given out"), max_length=16,
                               widget=forms.TextInput(attrs={**TEXT, "inputmode": "decimal"}))
    recipient = forms.CharField(label=_("Given to"), max_length=128, required=False, widget=forms.TextInput(attrs=TEXT),
                                help_text=_("Who received them, e.g. a household or an activity."))
    note = forms.CharField(label=_("Note"), max_length=200, required=False, widget=forms.TextInput(attrs=TEXT))

    def __init__(self, *args: Any, stock: list[GoodsLine], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("token", new_token())
        super().__init__(*args, **kwargs)
        self.lines = {line.key: line for line in stock}
        field = self.fields["stock"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "---------")] + [
            (line.key, f"{line.point_name} · {line.item}（{line.quantity.normalize():f} {line.unit}）") for line in stock]

    def selected(self) -> GoodsLine:
        return self.lines[self.cleaned_data["stock"]]


class PayoutForm(forms.Form):
    token = TokenField()
    project = forms.ModelChoiceField(label=_("Project"), queryset=Project.objects.none(), widget=forms.Select(attrs=SELECT))
    title = forms.CharField(label=_("What is it for"), max_length=128, widget=forms.TextInput(attrs=TEXT))
    payee = forms.CharField(label=_("Payee"), max_length=128, widget=forms.TextInput(attrs=TEXT),
                            help_text=_("Who is paid: a supplier, the station, a household."))
    attachments = fields.MultipleFileField(label=_("Attachments"), required=False, accept=".pdf,.jpg,.jpeg,.png,.xlsx,.docx",
                                           help_text=_("Quotes, invoices, plans: PDF, images, Excel or Word, up to 10 MB each."))

    def __init__(self, *args: Any, projects: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("token", new_token())
        super().__init__(*args, **kwargs)
        _queryset(self, "project", projects)


class PayoutLineForm(forms.Form):
    item = forms.CharField(label=_("Budget line"), max_length=128, required=False,
                           widget=forms.TextInput(attrs={**TEXT, "placeholder": _("e.g. rice and oil for 30 households")}))
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=24, required=False, widget=forms.TextInput(attrs=AMOUNT))


PayoutLineFormSet = forms.formset_factory(PayoutLineForm, extra=1, max_num=50, absolute_max=50)


def payout_lines(formset: forms.BaseFormSet) -> list[tuple[str, str]]:
    """The lines a person filled in (a row left empty is no line)."""
    out = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        item, amount = (data.get("item") or "").strip(), (data.get("amount") or "").strip()
        if item or amount:
            out.append((item, amount))
    return out


class NoteForm(forms.Form):
    """Approve (note optional)."""

    note = forms.CharField(label=_("Note"), max_length=300, required=False, widget=forms.TextInput(attrs=TEXT))


class ReasonForm(forms.Form):
    """Reject, void a receipt, refund: the service says a reason is needed, with its code."""

    reason = forms.CharField(label=_("Reason"), max_length=200, required=False, widget=forms.TextInput(attrs=TEXT))


class PaymentForm(forms.Form):
    payment_reference = forms.CharField(label=_("Bank payment reference"), max_length=64, required=False,
                                        widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))


class PayoutFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All"))] + list(PayoutStatus.choices), widget=forms.Select(attrs=SELECT))


class GiftFilterForm(forms.Form):
    fund = forms.CharField(label=_("Fund code"), max_length=40, required=False, widget=forms.TextInput(attrs=TEXT))
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All"))] + list(Channel.choices),
                                widget=forms.Select(attrs=SELECT))
    start = fields.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={**TEXT, "type": "date"}))
    end = fields.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={**TEXT, "type": "date"}))
    receipt = forms.ChoiceField(label=_("Receipt"), required=False, widget=forms.Select(attrs=SELECT), choices=[
        ("", _("All")), ("issued", _("Receipt issued")), ("none", _("No receipt yet"))])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All"))] + list(DonationStatus.choices),
                               widget=forms.Select(attrs=SELECT))

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        d = self.cleaned_data
        return {"fund_code": d["fund"].strip(), "channel": d["channel"], "start": d["start"], "end": d["end"],
                "receipt": d["receipt"], "status": d["status"]}


class ReceiptFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None,
                                  widget=forms.Select(attrs=SELECT))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All"))] + list(ReceiptStatus.choices),
                               widget=forms.Select(attrs=SELECT))

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["year"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All"))] + [(y, str(y)) for y in years]
