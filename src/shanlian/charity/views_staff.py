"""Staff pages of the charity app: station workers record gifts, give out goods and ask for payouts;
the custodian federation's finance officers decide on payouts, record payments, issue and void
receipts and refund gifts. Every read goes through the scoped selectors (an object out of scope is a
logged 404), every write through one service, whose DomainError comes back onto the page with its
code while nothing is written."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, PermissionDenied, ValidationFailed, field_error
from shanlian.core.inputs import date_window, id_param
from shanlian.core.pages import add_domain_error, paginate
from shanlian.core.scoping import Scope
from shanlian.people.selectors import actor_scope

from . import services
from .forms import (
    GiftFilterForm,
    GiftForm,
    GoodsOutForm,
    NoteForm,
    PaymentForm,
    PayoutFilterForm,
    PayoutForm,
    PayoutLineFormSet,
    ReasonForm,
    ReceiptFilterForm,
    payout_lines,
)
from .models import Channel, CommunityFund, Donation, DonationStatus, FundStatus, Payout, PayoutStatus, ReceiptStatus
from .permissions import may_keep_receipts
from .selectors import receipt_verify_url
from .selectors import staff as selectors
from .selectors.disclosure import MAX_LIMIT, fund_statement
from .services._access import is_custodian_finance, is_fund_raiser

GOODS_TOKENS_KEY = "charity_goods_out_tokens"


# --- who may do what -------------------------------------------------------------------------------


def _staff_scope(request: HttpRequest) -> Scope:
    scope = actor_scope(request.user)
    if not selectors.staff_may_open(scope):
        raise PermissionDenied("charity_staff_only", _("Only station staff, area staff and federation finance officers "
                                                       "can open the charity staff pages."))
    return scope


def _may_raise(scope: Scope, fund: CommunityFund) -> bool:
    """What the services ask of whoever records gifts, gives out goods or asks for a payout."""
    return is_fund_raiser(scope, fund) or is_custodian_finance(scope, fund)


def _fund_for_raising(request: HttpRequest, code: str) -> tuple[Scope, CommunityFund]:
    scope = _staff_scope(request)
    fund = selectors.fund_get(scope=scope, code=code)
    if not _may_raise(scope, fund):
        raise PermissionDenied("not_fund_staff", _("You do not work for this fund's station or its custodian."))
    return scope, fund


# --- funds -----------------------------------------------------------------------------------------


@never_cache
@login_required
def fund_list(request: HttpRequest) -> HttpResponse:
    scope = _staff_scope(request)
    query = request.GET.get("q", "").strip()[:64]
    status = request.GET.get("status", "")
    status = status if status in FundStatus.values else ""
    page = paginate(request, selectors.funds_list(scope=scope, query=query, status=status))
    rows = [(fund, selectors.fund_money(fund)) for fund in page.object_list]
    context = {"page_obj": page, "rows": rows, "query": query, "status": status, "statuses": FundStatus.choices}
    return render(request, "charity/staff/fund_list.html", context)


def _statement(fund: CommunityFund, request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    """The fund statement for the page's period and cursor (keyset "more")."""
    start, end = _date_param(request, "start"), _date_param(request, "end")
    cursor_raw = request.GET.get("cursor", "")
    cursor = id_param(cursor_raw)
    statement = fund_statement(fund=fund, start=start, end=end, cursor=cursor, limit=50)
    return statement, {"start": start, "end": end, "cursor": cursor}


def _date_param(request: HttpRequest, name: str) -> date | None:
    raw = request.GET.get(name, "")
    try:
        day = parse_date(raw) if raw else None
    except ValueError:
        day = None
    if raw and day is None:
        raise field_error(name, "invalid_date", _("Enter a date as YYYY-MM-DD."))
    return date_window(day, field=name) if day is not None else None


@never_cache
@login_required
def fund_detail(request: HttpRequest, code: str) -> HttpResponse:
    scope = _staff_scope(request)
    fund = selectors.fund_get(scope=scope, code=code)
    statement, period = _statement(fund, request)
    if request.headers.get("HX-Request") and request.GET.get("part") == "statement":
        return render(request, "charity/staff/_statement_rows.html", {"fund": fund, "statement": statement, "period": period})
    context = {
        "fund": fund,
        "money": selectors.fund_money(fund),
        "statement": statement,
        "period": period,
        "projects": selectors.fund_projects(fund=fund),
        "gifts": selectors.fund_recent_gifts(fund=fund),
        "payouts": selectors.fund_recent_payouts(fund=fund),
        "goods": selectors.fund_goods_inventory(fund=fund),
        "may_raise": _may_raise(scope, fund) and fund.status == FundStatus.OPEN,
        "is_finance": is_custodian_finance(scope, fund),
    }
    return render(request, "charity/staff/fund_detail.html", context)


