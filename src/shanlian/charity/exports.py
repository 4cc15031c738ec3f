"""CSV and XLSX downloads of the public disclosure pages. Donor names are masked here as on the pages.

CSV starts with a UTF-8 byte-order mark so Excel opens Chinese text correctly; amounts are plain
numbers with two decimals (no currency sign) so they add up in a spreadsheet. XLSX (openpyxl, write-only)
holds one sheet per table, amounts as numbers formatted #,##0.00. Exports are capped at
EXPORT_MAX_ROWS rows per table; a capped table ends with a row that says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from shanlian.core.money import Money
from shanlian.core.sheets import XLSX_TYPE

from .models import Campaign, CommunityFund, Payout, Project
from .selectors import (
    campaign_disclosure,
    fund_disclosure,
    fund_statement,
    project_disclosure,
    public_donor,
    public_donors_queryset,
    public_lines,
)

EXPORT_MAX_ROWS = 100_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Row = list[Any]
Table = tuple[str, Row, Iterable[Row]]  # (sheet title, header, rows)


def _cell(value: Any) -> Any:
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, int | Decimal):
        return value
    text = str(value)
    # A cell a spreadsheet would run as a formula (a donor who named themselves "=HYPERLINK(...)") is kept as text.
    return "'" + text if text[:1] in FORMULA_STARTS else text


def _capped(rows: Iterable[Row]) -> Iterator[Row]:
    for n, row in enumerate(rows):
        if n >= EXPORT_MAX_ROWS:
            yield [_("Only the first %(n)s rows are exported; choose a shorter period.") % {"n": EXPORT_MAX_ROWS}]
            return
        yield row


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, table: Table) -> StreamingHttpResponse:
    _title, header, rows = table
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield "\ufeff"
        yield writer.writerow([str(h) for h in header])
        for row in _capped(rows):
            yield writer.writerow([_cell(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(filename: str, tables: list[Table]) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    for title, header, rows in tables:
        # Excel refuses []:*?/\ in sheet names (a translated title may hold one, e.g. "基金 / 项目").
        sheet = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", "-", str(title))[:31])
        bold = []
        for h in header:
            cell = WriteOnlyCell(sheet, value=str(h))
            cell.font = Font(bold=True)
            bold.append(cell)
        sheet.append(bold)
        for row in _capped(rows):
            cells = []
            for v in row:
                cell = WriteOnlyCell(sheet, value=_cell(v))
                if isinstance(v, Money):
                    cell.number_format = "#,##0.00"
                cells.append(cell)
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(),
                            content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


# --- Tables --------------------------------------------------------------------------------------------

def _donor_rows(subject: CommunityFund | Campaign | Project, start: dt.date | None = None, end: dt.date | None = None
                ) -> Iterator[Row]:
    from .selectors.disclosure import _local_range

    for d in public_donors_queryset(subject).filter(_local_range(start, end, "received_at")).iterator(chunk_size=2000):
        p = public_donor(d)
        yield [p.received_at, p.name, p.channel_label, p.amount, p.matched]


def donors_table(subject: CommunityFund | Campaign | Project, start: dt.date | None = None, end: dt.date | None = None) -> Table:
    return (_("Donors"), [_("Time"), _("Donor"), _("Channel"), _("Amount (yuan)"), _("Matched (yuan)")],
            _donor_rows(subject, start, end))


def _statement_rows(fund: CommunityFund, start: dt.date | None, end: dt.date | None) -> Iterator[Row]:
    cursor = None
    while True:
        st = fund_statement(fund=fund, start=start, end=end, cursor=cursor, limit=200)
        for p in public_lines(st.lines):
            line = p.line
            yield [line.booked_on, p.kind_label, p.description, line.amount if line.amount.is_positive() else "",
                   -line.amount if not line.amount.is_positive() else "", line.balance_after, line.entry_id]
        if not st.has_more:
            return
        cursor = st.next_cursor


def statement_table(fund: CommunityFund, start: dt.date | None, end: dt.date | None) -> Table:
    return (_("Statement"), [_("Date"), _("Kind"), _("Description"), _("In (yuan)"), _("Out (yuan)"), _("Balance (yuan)"),
                             _("Ledger entry")], _statement_rows(fund, start, end))


def fund_tables(fund: CommunityFund, start: dt.date | None, end: dt.date | None) -> list[Table]:
    d = fund_disclosure(fund=fund, start=start, end=end)
    summary: list[Row] = [
        [_("Fund"), fund.name], [_("Code"), fund.code], [_("Custodian"), fund.custodian.name],
        [_("Period"), f"{start or '…'} – {end or timezone.localdate()}"], [_("Money now"), d.money],
        [_("Goods in stock (at value)"), d.goods],
        [_("Income in the period"), d.income], [_("Spending in the period"), d.spending],
        [_("Goods given out"), d.goods_given], [_("Management fees"), d.fees],
    ]
    summary += [[_("Income: %(source)s") % {"source": s.label}, s.amount] for s in d.income_by_source]
    summary += [[_("Spending: %(project)s") % {"project": s.project.title}, s.amount] for s in d.spending_by_project]
    months = [[m.period.strftime("%Y-%m"), m.amount, m.gifts] for m in d.income_by_month]
    return [
        (_("Summary"), [_("Item"), _("Value")], summary),
        (_("Income by month"), [_("Month"), _("Income (yuan)"), _("Gifts")], months),
        statement_table(fund, start, end),
        donors_table(fund, start, end),
    ]


def campaign_tables(campaign: Campaign) -> list[Table]:
    d = campaign_disclosure(campaign=campaign)
    summary: list[Row] = [
        [_("Campaign"), campaign.title], [_("Fundraising record number"), campaign.record_number],
        [_("Organizer"), campaign.organizer.name], [_("Period"), f"{_cell(campaign.starts_at)} – {_cell(campaign.ends_at)}"],
        [_("Goal"), d.goal], [_("Raised"), d.raised], [_("Matched"), d.matched], [_("Gifts"), d.gifts],
    ]
    targets = [[t.fund.name, t.project.title if t.project else "", t.raised, t.gifts] for t in d.targets]
    days = [[p.period, p.amount, p.gifts] for p in d.by_day]
    return [
        (_("Summary"), [_("Item"), _("Value")], summary),
        (_("By target"), [_("Fund"), _("Project"), _("Raised (yuan)"), _("Gifts")], targets),
        (_("By day"), [_("Day"), _("Raised (yuan)"), _("Gifts")], days),
        donors_table(campaign),
    ]


def _payout_rows(payouts: list[Payout]) -> Iterator[Row]:
    for p in payouts:
        for line in p.lines.all():
            yield [p.paid_at, p.title, p.payee, line.item, line.amount]


def payouts_table(payouts: list[Payout]) -> Table:
    return (_("Payouts"), [_("Paid at"), _("Payout"), _("Payee"), _("Budget line"), _("Amount (yuan)")], _payout_rows(payouts))


def project_tables(project: Project) -> list[Table]:
    d = project_disclosure(project=project)
    summary: list[Row] = [
        [_("Project"), project.title], [_("Fund"), project.fund.name], [_("Purpose"), project.get_purpose_display()],
        [_("Period"), f"{project.starts_on} – {project.ends_on}"], [_("Budget"), d.budget], [_("Restricted income"), d.income],
        [_("Spent"), d.spent], [_("Restricted balance"), d.balance],
    ]
    summary += [[_("Leftover moved"), m.amount] for m in d.leftovers]
    return [(_("Summary"), [_("Item"), _("Value")], summary), payouts_table(d.payouts), donors_table(project)]
