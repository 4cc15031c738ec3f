"""The donor's pages (mobile first, no login needed): campaigns with their progress, the give form, the
FakePay demo checkout, thanks, "my gifts", and each gift's page with where the money went and its
ledger proof. Also the payment providers' webhook endpoint.

A payment's ref (128 random bits) is the key to its pages: whoever holds the link sees the gift, but
the donor's name and message are shown in full only to the donor (their account, or the browser
session that gave), and the receipt PDF only to them.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from shanlian.core.errors import DomainError, NotFound, ValidationFailed
from shanlian.core.pages import add_domain_error, paginate

from . import payments as pay
from .models import CommunityFund, PaymentIntent, PaymentStatus, Project
from .selectors import give as sel
from .services import payments as pay_services

logger = logging.getLogger("shanlian.charity.give")

PRESETS = ("20", "50", "100", "200")
SESSION_REFS = "give_refs"  # refs this browser gave with: the donor's key when not signed in
SESSION_PAYER = "fakepay_payer"  # the demo wallet's payer id for this browser


# -- forms -------------------------------------------------------------------------------------------


def _target_value(target: Any) -> str:
    return f"f{target.fund_id}" + (f"p{target.project_id}" if target.project_id else "")


def _target_label(target: Any) -> str:
    if target.project_id:
        return f"{target.project.title}（{target.fund.name} · {_('restricted')}）"
    return f"{target.fund.name}（{_('general use')}）"


class GiveForm(forms.Form):
    preset = forms.ChoiceField(label=_("Amount"), required=False, choices=[(p, f"¥{p}") for p in PRESETS],
                               widget=forms.RadioSelect)
    amount = forms.CharField(label=_("Other amount (yuan)"), required=False, max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "¥"}))
    # The choices only draw the radios; the service decides what is a valid target, with its own codes.
    target = forms.CharField(label=_("Give to"), widget=forms.RadioSelect)
    donor_name = forms.CharField(label=_("Your name"), required=False, max_length=128,
                                 help_text=_("Leave empty to give anonymously."))
    show_name = forms.BooleanField(label=_("Show my name on the public list of gifts"), required=False)
    message = forms.CharField(label=_("Message (optional)"), required=False, max_length=200,
                              widget=forms.Textarea(attrs={"rows": 2}))
    idempotency_key = forms.CharField(required=False, max_length=128, widget=forms.HiddenInput)

    def __init__(self, *args: Any, targets: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].widget.choices = [(_target_value(t), _target_label(t)) for t in targets]
        for name in ("amount", "donor_name", "message"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")
        self.fields["show_name"].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount = (data.get("amount") or "").strip() or (data.get("preset") or "")
        if not amount and "amount" not in self.errors:
            self.add_error("amount", forms.ValidationError(_("Choose or enter an amount."), code="amount_required"))
        data["amount"] = amount
        return data


def _resolve_target(value: str) -> tuple[CommunityFund, Project | None]:
    """'f12' or 'f12p7' to the fund and project; which of them the campaign takes is the service's call."""
    text = _("Choose what to give to.")
    bad = ValidationFailed("invalid_target", text, fields={"target": [("invalid_target", text)]})
    parts = re.fullmatch(r"f([0-9]{1,18})(?:p([0-9]{1,18}))?", value)
    if parts is None:
        raise bad
    fund_part, project_part = parts.group(1), parts.group(2)
    fund = CommunityFund.objects.select_related("division").filter(pk=int(fund_part)).first()
    project = Project.objects.filter(pk=int(project_part)).first() if project_part else None
    if fund is None or (project_part and project is None):
        raise bad
    return fund, project


def _on_form(exc: DomainError) -> DomainError:
    """The service names fund/project/campaign; on this form they are all the one `target` choice."""
    fields: dict[str, list[Any]] = {}
    for name, errors in exc.fields.items():
        key = "target" if name in ("fund", "project") or exc.code == "campaign_target_mismatch" else name
        fields.setdefault(key, []).extend(errors)
    out = type(exc)(exc.code, exc.message, fields=fields)
    return out


# -- helpers -----------------------------------------------------------------------------------------