@never_cache
@login_required
def fund_statement_csv(request: HttpRequest, code: str) -> StreamingHttpResponse:
    scope = _staff_scope(request)
    fund = selectors.fund_get(scope=scope, code=code)
    start, end = _date_param(request, "start"), _date_param(request, "end")
    header = [gettext("Date"), gettext("Recorded"), gettext("Entry"), gettext("Description"), gettext("Kind"), gettext("Amount (yuan)"),
              gettext("Balance after (yuan)")]

    def rows() -> Iterator[str]:
        out = _Echo()
        writer = csv.writer(out)
        yield "\ufeff" + writer.writerow(header)  # the BOM lets Excel read UTF-8
        cursor = None
        while True:
            statement = fund_statement(fund=fund, start=start, end=end, cursor=cursor, limit=MAX_LIMIT)
            for line in statement.lines:
                when = timezone.localtime(line.posted_at).strftime("%Y-%m-%d %H:%M:%S")
                after = "" if line.balance_after is None else f"{line.balance_after.amount:.2f}"
                yield writer.writerow([line.booked_on.isoformat(), when, line.entry_id, line.memo, str(line.kind_label),
                                       f"{line.amount.amount:.2f}", after])
            if not statement.has_more or statement.next_cursor is None:
                break
            cursor = statement.next_cursor

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="statement-{fund.code}-{stamp}.csv"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


# --- station work: gifts, goods, payout requests ---------------------------------------------------


@never_cache
@login_required
def gift_create(request: HttpRequest, code: str) -> HttpResponse:
    scope, fund = _fund_for_raising(request, code)
    del scope
    form = GiftForm(request.POST or None, points=selectors.donation_point_choices(fund=fund),
                    projects=selectors.fund_project_choices(fund=fund), campaigns=selectors.fund_campaign_choices(fund=fund))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            token = data["token"].hex
            # Sent before: the service answers with the gift recorded then if it is this one, else refuses.
            again = selectors.donation_by_token(token=token) is not None
            goods = None
            if data["channel"] == Channel.GOODS:
                goods = services.Goods(item=data["goods_item"], quantity=data["goods_quantity_value"], unit=data["goods_unit"])
            try:
                donation = services.donation_record(
                    actor=request.user, fund=fund, amount=data["amount"], channel=data["channel"],
                    donor_name=data["donor_name"], show_name=data["show_name"], project=data["project"],
                    campaign=data["campaign"], point=data["point"], goods=goods, message=data["message"],
                    source="station", external_id=token,
                )
            except DomainError as exc:
                if exc.code == "entry_conflict" and selectors.donation_by_token(token=token) is not None:
                    # The same form sent twice at the same moment: the other request recorded it.
                    messages.info(request, _("This gift was already recorded (the form was sent twice)."))
                    return redirect("charity:fund_detail", code=fund.code)
                add_domain_error(form, exc)
                status = exc.status
            except IntegrityError:
                # The same form sent twice at the same moment: the other request recorded it.
                if selectors.donation_by_token(token=token) is None:
                    raise
                messages.info(request, _("This gift was already recorded (the form was sent twice)."))
                return redirect("charity:fund_detail", code=fund.code)
            else:
                if again:
                    messages.info(request, _("This gift was already recorded (the form was sent twice)."))
                    return redirect("charity:fund_detail", code=fund.code)
                messages.success(request, _("Recorded: %(amount)s from %(donor)s.")
                                 % {"amount": donation.amount, "donor": donation.donor_name})
                return redirect("charity:fund_detail", code=fund.code)
    return render(request, "charity/staff/gift_form.html", {"fund": fund, "form": form}, status=status)


