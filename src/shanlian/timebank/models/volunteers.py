"""Volunteers on top of `Person`, their family links, and the certification quiz."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from shanlian.core.money import HoursField


class Skill(models.TextChoices):
    ELDERLY_CARE = "elderly_care", _("Elderly care")
    TUTORING = "tutoring", _("Tutoring")
    MEDICAL = "medical", _("Medical and first aid")
    LEGAL = "legal", _("Legal advice")
    PSYCHOLOGY = "psychology", _("Counselling")
    REPAIR = "repair", _("Repairs")
    HAIRCUT = "haircut", _("Haircuts")
    PHOTOGRAPHY = "photography", _("Photography")
    DRIVING = "driving", _("Driving")
    SIGN_LANGUAGE = "sign_language", _("Sign language")
    EVENTS = "events", _("Event support")
    IT = "it", _("Phones and computers")


class Volunteer(models.Model):
    """A resident who gives time. Known in public by the volunteer number, never by the resident ID."""

    person = models.OneToOneField("people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="volunteer")
    number = models.CharField(_("volunteer number"), max_length=20, unique=True)
    station = models.ForeignKey("orgs.Station", verbose_name=_("home station"), on_delete=models.PROTECT, related_name="volunteers")
    skills = models.JSONField(_("skills"), default=list, blank=True)
    availability = models.JSONField(_("availability"), default=list, blank=True)  # e.g. ["sat_am", "sun_pm", "weekday_pm"]
    service_areas = models.ManyToManyField("places.Division", verbose_name=_("service areas"), blank=True, related_name="+")
    # Party membership is sensitive: kept only with the volunteer's separate consent.
    party_member = models.BooleanField(_("party member"), default=False)
    party_consent_at = models.DateTimeField(_("consent to record party membership"), null=True, blank=True)
    account = models.OneToOneField("ledger.Account", on_delete=models.PROTECT, related_name="+", editable=False)
    # Cumulative approved hours (never reduced by spending): what the star level is computed from.
    approved_hours = HoursField(_("approved hours"), default=0, editable=False)
    registered_at = models.DateTimeField(_("registered"), auto_now_add=True)
    # The client-made id the registration was sent with (the API's Idempotency-Key): a retry answers with this record.
    idempotency_key = models.CharField(max_length=128, blank=True, editable=False)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(party_member=False) | Q(party_consent_at__isnull=False), name="timebank_party_needs_consent"
            ),
            models.CheckConstraint(condition=Q(approved_hours__gte=0), name="timebank_approved_hours_not_negative"),
        ]
        indexes = [models.Index(fields=["station", "approved_hours"], name="timebank_vol_station_hours")]

    def __str__(self) -> str:
        return self.number


class FamilyLink(models.Model):
    """A family member a volunteer may give credits to (配偶, 父母, 子女 ...)."""

    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        PARENT = "parent", _("Parent")
        CHILD = "child", _("Child")
        GRANDPARENT = "grandparent", _("Grandparent")
        SIBLING = "sibling", _("Sibling")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="family")
    member = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "member"], name="timebank_family_once"),
            models.CheckConstraint(condition=~Q(volunteer=F("member")), name="timebank_family_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id}→{self.member_id} {self.relation}"


class QuizQuestion(models.Model):
    """A question of the certification quiz: a text, 2-6 choices, the index of the right one.

    Without a station it is in the city bank, which every station's quiz draws from together with the
    station's own questions. Once drawn into a paper it is part of a record (the paper keeps its id and the
    volunteer's answer): never deleted, only retired, and an edit puts a new version in its place."""

    station = models.ForeignKey("orgs.Station", verbose_name=_("station"), on_delete=models.PROTECT, related_name="quiz_questions",
                                null=True, blank=True, help_text=_("Empty: the city bank, drawn for every station."))
    text = models.CharField(_("question"), max_length=300)
    choices = models.JSONField(_("choices"))
    answer = models.PositiveSmallIntegerField(_("right choice"))
    active = models.BooleanField(_("in use"), default=True)
    drawn_at = models.DateTimeField(_("first drawn into a paper"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")
        ordering = ["id"]
        constraints = [
            # The same question once in a bank (the city bank's station is NULL, hence the Coalesce).
            models.UniqueConstraint(Coalesce("station", Value(0)), "text", condition=Q(active=True),
                                    name="timebank_quiz_question_once"),
        ]

    def __str__(self) -> str:
        return self.text[:40]


def quiz_pool(station_id: int) -> Q:
    """The questions a station's quiz draws from: the city bank and the station's own, those in use."""
    return (Q(station_id=station_id) | Q(station__isnull=True)) & Q(active=True)


class QuizAttempt(models.Model):
    """One random paper: the questions drawn are frozen when it starts; scored once when submitted."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="quiz_attempts")
    station = models.ForeignKey("orgs.Station", on_delete=models.PROTECT, related_name="+")
    question_ids = models.JSONField()
    answers = models.JSONField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    certificate_code = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=Q(passed=False) | Q(submitted_at__isnull=False), name="timebank_quiz_pass_when_submitted"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} {self.score}"


class Notification(models.Model):
    """What was sent to whom through the notification interface (console backend in the demo)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=120)
    body = models.TextField()
    sent_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=16)
    key = models.CharField(max_length=120, unique=True)  # once per reminder

    def __str__(self) -> str:
        return self.subject
