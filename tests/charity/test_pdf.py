"""Donation receipt PDF: amounts in capitals, the QR code, and the rendered document's text."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from shanlian.charity.pdf import ReceiptDoc, amount_in_capitals, amount_in_figures, receipt_html, receipt_pdf, receipt_qr_svg
from shanlian.core.money import Money

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SVG_NS = "{http://www.w3.org/2000/svg}"


def make_doc(**changes: object) -> ReceiptDoc:
    doc = ReceiptDoc(
        issuer_name="广州市慈善会",
        issuer_credit_code="51440100MJL1234567",
        number="GZCS-2026-000123",
        # 17:30 UTC on the 4th is 01:30 on the 5th in Shanghai: the receipt must show the 5th.
        issued_at=datetime(2026, 3, 4, 17, 30, tzinfo=UTC),
        donor_name="匿名爱心人士",
        amount=Decimal("1234.50"),
        purpose="海珠区南华西街社区慈善基金 · 长者饭堂助餐项目",
        channel="网络捐赠",
        verify_url="https://shanlian.example.cn/r/verify/GZCS-2026-000123?c=7KQ2-9XHM",
        verification_code="7KQ2-9XHM",
    )
    return replace(doc, **changes) if changes else doc  # type: ignore[arg-type]


# --- amount in capitals ---------------------------------------------------------------------------


# cn2an's "rmb" conventions: 整 after whole yuan only (none after 角 or 分), 壹拾 (never a bare 拾),
# a 零 for each gap, and no 零元 before an amount under one yuan.
@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("0.05", "伍分"),
        ("0.10", "壹角"),
        ("0.50", "伍角"),
        ("0.00", "零元整"),
        ("1.00", "壹元整"),
        ("1.01", "壹元零壹分"),
        ("10.00", "壹拾元整"),
        ("10.10", "壹拾元壹角"),
        ("12.34", "壹拾贰元叁角肆分"),
        ("20.00", "贰拾元整"),
        ("100.5", "壹佰元伍角"),
        ("101.10", "壹佰零壹元壹角"),
        ("1000.05", "壹仟元零伍分"),
        ("1010.01", "壹仟零壹拾元零壹分"),
        ("1234.50", "壹仟贰佰叁拾肆元伍角"),
        ("10010.00", "壹万零壹拾元整"),
        ("100000.01", "壹拾万元零壹分"),
        ("1000000.00", "壹佰万元整"),
        ("100000000.00", "壹亿元整"),
        ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
        ("1E+3", "壹仟元整"),
    ],
)
def test_amount_in_capitals(amount: str, capitals: str) -> None:
    assert amount_in_capitals(Decimal(amount)) == capitals


def test_amount_in_capitals_takes_money() -> None:
    assert amount_in_capitals(Money("10")) == "壹拾元整"


@pytest.mark.parametrize("bad", [Decimal("1.234"), Decimal("-5.00"), Decimal("NaN"), Decimal("Infinity"), Decimal("1E+17")])
def test_amount_in_capitals_refuses_what_is_not_a_receipt_amount(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        amount_in_capitals(bad)


@pytest.mark.parametrize("bad", [12.5, 100, "100.00"])
def test_amount_in_capitals_refuses_float_int_and_str(bad: object) -> None:
    # An int could be fen as well as yuan; a float is never exact.
    with pytest.raises(TypeError):
        amount_in_capitals(bad)  # type: ignore[arg-type]


def test_amount_in_figures() -> None:
    assert amount_in_figures(Decimal("1234.5")) == "¥1,234.50"
    assert amount_in_figures(Decimal("1000000")) == "¥1,000,000.00"


# --- the document ---------------------------------------------------------------------------------


def test_receipt_doc_wants_an_aware_time_and_a_positive_amount() -> None:
    with pytest.raises(ValueError):
        make_doc(issued_at=datetime(2026, 3, 4, 17, 30))  # naive on purpose
    with pytest.raises(ValueError):
        make_doc(amount=Decimal("0.00"))
    with pytest.raises(ValueError):
        make_doc(amount=Decimal("1.005"))
    assert make_doc(amount=Money("8.8")).amount == Decimal("8.80")


def test_html_escapes_what_the_donor_typed_and_is_chinese_whatever_the_request_language() -> None:
    doc = make_doc(donor_name='<img src="http://evil.example/x">张三 & 李四')
    with translation.override("en"):
        html = receipt_html(doc)
    assert "<img" not in html
    assert "&lt;img" in html and "&amp; 李四" in html
    assert "捐赠人" in html  # "Donor" in zh-hans, the project's default language
    assert "<svg" in html  # the QR code is inline, not escaped


def test_qr_svg_is_valid_inline_svg() -> None:
    svg = receipt_qr_svg(make_doc().verify_url)
    assert svg.startswith("<svg")  # inline: no XML declaration
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox")
    assert root.get("width") == root.get("height")
    assert root.find(f"{SVG_NS}path") is not None
    assert receipt_qr_svg("https://shanlian.example.cn/r/verify/OTHER") != svg
    with pytest.raises(ValueError):
        receipt_qr_svg("")


def pdf_text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"\s+", "", text)  # -raw keeps drawing order (the rotated VOID stamp stays readable); wrapping may split words


def png_of_page_one(pdf: bytes, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-singlefile", str(path), str(ARTIFACTS / name)], check=True)
    return ARTIFACTS / f"{name}.png"


@pytest.fixture(autouse=True)
def _poppler() -> None:
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.fail("poppler-utils is missing: run scripts/setup.sh")


def test_receipt_pdf(tmp_path: Path) -> None:
    pdf = receipt_pdf(make_doc())
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path, "receipt")
    for expected in [
        "匿名爱心人士",
        "GZCS-2026-000123",
        "壹仟贰佰叁拾肆元伍角",
        "¥1,234.50",
        "2026-03-05",
        "广州市慈善会",
        "51440100MJL1234567",
        "网络捐赠",
        "7KQ2-9XHM",
        "长者饭堂助餐项目",
    ]:
        assert expected in text, expected
    assert "作废" not in text
    assert "VOID" not in text
    assert png_of_page_one(pdf, tmp_path, "receipt").stat().st_size > 0


def test_voided_receipt_pdf_says_so(tmp_path: Path) -> None:
    pdf = receipt_pdf(make_doc(voided=True, amount=Decimal("100000.01")))
    text = pdf_text(pdf, tmp_path, "receipt-void")
    assert "作废" in text
    assert "VOID" in text
    assert "壹拾万元零壹分" in text and "¥100,000.01" in text
    assert png_of_page_one(pdf, tmp_path, "receipt-void").stat().st_size > 0
