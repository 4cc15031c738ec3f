"""Consent as its own record, with the exact wording shown (a versioned `ConsentText`), and data-subject requests (PIPL
art. 45-46: access and correction), answered within CASES_DATA_REQUEST_DAYS."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shanlian.orgs.models import Organization

from .beneficiaries import Beneficiary, Guardian
from .purposes import Purpose


class ConsentText(models.Model):
    """The wording a person is shown when asked to consent to one purpose. A published version never changes: a new
    wording is a new version, and each consent keeps the version it was given on."""

    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    version = models.PositiveIntegerField(_("version"))
    wording = models.TextField(_("wording (Chinese)"), max_length=4000)
    wording_en = models.TextField(_("wording (English)"), max_length=4000, blank=True)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="cases_consent_text_version_once"),
            models.CheckConstraint(condition=Q(version__gte=1), name="cases_consent_text_version_positive"),
            models.CheckConstraint(condition=Q(purpose__in=Purpose.values), name="cases_consent_text_purpose_valid"),
            models.CheckConstraint(condition=~Q(wording=""), name="cases_consent_text_wording_present"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} v{self.version}"


class GivenBy(models.TextChoices):
    SELF = "self", _("The person")
    GUARDIAN = "guardian", _("A guardian")


class Consent(models.Model):
    """One consent: for one purpose, to the recipients named, on the wording of one text version, from a date to an
    expiry, given by the person or (for a child under 14: always) a guardian; withdrawn with a date and by whom."""

    beneficiary = models.ForeignKey(Beneficiary, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    text = models.ForeignKey(ConsentText, verbose_name=_("wording shown"), on_delete=models.PROTECT, related_name="consents")
    recipients = models.JSONField(_("recipients"), default=list)  # Recipient values
    organizations = models.ManyToManyField(Organization, verbose_name=_("named organizations"), blank=True, related_name="+")
    given_on = models.DateField(_("given on"))
    expires_on = models.DateField(_("expires on"))
    given_by = models.CharField(_("given by"), max_length=16, choices=GivenBy.choices)
    guardian = models.ForeignKey(Guardian, verbose_name=_("guardian who gave it"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.CharField(_("withdrawn by"), max_length=16, choices=GivenBy.choices, blank=True)
    withdrawn_guardian = models.ForeignKey(Guardian, verbose_name=_("guardian who withdrew it"), null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    withdrawal_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("withdrawal recorded by"), null=True,
                                               blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["beneficiary_id", "-given_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(purpose__in=Purpose.values), name="cases_consent_purpose_valid"),
            models.CheckConstraint(condition=Q(expires_on__gt=F("given_on")), name="cases_consent_expires_after_given"),
            models.CheckConstraint(condition=Q(given_by="self", guardian__isnull=True) | Q(given_by="guardian", guardian__isnull=False),
                                   name="cases_consent_given_by_pair"),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True, withdrawn_by="", withdrawn_guardian__isnull=True,
                            withdrawal_recorded_by__isnull=True)
                | (Q(withdrawn_on__gte=F("given_on"), withdrawal_recorded_by__isnull=False)
                   & (Q(withdrawn_by="self", withdrawn_guardian__isnull=True)
                      | Q(withdrawn_by="guardian", withdrawn_guardian__isnull=False))),
                name="cases_consent_withdrawal_complete"),
        ]
        indexes = [models.Index(fields=["beneficiary", "purpose"], name="cases_consent_benef_purpose")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} ({self.given_on})"


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access to their data")
    CORRECTION = "correction", _("Correction of their data")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused")


class DataRequest(models.Model):
    """A data subject's request (PIPL): received on a day, due CASES_DATA_REQUEST_DAYS later; the details and the answer
    (for access: the export given) are personal data, kept encrypted."""

    beneficiary = models.ForeignKey(Beneficiary, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="data_requests")
    kind = models.CharField(_("kind"), max_length=16, choices=RequestKind.choices)
    received_on = models.DateField(_("received on"))
    due_on = models.DateField(_("due on"))
    requested_by = models.CharField(_("requested by"), max_length=16, choices=GivenBy.choices)
    guardian = models.ForeignKey(Guardian, verbose_name=_("guardian who asked"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    details_enc = models.TextField(_("details (encrypted)"), blank=True, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    answer_enc = models.TextField(_("answer (encrypted)"), blank=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RequestKind.values), name="cases_request_kind_valid"),
            models.CheckConstraint(condition=Q(due_on__gte=F("received_on")), name="cases_request_due_after_received"),
            models.CheckConstraint(condition=Q(requested_by="self", guardian__isnull=True)
                                   | Q(requested_by="guardian", guardian__isnull=False), name="cases_request_by_pair"),
            models.CheckConstraint(
                condition=Q(status="open", answered_on__isnull=True, answered_by__isnull=True)
                | Q(status__in=["answered", "refused"], answered_on__gte=F("received_on"), answered_by__isnull=False),
                name="cases_request_answer_complete"),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="cases_request_status_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.received_on})"

    @property
    def answered_late(self) -> bool:
        return self.answered_on is not None and self.answered_on > self.due_on
