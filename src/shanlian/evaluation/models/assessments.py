"""Grade assessment (社会组织等级评估): a call with dates; an organization's assessment under the framework version
it was made with; ratings of each leaf by the organization itself, by experts and by site inspectors; evidence per
indicator; the committee's decision, the public notice and its objections; the grade written to the organization."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .frameworks import Framework, FrameworkKind, Indicator, result_label


class CallStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Call(models.Model):
    """A region's yearly call (评估通知): organizations apply and assess themselves until `closes_on`, experts review
    until `review_until`; each decision is then on public notice for `notice_days`."""

    region = models.ForeignKey("places.Division", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=FrameworkKind.choices, default=FrameworkKind.GRADE)
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=128)
    opens_on = models.DateField(_("applications open"))
    closes_on = models.DateField(_("self-assessment due"))
    review_until = models.DateField(_("expert review until"))
    notice_days = models.PositiveSmallIntegerField(_("days of public notice"), default=7)
    batch = models.PositiveSmallIntegerField(_("batch"), null=True, blank=True)  # brand calls: 第N批
    pass_mark = models.DecimalField(_("least score to be named"), max_digits=7, decimal_places=2, null=True, blank=True)
    reviewers = models.PositiveSmallIntegerField(_("experts per assessment"), default=2)
    status = models.CharField(_("status"), max_length=8, choices=CallStatus.choices, default=CallStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("evaluation call")
        verbose_name_plural = _("evaluation calls")
        ordering = ["-year", "-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=F("opens_on")) & Q(review_until__gte=F("closes_on")),
                                   name="evaluation_call_dates"),
            models.CheckConstraint(condition=Q(notice_days__gte=1) & Q(reviewers__gte=1), name="evaluation_call_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class AssessmentStatus(models.TextChoices):
    SELF = "self", _("Self-assessment")
    SUBMITTED = "submitted", _("Submitted")
    REVIEW = "review", _("Expert review")
    NOTICE = "notice", _("On public notice")
    AWARDED = "awarded", _("Graded")
    NOT_GRADED = "not_graded", _("Not graded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Assessment(models.Model):
    """An organization's assessment in a call; in a station call, one station's, made by the agency that runs it."""

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="assessments")
    organization = models.ForeignKey("orgs.Organization", verbose_name=_("organization"), on_delete=models.PROTECT,
                                     related_name="assessments")
    station = models.ForeignKey("orgs.Station", verbose_name=_("station"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="assessments")
    framework = models.ForeignKey(Framework, verbose_name=_("framework"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=AssessmentStatus.choices, default=AssessmentStatus.SELF)
    self_total = models.DecimalField(_("self-assessed score"), max_digits=7, decimal_places=2, null=True, blank=True)
    total = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)  # experts and site
    grade = models.CharField(_("grade"), max_length=2, blank=True)  # the committee's decision ('' = none)
    named = models.BooleanField(_("named a brand organization"), default=False)  # brand calls' decision
    decision_note = models.CharField(_("committee's note"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    notice_until = models.DateTimeField(_("notice ends"), null=True, blank=True)
    awarded_on = models.DateField(_("graded on"), null=True, blank=True)
    certificate_no = models.CharField(_("certificate number"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["call", "organization__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "organization"], condition=Q(station__isnull=True),
                                    name="evaluation_assessment_once"),
            models.UniqueConstraint(fields=["call", "station"], condition=Q(station__isnull=False),
                                    name="evaluation_station_assessment_once"),
            models.UniqueConstraint(fields=["certificate_no"], condition=~Q(certificate_no=""),
                                    name="evaluation_certificate_once"),
            models.CheckConstraint(condition=~Q(status__in=["notice", "awarded", "not_graded"]) | Q(decided_at__isnull=False,
                                   notice_until__isnull=False), name="evaluation_assessment_decided"),
            models.CheckConstraint(condition=~Q(status="awarded") | ((~Q(grade="") | Q(named=True)) & Q(awarded_on__isnull=False)
                                                                    & ~Q(certificate_no="")),
                                   name="evaluation_assessment_awarded"),
        ]
        indexes = [models.Index(fields=["status", "notice_until"], name="evaluation_assessment_notice")]

    def __str__(self) -> str:
        return f"{self.call_id}/{self.organization_id}"

    @property
    def grade_label(self) -> str:
        """The decision's result as it reads: a grade, or a station's pass, good, excellent."""
        return result_label(self.call.kind, self.grade)

    @property
    def subject_name(self) -> str:
        """What is evaluated: the station (in a station call), else the organization."""
        return self.station.name if self.station is not None else self.organization.name


class RaterKind(models.TextChoices):
    SELF = "self", _("Self-assessment")
    EXPERT = "expert", _("Expert review")
    SITE = "site", _("Site inspection")
    PURCHASER = "purchaser", _("Purchaser's evaluation")
    SUPERVISOR = "supervisor", _("Supervisor's evaluation")


# Who a committee names to an assessment, each marking the leaves `scoring.rated_by` gives its kind.
REVIEWER_ROLES = [RaterKind.EXPERT, RaterKind.SITE, RaterKind.PURCHASER, RaterKind.SUPERVISOR]


class ReviewerStatus(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    SUBMITTED = "submitted", _("Submitted")
    RECUSED = "recused", _("Recused")


class Reviewer(models.Model):
    """An expert assigned to an assessment, to review its papers (EXPERT) or to inspect on site (SITE); in a station
    call also the purchaser's officer (PURCHASER) and the supervisor (SUPERVISOR), each marking their part."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="reviewers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluation_reviews")
    role = models.CharField(_("role"), max_length=12, choices=[(k.value, k.label) for k in REVIEWER_ROLES])
    status = models.CharField(_("status"), max_length=10, choices=ReviewerStatus.choices, default=ReviewerStatus.ASSIGNED)
    recusal_reason = models.CharField(max_length=200, blank=True)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assessment", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "user"], name="evaluation_reviewer_once"),
            models.CheckConstraint(condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                                   name="evaluation_reviewer_submitted_at"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.assessment_id}"


class Rating(models.Model):
    """One rater's mark of one leaf: the points it gives (from the level chosen or the yes/no answer, or typed)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("rater"), max_length=12, choices=RaterKind.choices)
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator", "kind", "rater"], name="evaluation_rating_once"),
            models.CheckConstraint(condition=Q(points__gte=0), name="evaluation_rating_not_negative"),
        ]
        indexes = [models.Index(fields=["assessment", "kind"], name="evaluation_rating_kind")]

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.points}"


class Evidence(models.Model):
    """A file the organization attaches to an indicator as proof (kept private: never served to the public)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="evaluation/evidence/%Y/%m/")
    name = models.CharField(_("file name"), max_length=128)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "indicator", "id"]

    def __str__(self) -> str:
        return self.name


class Objection(models.Model):
    """An objection lodged during the public notice (anyone may object; the contact is kept encrypted), and the
    answer. Upheld, the decision is withdrawn and the committee decides again."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="objections")
    name = models.CharField(_("name"), max_length=32)
    contact_enc = models.TextField(_("contact (encrypted)"), blank=True, editable=False)
    text = models.TextField(_("objection"), max_length=2000)
    lodged_at = models.DateTimeField(_("lodged"), auto_now_add=True)
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    upheld = models.BooleanField(_("upheld"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["assessment", "lodged_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(answered_at__isnull=True, upheld__isnull=True, answer="")
                                   | (Q(answered_at__isnull=False, upheld__isnull=False) & ~Q(answer="")),
                                   name="evaluation_objection_answered"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.name}"
