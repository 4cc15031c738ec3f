"""Spreadsheets people upload (XLSX): opened only within bounds no honest file reaches (its size, and everything inside
the zip once unpacked), so a file cannot make the server work without end; a cell read as the person typed it. Each
importer then reads its own columns and hands the rows to its service, which judges them."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.utils.translation import gettext_lazy as _

from .errors import ValidationFailed, lazy_format

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # a download's content type


def refuse_file(code: str, message: Any) -> ValidationFailed:
    """A problem with the file as a whole, on the field `file`."""
    return ValidationFailed(code, message, fields={"file": [(code, message)]})


def cell_text(value: Any) -> str:
    """A cell as text: a number the sheet stored as a number reads as it was typed (2, not 2.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if isinstance(value, str) else str(value)


def workbook_open(data: bytes, *, max_bytes: int, max_unpacked: int, read_only: bool = True) -> Any:
    """An uploaded XLSX file as an openpyxl workbook (values, not formulas); the caller closes it. Refused (on `file`)
    when empty, too large, not a workbook, or damaged."""
    from openpyxl import load_workbook

    too_large = lazy_format(_("The file is too large: at most %(mb)s MB."), {"mb": max_bytes // (1024 * 1024)})
    if len(data) > max_bytes:
        raise refuse_file("file_too_large", too_large)
    if not data:
        raise refuse_file("import_file_empty", _("The file is empty."))
    if data[:4] != b"PK\x03\x04":
        raise refuse_file("import_not_xlsx", _("This is not an Excel workbook (.xlsx). Save the sheet as .xlsx and upload it again."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > max_unpacked:
            raise refuse_file("file_too_large", too_large)
        return load_workbook(io.BytesIO(data), read_only=read_only, data_only=True)
    except ValidationFailed:
        raise
    except Exception:  # a damaged or foreign zip: openpyxl raises many kinds
        raise refuse_file("import_bad_xlsx", _("The file looks like XLSX but cannot be opened as a workbook.")) from None