@never_cache
@login_required
def goods_out(request: HttpRequest, code: str) -> HttpResponse:
    scope, fund = _fund_for_raising(request, code)
    del scope
    stock = selectors.fund_goods_inventory(fund=fund)
    form = GoodsOutForm(request.POST or None, stock=stock)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            token = data["token"].hex
            used: list[str] = request.session.get(GOODS_TOKENS_KEY, [])
            if token in used:
                messages.info(request, _("This was already recorded (the form was sent twice)."))
                return redirect("charity:fund_detail", code=fund.code)
            line = form.selected()
            point = selectors.donation_point_choices(fund=fund).filter(pk=line.point_id).first()
            try:
                if point is None:
                    raise ValidationFailed("point_inactive", _("This donation point is closed."))
                movement = services.goods_give_out(actor=request.user, point=point, fund=fund, item=line.item,
                                                   quantity=data["quantity"], recipient=data["recipient"], note=data["note"])
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                request.session[GOODS_TOKENS_KEY] = (used + [token])[-50:]
                messages.success(request, _("Given out: %(quantity)s %(unit)s of %(item)s to %(recipient)s.") % {
                    "quantity": f"{-movement.quantity.normalize():f}", "unit": movement.unit, "item": movement.item,
                    "recipient": movement.recipient})
                return redirect("charity:fund_detail", code=fund.code)
    return render(request, "charity/staff/goods_out_form.html", {"fund": fund, "form": form, "stock": stock}, status=status)


@never_cache
@login_required
def payout_create(request: HttpRequest, code: str) -> HttpResponse:
    scope, fund = _fund_for_raising(request, code)
    del scope
    projects = selectors.fund_project_choices(fund=fund)
    form = PayoutForm(request.POST or None, request.FILES or None, projects=projects)
    lines = PayoutLineFormSet(request.POST or None, prefix="lines")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and lines.is_valid():
            data = form.cleaned_data
            try:
                payout = services.payout_request(
                    actor=request.user, fund=fund, project=data["project"], title=data["title"], payee=data["payee"],
                    lines=payout_lines(lines), attachments=data["attachments"], external_id=data["token"].hex,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Payout requested: %(title)s, %(amount)s. A finance officer of the custodian "
                                            "federation will decide on it.") % {"title": payout.title, "amount": payout.amount})
                return redirect("charity:payout_detail", payout_id=payout.pk)
    money = selectors.fund_money(fund)
    context = {"fund": fund, "form": form, "lines": lines, "money": money, "projects": selectors.fund_projects(fund=fund)}
    return render(request, "charity/staff/payout_form.html", context, status=status)


# --- payouts: the finance officer's queue ------------------------------------------------------------


@never_cache
@login_required
def payout_list(request: HttpRequest) -> HttpResponse:
    scope = _staff_scope(request)
    form = PayoutFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_bound and form.is_valid() else ""
    fund_code = request.GET.get("fund", "").strip()[:40]
    page = paginate(request, selectors.payouts_list(scope=scope, status=status, fund_code=fund_code))
    return render(request, "charity/staff/payout_list.html", {"form": form, "page_obj": page, "status": status})


def _payout_actions(scope: Scope, request: HttpRequest, payout: Payout) -> tuple[set[str], Any]:
    """Which buttons the page shows, or why there are none. The services check all of it again."""
    if not is_custodian_finance(scope, payout.fund):
        return set(), _("Only a finance officer of the fund's custodian federation decides on payouts and records payments.")
    if payout.status in (PayoutStatus.REQUESTED, PayoutStatus.APPROVED) and payout.requested_by_id == request.user.pk:
        return set(), _("You asked for this payout, so another finance officer decides on it and records the payment "
                        "(four eyes).")
    if payout.status == PayoutStatus.REQUESTED:
        return {"approve", "reject"}, ""
    if payout.status == PayoutStatus.APPROVED:
        return {"pay"}, ""
    return set(), _("This payout is settled; there is nothing left to do.")


def _payout_page(request: HttpRequest, scope: Scope, payout: Payout, forms: dict[str, Any] | None = None,
                 status: int = 200) -> HttpResponse:
    actions, why = _payout_actions(scope, request, payout)
    forms = forms or {}
    context = {
        "payout": payout, "actions": actions, "why_no_actions": why,
        "approve_form": forms.get("approve") or NoteForm(prefix="approve"),
        "reject_form": forms.get("reject") or ReasonForm(prefix="reject"),
        "pay_form": forms.get("pay") or PaymentForm(prefix="pay"),
    }
    return render(request, "charity/staff/payout_detail.html", context, status=status)


