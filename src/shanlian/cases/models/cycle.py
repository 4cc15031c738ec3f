"""The social-work case cycle (需求评估 → 计划 → 介入 → 成效评估): a case of a beneficiary at its station, assessments with
standard instruments (the instrument is data), the service plan with goals in the four kinds of care, service records,
reviews measured against the goals, referrals, and closure. Plans and closures need the supervisor's approval; cases
and plans carry a version so a stale edit is refused; service records are never deleted, only corrected with a trace.
Free texts about the person (the presenting problem, notes, summaries, a referral's reason) are kept encrypted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanlian.orgs.models import Organization, Station
from shanlian.people.models import Person

from .beneficiaries import Beneficiary, NamedInTwoLanguages
from .privacy import Consent

USER = settings.AUTH_USER_MODEL
MINUTES_MAX = 720
PERSON_TIMES_MAX = 500
VISIT_DAYS_MAX = 365
SCORE_MAX = 1000


class Instrument(NamedInTwoLanguages, models.Model):  # noqa: DJ008 - its __str__ is the mixin's
    """A standard assessment instrument as data: `items` is a list of {"key", "text", "text_en", "options": [{"value",
    "label", "label_en", "score"}]}; `bands` a list of {"min", "max", "label", "label_en"} covering every possible score;
    `higher_is_better` says which way a goal's target lies (Barthel: higher; GDS-15: lower)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    items = models.JSONField(pgettext_lazy("instrument", "items"), default=list)
    bands = models.JSONField(_("score bands"), default=list)
    min_score = models.IntegerField(_("lowest score"), default=0)
    max_score = models.IntegerField(_("highest score"))
    higher_is_better = models.BooleanField(_("a higher score is better"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assessment instrument")
        verbose_name_plural = _("assessment instruments")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(max_score__gt=F("min_score")), name="cases_instrument_range")]



class CaseSource(models.TextChoices):
    OUTREACH = "outreach", _("Found by outreach (主动发现)")
    REFERRAL_IN = "referral_in", _("Referred in by another organization")
    REQUEST = "request", _("Asked for by the person or family")
    COMMUNITY = "community", _("Reported by the community or residents' committee")


class CaseStatus(models.TextChoices):
    INTAKE = "intake", _("Intake")
    ASSESSED = "assessed", _("Assessed")
    PLAN_SUBMITTED = "plan_submitted", _("Plan awaiting approval")
    IN_SERVICE = "in_service", _("In service")
    REVIEWING = "reviewing", _("Reviewing")
    CLOSURE_SUBMITTED = "closure_submitted", _("Closure awaiting approval")
    CLOSED = "closed", pgettext_lazy("case", "Closed")


OPEN_STATUSES = tuple(s for s in CaseStatus.values if s != CaseStatus.CLOSED)