def _remember(request: HttpRequest, ref: str) -> None:
    refs = [r for r in request.session.get(SESSION_REFS, []) if r != ref]
    request.session[SESSION_REFS] = (refs + [ref])[-50:]


def _is_owner(request: HttpRequest, intent: PaymentIntent) -> bool:
    if request.user.is_authenticated and intent.donor_user_id == request.user.pk:
        return True
    return intent.ref in request.session.get(SESSION_REFS, [])


def _intent(ref: str) -> PaymentIntent:
    if not ref.startswith("pi_") or len(ref) > 40:
        raise NotFound("payment_not_found", None)
    return sel.intent_get(ref=ref)


def _fakepay_enabled() -> None:
    # The demo provider's checkout marks a payment paid with no money moving: off where real money is.
    if not pay.fakepay_enabled():
        raise Http404


# -- campaigns ---------------------------------------------------------------------------------------


@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, sel.campaigns_public())
    rows = [(c, sel.progress_of(c)) for c in page.object_list]
    return render(request, "charity/give/campaign_list.html", {"page_obj": page, "rows": rows})


@never_cache
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = sel.campaign_public_get(slug=slug)
    targets = sel.campaign_targets(campaign=campaign)
    status = 200
    if request.method == "POST":
        form = GiveForm(request.POST, targets=targets)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                fund, project = _resolve_target(data["target"])
                intent = pay_services.payment_start(
                    campaign=campaign, fund=fund, project=project, amount=data["amount"], donor_name=data["donor_name"],
                    show_name=data["show_name"], donor_user=request.user, message=data["message"],
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                add_domain_error(form, _on_form(exc))
                status = exc.status
            else:
                _remember(request, intent.ref)
                return redirect(pay.provider(intent.provider).checkout_url(intent))
    elif request.method == "GET":
        initial = {"idempotency_key": uuid.uuid4().hex, "preset": "50", "target": _target_value(targets[0]) if targets else ""}
        if request.user.is_authenticated:
            initial["donor_name"] = request.user.get_full_name() or request.user.first_name
        form = GiveForm(initial=initial, targets=targets)
    else:
        return HttpResponse(status=405)
    now = timezone.now()
    context = {
        "campaign": campaign,
        "progress": sel.progress_of(campaign),
        "targets": targets,
        "pools": sel.campaign_pools(campaign=campaign),
        "recent": sel.campaign_recent_gifts(campaign=campaign),
        "form": form,
        "is_open": sel.accepts_gifts(campaign, now=now),
        "not_started": now < campaign.starts_at,
    }
    return render(request, "charity/give/campaign_detail.html", context, status=status)


# -- FakePay, the demo provider ----------------------------------------------------------------------


def _payer(request: HttpRequest) -> str:
    """The demo wallet of this browser: a stable payer id, as a real wallet account would be."""
    payer = request.session.get(SESSION_PAYER)
    if not payer:
        payer = request.session[SESSION_PAYER] = f"fpu_{secrets.token_hex(8)}"
    return str(payer)


@never_cache
@require_GET
def fakepay_checkout(request: HttpRequest, ref: str) -> HttpResponse:
    _fakepay_enabled()
    intent = _intent(ref)
    if intent.status == PaymentStatus.SUCCEEDED:
        return redirect("give:thanks", ref=intent.ref)
    return render(request, "charity/give/fakepay_checkout.html", {"intent": intent})


def _deliver(request: HttpRequest, intent: PaymentIntent, event_type: str) -> str:
    """Do what FakePay's servers would: build the event, sign it, call our webhook (in process, no network)."""
    provider = pay.provider(intent.provider)
    assert isinstance(provider, pay.FakePay)
    body = provider.event(intent, type=event_type, payer=_payer(request))
    return pay_services.webhook_handle(provider_name=provider.name, body=body, headers=provider.signed_headers(body))


@never_cache
@require_POST
def fakepay_pay(request: HttpRequest, ref: str) -> HttpResponse:
    _fakepay_enabled()
    intent = _intent(ref)
    if intent.provider != pay.FakePay.name:
        raise NotFound("payment_not_found", None)
    if intent.status == PaymentStatus.CREATED:
        try:
            _deliver(request, intent, pay.SUCCEEDED)
        except DomainError as exc:
            return render(request, "charity/give/fakepay_checkout.html", {"intent": intent, "error": exc}, status=exc.status)
    return redirect("give:thanks", ref=intent.ref)


@never_cache
@require_POST
def fakepay_cancel(request: HttpRequest, ref: str) -> HttpResponse:
    _fakepay_enabled()
    intent = _intent(ref)
    if intent.provider != pay.FakePay.name:
        raise NotFound("payment_not_found", None)
    if intent.status == PaymentStatus.CREATED:
        _deliver(request, intent, pay.FAILED)
        messages.info(request, _("You cancelled the payment. Nothing was charged."))
    return redirect("give:campaign", slug=intent.campaign.slug)


# -- after paying ------------------------------------------------------------------------------------


def _gift_context(request: HttpRequest, intent: PaymentIntent) -> dict[str, Any]:
    owner = _is_owner(request, intent)
    donation = intent.donation
    match = getattr(donation, "match", None) if donation is not None else None
    if match is not None and match.refunded:
        match = None
    return {
        "intent": intent,
        "donation": donation,
        "match": match,
        "total": (donation.amount + match.amount) if donation is not None and match is not None else getattr(donation, "amount", None),
        "owner": owner,
        "shown_name": intent.donor_name if owner else sel.public_name(intent.donor_name, intent.show_name),
        "receipt": sel.gift_receipt(donation=donation) if donation is not None else None,
        "progress": sel.progress_of(intent.campaign),
    }


@never_cache
@require_GET
def thanks(request: HttpRequest, ref: str) -> HttpResponse:
    intent = _intent(ref)
    return render(request, "charity/give/thanks.html", _gift_context(request, intent))


@never_cache
@login_required
@require_GET
def my_gifts(request: HttpRequest) -> HttpResponse:
    page = paginate(request, sel.donor_gifts(user=request.user))
    return render(request, "charity/give/my_gifts.html", {"page_obj": page})


@never_cache
@require_GET
def gift_detail(request: HttpRequest, ref: str) -> HttpResponse:
    intent = _intent(ref)
    context = _gift_context(request, intent)
    donation = intent.donation
    if donation is not None:
        context["trail"] = sel.money_trail(donation=donation)
        proof = sel.gift_proof(donation=donation, with_leaf_data=context["owner"])
        context["proof"] = proof
        context["proof_json"] = json.dumps(proof, ensure_ascii=False, indent=2) if proof else ""
    context["seal_minutes"] = sel.seal_interval_minutes()
    return render(request, "charity/give/gift_detail.html", context)


@never_cache
@require_GET
def gift_proof(request: HttpRequest, ref: str) -> HttpResponse:
    intent = _intent(ref)
    if intent.donation is None:
        raise NotFound("gift_not_recorded", None)
    proof = sel.gift_proof(donation=intent.donation, with_leaf_data=_is_owner(request, intent))
    if proof is None:
        raise NotFound("gift_not_sealed", _("This gift's ledger entry is not sealed yet."))
    response = JsonResponse(proof, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="proof-{intent.ref}.json"'
    return response


@never_cache
@require_GET
def gift_receipt_pdf(request: HttpRequest, ref: str) -> HttpResponse:
    from .pdf import donor_receipt_doc, receipt_pdf

    intent = _intent(ref)
    receipt = sel.gift_receipt(donation=intent.donation) if intent.donation is not None else None
    # The receipt carries the donor's full name: only the donor gets it (others: as if there were none).
    if receipt is None or not _is_owner(request, intent):
        raise NotFound("receipt_not_found", None)
    donation = intent.donation
    assert donation is not None
    doc = donor_receipt_doc(receipt=receipt, donation=donation, request=request)
    response = HttpResponse(receipt_pdf(doc), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{receipt.display_number}.pdf"'
    return response


# -- the providers' webhook --------------------------------------------------------------------------


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> JsonResponse:
    """POST /give/webhooks/<provider>/: the raw body and headers go to the intake, which checks the signature."""
    try:
        outcome = pay_services.webhook_handle(provider_name=provider, body=request.body, headers=request.headers)
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    return JsonResponse({"outcome": outcome})
