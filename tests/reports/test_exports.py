"""The exports: the workbook read back with openpyxl (a sheet per level, Chinese headers in the default language,
numbers as numbers, money with two decimals), and the PDF (a PDF, scoped as the page, naming no person)."""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from shanlian.reports import exports

from .conftest import FAKE


def _book(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def test_xlsx_has_a_sheet_per_level_with_numbers(city, fake, login, month):
    response = login("city_admin").get(reverse("reports:monthly_xlsx"), {"month": f"{month:%Y-%m}"})
    wb = _book(response)
    with translation.override(settings.LANGUAGE_CODE):
        assert wb.sheetnames == [str(x) for x in (translation.gettext("District"), translation.gettext("Street"),
                                                  translation.gettext("Station"))]
        ws = wb.worksheets[2]
        assert ws.cell(3, 5).value == str(FAKE.title) and ws.cell(4, 5).value == str(FAKE.columns[0].label)
        assert ws.cell(3, 1).value == translation.gettext("Station")
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    stations = {s.name for s in city.stations.values()}
    assert {r[0] for r in rows[:-1]} == stations and len(rows) == 4
    total = rows[-1]
    odd = sum(s.pk for s in city.stations.values() if s.pk % 2)
    assert total[3] == 3 and total[4] == odd and isinstance(total[4], int)
    assert Decimal(str(total[6])) == Decimal(odd) * Decimal("1.25")
    money_cell = ws.cell(ws.max_row, 7)
    assert money_cell.number_format == "#,##0.00" and isinstance(money_cell.value, (int, float, Decimal))
    assert ws.cell(ws.max_row, 8).number_format == "#,##0.0"
    for sheet in wb.worksheets:  # every level adds up to the same total
        last = list(sheet.iter_rows(min_row=sheet.max_row, values_only=True))[0]
        body = list(sheet.iter_rows(min_row=5, max_row=sheet.max_row - 1, values_only=True))
        for i in range(3, len(last)):
            assert sum(Decimal(str(r[i] or 0)) for r in body) == Decimal(str(last[i] or 0)), (sheet.title, i)


def test_xlsx_is_scoped_as_the_page(city, fake, login, month):
    wb = _book(login("station_worker").get(reverse("reports:monthly_xlsx"), {"month": f"{month:%Y-%m}"}))
    assert len(wb.worksheets) == 1
    names = [r[0] for r in wb.worksheets[0].iter_rows(min_row=5, values_only=True)]
    assert names[:-1] == [city.stations["北京街"].name]
    wb = _book(login("district_admin").get(reverse("reports:monthly_xlsx"), {"month": f"{month:%Y-%m}"}))
    text = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)
    assert "石牌" not in text and "天河" not in text and "北京街道" in text


@pytest.fixture
def html_seen(monkeypatch):
    seen: list[str] = []
    real = exports.pdf_from_html

    def capture(html: str) -> bytes:
        seen.append(html)
        return real(html)

    monkeypatch.setattr(exports, "pdf_from_html", capture)
    return seen


def test_pdf_is_a_pdf_scoped_as_the_page_naming_nobody(city, fake, login, month, html_seen):
    from shanlian.cases import services as cases
    from shanlian.cases.models import Category, ConsentText
    from shanlian.cases.standard import standard_data

    standard_data(Category, ConsentText)
    elder = cases.beneficiary_register(actor=city.users["station_worker"], person=city.people["陈秀英"],
                                       station=city.stations["北京街"],
                                       categories=list(Category.objects.filter(code="elderly_alone")),
                                       living_situation="alone", address="盐运西街12号302", health="高血压")
    assert elder.pk
    response = login("district_admin").get(reverse("reports:monthly_pdf"), {"month": f"{month:%Y-%m}"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    html = html_seen[-1]
    assert "北京街道" in html and "人民街道" in html and "石牌街道" not in html and "天河区" not in html
    for name in ("陈秀英", "李伟", "王芳", "张建国", "盐运西街12号302", "高血压", "越秀区管理员", "北京街社工"):
        assert name not in html
    text = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True).stdout.decode()
    assert "北京街道" in text and "陈秀英" not in text and "石牌" not in text
