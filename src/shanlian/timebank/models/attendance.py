"""Check-ins and check-outs by QR code, and the hour records they make (谁记录谁证明, 谁证明谁负责)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import HoursField


class Attendance(models.Model):
    """One check-in (and its check-out) of a volunteer on a shift, at server time."""

    shift = models.ForeignKey("timebank.Shift", on_delete=models.PROTECT, related_name="attendances")
    volunteer = models.ForeignKey("timebank.Volunteer", on_delete=models.PROTECT, related_name="attendances")
    day = models.DateField()  # local day of the check-in, for the 3-a-day rule
    checked_in_at = models.DateTimeField()
    checked_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-checked_in_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True) | Q(checked_out_at__gte=F("checked_in_at")), name="timebank_checkout_after_in"
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "day"], name="timebank_attendance_vol_day")]

    def __str__(self) -> str:
        return f"{self.volunteer_id}@{self.shift_id} {self.checked_in_at:%H:%M}"


class HoursStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the organizer")
    NEEDS_AGENCY = "needs_agency", _("Waiting for the agency")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class HoursRecord(models.Model):
    """Hours for one volunteer on one shift: from attendance, or entered late by the organizer with a
    reason. Never deleted: declined, or reversed in the ledger."""

    volunteer = models.ForeignKey("timebank.Volunteer", on_delete=models.PROTECT, related_name="hours")
    shift = models.ForeignKey("timebank.Shift", on_delete=models.PROTECT, related_name="hours")
    attendance = models.OneToOneField(Attendance, null=True, blank=True, on_delete=models.PROTECT, related_name="hours")
    day = models.DateField(_("day"))
    hours = HoursField(_("hours"))
    status = models.CharField(_("status"), max_length=12, choices=HoursStatus.choices, default=HoursStatus.PENDING)
    late_entry = models.BooleanField(_("late entry (补录)"), default=False)
    late_reason = models.CharField(_("reason for late entry"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    agency_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agency approval by"), null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=200, blank=True)
    entry = models.OneToOneField("ledger.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hours record")
        verbose_name_plural = _("hours records")
        ordering = ["-day", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=12), name="timebank_hours_range"),
            models.UniqueConstraint(fields=["volunteer", "shift"], condition=~Q(status="declined"), name="timebank_hours_once_per_shift"),
            models.CheckConstraint(condition=Q(late_entry=False) | ~Q(late_reason=""), name="timebank_late_entry_reason"),
            models.CheckConstraint(condition=~Q(status="approved") | (Q(entry__isnull=False) & Q(approved_by__isnull=False)),
                                   name="timebank_approved_posted"),
        ]
        indexes = [
            models.Index(fields=["volunteer", "day"], name="timebank_hours_vol_day"),
            models.Index(fields=["volunteer", "-id"], name="timebank_hours_vol_latest"),
            models.Index(fields=["status", "shift"], name="timebank_hours_status_shift"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.day} {self.hours}h {self.status}"
