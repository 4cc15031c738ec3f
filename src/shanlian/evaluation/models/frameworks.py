"""Indicator frameworks (评估指标体系) as data: per region, year and kind of organization or station, a tree of
indicators to four levels whose leaves are scored by points, by level descriptors (1–4) or yes/no, with bonus and
deduction items beside the tree and grade cut-offs. A framework is edited as a draft, published once (then it never
changes: an assessment is scored forever under the version it was made with), and followed by a new version."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanlian.orgs.models import Grade, OrgKind

MAX_DEPTH = 4


class FrameworkKind(models.TextChoices):
    GRADE = "grade", _("Grade assessment (1A–5A)")
    BRAND = "brand", _("Brand organization evaluation")
    STATION = "station", _("Station evaluation")


class StationResult(models.TextChoices):
    """A station evaluation's result (评估等次), by the framework's cut-offs; below the lowest: not passed."""

    PASS = "PS", _("Pass")
    GOOD = "GD", _("Good")
    EXCELLENT = "EX", _("Excellent")


def results_of(kind: str) -> list[str]:
    """The results a framework's cut-offs give, lowest first: grades 1A–5A, or a station's pass, good, excellent."""
    return list(StationResult.values) if kind == FrameworkKind.STATION else list(Grade.values)


def result_label(kind: str, result: str) -> str:
    """How a result reads: a grade as itself, a station's result by its name."""
    return str(StationResult(result).label) if kind == FrameworkKind.STATION and result in StationResult.values else result


class FrameworkStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Framework(models.Model):
    region = models.ForeignKey("places.Division", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=FrameworkKind.choices)
    # The kind of organization a grade framework is for (blank: any, or a station framework).
    org_kind = models.CharField(_("kind of organization"), max_length=20, blank=True, choices=OrgKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=128)
    total = models.DecimalField(_("total points"), max_digits=7, decimal_places=2)
    status = models.CharField(_("status"), max_length=10, choices=FrameworkStatus.choices, default=FrameworkStatus.DRAFT)
    previous = models.ForeignKey("self", verbose_name=_("previous version"), on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("indicator framework")
        verbose_name_plural = _("indicator frameworks")
        ordering = ["-year", "kind", "org_kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "org_kind", "year", "version"], name="evaluation_framework_version"),
            models.CheckConstraint(condition=Q(total__gt=0), name="evaluation_framework_total_positive"),
            models.CheckConstraint(condition=Q(version__gte=1), name="evaluation_framework_version_positive"),
            models.CheckConstraint(condition=~Q(status="draft") | Q(published_at__isnull=True),
                                   name="evaluation_framework_draft_unpublished"),
            models.CheckConstraint(condition=Q(status="draft") | Q(published_at__isnull=False),
                                   name="evaluation_framework_published_at"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（v{self.version}）"


class Scoring(models.TextChoices):
    POINTS = "points", _("Points")
    LEVELS = "levels", _("Level descriptors (1–4)")
    YES_NO = "yes_no", _("Yes or no")


class IndicatorSource(models.TextChoices):
    """Where a leaf's mark comes from when not from the subject itself and the experts: a station's purchaser (the
    street office that buys its services) or its supervisor mark their part of a station evaluation; satisfaction
    surveys mark theirs (the experts may leave it)."""

    SATISFACTION = "satisfaction", _("Satisfaction surveys")
    PURCHASER = "purchaser", _("The purchaser")
    SUPERVISOR = "supervisor", _("The supervisor")


class IndicatorKind(models.TextChoices):
    NORMAL = "normal", _("Indicator")
    BONUS = "bonus", _("Bonus item")
    DEDUCTION = "deduction", _("Deduction item")


class Indicator(models.Model):
    """One node of the tree. Its points are the most it gives (a deduction: the most it takes away); a parent's
    points are its children's sum, the first level's the framework's total (bonus and deduction items stand beside
    the tree, each on the first level, their points not in the total). Only leaves are scored."""

    framework = models.ForeignKey(Framework, verbose_name=_("framework"), on_delete=models.CASCADE, related_name="indicators")
    parent = models.ForeignKey("self", verbose_name=_("parent"), on_delete=models.CASCADE, null=True, blank=True,
                               related_name="children")
    code = models.CharField(_("code"), max_length=16)  # "2.3.1": its place in the tree, as the authorities number it
    level = models.PositiveSmallIntegerField(_("level"))
    position = models.PositiveSmallIntegerField(_("position"))  # among its siblings, from 1
    name = models.CharField(_("indicator"), max_length=200)
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    kind = models.CharField(_("kind"), max_length=10, choices=IndicatorKind.choices, default=IndicatorKind.NORMAL)
    scoring = models.CharField(_("scored by"), max_length=8, choices=Scoring.choices, blank=True)  # leaves only
    # Level descriptors: what each level 1–4 looks like, and the points each gives (the last is the leaf's points).
    levels = models.JSONField(_("levels"), default=list, blank=True)
    criteria = models.TextField(_("how it is scored"), blank=True)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    # Who marks a leaf besides the subject and the experts (blank: they do; see IndicatorSource).
    source = models.CharField(_("marked by"), max_length=16, blank=True, choices=IndicatorSource.choices)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["framework", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="evaluation_indicator_code_once"),
            models.CheckConstraint(condition=Q(points__gt=0), name="evaluation_indicator_points_positive"),
            models.CheckConstraint(condition=Q(level__gte=1) & Q(level__lte=MAX_DEPTH), name="evaluation_indicator_level"),
            models.CheckConstraint(condition=Q(kind="normal") | Q(level=1), name="evaluation_indicator_bonus_first_level"),
            models.CheckConstraint(condition=Q(parent__isnull=True, level=1) | Q(parent__isnull=False, level__gt=1),
                                   name="evaluation_indicator_root_level"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GradeBand(models.Model):
    """A grade's cut-off: a score at or above `minimum` (and below the next grade's) earns it."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="bands")
    grade = models.CharField(_("grade"), max_length=2)
    minimum = models.DecimalField(_("from (points)"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("grade cut-off")
        verbose_name_plural = _("grade cut-offs")
        ordering = ["framework", "-minimum"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "grade"], name="evaluation_band_grade_once"),
            models.UniqueConstraint(fields=["framework", "minimum"], name="evaluation_band_minimum_once"),
            models.CheckConstraint(condition=Q(minimum__gt=0), name="evaluation_band_minimum_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.grade} ≥ {self.minimum}"


