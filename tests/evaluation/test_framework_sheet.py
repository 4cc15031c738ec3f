"""A framework in the spreadsheet shape authorities publish: written with merged headings and read back to the same
tree; a sheet that breaks the shape is refused naming its row, and the service's rules still apply to what it reads."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from shanlian.core.errors import ValidationFailed
from shanlian.evaluation import services as es
from shanlian.evaluation.framework_sheet import sheet_read, sheet_write
from shanlian.evaluation.services.frameworks import framework_tree

from .conftest import BANDS_100, save, small_tree

pytestmark = pytest.mark.django_db

HEADER = ["一级指标", "二级指标", "三级指标", "四级指标", "分值", "评分方式", "评分标准", "需佐证", "类型", "评分来源"]


def book(*rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def shape(nodes):
    return [(n.name, str(n.points), n.kind, n.scoring, [(t, str(p)) for t, p in n.levels], n.criteria, n.evidence_required,
             n.source, shape(n.children)) for n in nodes]


def test_a_framework_written_out_reads_back_to_the_same_tree(admin, region):
    tree = small_tree()
    tree[0].children[1].source = "satisfaction"  # marked from satisfaction surveys: the sheet says so, and reads it back
    f = save(admin, region, tree=tree)
    data = sheet_write(f)
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet["A2"].value == "基础条件（30分）" and "A2:A3" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["C4"].value == "理事会（25分）" and sheet["D4"].value == "会议记录"
    read = sheet_read(data)
    saved, _bands = framework_tree(f)
    assert shape([_normal(n) for n in read]) == shape([_normal(n) for n in saved])
    again = es.framework_save(actor=admin, region=region, kind="grade", org_kind="service_institution", year=2027,
                              title="复制", total="100", tree=read, bands=BANDS_100)
    assert shape([_normal(n) for n in framework_tree(again)[0]]) == shape([_normal(n) for n in saved])


def _normal(node):
    """Numbers as the database keeps them (two decimals), names of places dropped."""
    from decimal import Decimal

    node.points = Decimal(str(node.points)).quantize(Decimal("0.01"))
    node.levels = [(t, Decimal(str(p)).quantize(Decimal("0.01"))) for t, p in node.levels]
    node.where = ""
    node.children = [_normal(c) for c in node.children]
    return node


def test_the_demo_s_grade_framework_with_bonus_and_deduction_headings_reads_back(admin, region):
    from shanlian.demo import evaluation_data as d

    f = es.framework_save(actor=admin, region=region, kind="grade", org_kind="foundation", year=2026, title="基金会", total="1000",
                          tree=d.grade_framework("foundation"), bands=d.BANDS_1000)
    data = sheet_write(f)
    sheet = load_workbook(io.BytesIO(data)).active
    typed = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=9).value for r in range(2, sheet.max_row + 1)
             if sheet.cell(row=r, column=1).value}
    assert typed["加分项（30分）"] == "加分项" and typed["扣分项（50分）"] == "扣分项" and typed["党的建设（50分）"] in ("", None)
    read = sheet_read(data)
    assert [n.kind for n in read] == ["normal"] * 5 + ["bonus", "deduction"]
    again = es.framework_save(actor=admin, region=region, kind="grade", org_kind="foundation", year=2027, title="基金会",
                              total="1000", tree=read, bands=d.BANDS_1000)
    assert shape([_normal(n) for n in framework_tree(again)[0]]) == shape([_normal(n) for n in framework_tree(f)[0]])


def test_a_sheet_with_blank_heading_cells_reads_as_merged(admin, region):
    data = book(
        ("基础条件（30分）", "法人资格", None, None, 10, "是否", "", "是", ""),
        (None, "办公场所", None, None, 20, "分值", "有固定场所得20分", "", ""),
        ("内部治理（70分）", "财务管理", None, None, 70, "等级",
         "1级（10分）：制度缺失\n2级（30分）：制度不全\n3级（50分）：制度健全\n四级（70分）：审计无保留意见", "需", ""),
        ("获得表彰", None, None, None, 5, "分值", "", "", "加分项"),
    )
    tree = sheet_read(data)
    assert [n.name for n in tree] == ["基础条件", "内部治理", "获得表彰"] and tree[2].kind == "bonus"
    assert [c.name for c in tree[0].children] == ["法人资格", "办公场所"] and tree[0].children[0].evidence_required
    assert tree[1].children[0].levels[3] == ("审计无保留意见", "70")
    f = es.framework_save(actor=admin, region=region, kind="grade", year=2026, title="简表", total="100", tree=tree, bands=BANDS_100)
    assert f.indicators.count() == 6


@pytest.mark.parametrize(("rows", "code", "row"), [
    ([("基础条件", "法人资格", None, None, 10, "是否", "", "", "")], "heading_points", 2),
    ([(None, "法人资格", None, None, 10, "是否", "", "", "")], "heading_missing", 2),
    ([("基础条件（10分）", None, "法人资格", None, 10, "是否", "", "", "")], "heading_missing", 2),
    ([("基础条件（10分）", "法人资格", None, None, 10, "打勾", "", "", "")], "scoring_required", 2),
    ([("基础条件（10分）", "法人资格", None, None, 10, "等级", "一共四级", "", "")], "level_line", 2),
    ([("基础条件（10分）", "法人资格", None, None, 10, "等级", "2级（5分）：有", "", "")], "level_line", 2),
    ([("加分（5分）", None, None, None, 5, "分值", "", "", "奖励")], "indicator_kind", 2),
    ([(None, None, None, None, None, None, "一段说明", None, None)], "row_without_indicator", 2),
    ([("基础条件（10分）", "法人资格", None, None, 10, "是否", "", "", ""),
      (None, "场所", None, None, 5, "是否", "", "", "加分项")], "bonus_not_first_level", 3),
])
def test_a_sheet_that_breaks_the_shape_is_refused_naming_its_row(rows, code, row):
    with pytest.raises(ValidationFailed) as refused:
        sheet_read(book(*rows))
    assert refused.value.code == code and "file" in refused.value.fields
    assert f"{row}" in str(refused.value.message)


@pytest.mark.parametrize(("data", "code"), [
    (b"", "import_file_empty"),
    (b"not a workbook", "import_not_xlsx"),
    (b"PK\x03\x04garbage", "import_bad_xlsx"),
])
def test_a_file_that_is_not_a_workbook_is_refused(data, code):
    with pytest.raises(ValidationFailed) as refused:
        sheet_read(data)
    assert refused.value.code == code


def test_a_sheet_without_its_columns_is_refused():
    wb = Workbook()
    wb.active.append(["名称", "说明"])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ValidationFailed) as refused:
        sheet_read(out.getvalue())
    assert refused.value.code == "import_missing_column"
