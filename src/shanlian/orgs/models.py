"""Social organizations, the stations agencies run, and the donation points at stations."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.places.models import Division


class OrgKind(models.TextChoices):
    ASSOCIATION = "association", _("Association (社会团体)")
    SERVICE_INSTITUTION = "service_institution", _("Service institution (社会服务机构)")
    FOUNDATION = "foundation", _("Foundation (基金会)")


class Grade(models.TextChoices):
    A1 = "1A", "1A"
    A2 = "2A", "2A"
    A3 = "3A", "3A"
    A4 = "4A", "4A"
    A5 = "5A", "5A"


class PartyBranch(models.TextChoices):
    NONE = "none", _("No party organization")
    OWN = "own", _("Own party branch")
    JOINT = "joint", _("Joint party branch")
    INSTRUCTOR = "instructor", _("Party-building instructor assigned")


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=128)
    name_initials = models.CharField(_("pinyin initials"), max_length=128, blank=True, editable=False, db_index=True)
    name_pinyin = models.CharField(_("pinyin"), max_length=512, blank=True, editable=False)
    kind = models.CharField(_("kind"), max_length=32, choices=OrgKind.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    registered_on = models.DateField(_("registration date"))
    division = models.ForeignKey(
        Division, verbose_name=_("registered in"), on_delete=models.PROTECT, related_name="organizations"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=32, blank=True)
    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices, blank=True)
    grade_valid_from = models.DateField(_("grade valid from"), null=True, blank=True)
    grade_valid_until = models.DateField(_("grade valid until"), null=True, blank=True)
    public_fundraising = models.BooleanField(_("public-fundraising qualification"), default=False)
    is_charity_federation = models.BooleanField(_("charity federation"), default=False)
    is_agency = models.BooleanField(_("social work agency"), default=False)
    party_branch = models.CharField(_("party organization"), max_length=16, choices=PartyBranch.choices, default=PartyBranch.NONE)
    party_branch_name = models.CharField(_("party branch name"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(grade="") & Q(grade_valid_from__isnull=True) & Q(grade_valid_until__isnull=True))
                | (~Q(grade="") & Q(grade_valid_from__isnull=False) & Q(grade_valid_until__gt=F("grade_valid_from"))),
                name="org_grade_has_validity",
            ),
            models.CheckConstraint(
                condition=Q(is_charity_federation=False) | Q(public_fundraising=True),
                name="org_federation_can_fundraise",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def grade_current(self, on: dt.date | None = None) -> str:
        """The grade if still valid on `on` (today by default), else ''."""
        on = on or timezone.localdate()
        if self.grade and self.grade_valid_from and self.grade_valid_until and self.grade_valid_from <= on < self.grade_valid_until:
            return self.grade
        return ""


class Station(models.Model):
    """A street's social-work station (镇街社工站), run by an agency under a contract."""

    name = models.CharField(_("name"), max_length=128)
    street = models.OneToOneField(
        Division, verbose_name=_("street / town"), on_delete=models.PROTECT, related_name="station",
        limit_choices_to={"level": "street"},
    )
    agency = models.ForeignKey(
        Organization, verbose_name=_("operating agency"), on_delete=models.PROTECT, related_name="stations",
        limit_choices_to={"is_agency": True},
    )
    contract_start = models.DateField(_("contract start"))
    contract_end = models.DateField(_("contract end"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    office_phone = models.CharField(_("office phone"), max_length=20, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["street__code"]
        constraints = [
            models.CheckConstraint(condition=Q(contract_end__gt=F("contract_start")), name="station_contract_period"),
        ]

    def __str__(self) -> str:
        return self.name

    def contract_active(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.contract_start <= on <= self.contract_end


class DonationPoint(models.Model):
    """A place at a station where people give cash, by bank transfer, or goods."""

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="donation_points")
    name = models.CharField(_("name"), max_length=128)
    address = models.CharField(_("address"), max_length=200, blank=True)
    accepts_cash = models.BooleanField(_("accepts cash"), default=True)
    accepts_transfer = models.BooleanField(_("accepts bank transfer"), default=True)
    accepts_goods = models.BooleanField(_("accepts goods"), default=True)
    opening_hours = models.CharField(_("opening hours"), max_length=64, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("donation point")
        verbose_name_plural = _("donation points")
        ordering = ["station_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["station", "name"], name="donation_point_unique_name"),
            models.CheckConstraint(
                condition=Q(accepts_cash=True) | Q(accepts_transfer=True) | Q(accepts_goods=True),
                name="donation_point_accepts_something",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StandingKind(models.TextChoices):
    INSPECTION = "inspection", _("Annual inspection (年检)")
    ABNORMAL = "abnormal", _("Abnormal-activity list (活动异常名录)")
    PENALTY = "penalty", _("Administrative penalty (行政处罚)")


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("Passed (合格)")
    BASIC = "basic", _("Basically passed (基本合格)")
    FAILED = "failed", _("Failed (不合格)")


class StandingRecord(models.Model):
    """What the registration authority records about an organization's standing: each year's annual inspection,
    listings on (and removals from) the abnormal-activity list, administrative penalties. Evaluations read their
    eligibility from these; records are corrected by a new record, never deleted."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.PROTECT,
                                     related_name="standing")
    kind = models.CharField(_("kind"), max_length=12, choices=StandingKind.choices)
    on = models.DateField(_("date"))  # the inspection's conclusion, the listing, the penalty decision
    year = models.PositiveSmallIntegerField(_("inspection year"), null=True, blank=True)  # inspections: the year inspected
    result = models.CharField(_("result"), max_length=8, choices=InspectionResult.choices, blank=True)
    ended_on = models.DateField(_("removed from the list on"), null=True, blank=True)  # abnormal listings
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("standing record")
        verbose_name_plural = _("standing records")
        ordering = ["organization", "-on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="inspection") & Q(year__isnull=False) & ~Q(result="") & Q(ended_on__isnull=True))
                | (Q(kind="abnormal") & Q(year__isnull=True) & Q(result="")
                   & (Q(ended_on__isnull=True) | Q(ended_on__gte=F("on"))))
                | (Q(kind="penalty") & Q(year__isnull=True) & Q(result="") & Q(ended_on__isnull=True)),
                name="org_standing_shape"),
        ]
        indexes = [models.Index(fields=["organization", "kind", "on"], name="org_standing_lookup")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.kind} {self.on}"
