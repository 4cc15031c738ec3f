"""The monthly report as a workbook and as a PDF: the area on the page and every level below it (a sheet, or a
table, per level), each ending with the area's total. Always in the project's default language (zh-hans): the
bureau files it as a Chinese document. Counts only: the rows name stations and divisions, never a person."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shanlian.core.documents import pdf_from_html

from .selectors import Report, Row, level_label, zero

MONEY_FORMAT = "#,##0.00"
HOURS_FORMAT = "#,##0.0"
COUNT_FORMAT = "#,##0"


def report_title(report: Report) -> str:
    return _("%(area)s monthly report, %(month)s") % {"area": report.area.name, "month": report.month.strftime("%Y-%m")}


def file_name(report: Report, ext: str) -> str:
    return f"monthly-report-{report.month:%Y-%m}-{report.area.token or 'area'}.{ext}"


def report_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    with translation.override(settings.LANGUAGE_CODE):
        wb = Workbook()
        wb.remove(wb.active)
        bold, head_fill = Font(bold=True), PatternFill("solid", fgColor="F6EFE9")
        columns = report.columns
        levels = report.levels or {report.area.kind: [report.area]}
        for level, rows in levels.items():
            ws = wb.create_sheet(title=str(level_label(level))[:31])
            ws.append([report_title(report)])
            ws["A1"].font = Font(bold=True, size=13)
            ws.append([_("Period: %(start)s to %(end)s (inclusive)") % {
                "start": report.start.isoformat(), "end": (report.end - dt.timedelta(days=1)).isoformat()}])
            fixed = [str(level_label(level)), _("Within"), _("Code"), _("Number of stations")]
            first = [*fixed, *[str(s.title) for s, _c in columns]]
            ws.append(first)
            ws.append([*([""] * len(fixed)), *[str(c.label) for _s, c in columns]])
            col = len(fixed) + 1
            for section in report.sections:  # one merged heading per section over its columns
                width = len(section.columns)
                if width > 1:
                    ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + width - 1)
                col += width
            for c in range(1, len(fixed) + 1):
                ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
            for row in ws.iter_rows(min_row=3, max_row=4):
                for cell in row:
                    cell.font, cell.fill = bold, head_fill
                    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            for r in rows:
                _write(ws, report, r, r.name)
            _write(ws, report, report.area, _("Area total"), bold=True)
            ws.freeze_panes = "B5"
            ws.column_dimensions["A"].width = 26
            ws.column_dimensions["B"].width = 22
            for i in range(3, len(fixed) + len(columns) + 1):
                ws.column_dimensions[get_column_letter(i)].width = 12
        out = io.BytesIO()
        wb.save(out)
    return out.getvalue()


def _write(ws: Any, report: Report, row: Row, name: str, bold: bool = False) -> None:
    from openpyxl.styles import Font

    values = report.values(row)
    ws.append([name, row.parent, row.code, row.stations, *values])
    cells = ws[ws.max_row]
    cells[3].number_format = COUNT_FORMAT
    for (_s, column), cell in zip(report.columns, cells[4:], strict=True):
        cell.number_format = MONEY_FORMAT if column.money else HOURS_FORMAT if column.hours else COUNT_FORMAT
    if bold:
        for cell in cells:
            cell.font = Font(bold=True)


def report_pdf(report: Report) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        levels = report.levels or {report.area.kind: [report.area]}
        tables = [{"label": level_label(level), "parts": _parts(report, rows)} for level, rows in levels.items()]
        html = render_to_string("reports/monthly_pdf.html", {
            "r": report, "title": report_title(report), "tables": tables,
            "last_day": report.end - dt.timedelta(days=1), "made_at": timezone.localtime(),
        })
    return pdf_from_html(html)


PDF_COLUMNS = 11  # figure columns a landscape A4 table holds readably; more sections go to a second table


def _parts(report: Report, rows: list[Row]) -> list[dict[str, Any]]:
    """The level's table split by sections into parts of at most PDF_COLUMNS columns, each with every row and the
    total, so no table runs off the page however many sections the apps declare."""
    groups: list[list[Any]] = [[]]
    for section in report.sections:
        if groups[-1] and sum(len(s.columns) for s in groups[-1]) + len(section.columns) > PDF_COLUMNS:
            groups.append([])
        groups[-1].append(section)
    out = []
    for group in groups:
        keys = [(s, c) for s in group for c in s.columns]

        def values(row: Row, keys: list[Any] = keys) -> list[Any]:
            return [(c, row.figures.get(f"{s.key}.{c.key}", zero(c))) for s, c in keys]

        out.append({"sections": group, "columns": [c for _s, c in keys], "rows": [(r, values(r)) for r in rows],
                    "total": values(report.area)})
    return out
