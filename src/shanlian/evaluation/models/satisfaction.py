"""Satisfaction surveys of beneficiaries and residents (满意度调查), answered on a phone through a survey's link,
anonymously or signed in. A project's or station's satisfaction rate feeds its evaluation as the mark of an
indicator whose source is `satisfaction`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    BENEFICIARY = "beneficiary", _("Beneficiaries")
    RESIDENT = "resident", _("Residents")


class Survey(models.Model):
    title = models.CharField(_("title"), max_length=128)
    station = models.ForeignKey("orgs.Station", verbose_name=_("station"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    project = models.ForeignKey("grants.ServiceProject", verbose_name=_("project"), on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    questions = models.JSONField(_("questions"), default=list)  # texts, each answered 1 (very unsatisfied) to 5
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    token = models.CharField(max_length=43, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(station__isnull=False, project__isnull=True)
                                   | Q(station__isnull=True, project__isnull=False), name="evaluation_survey_subject"),
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="evaluation_survey_dates"),
        ]

    def __str__(self) -> str:
        return self.title


class SurveyResponse(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    answers = models.JSONField(_("answers"), default=list)  # one 1–5 per question
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # One answer per phone for an anonymous survey: a keyed hash of a cookie the page sets, never the cookie itself.
    device_hash = models.CharField(max_length=64, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["survey", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "person"], condition=Q(person__isnull=False),
                                    name="evaluation_response_person_once"),
            models.UniqueConstraint(fields=["survey", "device_hash"], condition=~Q(device_hash=""),
                                    name="evaluation_response_device_once"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.pk}"
