"""A framework as authorities publish it, in a spreadsheet: one row per scored indicator, its first- to fourth-level
headings in the first four columns (a heading written once, on the first row under it, or in merged cells; a
heading's points in its name, "内部治理（420分）"), then the indicator's points, how it is scored, its criteria (for
levels, one line a level: "1级（2分）：…"), whether evidence is required, and whether it is a bonus or deduction item.
Read into the service's nodes (which judge them) and written back in the same shape."""

from __future__ import annotations

import io
import re
import unicodedata
from typing import Any

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import ValidationFailed, lazy_format
from shanlian.core.sheets import XLSX_TYPE, cell_text, refuse_file, workbook_open

from .models import MAX_DEPTH, Framework, Indicator, IndicatorKind, IndicatorSource, Scoring
from .services.frameworks import Node

MAX_BYTES = 2 * 1024 * 1024
MAX_UNPACKED = 40 * 1024 * 1024
MAX_ROWS = 1000
LEVEL_NAMES = ("一级指标", "二级指标", "三级指标", "四级指标")
HEADERS: dict[str, set[str]] = {
    **{f"l{n}": {LEVEL_NAMES[n - 1], f"level{n}", f"{n}级指标"} for n in range(1, MAX_DEPTH + 1)},
    "points": {"分值", "points", "分数", "标准分"},
    "scoring": {"评分方式", "scoredby", "scoring"},
    "criteria": {"评分标准", "criteria", "评分细则"},
    "evidence": {"需佐证", "佐证材料", "evidence", "需要佐证"},
    "type": {"类型", "type", "加扣分"},
    "source": {"评分来源", "source", "数据来源"},
}
# The words of the 评分来源 column (the first is written on export); blank: the subject and the experts.
SOURCE_WORDS: dict[str, tuple[str, ...]] = {
    IndicatorSource.SATISFACTION: ("满意度调查", "满意度", "satisfaction"),
    IndicatorSource.PURCHASER: ("购买方评价", "购买方", "purchaser"),
    IndicatorSource.SUPERVISOR: ("督导评价", "督导", "supervisor")}
SCORING_WORDS: dict[str, set[str]] = {
    Scoring.POINTS: {"分值", "打分", "points", ""}, Scoring.LEVELS: {"等级", "levels", "分级"},
    Scoring.YES_NO: {"是否", "yes/no", "yesno", "有无"}}
KIND_WORDS: dict[str, set[str]] = {
    IndicatorKind.BONUS: {"加分", "加分项", "bonus"}, IndicatorKind.DEDUCTION: {"扣分", "扣分项", "deduction"},
    IndicatorKind.NORMAL: {"", "指标", "normal"}}
YES = {"是", "需", "需要", "y", "yes", "true", "1", "✓", "√"}
_NOISE = re.compile(r"[\s_\-/()（）:：]+")
_HEADING = re.compile(r"^(?P<name>.*?)\s*[（(]\s*(?P<points>\d+(?:\.\d+)?)\s*分\s*[)）]\s*$")
_LEVEL = re.compile(r"^\s*(?P<n>[1-4１-４一二三四])\s*级?\s*[（(]\s*(?P<points>[0-9０-９]+(?:[.．][0-9０-９]+)?)\s*分\s*[)）]\s*[:：]\s*"
                    r"(?P<text>.+?)\s*$")
_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4"}


def _key(text: Any) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", str(text or "")).lstrip("\ufeff")).lower()


