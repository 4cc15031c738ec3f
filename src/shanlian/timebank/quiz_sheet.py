"""Quiz questions in a spreadsheet: the XLSX a station or the city fills in (one question a row: the question,
choices A to F, the letter of the right one) and the same shape written back out (export and empty template).

Headers are found by name, in English or Chinese (题目, 选项A … 选项F, 答案), in any order; other columns are
ignored, except a seventh choice (选项G …), which is refused rather than dropped. Reading stops at bounds no
honest bank reaches (size, uncompressed size, rows), so a file cannot make the server work without end. The
rules for a question (lengths, 2–6 choices, the answer) are the service's (`services.quiz.question_clean`):
this module only reads and writes cells."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import ValidationFailed, lazy_format
from shanlian.core.sheets import cell_text, refuse_file, workbook_open

LETTERS = "ABCDEF"
MAX_BYTES = 2 * 1024 * 1024  # the file as uploaded
MAX_UNPACKED = 40 * 1024 * 1024  # everything inside the XLSX (a zip) once unpacked
MAX_ROWS = 1000  # questions in one file
MAX_COLUMNS = 40

HEADERS: dict[str, set[str]] = {
    "text": {"question", "questiontext", "text", "题目", "问题", "试题", "题干"},
    "answer": {"answer", "answerletter", "rightanswer", "correctanswer", "答案", "正确答案", "答案字母"},
    **{f"choice_{c.lower()}": {f"choice{c.lower()}", f"option{c.lower()}", f"选项{c.lower()}", c.lower()} for c in LETTERS},
}
REQUIRED = ("text", "choice_a", "choice_b", "answer")
# A choice beyond F (choice G, 选项H ...): refused, never silently dropped.
_EXTRA_CHOICE = re.compile(r"(?:choice|option|选项)?([g-z])")
_HEADER_NOISE = re.compile(r"[\s_\-/()（）:：]+")

WRITE_HEADERS = {
    "en": ["Question", *(f"Choice {c}" for c in LETTERS), "Answer"],
    "zh": ["题目", *(f"选项{c}" for c in LETTERS), "答案"],
}

COLUMN_LABELS: dict[str, Promise | str] = {
    "text": _("Question"),
    "answer": _("Answer"),
    **{f"choice_{c.lower()}": lazy_format(_("Choice %(letter)s"), {"letter": c}) for c in LETTERS},
}


@dataclass(frozen=True)
class SheetRow:
    row: int  # the row number in the sheet (the header is row 1)
    text: str
    choices: list[str]  # six cells, A to F, "" where empty
    answer: str


_refuse = refuse_file


def _key(header: Any) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", str(header or "")).lstrip("\ufeff")).lower()


def _shown(value: Any) -> str:
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in str(value))
    return text if len(text) <= 30 else text[:30] + "…"


def columns_of(header: Iterable[Any]) -> dict[str, int]:
    """Which column holds what; refuses a missing required column, two columns for one meaning, a seventh choice."""
    found: dict[str, int] = {}
    cells = list(header)
    for index, raw in enumerate(cells):
        key = _key(raw)
        if not key:
            continue
        extra = _EXTRA_CHOICE.fullmatch(key)
        if extra:
            raise _refuse("too_many_choices", lazy_format(
                _("A question has at most six choices, A to F: the column “%(column)s” is one too many."), {"column": _shown(raw)}))
        for name, spellings in HEADERS.items():
            if key in spellings:
                if name in found:
                    raise _refuse("import_duplicate_column", lazy_format(
                        _("Two columns mean %(column)s: “%(first)s” and “%(second)s”."),
                        {"column": COLUMN_LABELS[name], "first": _shown(cells[found[name]]), "second": _shown(raw)}))
                found[name] = index
    for name in REQUIRED:
        if name not in found:
            raise _refuse("import_missing_column", lazy_format(
                _("The first row must name the columns: 题目 (question), 选项A … 选项F (choice A … F), 答案 (answer). "
                  "There is no column for %(column)s."), {"column": COLUMN_LABELS[name]}))
    return found


def sheet_read(data: bytes) -> list[SheetRow]:
    """The questions of an XLSX file's first sheet, blank rows skipped; a file-level problem is a ValidationFailed
    on the field `file` (rows are judged by the service, which names each bad row)."""
    book = workbook_open(data, max_bytes=MAX_BYTES, max_unpacked=MAX_UNPACKED)
    try:
        if not book.worksheets:
            raise _refuse("import_file_empty", _("The file has no header row."))
        rows = book.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True)
        header = next(rows, None)
        if header is None or not any(cell_text(c) for c in header):
            raise _refuse("import_file_empty", _("The file has no header row."))
        columns = columns_of(header)
        out: list[SheetRow] = []
        for number, cells in enumerate(rows, start=2):
            def cell(name: str, cells: Any = cells) -> str:
                index = columns.get(name)
                return cell_text(cells[index]) if index is not None and index < len(cells) else ""

            row = SheetRow(row=number, text=cell("text"), choices=[cell(f"choice_{c.lower()}") for c in LETTERS], answer=cell("answer"))
            if not (row.text or row.answer or any(row.choices)):
                continue
            if len(out) >= MAX_ROWS:
                raise _refuse("too_many_rows", lazy_format(
                    _("At most %(n)s questions in one file; split it into several files."), {"n": MAX_ROWS}))
            out.append(row)
    except ValidationFailed:
        raise
    except Exception:
        raise _refuse("import_bad_xlsx", _("The file looks like XLSX but cannot be opened as a workbook.")) from None
    finally:
        book.close()
    if not out:
        raise _refuse("import_no_rows", _("The file has a header row but no questions."))
    return out


def _letter_of(answer: int) -> str:
    return LETTERS[answer] if 0 <= answer < len(LETTERS) else ""


def sheet_write(questions: Iterable[Any], *, title: str = "") -> bytes:
    """Questions (text, choices, answer) as an XLSX of the shape `sheet_read` reads, in the page's language,
    with a second sheet that explains the columns. Cells are written as text, so a question that begins
    with “=” stays text in Excel and comes back as it went out."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    zh = (get_language() or "zh-hans").startswith("zh")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="题库" if zh else "Questions")
    sheet.column_dimensions["A"].width = 60
    for letter in "BCDEFG":
        sheet.column_dimensions[letter].width = 28
    sheet.column_dimensions["H"].width = 8
    sheet.freeze_panes = "A2"

    def text_cell(value: str, *, bold: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))  # what no XML can hold, from older rows
        cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if bold:
            cell.font = Font(bold=True)
        return cell

    sheet.append([text_cell(h, bold=True) for h in WRITE_HEADERS["zh" if zh else "en"]])
    for q in questions:
        choices = [*q.choices, *[""] * (len(LETTERS) - len(q.choices))][: len(LETTERS)]
        sheet.append([text_cell(q.text), *(text_cell(c) for c in choices), text_cell(_letter_of(q.answer))])
    notes = book.create_sheet(title="说明" if zh else "How to fill in")
    notes.column_dimensions["A"].width = 100
    lines = [
        title,
        "每行一道题：题目；选项A至选项F（至少填两个，按顺序填写，不要跳空）；答案填正确选项的字母（A–F）。",
        "One question a row: the question; choices A to F (at least two, in order, none skipped); "
        "the answer is the letter of the right choice (A–F).",
        "题目最多300字，每个选项最多120字。只读取第一个工作表；空行会被跳过。",
        "A question has at most 300 characters, a choice at most 120. Only the first sheet is read; blank rows are skipped.",
        "任何一行有错误时整个文件都不会导入，页面会按行号列出问题；已在题库中且完全相同的题目会被跳过。",
        "If any row is wrong nothing is imported and the page lists the problems by row number; "
        "a question already in the bank exactly as written is skipped.",
    ]
    for line in lines:
        if line:
            notes.append([text_cell(line)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
