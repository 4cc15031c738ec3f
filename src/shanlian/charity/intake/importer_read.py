"""Reading a Giving-Day export: CSV (UTF-8 with or without BOM, or GB18030) or XLSX (the first sheet),
and finding its columns by their headers, in English or Chinese."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import ValidationFailed, lazy_format

# Header spellings, compared after lower-casing and dropping spaces, "_", "-", "/", brackets.
HEADERS: dict[str, set[str]] = {
    "external_id": {"externalid", "extid", "externalref", "外部编号", "流水号", "外部流水号"},
    "time": {"time", "datetime", "receivedat", "donatedat", "时间", "捐赠时间"},
    "donor": {"donor", "donorname", "捐赠人", "捐赠人姓名", "捐赠者"},
    "amount": {"amount", "金额", "捐赠金额"},
    "target": {"campaignorfund", "campaign", "fund", "target", "项目", "活动", "基金", "项目活动基金", "活动基金", "项目基金"},
    "match": {"match", "matchamount", "配捐", "配捐金额"},
}
REQUIRED = ("external_id", "time", "amount", "target")
_HEADER_NOISE = re.compile(r"[\s_\-/()（）]+")

FILE_MESSAGES: dict[str, Promise] = {
    "import_file_missing": _("The file %(path)s cannot be read."),
    "import_file_empty": _("The file has no header row."),
    "import_bad_encoding": _("The file is neither UTF-8 nor GB18030 text."),
    "import_bad_xlsx": _("The file looks like XLSX but cannot be opened as a workbook."),
    "import_missing_column": _("The file has no column for %(column)s; the header row is: %(header)s."),
    "import_duplicate_column": _("Two columns mean %(column)s: “%(first)s” and “%(second)s”."),
    "import_bad_source": _("A source name is 1 to 32 letters, digits, “-”, “_” or “.”."),
}

COLUMN_NAMES: dict[str, Promise] = {
    "external_id": _("external id (外部编号)"),
    "time": _("time (时间)"),
    "amount": _("amount (金额)"),
    "target": _("campaign or fund (项目/活动/基金)"),
    "donor": _("donor (捐赠人)"),
    "match": _("match (配捐)"),
}



def file_error(code: str, **params: Any) -> ValidationFailed:
    return ValidationFailed(code, lazy_format(FILE_MESSAGES[code], params) if params else FILE_MESSAGES[code])


@dataclass
class Sheet:
    header: list[str]
    rows: Iterator[tuple[int, Sequence[Any]]]  # (sheet row number, cells)
    total: int | None  # data rows, if known in advance
    kind: str  # "csv" or "xlsx"
    encoding: str = ""


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise file_error("import_bad_encoding") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise file_error("import_bad_encoding") from None


def sheet_open(path: str | Path) -> Sheet:
    """Open a CSV or XLSX export (told apart by content, not by the file name)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        raise file_error("import_file_missing", path=str(path)) from None
    if data[:4] == b"PK\x03\x04":
        return _open_xlsx(data)
    text, encoding = _decode(data)
    del data
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise file_error("import_file_empty")
    total = text.count("\n") - 1 + (0 if text.endswith("\n") else 1)
    return Sheet(header=header, rows=enumerate(reader, start=2), total=max(total, 0), kind="csv", encoding=encoding)


def _open_xlsx(data: bytes) -> Sheet:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise file_error("import_bad_xlsx") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise file_error("import_file_empty")
    total = (sheet.max_row - 1) if sheet.max_row else None

    def body() -> Iterator[tuple[int, Sequence[Any]]]:
        try:
            yield from enumerate(rows, start=2)
        finally:
            book.close()

    return Sheet(header=["" if h is None else str(h) for h in header], rows=body(), total=total, kind="xlsx")


def columns_map(header: Sequence[str]) -> dict[str, int]:
    """Which column holds what; refuses a file without a required column or with two for one meaning."""
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        key = _HEADER_NOISE.sub("", str(raw or "").lstrip("\ufeff")).lower()
        for name, spellings in HEADERS.items():
            if key in spellings:
                if name in found:
                    raise file_error("import_duplicate_column", column=COLUMN_NAMES[name], first=header[found[name]], second=raw)
                found[name] = index
    for name in REQUIRED:
        if name not in found:
            raise file_error("import_missing_column", column=COLUMN_NAMES[name], header=", ".join(str(h) for h in header))
    return found


def cell_text(value: Any) -> str:
    """A cell as text: XLSX gives numbers and datetimes, CSV strings."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()
