"""Finding a person without decrypting anyone: the search keys kept beside a name and a phone, and how a
typed query is read.

- `name_initials` (陈秀英 → cxy) and `name_pinyin` (chenxiuying) are prefix-searched by a query of Latin letters.
- `phone_last4_hash` is a keyed blind index (`core.crypto.blind_index`, purpose `phone_last4`) of the phone's
  last four digits, searched by a query of exactly four digits. Keyed, because the four digits have only
  10,000 values: an unkeyed hash would be reversed by trying them all.
- A full phone number and a full resident ID are found by their own exact blind indexes (`phone_hash`,
  `resident_id_hash`).

The people services write the keys on every create and edit (`name_keys`, `phone_last4_index`); migration
people 0002 filled them in for the rows before it, decrypting each phone once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from shanlian.core import crypto
from shanlian.core.errors import ValidationFailed
from shanlian.core.identifiers import clean_phone
from shanlian.places.services import pinyin_full, pinyin_initials

PHONE_LAST4 = "phone_last4"
INITIALS_MAX = 32  # Person.name_initials
PINYIN_MAX = 192  # Person.name_pinyin: 32 characters of at most 6 letters (zhuang)

_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")
_PHONE = re.compile(r"\+?[0-9]{7,}")
_LAST4 = re.compile(r"[0-9]{4}")
_PINYIN = re.compile(r"[a-z]+")
_SEPARATORS = re.compile(r"[\s\-()'’·.]")


def pinyin_key(text: str) -> str:
    """Letters and digits of the full pinyin, lower case: 陈秀英 → chenxiuying, 吕 → lv, Maria 李 → mariali."""
    return re.sub(r"[^a-z0-9]", "", pinyin_full(text))


def name_keys(real_name: str) -> tuple[str, str]:
    """(initials, full pinyin) of a name, as stored for the search."""
    return pinyin_initials(real_name)[:INITIALS_MAX], pinyin_key(real_name)[:PINYIN_MAX]


def phone_last4_index(phone: str) -> str:
    """The blind index of a cleaned phone's last four digits; "" without a phone."""
    return crypto.blind_index(phone[-4:], purpose=PHONE_LAST4) if phone else ""


@dataclass(frozen=True)
class Term:
    """A query read once: `kind` says which key it searches, `value` what it compares with."""

    kind: str  # "", "resident_id", "phone", "phone_last4", "pinyin", "name"
    value: str = ""

    @property
    def identifier(self) -> bool:
        """A full resident ID or phone: a page never echoes it unmasked."""
        return self.kind in ("resident_id", "phone")


def search_term(raw: str) -> Term:
    """Read a typed query: full-width digits and letters count as ASCII, spaces and dashes inside a number or
    a pinyin are ignored; exactly four digits are a phone's last four, seven or more a phone number."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return Term("")
    compact = _SEPARATORS.sub("", text)
    upper = compact.upper()
    if _RESIDENT_ID.fullmatch(upper):
        return Term("resident_id", crypto.blind_index(upper, purpose="resident_id"))
    if _LAST4.fullmatch(compact):
        return Term("phone_last4", crypto.blind_index(compact, purpose=PHONE_LAST4))
    if _PHONE.fullmatch(compact):
        try:
            phone = clean_phone(compact)
        except ValidationFailed:
            phone = compact.lstrip("+")  # no valid number is stored like this: it finds nobody, as before
        return Term("phone", crypto.blind_index(phone, purpose="phone"))
    letters = compact.lower().replace("ü", "v")
    if _PINYIN.fullmatch(letters):
        return Term("pinyin", letters)
    return Term("name", text)


def masked_echo(raw: str) -> str | None:
    """The query as a page may show it back: a full resident ID or phone masked, anything else None (as typed)."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    compact = _SEPARATORS.sub("", text).upper()
    if _RESIDENT_ID.fullmatch(compact):
        return crypto.mask_resident_id(compact)
    if _PHONE.fullmatch(compact):
        return crypto.mask_phone(compact.lstrip("+"))
    return None
