"""Activities published by a station or organization, their shifts, and sign-ups with a wait list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    ELDERLY = "elderly", _("Elderly (扶老)")
    HARDSHIP = "hardship", _("Hardship (助困)")
    ORPHANS = "orphans", _("Orphans and children (恤孤)")
    DISABILITY = "disability", _("Disability (助残)")
    GOVERNANCE = "governance", _("Community governance")
    ENVIRONMENT = "environment", _("Environment")
    CULTURE = "culture", _("Culture and education")
    EMERGENCY = "emergency", _("Emergency")


class ActivityStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class Activity(models.Model):
    title = models.CharField(_("title"), max_length=128)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    description = models.TextField(_("description"), blank=True)
    station = models.ForeignKey("orgs.Station", verbose_name=_("station"), on_delete=models.PROTECT, related_name="activities")
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organizer"), null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    division = models.ForeignKey("places.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    place = models.CharField(_("place"), max_length=200)
    skills = models.JSONField(_("skills wanted"), default=list, blank=True)
    quiz_required = models.BooleanField(_("certification quiz required"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.PUBLISHED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Shift(models.Model):
    activity = models.ForeignKey(Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="shifts")
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    headcount = models.PositiveSmallIntegerField(_("headcount"))
    # The secret the rotating QR codes are derived from (never shown; rotating it kills every code).
    qr_secret = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="timebank_shift_period"),
            models.CheckConstraint(condition=Q(headcount__gte=1), name="timebank_shift_headcount"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.starts_at:%Y-%m-%d %H:%M}"


class SignupStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the wait list")
    CANCELLED = "cancelled", _("Cancelled")


class Signup(models.Model):
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="signups")
    volunteer = models.ForeignKey("timebank.Volunteer", on_delete=models.PROTECT, related_name="signups")
    status = models.CharField(_("status"), max_length=10, choices=SignupStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "volunteer"], condition=~Q(status="cancelled"), name="timebank_signup_once_per_shift"
            ),
        ]
        indexes = [models.Index(fields=["shift", "status", "created_at"], name="timebank_signup_queue")]

    def __str__(self) -> str:
        return f"{self.volunteer_id}@{self.shift_id} {self.status}"