def _columns(header: tuple[Any, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _key(cell)
        for name, words in HEADERS.items():
            if key in {_key(w) for w in words}:
                found.setdefault(name, index)
    for name in ("l1", "points", "scoring"):
        if name not in found:
            raise refuse_file("import_missing_column", lazy_format(
                _("The sheet has no column %(column)s (its first row names the columns: 一级指标 … 四级指标, 分值, 评分方式, "
                  "评分标准, 需佐证, 类型)."), {"column": {"l1": "一级指标", "points": "分值", "scoring": "评分方式"}[name]}))
    return found


def _row_error(row: int, code: str, message: Any) -> ValidationFailed:
    text = lazy_format(_("Row %(row)s: %(problem)s"), {"row": row, "problem": message})
    return ValidationFailed(code, text, fields={"file": [(code, text)]})


def _word(value: str, words: dict[str, set[str]], row: int, code: str, message: Any) -> str:
    key = _key(value)
    for choice, spellings in words.items():
        if key in {_key(w) for w in spellings}:
            return choice
    raise _row_error(row, code, message)


def _heading(text: str, row: int) -> tuple[str, str]:
    found = _HEADING.match(text)
    if found is None:
        raise _row_error(row, "heading_points", lazy_format(
            _("give the points of the heading %(name)s in its name, like 内部治理（420分）"), {"name": text}))
    return found["name"].strip(), found["points"]


def _levels(criteria: str, row: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for line in (x for x in criteria.splitlines() if x.strip()):
        found = _LEVEL.match(line)  # the descriptor kept as written; the numbers read in any width
        if found is None:
            raise _row_error(row, "level_line", _("write each level on its own line, like 1级（2分）：制度缺失"))
        out.append((found["text"], unicodedata.normalize("NFKC", found["points"])))
        n = unicodedata.normalize("NFKC", found["n"])
        if int(_DIGITS.get(n, n)) != len(out):
            raise _row_error(row, "level_line", _("the levels go from 1 to 4, in order"))
    return out


def sheet_read(data: bytes) -> list[Node]:
    """The framework's tree from an uploaded XLSX file (the first sheet); the service then checks every rule."""
    book = workbook_open(data, max_bytes=MAX_BYTES, max_unpacked=MAX_UNPACKED)
    try:
        if not book.worksheets:
            raise refuse_file("import_file_empty", _("The file has no header row."))
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(max_col=12, values_only=True)
        header = next(rows, None)
        if header is None or not any(cell_text(c) for c in header):
            raise refuse_file("import_file_empty", _("The file has no header row."))
        columns = _columns(header)
        roots: list[Node] = []
        open_: list[Node] = []  # the headings the rows below sit under, by level
        for number, cells in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                raise refuse_file("too_many_rows", lazy_format(_("At most %(n)s rows in one file."), {"n": MAX_ROWS}))

            def cell(name: str, cells: Any = cells) -> str:
                index = columns.get(name)
                return cell_text(cells[index]) if index is not None and index < len(cells) else ""

            levels = [cell(f"l{n}") for n in range(1, MAX_DEPTH + 1)]
            if not any(levels) and not cell("points") and not cell("criteria"):
                continue  # a blank row
            deepest = max((n for n, text in enumerate(levels, start=1) if text), default=0)
            if deepest == 0:
                raise _row_error(number, "row_without_indicator", _("the row names no indicator"))
            first = min(n for n, text in enumerate(levels, start=1) if text)
            if first > len(open_) + 1 or not all(levels[first - 1:deepest]):
                raise _row_error(number, "heading_missing", _("an indicator needs the headings above it"))
            del open_[first - 1:]
            for level in range(first, deepest):
                name, points = _heading(levels[level - 1], number)
                heading = Node(name=name, points=points, where=lazy_format(_("row %(row)s"), {"row": number}))
                (open_[-1].children if open_ else roots).append(heading)
                open_.append(heading)
            leaf = _leaf(levels[deepest - 1], cell, number)
            (open_[-1].children if open_ else roots).append(leaf)
            # The type belongs to the first-level indicator, on the row that starts it (a heading's first row).
            kind = _word(cell("type"), KIND_WORDS, number, "indicator_kind", _("the type is 加分项, 扣分项 or empty"))
            if first == 1:
                (open_[0] if open_ else leaf).kind = kind
            elif kind != IndicatorKind.NORMAL:
                raise _row_error(number, "bonus_not_first_level", _("the type goes on the row of a first-level indicator"))
        return roots
    finally:
        book.close()


def _leaf(text: str, cell: Any, row: int) -> Node:
    name = text
    found = _HEADING.match(text)
    if found is not None:
        name = found["name"].strip()
    scoring = _word(cell("scoring"), SCORING_WORDS, row, "scoring_required", _("the scoring is 分值, 等级 or 是否"))
    criteria = cell("criteria")
    return Node(name=name, points=cell("points") or (found["points"] if found else ""), scoring=scoring,
                levels=_levels(criteria, row) if scoring == Scoring.LEVELS else [],
                criteria="" if scoring == Scoring.LEVELS else criteria, evidence_required=_key(cell("evidence")) in YES,
                source=_source(cell("source")),
                where=lazy_format(_("row %(row)s"), {"row": row}))


def _source(text: Any) -> str:
    said = _key(text)
    return next((source for source, words in SOURCE_WORDS.items() if said in {_key(w) for w in words}), "")


def _number(value: Any) -> Any:
    return int(value) if value == int(value) else float(value)


def sheet_write(framework: Framework) -> bytes:
    """The framework in the shape it is read in (headings merged over the rows under them)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    rows = list(Indicator.objects.filter(framework=framework))
    by_parent: dict[int | None, list[Indicator]] = {}
    for r in rows:
        by_parent.setdefault(r.parent_id, []).append(r)
    for children in by_parent.values():
        children.sort(key=lambda r: r.position)
    book = Workbook()
    sheet = book.active
    sheet.title = _g("Indicators")[:31]
    sheet.append([*LEVEL_NAMES, "分值", "评分方式", "评分标准", "需佐证", "类型", "评分来源"])
    scoring_word: dict[str, str] = {Scoring.POINTS: "分值", Scoring.LEVELS: "等级", Scoring.YES_NO: "是否"}
    kind_word: dict[str, str] = {IndicatorKind.NORMAL: "", IndicatorKind.BONUS: "加分项", IndicatorKind.DEDUCTION: "扣分项"}
    merges: list[tuple[int, int, int]] = []  # (column, first row, last row)

    starts: dict[int, int] = {}  # a first-level heading's first row: where its type is written

    def walk(node: Indicator, path: list[Indicator]) -> None:
        children = by_parent.get(node.pk, [])
        if children:
            first = sheet.max_row + 1
            if not path:
                starts[node.pk] = first
            for child in children:
                walk(child, [*path, node])
            merges.append((node.level, first, sheet.max_row))
            sheet.cell(row=first, column=node.level, value=f"{node.name}（{_number(node.points)}分）")
            return
        criteria = ("\n".join(f"{lv['level']}级（{_number(float(lv['points']))}分）：{lv['text']}" for lv in node.levels)
                    if node.scoring == Scoring.LEVELS else node.criteria)
        line: list[Any] = [""] * MAX_DEPTH
        line[node.level - 1] = node.name
        root = path[0] if path else node
        starts_root = not path or sheet.max_row + 1 == starts[root.pk]
        sheet.append([*line, _number(node.points), scoring_word.get(node.scoring, ""), criteria,
                      "是" if node.evidence_required else "", kind_word.get(root.kind, "") if starts_root else "",
                      SOURCE_WORDS[node.source][0] if node.source else ""])

    for root in by_parent.get(None, []):
        walk(root, [])
    for column, first, last in merges:
        if last > first:
            sheet.merge_cells(start_row=first, start_column=column, end_row=last, end_column=column)
    for letter, width in zip("ABCDEFGHIJ", (18, 20, 24, 28, 8, 10, 60, 8, 8, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    for line in sheet.iter_rows(min_row=2):
        for c in line:
            c.alignment = Alignment(vertical="top", wrap_text=True)
    for c in sheet[1]:
        c.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_response(framework: Framework) -> Any:
    """The framework's sheet as a download."""
    from django.http import HttpResponse

    response = HttpResponse(sheet_write(framework), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="framework-{framework.pk}-v{framework.version}.xlsx"'
    return response
