"""Public disclosure: the fund statement, income and spending summaries, masked donors, the public pages
(no login) with their CSV/XLSX downloads, receipt verification and the published reports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import DisclosureReport, Project
from shanlian.charity.selectors import (
    campaign_disclosure,
    fund_disclosure,
    fund_statement,
    project_disclosure,
    public_donors,
    public_lines,
    public_name,
)
from shanlian.core.money import Money
from shanlian.ledger.models import Entry

from .disclosure_data import activity, at, gift, moment, online, pay_out

# --- fund_statement -------------------------------------------------------------------------------------


def test_statement_first_page_and_running_balance(books, city):
    for i in range(5):
        gift(books, city, f"{i + 1}.10")
    st = fund_statement(fund=books.fund, limit=3)
    assert st.holdings == Money("10015.50")
    assert [line.amount for line in st.lines] == [Money("5.10"), Money("4.10"), Money("3.10")]
    assert st.lines[0].balance_after == Money("10015.50")
    assert st.lines[2].balance_after == Money("10006.30")
    assert st.has_more and st.next_cursor == st.lines[-1].entry_id
    assert st.opening == Money(0) and st.closing == st.holdings
    assert st.total_in == Money("10015.50") and st.total_out == Money(0)
    nxt = fund_statement(fund=books.fund, limit=3, cursor=st.next_cursor)
    assert [line.amount for line in nxt.lines] == [Money("2.10"), Money("1.10"), Money("10000.00")]
    assert nxt.lines[0].balance_after == Money("10003.20")
    assert nxt.lines[-1].kind == "gift" and not nxt.has_more and nxt.next_cursor is None


def test_statement_kinds_signs_and_totals(books, city):
    a = activity(books, city)
    st = fund_statement(fund=books.fund, limit=50)
    kinds = [line.kind for line in st.lines]
    # The payout drew the restricted 30.00 first, then 270.00 of general money: one entry per draw.
    assert kinds.count("refund") == 1 and kinds.count("payout") == 2 and kinds.count("goods_out") == 1
    by_kind = {line.kind: line for line in st.lines}
    assert sorted(line.amount for line in st.lines if line.kind == "payout") == [Money("-270.00"), Money("-30.00")]
    assert by_kind["refund"].amount == Money("-120.00")  # the gift and its 1:1 match went back
    assert by_kind["goods_out"].amount == Money("-48.00")  # 4 of 10 bags valued at 120.00
    matched_line = next(line for line in st.lines if line.entry_id == a.matched.entry_id)
    assert matched_line.amount == Money("160.00")  # gift and match in one entry
    # The fund's money: general + restricted + goods.
    assert st.holdings == Money("10000") + Money("200") + Money("50") + Money("30") + Money("160") + Money("72") - Money("300")
    assert st.restricted[0][0] == books.project and st.restricted[0][1] == Money("0.00")  # 30 restricted, then the payout took it first
    assert st.opening + st.total_in - st.total_out == st.closing == st.holdings
    assert st.lines[0].balance_after == st.holdings
    for newer, older in zip(st.lines, st.lines[1:], strict=False):
        assert older.balance_after == newer.balance_after - newer.amount


def test_statement_pages_cover_every_entry_once(books, city):
    for i in range(7):
        gift(books, city, f"{i + 1}.00")
    seen, cursor = [], None
    while True:
        st = fund_statement(fund=books.fund, limit=2, cursor=cursor)
        seen += [line.entry_id for line in st.lines]
        if not st.has_more:
            break
        cursor = st.next_cursor
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 8


def test_statement_for_a_period(books, city):
    with at(moment(2025, 3, 10)):
        gift(books, city, "10.00", received_at=moment(2025, 3, 10))
    with at(moment(2025, 4, 2)):
        gift(books, city, "20.00", received_at=moment(2025, 4, 2))
        pay_out(books, city, "5.00")
    with at(moment(2025, 5, 20)):
        gift(books, city, "40.00", received_at=moment(2025, 5, 20))
    st = fund_statement(fund=books.fund, start=dt.date(2025, 4, 1), end=dt.date(2025, 4, 30))
    assert [line.amount for line in st.lines] == [Money("-5.00"), Money("20.00")]
    assert st.total_in == Money("20.00") and st.total_out == Money("5.00")
    assert st.closing == st.holdings - Money("40.00")
    assert st.opening + st.total_in - st.total_out == st.closing
    assert st.lines[0].balance_after == st.closing
    empty = fund_statement(fund=books.fund, start=dt.date(2030, 1, 1))
    assert empty.lines == [] and empty.opening == empty.closing == st.holdings


def test_statement_queries_do_not_grow_with_lines(books, city):
    gift(books, city, "1.00")
    with CaptureQueriesContext(connection) as few:
        fund_statement(fund=books.fund)
    for i in range(30):
        gift(books, city, f"{i + 2}.00")
    with CaptureQueriesContext(connection) as many:
        st = fund_statement(fund=books.fund)
    assert len(st.lines) == 32
    assert len(many) == len(few)


# --- masking and donors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "show", "public"), [
    ("张三丰", False, "张**"), ("张三", False, "张**"), ("张", False, "*"), ("欧阳娜娜", False, "欧**"),
    ("广州善心贸易有限公司", True, "广州善心贸易有限公司"), ("匿名爱心人士", False, "匿名爱心人士"), (" 李四 ", False, "李**"),
])
def test_public_name(name, show, public):
    assert public_name(name, show) == public


def test_public_donors_masked_without_refunds(books, city):
    a = activity(books, city)
    page = public_donors(subject=books.fund)
    names = [d.name for d in page.object_list]
    assert "张**" in names and "广州善心贸易有限公司" in names and "*" in names and "王**" in names
    assert "赵**" not in names  # refunded
    assert not any(n in ("张三丰", "王小明", "林晓红") for n in names)
    matched = next(d for d in page.object_list if d.name == "王**")
    assert matched.amount == Money("80.00") and matched.matched == Money("80.00")
    assert page.paginator.count == 6  # seed, 3 cash, 1 online, goods (the refunded one is out)
    assert [d.name for d in public_donors(subject=books.project).object_list] == ["*"]
    assert [d.name for d in public_donors(subject=books.campaign).object_list] == ["王**"]
    a.refunded.refresh_from_db()
    assert a.refunded.status == "refunded"


def test_public_donors_queries_constant(books, city):
    online(books, "5.00", "甲乙", "k0")
    with CaptureQueriesContext(connection) as few:
        list(public_donors(subject=books.fund).object_list)
    for i in range(15):
        online(books, "5.00", f"丙{i}", f"k{i + 1}")
    with CaptureQueriesContext(connection) as many:
        rows = list(public_donors(subject=books.fund).object_list)
    assert len(rows) == 17 and len(many) == len(few)


# --- summaries ------------------------------------------------------------------------------------------


def test_fund_disclosure_income_spending_balance(books, city):
    activity(books, city)
    d = fund_disclosure(fund=books.fund)
    sources = {s.channel: s.amount for s in d.income_by_source}
    assert sources == {"cash": Money("280.00"), "online": Money("80.00"), "goods": Money("120.00"), "seed": Money("10000.00"),
                       "match": Money("80.00")}
    assert d.income == Money("10560.00")
    assert sum((m.amount for m in d.income_by_month), Money(0)) == d.income
    assert [(s.project, s.amount, s.payouts) for s in d.spending_by_project] == [(books.project, Money("300.00"), 1)]
    assert d.spending == Money("300.00") and d.goods_given == Money("48.00")
    assert d.holdings == fund_statement(fund=books.fund).holdings and d.money == d.holdings - d.goods


def test_fees_and_leftovers(books, city):
    with at(moment(2025, 2, 10)):
        gift(books, city, "1000.00", received_at=moment(2025, 2, 10))
    with at(moment(2025, 3, 5)):
        fee = cs.fee_charge(actor=city.users["finance"], fund=books.fund, period_start=dt.date(2025, 2, 1),
                            period_end=dt.date(2025, 2, 28))
    assert fee.amount == Money("50.00")
    gift(books, city, "70.00", project=books.project)
    Project.objects.filter(pk=books.project.pk).update(leftover_rule="general")
    books.project.refresh_from_db()
    cs.project_end(actor=city.users["finance"], project=books.project)
    d = fund_disclosure(fund=books.fund)
    assert d.fees == Money("50.00")
    assert [(m.amount, m.direction, m.project) for m in d.leftovers] == [(Money("70.00"), "internal", books.project)]
    st = fund_statement(fund=books.fund)
    leftover = next(line for line in st.lines if line.kind == "leftover")
    assert leftover.amount == Money("0.00")  # stays in the fund: restricted → general
    assert next(line for line in st.lines if line.kind == "fee").amount == Money("-50.00")
    p = project_disclosure(project=books.project)
    assert [(m.amount, m.direction) for m in p.leftovers] == [(Money("70.00"), "internal")]
    spring = fund_disclosure(fund=books.fund, start=dt.date(2025, 2, 1), end=dt.date(2025, 3, 31))
    assert spring.income == Money("1000.00") and spring.fees == Money("50.00") and spring.leftovers == []
    assert [(m.period, m.amount) for m in spring.income_by_month] == [(dt.date(2025, 2, 1), Money("1000.00")),
                                                                       (dt.date(2025, 3, 1), Money(0))]  # March: none


def test_campaign_and_project_disclosure(books, city):
    online(books, "80.00", "王小明", "u1")
    online(books, "30.00", "李雷", "u2", project=books.project)
    refunded = online(books, "10.00", "韩梅梅", "u3")
    cs.donation_refund(actor=city.users["finance"], donation=refunded, reason="误捐")
    c = campaign_disclosure(campaign=books.campaign)
    assert c.raised == Money("220.00") and c.gifts == 2  # tallies: gifts + matches, refunds taken off
    assert c.matched == Money("110.00") and c.donated == Money("110.00")
    assert {(t.project, t.raised, t.gifts) for t in c.targets} == {(None, Money("160.00"), 1), (books.project, Money("60.00"), 1)}
    assert c.percent == 0 and sum((d.amount for d in c.by_day), Money(0)) == Money("220.00")
    pay_out(books, city, "45.00", lines=[("餐费", "40.00"), ("交通", "5.00")])
    p = project_disclosure(project=books.project)
    assert p.income == Money("60.00") and p.spent == Money("45.00") and p.balance == Money("15.00")
    assert [line.item for line in p.payouts[0].lines.all()] == ["餐费", "交通"]


def test_public_lines_say_what_happened_without_full_names(books, city):
    activity(books, city)
    lines = public_lines(fund_statement(fund=books.fund).lines)
    text = " ".join(p.description for p in lines)
    assert "张** · 现金" in text or "张** · Cash" in text
    assert "三月助餐 → 北京街长者饭堂" in text and "大米 × 4袋" in text
    assert "张三丰" not in text and "赵六" not in text and "王小明" not in text


# --- public pages ---------------------------------------------------------------------------------------


def test_public_pages_need_no_login(client, books, city):
    a = activity(books, city)
    for url in [reverse("public:index"), reverse("public:fund", args=[books.fund.code]),
                reverse("public:campaign", args=[books.campaign.slug]), reverse("public:project", args=[books.project.pk]),
                reverse("public:receipt_verify", args=[a.receipt.verification_code]), reverse("public:report_list")]:
        r = client.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        for full in ("张三丰", "王小明", "林晓红", "赵六"):
            assert full not in html, (url, full)


def test_fund_page_shows_money_and_masked_donors(client, books, city):
    activity(books, city)
    r = client.get(reverse("public:fund", args=[books.fund.code]))
    html = r.content.decode()
    assert "北京街社区慈善基金" in html and "张**" in html and "广州善心贸易有限公司" in html
    assert 'data-testid="statement-row"' in html and "sl-chart-months" in html
    assert r.context["d"].holdings == fund_statement(fund=books.fund).holdings


def test_fund_page_filters_by_period_and_rejects_a_bad_one(client, books, city):
    gift(books, city, "10.00")
    url = reverse("public:fund", args=[books.fund.code])
    next_year_end = f"{timezone.localdate().year + 1}-12-31"
    assert client.get(url, {"start": "2025-01-01", "end": next_year_end}).status_code == 200
    for far in ({"end": "9999-12-31"}, {"start": "0001-01-01"}, {"end": "2099-01-01"}):
        resp = client.get(url, far)
        assert resp.status_code == 400 and b'data-error-code="date_out_of_range"' in resp.content, far
    bad = client.get(url, {"start": "2025-05-01", "end": "2025-04-01"})
    assert bad.status_code == 400 and b'data-error-code="invalid_period"' in bad.content
    assert client.get(url, {"start": "not-a-date"}).status_code == 400
    assert client.get(url, {"format": "pdf"}).status_code == 400


def test_unknown_subjects_are_404(client, books):
    books.campaign.status = "draft"
    from shanlian.charity.models import Campaign

    Campaign.objects.filter(pk=books.campaign.pk).update(status="draft")
    assert client.get(reverse("public:fund", args=["no-such-fund"])).status_code == 404
    assert client.get(reverse("public:campaign", args=[books.campaign.slug])).status_code == 404  # drafts are not public
    assert client.get(reverse("public:project", args=[999999])).status_code == 404
    assert client.get(reverse("public:report", args=[999999])).status_code == 404


def test_fund_page_queries_do_not_grow(client, books, city):
    online(books, "5.00", "甲乙", "k0")
    url = reverse("public:fund", args=[books.fund.code])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(12):
        online(books, "5.00", f"丙{i}", f"k{i + 1}")
        gift(books, city, "3.00", donor_name=f"丁{i}")
    pay_out(books, city, "10.00")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) <= len(few) + 2  # + the payout's description and spending rows
    with CaptureQueriesContext(connection) as again:
        client.get(url)
    assert len(again) == len(many)


@pytest.mark.parametrize("kind", ["campaign", "project"])
def test_list_pages_queries_do_not_grow(client, books, city, kind):
    url = (reverse("public:campaign", args=[books.campaign.slug]) if kind == "campaign"
           else reverse("public:project", args=[books.project.pk]))
    online(books, "5.00", "甲乙", "k0", project=books.project)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(10):
        online(books, "5.00", f"丙{i}", f"k{i + 1}", project=books.project)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_csv_download_has_bom_and_masked_names(client, books, city):
    activity(books, city)
    r = client.get(reverse("public:fund", args=[books.fund.code]), {"format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    body = b"".join(r.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 1 + Entry.objects.filter(postings__account__in=[books.fund.account, books.fund.goods_account,
                                                                         books.project.restricted_account]).distinct().count()
    text = body
    assert "张**" in text and "张三丰" not in text and "270.00" in text
    donors = client.get(reverse("public:campaign", args=[books.campaign.slug]), {"format": "csv"})
    dbody = b"".join(donors.streaming_content).decode("utf-8")
    assert "王**" in dbody and "王小明" not in dbody and "赵" not in dbody


def test_xlsx_download_masks_names(client, books, city):
    from openpyxl import load_workbook

    activity(books, city)
    for url in [reverse("public:fund", args=[books.fund.code]), reverse("public:campaign", args=[books.campaign.slug]),
                reverse("public:project", args=[books.project.pk])]:
        r = client.get(url, {"format": "xlsx"})
        assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
        book = load_workbook(io.BytesIO(r.content))
        cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
        assert not any(full in c for c in cells for full in ("张三丰", "王小明", "林晓红", "赵六")), url
    fund_book = load_workbook(io.BytesIO(client.get(reverse("public:fund", args=[books.fund.code]), {"format": "xlsx"}).content))
    assert len(fund_book.worksheets) == 4
    donors = list(fund_book.worksheets[3].iter_rows(values_only=True))
    assert any(row[1] == "张**" for row in donors[1:])


def test_receipt_verification(client, books, city):
    a = activity(books, city)
    url = reverse("public:receipt_verify", args=[a.receipt.verification_code])
    r = client.get(url)
    html = r.content.decode()
    assert r.status_code == 200 and 'data-status="issued"' in html and "张**" in html and a.receipt.display_number in html
    assert "广州市越秀区慈善会" in html and "¥200.00" in html
    cs.receipt_void(actor=city.users["finance"], receipt=a.receipt, reason="开错抬头")
    voided = client.get(url).content.decode()
    assert 'data-status="voided"' in voided
    lower = client.get(reverse("public:receipt_verify", args=[a.receipt.verification_code.lower()]))
    assert lower.status_code == 200


@pytest.mark.parametrize("code", ["ABCDEFGHJKMN", "short", "0" * 40, "ABC-DEF-GHJK", "%E5%BC%A0"])
def test_unknown_receipt_code_is_a_clear_404(client, books, code):
    r = client.get(f"/public/receipts/{code}/")
    assert r.status_code == 404
    assert b'data-error-code="receipt_not_found"' in r.content


def test_reports_list_and_page(client, books, city):
    from shanlian.charity.reports import reports_generate

    gift(books, city, "30.00", project=books.project)
    made = reports_generate(today=dt.date(2025, 7, 2))
    assert made == 2  # the project (2025-2027) had two quarters by July 2025
    report = DisclosureReport.objects.order_by("period_start").first()
    r = client.get(reverse("public:report", args=[report.pk]))
    assert r.status_code == 200 and "长者饭堂助餐" in r.content.decode()
    listing = client.get(reverse("public:report_list")).content.decode()
    assert listing.count('data-testid="report-row"') == 2


def test_index_lists_funds_and_public_campaigns_and_searches(client, books, city):
    from shanlian.charity.models import Campaign

    draft = Campaign.objects.create(slug="draft-x", title="内部草稿劝募", organizer=city.orgs["慈善会"], goal="100",
                                    starts_at=books.campaign.starts_at, ends_at=books.campaign.ends_at)
    html = client.get(reverse("public:index")).content.decode()
    assert "北京街社区慈善基金" in html and "人民街社区慈善基金" in html and books.campaign.title in html
    assert draft.title not in html
    found = client.get(reverse("public:index"), {"q": "人民街"}).content.decode()
    assert "人民街社区慈善基金" in found and "北京街社区慈善基金" not in found
    assert html.count('data-testid="fund-row"') == 2
    assert "¥10,000.00" in html  # the fund's balance: general + restricted + goods


def test_index_queries_do_not_grow(client, books, city):
    client.get(reverse("public:index"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("public:index"))
    for i in range(6):
        fund = cs.fund_create(actor=city.users["finance"], code=f"yx-x{i}", name=f"测试基金{i}", division=city.communities["都府"],
                              custodian=city.orgs["慈善会"], opened_on=dt.date(2025, 1, 1), seed="5.00")
        cs.project_create(actor=city.users["finance"], fund=fund, title="项目", purpose="elderly", budget="100",
                          starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 31))
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("public:index")).content.decode()
    assert html.count('data-testid="fund-row"') == 8 and len(many) == len(few)


def test_fund_page_opens_on_the_last_twelve_months(client, books, city):
    with at(moment(2023, 5, 1)):
        gift(books, city, "7.00", received_at=moment(2023, 5, 1))
    gift(books, city, "3.00")
    url = reverse("public:fund", args=[books.fund.code])
    recent = client.get(url).context
    assert recent["default_period"] and recent["d"].income == Money("10003.00")  # the start money came today
    everything = client.get(url, {"all": "1"}).context
    assert not everything["default_period"] and everything["d"].income == Money("10010.00")


def test_downloads_do_not_carry_spreadsheet_formulas(client, books, city):
    gift(books, city, "9.00", donor_name="=HYPERLINK(\"http://x\")", show_name=True)
    body = b"".join(client.get(reverse("public:fund", args=[books.fund.code]), {"format": "csv"}).streaming_content).decode()
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body


def test_months_without_income_show_as_zero():
    from shanlian.charity.selectors.disclosure import PeriodTotal, with_empty_months

    jan, apr = PeriodTotal(dt.date(2026, 1, 1), Money("50"), 2), PeriodTotal(dt.date(2026, 4, 1), Money("20"), 1)
    months = with_empty_months([jan, apr], dt.date(2025, 12, 15), dt.date(2026, 5, 31))
    assert [m.period for m in months] == [dt.date(2025, 12, 1), *(dt.date(2026, n, 1) for n in range(1, 6))]
    assert [m.amount for m in months] == [Money(0), Money("50"), Money(0), Money(0), Money("20"), Money(0)]
    assert with_empty_months([], None, None) == []


def test_the_public_list_shows_money_as_the_staff_list_and_the_statement_do(client, books, city):
    gift(books, city, "88.80")
    cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="50.00", channel="goods", point=books.point,
                       donor_name="粮油店", goods=cs.Goods(item="大米", quantity="10", unit="袋"))
    body = client.get(reverse("public:index")).content.decode()
    money = fund_statement(fund=books.fund).money
    assert money == Money("10088.80")  # the start money and the cash gift; the rice is goods, counted apart
    assert f'data-testid="public-fund-money">{money}<' in body
