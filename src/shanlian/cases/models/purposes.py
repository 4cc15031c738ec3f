"""Purposes personal data is collected and used for, and those it may go to: shared by the sensitive fields'
declarations, consent texts, consents and `consent_require`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    SERVICE = "service", _("Social-work services and case work")
    ASSISTANCE = "assistance", _("Applying for and checking social assistance")
    SAFEGUARDING = "safeguarding", _("Protecting a child or a person at risk")
    REFERRAL = "referral", _("Referral to another organization")
    WISH = "wish", _("Micro-wishes (shown de-identified)")
    PUBLICITY = "publicity", _("Photos and stories in publicity")


class Recipient(models.TextChoices):
    SUBJECT = "subject", _("The person (or their guardian)")
    STATION = "station", _("The station's social workers")
    AGENCY = "agency", _("The agency running the station")
    COMMUNITY = "community", _("Street office and residents' committee")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil-affairs bureau")
    HEALTH = "health", _("Health services")
    ORGANIZATION = "organization", _("A named organization")
    DONOR = "donor", _("Donors who fulfil a wish")