class Case(models.Model):
    """One case (个案) of a beneficiary at its station; at most one open case per beneficiary (in the database too).
    `home_visit_days` is set by the approved plan when it asks for regular home visits."""

    beneficiary = models.ForeignKey(Beneficiary, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="cases")
    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="cases")
    owner = models.ForeignKey(USER, verbose_name=_("case worker"), on_delete=models.PROTECT, related_name="cases_owned")
    opened_on = models.DateField(pgettext_lazy("case", "opened on"))
    source = models.CharField(_("source"), max_length=16, choices=CaseSource.choices)
    problem_enc = models.TextField(_("presenting problem (encrypted)"), editable=False)
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.INTAKE)
    home_visit_days = models.PositiveSmallIntegerField(_("home visit every (days)"), null=True, blank=True)
    closure_summary_enc = models.TextField(_("closure summary (encrypted)"), blank=True, editable=False)
    closure_submitted_by = models.ForeignKey(USER, verbose_name=_("closure requested by"), null=True, blank=True,
                                             on_delete=models.PROTECT, related_name="+")
    closure_decided_by = models.ForeignKey(USER, verbose_name=_("closure decided by"), null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    closure_return_reason = models.CharField(_("why the closure was returned"), max_length=500, blank=True)
    closed_on = models.DateField(pgettext_lazy("case", "closed on"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    opened_by = models.ForeignKey(USER, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["beneficiary"], condition=~Q(status="closed"), name="cases_case_one_open"),
            models.CheckConstraint(condition=Q(status__in=CaseStatus.values), name="cases_case_status_valid"),
            models.CheckConstraint(condition=Q(source__in=CaseSource.values), name="cases_case_source_valid"),
            models.CheckConstraint(condition=Q(version__gte=1), name="cases_case_version_positive"),
            models.CheckConstraint(condition=Q(home_visit_days__isnull=True)
                                   | Q(home_visit_days__gte=1, home_visit_days__lte=VISIT_DAYS_MAX),
                                   name="cases_case_visit_days_range"),
            models.CheckConstraint(condition=Q(status="closed", closed_on__gte=F("opened_on"))
                                   | (~Q(status="closed") & Q(closed_on__isnull=True)), name="cases_case_closed_pair"),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="cases_case_owner_status"),
            models.Index(fields=["station", "status"], name="cases_case_station_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED


class AssessmentKind(models.TextChoices):
    BASELINE = "baseline", _("Baseline (intake)")
    REVIEW = "review", _("Review")
    FINAL = "final", _("Final")


class Assessment(models.Model):
    """Answers to an instrument (health data: encrypted), the score computed from them by `instruments.score` and the
    band it falls in."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="assessments")
    instrument = models.ForeignKey(Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=AssessmentKind.choices)
    assessed_on = models.DateField(_("assessed on"))
    answers_enc = models.TextField(_("answers (encrypted)"), editable=False)
    score = models.IntegerField(_("score"))
    band = models.CharField(_("band"), max_length=64)
    notes_enc = models.TextField(_("notes (encrypted)"), blank=True, editable=False)
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["case_id", "assessed_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AssessmentKind.values), name="cases_assessment_kind_valid"),
            models.CheckConstraint(condition=Q(score__gte=-SCORE_MAX, score__lte=SCORE_MAX), name="cases_assessment_score_range"),
        ]
        indexes = [models.Index(fields=["case", "instrument", "assessed_on"], name="cases_assess_case_instr")]

    def __str__(self) -> str:
        return f"{self.instrument.code} {self.score}"


class CareKind(models.TextChoices):
    """The four kinds of care in community care for people in difficulty."""

    ACTION = "action", _("Action care (行动照顾)")
    MATERIAL = "material", _("Material support (物质支援)")
    PSYCHOLOGICAL = "psychological", _("Psychological support (心理支持)")
    HOLISTIC = "holistic", _("Holistic care (整体关怀)")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting approval")
    RETURNED = "returned", _("Returned for changes")
    APPROVED = "approved", _("Approved")


class Plan(models.Model):
    """The service plan: written (draft), submitted, approved or returned with a reason by the supervisor; a returned
    plan is changed and submitted again. One plan per case."""

    case = models.OneToOneField(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="plan")
    status = models.CharField(_("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    summary_enc = models.TextField(_("summary (encrypted)"), blank=True, editable=False)
    home_visit_days = models.PositiveSmallIntegerField(_("home visit every (days)"), null=True, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_by = models.ForeignKey(USER, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(USER, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    return_reason = models.CharField(_("why it was returned"), max_length=500, blank=True)
    written_by = models.ForeignKey(USER, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("service plan")
        verbose_name_plural = _("service plans")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values), name="cases_plan_status_valid"),
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="cases_plan_period"),
            models.CheckConstraint(condition=Q(version__gte=1), name="cases_plan_version_positive"),
            models.CheckConstraint(condition=Q(home_visit_days__isnull=True)
                                   | Q(home_visit_days__gte=1, home_visit_days__lte=VISIT_DAYS_MAX),
                                   name="cases_plan_visit_days_range"),
            models.CheckConstraint(condition=Q(status__in=["draft", "returned"]) | Q(submitted_by__isnull=False),
                                   name="cases_plan_submitted_by"),
            models.CheckConstraint(condition=~Q(status="approved") | (Q(decided_by__isnull=False) & ~Q(decided_by=F("submitted_by"))),
                                   name="cases_plan_approved_by_other"),
        ]
        indexes = [models.Index(fields=["status"], name="cases_plan_status")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} v{self.version}"


class Goal(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="goals")
    order = models.PositiveSmallIntegerField(_("order"))
    text = models.CharField(pgettext_lazy("plan", "goal"), max_length=200)
    care_kind = models.CharField(_("kind of care"), max_length=16, choices=CareKind.choices)
    instrument = models.ForeignKey(Instrument, verbose_name=_("measured with"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    baseline_score = models.IntegerField(_("baseline score"), null=True, blank=True)
    target_score = models.IntegerField(_("target score"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("plan", "goal")
        verbose_name_plural = _("goals")
        ordering = ["plan_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "order"], name="cases_goal_order_once"),
            models.CheckConstraint(condition=Q(care_kind__in=CareKind.values), name="cases_goal_care_kind_valid"),
            models.CheckConstraint(condition=Q(instrument__isnull=True, baseline_score__isnull=True, target_score__isnull=True)
                                   | Q(instrument__isnull=False, baseline_score__isnull=False, target_score__isnull=False),
                                   name="cases_goal_measure_complete"),
        ]

    def __str__(self) -> str:
        return self.text


class RecordKind(models.TextChoices):
    HOME_VISIT = "home_visit", _("Home visit (入户探访)")
    PHONE = "phone", _("Phone call (电话)")
    OFFICE = "office", _("Interview at the station (面谈)")
    ACCOMPANY = "accompany", _("Accompanying (陪同)")
    GROUP = "group", _("Group or activity referral (小组/活动)")
    RESOURCE = "resource", _("Linking resources (链接资源)")


class ServiceRecord(models.Model):
    """A visit or session. Never deleted or changed: a mistake is corrected by a new record that points to the one it
    corrects (which stops being current); the notes are encrypted and shown only to the case team."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="records")
    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=RecordKind.choices)
    care_kind = models.CharField(_("kind of care"), max_length=16, choices=CareKind.choices)
    served_on = models.DateField(_("served on"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    person_times = models.PositiveSmallIntegerField(_("person-times"), default=1)
    worker = models.ForeignKey(USER, verbose_name=_("served by"), on_delete=models.PROTECT, related_name="+")
    co_workers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("other workers"), blank=True, related_name="+")
    volunteers = models.ManyToManyField(Person, verbose_name=_("volunteers"), blank=True, related_name="+")
    notes_enc = models.TextField(_("notes (encrypted)"), blank=True, editable=False)
    corrects = models.OneToOneField("self", verbose_name=_("corrects"), null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="correction")
    correction_reason = models.CharField(_("why it was corrected"), max_length=200, blank=True)
    current = models.BooleanField(_("current"), default=True)
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["case_id", "-served_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RecordKind.values), name="cases_record_kind_valid"),
            models.CheckConstraint(condition=Q(care_kind__in=CareKind.values), name="cases_record_care_kind_valid"),
            models.CheckConstraint(condition=Q(minutes__gte=1, minutes__lte=MINUTES_MAX), name="cases_record_minutes_range"),
            models.CheckConstraint(condition=Q(person_times__gte=1, person_times__lte=PERSON_TIMES_MAX),
                                   name="cases_record_person_times_range"),
            models.CheckConstraint(condition=Q(corrects__isnull=True, correction_reason="")
                                   | (Q(corrects__isnull=False) & ~Q(correction_reason="")), name="cases_record_correction_reason"),
        ]
        indexes = [
            models.Index(fields=["case", "kind", "served_on"], name="cases_record_case_kind_day"),
            models.Index(fields=["station", "served_on"], name="cases_record_station_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.served_on}"


class ReviewKind(models.TextChoices):
    MIDTERM = "midterm", _("Mid-term review (中期评估)")
    STAGE = "stage", _("Stage review (阶段评估)")
    FINAL = "final", _("Final review (结案评估)")


class GoalResult(models.TextChoices):
    MET = "met", _("Met")
    PARTLY = "partly", _("Partly met")
    NOT_MET = "not_met", _("Not met")


class Review(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(_("kind"), max_length=16, choices=ReviewKind.choices)
    reviewed_on = models.DateField(_("reviewed on"))
    summary_enc = models.TextField(_("summary (encrypted)"), blank=True, editable=False)
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["case_id", "reviewed_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=ReviewKind.values), name="cases_review_kind_valid")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reviewed_on}"


class ReviewGoal(models.Model):
    """One goal's outcome at a review: the score before (the goal's baseline) and after, and whether it was met."""

    review = models.ForeignKey(Review, verbose_name=_("review"), on_delete=models.PROTECT, related_name="goals")
    goal = models.ForeignKey(Goal, verbose_name=pgettext_lazy("plan", "goal"), on_delete=models.PROTECT, related_name="results")
    before_score = models.IntegerField(_("score before"), null=True, blank=True)
    after_score = models.IntegerField(_("score after"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=GoalResult.choices)

    class Meta:
        verbose_name = _("goal outcome")
        verbose_name_plural = _("goal outcomes")
        ordering = ["review_id", "goal__order"]
        constraints = [
            models.UniqueConstraint(fields=["review", "goal"], name="cases_review_goal_once"),
            models.CheckConstraint(condition=Q(result__in=GoalResult.values), name="cases_review_goal_result_valid"),
        ]

    def __str__(self) -> str:
        return self.get_result_display()


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", pgettext_lazy("referral", "Accepted")
    DECLINED = "declined", pgettext_lazy("referral", "Declined")
    COMPLETED = "completed", _("Completed")


class Referral(models.Model):
    """A referral (转介) to another organization, made only under the consent that covers it (kept with it)."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="referrals")
    organization = models.ForeignKey(Organization, verbose_name=_("referred to"), on_delete=models.PROTECT, related_name="+")
    consent = models.ForeignKey(Consent, verbose_name=_("consent"), on_delete=models.PROTECT, related_name="referrals")
    referred_on = models.DateField(_("referred on"))
    reason_enc = models.TextField(_("reason (encrypted)"), editable=False)
    status = models.CharField(_("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    status_on = models.DateField(_("status since"))
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["case_id", "-referred_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReferralStatus.values), name="cases_referral_status_valid"),
            models.CheckConstraint(condition=Q(status_on__gte=F("referred_on")), name="cases_referral_status_after"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_status_display()})"