@never_cache
@login_required
def payout_detail(request: HttpRequest, payout_id: int) -> HttpResponse:
    scope = _staff_scope(request)
    return _payout_page(request, scope, selectors.payout_get(scope=scope, payout_id=payout_id))


def _payout_action(request: HttpRequest, payout_id: int, action: str) -> HttpResponse:
    scope = _staff_scope(request)
    payout = selectors.payout_get(scope=scope, payout_id=payout_id)
    form: NoteForm | ReasonForm | PaymentForm
    try:
        if action == "approve":
            form = NoteForm(request.POST, prefix="approve")
            form.is_valid()
            services.payout_approve(actor=request.user, payout=payout, note=form.cleaned_data.get("note", ""))
            done = _("Approved: the money is reserved until the payment is recorded.")
        elif action == "reject":
            form = ReasonForm(request.POST, prefix="reject")
            form.is_valid()
            services.payout_reject(actor=request.user, payout=payout, note=form.cleaned_data.get("reason", ""))
            done = _("Rejected.")
        else:
            form = PaymentForm(request.POST, prefix="pay")
            form.is_valid()
            services.payout_pay(actor=request.user, payout=payout,
                                payment_reference=form.cleaned_data.get("payment_reference", ""))
            done = _("Payment recorded.")
    except DomainError as exc:
        _add_error(form, exc)
        return _payout_page(request, scope, payout, {action: form}, status=exc.status)
    messages.success(request, done)
    return redirect("charity:payout_detail", payout_id=payout.pk)


def _add_error(form: Any, exc: DomainError) -> None:
    """add_domain_error, with the service's field names mapped onto these small forms' fields."""
    renamed = {"note": "reason"} if "reason" in form.fields else {}
    exc.fields = {renamed.get(k, k): v for k, v in exc.fields.items()}
    add_domain_error(form, exc)


@never_cache
@login_required
@require_POST
def payout_approve(request: HttpRequest, payout_id: int) -> HttpResponse:
    return _payout_action(request, payout_id, "approve")


@never_cache
@login_required
@require_POST
def payout_reject(request: HttpRequest, payout_id: int) -> HttpResponse:
    return _payout_action(request, payout_id, "reject")


@never_cache
@login_required
@require_POST
def payout_pay(request: HttpRequest, payout_id: int) -> HttpResponse:
    return _payout_action(request, payout_id, "pay")


@never_cache
@login_required
def payout_attachment(request: HttpRequest, payout_id: int, attachment_id: int) -> FileResponse:
    scope = _staff_scope(request)
    attachment = selectors.payout_attachment_get(scope=scope, payout_id=payout_id, attachment_id=attachment_id)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


# --- gifts and receipts -------------------------------------------------------------------------------


@never_cache
@login_required
def gift_list(request: HttpRequest) -> HttpResponse:
    scope = _staff_scope(request)
    form = GiftFilterForm(request.GET or None)
    page = paginate(request, selectors.donations_list(scope=scope, **form.filters()))
    return render(request, "charity/staff/gift_list.html", {"form": form, "page_obj": page})


def _gift_actions(scope: Scope, donation: Donation) -> tuple[dict[str, bool], Any]:
    if not is_custodian_finance(scope, donation.fund):
        return {}, _("Receipts and refunds are handled by the custodian federation's finance officers.")
    issued = getattr(donation, "receipt_id", None) is not None
    confirmed = donation.status == DonationStatus.CONFIRMED
    return {
        "issue": confirmed and not issued and donation.channel != Channel.SEED,
        "void": issued,
        "refund": confirmed and not issued and donation.channel not in (Channel.GOODS, Channel.SEED),
    }, ""


def _gift_page(request: HttpRequest, scope: Scope, donation: Donation, forms: dict[str, Any] | None = None,
               status: int = 200) -> HttpResponse:
    actions, why = _gift_actions(scope, donation)
    forms = forms or {}
    context = {
        "gift": donation, "actions": actions, "why_no_actions": why,
        "receipts": list(donation.receipts.select_related("issued_by", "voided_by").order_by("-issued_at", "-id")),
        "issue_form": forms.get("issue") or NoteForm(prefix="issue"),
        "void_form": forms.get("void") or ReasonForm(prefix="void"),
        "refund_form": forms.get("refund") or ReasonForm(prefix="refund"),
    }
    return render(request, "charity/staff/gift_detail.html", context, status=status)


