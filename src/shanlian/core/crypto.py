"""Encryption at rest for sensitive personal data, and a blind index to find equal values.

Values are encrypted with Fernet (AES-128-CBC + HMAC) under keys from SHANLIAN_FIELD_KEYS; the first
key encrypts, all keys decrypt, so keys can rotate. Equality look-ups (a duplicate resident ID)
use an HMAC-SHA256 of the normalised value under a separate key: the database never holds the
value itself, nor an unkeyed hash that could be brute-forced from the 18-digit ID space.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def encrypt(value: str) -> str:
    if value == "":
        return ""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if token == "":
        return ""
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or a tampered column: fail loudly, never show garbage
        raise RuntimeError("cannot decrypt a sensitive field: check SHANLIAN_FIELD_KEYS") from exc


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash for equality search; `purpose` keeps indexes of different fields unrelated."""
    if value == "":
        return ""
    key = f"{settings.FIELD_HASH_KEY}:{purpose}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask(value: str, head: int, tail: int, fill: str = "*") -> str:
    """Keep `head` characters at the start and `tail` at the end: 440103********1234."""
    if not value:
        return ""
    if head + tail >= len(value):
        return fill * len(value)
    return value[:head] + fill * (len(value) - head - tail) + value[len(value) - tail :]


def mask_resident_id(value: str) -> str:
    head, tail = settings.SHANLIAN["MASK_RESIDENT_ID"]
    return mask(value, head, tail)


def mask_phone(value: str) -> str:
    head, tail = settings.SHANLIAN["MASK_PHONE"]
    return mask(value, head, tail)


def mask_name(value: str) -> str:
    """张三丰 → 张**: the public form of a donor's or beneficiary's name."""
    return value[:1] + "*" * max(len(value) - 1, 1) if value else ""
