"""Writes to the division tree."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log, snapshot
from shanlian.core.errors import Conflict, ValidationFailed
from shanlian.core.identifiers import clean_division_code

from .models import CODE_DIGITS, PARENT_LEVEL, Division, Level

# pypinyin is imported where it is used: its phrase dictionary takes a quarter of a second to load, and every
# process (a command, a worker, a test run) imports this module whether or not it names a place.


def pinyin_initials(text: str) -> str:
    """宝岗社区 → bgsq; letters and digits in the name are kept as they are."""
    from pypinyin import Style, lazy_pinyin

    return "".join(part[:1] for part in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()


def pinyin_full(text: str) -> str:
    """宝岗社区 → baogangshequ."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text)).lower()


@transaction.atomic
def division_create(*, name: str, level: str, code: str, parent: Division | None, actor=None) -> Division:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("name_required", _("A name is required."), fields={"name": [("required", _("A name is required."))]})
    if level not in Level.values:
        raise ValidationFailed("invalid_level", _("Unknown division level."))
    code = clean_division_code(code, level_digits=CODE_DIGITS[Level(level)])
    if level == Level.CITY:
        if parent is not None:
            raise ValidationFailed("invalid_parent", _("A city has no parent division."))
    else:
        if parent is None or parent.level != PARENT_LEVEL[Level(level)]:
            raise ValidationFailed("invalid_parent", _("This division must sit under a division one level up."))
        prefix = parent.code[:4] if parent.level == Level.CITY else parent.code
        if not code.startswith(prefix):
            raise ValidationFailed(
                "invalid_division_code", _("A division's code must begin with its parent's code.")
            )
    if Division.objects.filter(code=code).exists():
        raise Conflict("duplicate_division_code", _("A division with this code already exists."))
    if Division.objects.filter(parent=parent, name=name).exists():
        raise Conflict("duplicate_division_name", _("This parent already has a division with this name."))
    division = Division(name=name, level=level, code=code, parent=parent, path="", name_initials=pinyin_initials(name))
    division.path = f"/new-{code}/"  # unique placeholder until the pk is known
    division.full_clean(exclude=["path"])
    division.save()
    division.path = f"{parent.path if parent else '/'}{division.pk}/"
    division.save(update_fields=["path"])
    audit_log(actor=actor, action="division.create", obj=division, after=snapshot(division, ["name", "level", "code", "parent"]))
    return division