@never_cache
@login_required
def gift_detail(request: HttpRequest, donation_id: int) -> HttpResponse:
    scope = _staff_scope(request)
    return _gift_page(request, scope, selectors.donation_get(scope=scope, donation_id=donation_id))


@never_cache
@login_required
@require_POST
def gift_receipt_issue(request: HttpRequest, donation_id: int) -> HttpResponse:
    scope = _staff_scope(request)
    donation = selectors.donation_get(scope=scope, donation_id=donation_id)
    form = NoteForm(request.POST, prefix="issue")
    try:
        receipt = services.receipt_issue(actor=request.user, donation=donation)
    except DomainError as exc:
        form.is_valid()
        _add_error(form, exc)
        return _gift_page(request, scope, donation, {"issue": form}, status=exc.status)
    messages.success(request, _("Receipt %(number)s issued.") % {"number": receipt.display_number})
    return redirect("charity:gift_detail", donation_id=donation.pk)


@never_cache
@login_required
@require_POST
def gift_refund(request: HttpRequest, donation_id: int) -> HttpResponse:
    scope = _staff_scope(request)
    donation = selectors.donation_get(scope=scope, donation_id=donation_id)
    form = ReasonForm(request.POST, prefix="refund")
    form.is_valid()
    try:
        services.donation_refund(actor=request.user, donation=donation, reason=form.cleaned_data.get("reason", ""))
    except DomainError as exc:
        _add_error(form, exc)
        return _gift_page(request, scope, donation, {"refund": form}, status=exc.status)
    messages.success(request, _("The gift was refunded by a reversing entry."))
    return redirect("charity:gift_detail", donation_id=donation.pk)


@never_cache
@login_required
@require_POST
def receipt_void(request: HttpRequest, receipt_id: int) -> HttpResponse:
    scope = _staff_scope(request)
    receipt = selectors.receipt_get(scope=scope, receipt_id=receipt_id)
    donation = selectors.donation_get(scope=scope, donation_id=receipt.donation_id)
    form = ReasonForm(request.POST, prefix="void")
    form.is_valid()
    try:
        services.receipt_void(actor=request.user, receipt=receipt, reason=form.cleaned_data.get("reason", ""))
    except DomainError as exc:
        _add_error(form, exc)
        return _gift_page(request, scope, donation, {"void": form}, status=exc.status)
    messages.success(request, _("Receipt %(number)s voided; its number stays used.") % {"number": receipt.display_number})
    return redirect("charity:gift_detail", donation_id=donation.pk)


@never_cache
@login_required
def receipt_list(request: HttpRequest) -> HttpResponse:
    scope = _staff_scope(request)
    if not may_keep_receipts(scope):
        raise PermissionDenied("not_finance", _("Only federation finance officers keep the receipt books."))
    form = ReceiptFilterForm(request.GET or None, years=selectors.receipt_years(scope=scope))
    year, status = None, ""
    if form.is_bound and form.is_valid():
        year, status = form.cleaned_data["year"], form.cleaned_data["status"]
    page = paginate(request, selectors.receipts_list(scope=scope, year=year, status=status))
    context = {"form": form, "page_obj": page, "runs": selectors.receipt_number_runs(scope=scope)}
    return render(request, "charity/staff/receipt_list.html", context)


@never_cache
@login_required
def receipt_pdf(request: HttpRequest, receipt_id: int) -> HttpResponse:
    scope = _staff_scope(request)
    receipt = selectors.receipt_get(scope=scope, receipt_id=receipt_id)
    from .pdf import ReceiptDoc
    from .pdf import receipt_pdf as render_pdf

    donation = receipt.donation
    doc = ReceiptDoc(
        issuer_name=receipt.issuer.name, issuer_credit_code=receipt.issuer.credit_code, number=receipt.display_number,
        issued_at=receipt.issued_at, donor_name=receipt.donor_name, amount=receipt.amount.amount,
        purpose=donation.project.title if donation.project else donation.fund.name,
        channel=str(donation.get_channel_display()), verify_url=receipt_verify_url(receipt, request=request),
        verification_code=receipt.verification_code, voided=receipt.status == ReceiptStatus.VOIDED,
    )
    response = HttpResponse(render_pdf(doc), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{receipt.display_number}.pdf"'
    return response

