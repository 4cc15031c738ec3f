"""Retries that arrive together: requests carrying the same idempotency key wait for each other, so the first to
commit wins and every other one finds its row and answers with it (no unique-key error, no second row).

A service that takes a key calls `key_lock` inside its transaction before looking the key up, and returns a row it
found with `replayed(row)`; the API answers 200 instead of 201 when `was_replayed(row)`."""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from django.db import connection

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
