"""The administrative division tree: city → district → street/town → community/village."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street / town")
    COMMUNITY = "community", _("Community / village")


LEVEL_ORDER = [Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY]
PARENT_LEVEL = {Level.DISTRICT: Level.CITY, Level.STREET: Level.DISTRICT, Level.COMMUNITY: Level.STREET}
# GB/T 2260 gives 6-digit codes for cities and districts; streets (9) and communities (12) use the
# statistical division code shape built on them.
CODE_DIGITS = {Level.CITY: 6, Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12}


class Division(models.Model):
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    code = models.CharField(_("division code"), max_length=12, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of primary keys, "/1/4/17/": subtree queries are one prefix match.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    name_initials = models.CharField(_("pinyin initials"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="city", parent__isnull=True) | (~Q(level="city") & Q(parent__isnull=False)),
                name="division_parent_matches_level",
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="division_unique_name_in_parent"),
        ]
        indexes = [
            models.Index(fields=["path"], name="division_path_prefix_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["level", "code"], name="division_level_code_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return LEVEL_ORDER.index(Level(self.level))
