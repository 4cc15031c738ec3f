"""Documents people attach (a payout's invoices, a proposal's plan): the one check of what is accepted, and how an
accepted file is named and fingerprinted when it is stored."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from .errors import field_error

MAX_BYTES = 10 * 1024 * 1024
TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".xlsx", ".docx")


def upload_in(upload: Any, *, field: str = "attachments") -> UploadedFile:
    """An uploaded file of an accepted type, at most 10 MB."""
    if not isinstance(upload, UploadedFile):
        raise field_error(field, "invalid_attachment", _("Expected an uploaded file."))
    if upload.size is None or upload.size > MAX_BYTES:
        raise field_error(field, "attachment_too_big", _("An attachment is at most 10 MB."))
    if not (upload.name or "").lower().endswith(TYPES):
        raise field_error(field, "attachment_type", _("Attach PDF, images, Excel or Word files."))
    return upload


def stored_name(name: str | None, limit: int) -> str:
    """An upload's name as stored: its end kept (the extension says what it is), with no path or control characters."""
    base = "".join(ch for ch in (name or "").replace("\\", "/").rsplit("/", 1)[-1] if ch.isprintable())
    return base if len(base) <= limit else base[-limit:]


def sha256_of(upload: UploadedFile) -> str:
    """The file's SHA-256, read in chunks; the file is left at its start for storing."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
