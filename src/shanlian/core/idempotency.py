"""Retries that arrive together: requests carrying the same idempotency key wait for each other, so the first to
commit wins and every other one finds its row and answers with it (no unique-key error, no second row).

A service that takes a key calls `key_lock` inside its transaction before looking the key up, and returns a row it
found with `replayed(row)`; the API answers 200 instead of 201 when `was_replayed(row)`."""

from __future__ import annotations

import hashlib
import re
from typing import Any, TypeVar

from django.db import connection
from django.utils.translation import gettext_lazy as _

from .errors import ValidationFailed

T = TypeVar("T")


def lock_id(kind: str, *parts: Any) -> int:
    """The PostgreSQL advisory lock number of (kind, parts): a signed 64-bit hash."""
    digest = hashlib.blake2b("\x1f".join([kind, *map(str, parts)]).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def key_lock(kind: str, *parts: Any) -> None:
    """Hold a transaction-scoped lock on (kind, parts) until COMMIT: on PostgreSQL an advisory lock; SQLite runs
    one writer at a time anyway. Call it inside `transaction.atomic`."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id(kind, *parts)])


def replayed(row: T) -> T:
    """Mark a row a service found under the caller's key (or already done) rather than created now."""
    row._replayed = True  # type: ignore[attr-defined]
    return row


def was_replayed(row: Any) -> bool:
    return bool(getattr(row, "_replayed", False))


# -- the API's Idempotency-Key header ----------------------------------------------------------------------

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
KEY_DESCRIPTION = ("A client-made id for this request: 1-128 characters of A-Z a-z 0-9 _ . : -. Sending it again with "
                   "the same body answers 200 with the first result (and `Idempotent-Replayed: true`); with another "
                   "body, 409 `idempotency_mismatch`.")
REPLAYED_HEADER = "Idempotent-Replayed"


def idempotency_key_in(value: str | None, *, required: bool = True) -> str:
    """The Idempotency-Key header of a request that creates something: 1-128 of A-Z a-z 0-9 _ . : -; required unless
    told (then no header is "")."""
    if not value and not required:
        return ""
    if not value or not KEY_PATTERN.match(value):
        raise ValidationFailed("idempotency_key_required",
                               _("Send an Idempotency-Key header: 1 to 128 letters, digits or _ . : -."))
    return value
