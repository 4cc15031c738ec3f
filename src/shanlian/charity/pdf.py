"""Donation receipts (捐赠收据) as PDF: amount in capitals, the verification QR code, and the A5 document.

The receipt is rendered from ``charity/receipt_pdf.html`` by WeasyPrint. It is always rendered in the
project's default language (zh-hans) with the English wording underneath, whatever language the request
that asked for it was in: it is a Chinese document that a donor may show to a tax office or an employer.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import cn2an
import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from shanlian.core.money import CENT, Money

RECEIPT_TIMEZONE = ZoneInfo("Asia/Shanghai")
TEMPLATE = "charity/receipt_pdf.html"

# cn2an handles at most 16 integer digits; receipts never come near that.
_MAX_AMOUNT = Decimal("9999999999999999.99")


@dataclass(frozen=True)
class ReceiptDoc:
    """Everything printed on one receipt, already decided: nothing here is looked up while rendering."""

    issuer_name: str  # e.g. 广州市慈善会
    issuer_credit_code: str  # 统一社会信用代码
    number: str  # e.g. "GZCS-2026-000123"
    issued_at: datetime  # aware; printed in Asia/Shanghai
    donor_name: str  # as the donor asked (may be "匿名爱心人士")
    amount: Decimal  # yuan, 2 places
    purpose: str  # fund / project name
    channel: str  # already-translated label, e.g. 网络捐赠
    verify_url: str  # absolute URL of the public verification page
    verification_code: str
    voided: bool = False

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("ReceiptDoc.issued_at must be an aware datetime")
        amount = _to_amount(self.amount)
        if amount <= 0:
            raise ValueError(f"a receipt is for a positive amount, not {amount}")
        object.__setattr__(self, "amount", amount)


def _to_amount(amount: Decimal | Money) -> Decimal:
    """The amount as a Decimal of yuan with exactly two places; refuses floats and anything finer than a fen."""
    if isinstance(amount, Money):
        return amount.amount
    if not isinstance(amount, Decimal):  # float, int, str: say which one the caller meant
        raise TypeError(f"amount must be a Decimal of yuan, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"amount is not a finite number: {amount}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"an amount has at most two decimal places (fen): {amount}")
    return amount.quantize(CENT)


def amount_in_capitals(amount: Decimal | Money) -> str:
    """The amount in Chinese financial capitals (大写金额), as on a cheque or a receipt.

    cn2an's "rmb" mode: ``1234.50`` → 壹仟贰佰叁拾肆元伍角, ``10.00`` → 壹拾元整, ``0.05`` → 伍分,
    ``100000.01`` → 壹拾万元零壹分, ``0`` → 零元整. "整" follows whole yuan only; an amount ending in
    角 or 分 has none, as the PBOC rules for writing amounts allow (整 after 角 is optional, never after 分).
    """
    value = _to_amount(amount)
    if value < 0:
        raise ValueError(f"a receipt amount is never negative: {value}")
    if value > _MAX_AMOUNT:
        raise ValueError(f"amount too large to write in capitals: {value}")
    return str(cn2an.an2cn(format(value, "f"), "rmb"))


def amount_in_figures(amount: Decimal | Money) -> str:
    """``¥1,234.50``."""
    return f"¥{_to_amount(amount):,.2f}"


def receipt_qr_svg(url: str) -> str:
    """Inline SVG markup (no XML declaration) of a QR code for ``url``.

    It has a viewBox and an intrinsic size of 4 px per module, so CSS can scale it; the light modules are
    white so it scans on a coloured or dark background. The markup is generated, never taken from input
    (the URL is only encoded into the path), so it is safe to mark as safe HTML.
    """
    if not url:
        raise ValueError("a QR code needs a URL")
    qr = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", xmldecl=False, svgns=True, nl=False, omitsize=True, border=4, light="#fff", svgclass="qr")
    svg = buffer.getvalue().decode("utf-8")
    size = qr.symbol_size(scale=4, border=4)[0]
    return svg.replace("<svg ", f'<svg width="{size}" height="{size}" ', 1)


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    """WeasyPrint URL fetcher: the receipt is self-contained, so it never loads anything (no SSRF, no file reads)."""
    raise ValueError(f"receipt PDFs load no external resources: {url!r}")


def receipt_context(doc: ReceiptDoc) -> dict[str, Any]:
    """The template context for ``doc`` (also usable by an HTML preview)."""
    return {
        "doc": doc,
        "issued_on": doc.issued_at.astimezone(RECEIPT_TIMEZONE).date(),
        "amount_figures": amount_in_figures(doc.amount),
        "amount_capitals": amount_in_capitals(doc.amount),
        "qr_svg": mark_safe(receipt_qr_svg(doc.verify_url)),  # noqa: S308 - generated by segno, see receipt_qr_svg
    }


def receipt_html(doc: ReceiptDoc) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(TEMPLATE, receipt_context(doc))


def receipt_pdf(doc: ReceiptDoc) -> bytes:
    """The receipt as an A5 landscape PDF."""
    from weasyprint import HTML  # heavy import (pango via cffi); only the callers that print pay for it

    pdf = HTML(string=receipt_html(doc), url_fetcher=_refuse_fetch).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
