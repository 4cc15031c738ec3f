"""The registry of community service projects (社区慈善服务项目): those a round funded (with their grant agreement), those
a fund or station commissioned directly, and those a design contest chose; their progress reports, and which of
them the city cultivates as brand projects (品牌服务项目)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import Purpose

from .agreements import Agreement
from .proposals import Milestone, Proposal


class ProjectOrigin(models.TextChoices):
    ROUND = "round", _("Micro-venture round")
    COMMISSIONED = "commissioned", _("Commissioned directly")
    CONTEST = "contest", _("Design contest")


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("In execution")
    CLOSED = "closed", _("Closed")


class BrandStage(models.TextChoices):
    NONE = "none", _("Not on the brand list")
    CULTIVATING = "cultivating", _("Being cultivated")
    BRAND = "brand", _("Brand project")


class ServiceProject(models.Model):
    """One project of the registry. A project from a round is its grant agreement's (one each); the area is the
    station's "113X" service field (elders, hardship, orphans, disability, community governance, ...)."""

    title = models.CharField(_("title"), max_length=64)
    area = models.CharField(_("service area"), max_length=16, choices=Purpose.choices)
    origin = models.CharField(_("origin"), max_length=12, choices=ProjectOrigin.choices)
    agreement = models.OneToOneField(Agreement, verbose_name=_("grant agreement"), on_delete=models.PROTECT,
                                     related_name="service_project", null=True, blank=True)
    # The proposal a round's or a contest's project came from (none for a commissioned one).
    proposal = models.OneToOneField(Proposal, verbose_name=_("proposal"), on_delete=models.PROTECT, related_name="service_project",
                                    null=True, blank=True)
    lead = models.ForeignKey("orgs.Organization", verbose_name=_("lead organization"), on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey("orgs.Station", verbose_name=_("station"), on_delete=models.PROTECT, related_name="+",
                                null=True, blank=True)
    fund = models.ForeignKey("charity.CommunityFund", verbose_name=_("fund"), on_delete=models.PROTECT, related_name="+",
                             null=True, blank=True)
    summary = models.TextField(_("summary"))
    beneficiaries = models.CharField(_("beneficiaries"), max_length=200)
    beneficiary_count = models.PositiveIntegerField(_("number of beneficiaries"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=8, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE)
    brand_stage = models.CharField(_("brand list"), max_length=12, choices=BrandStage.choices, default=BrandStage.NONE)
    brand_stage_at = models.DateTimeField(_("brand list since"), null=True, blank=True)
    closing_report = models.TextField(_("closing report"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        verbose_name = _("service project")
        verbose_name_plural = _("service projects")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="grants_project_period"),
            # A round's project is its agreement's; a contest's comes from its winning proposal (and has an agreement
            # once one is signed for it); a commissioned one has neither.
            models.CheckConstraint(condition=Q(origin="round", agreement__isnull=False) | Q(origin="contest", proposal__isnull=False)
                                   | Q(origin="commissioned", agreement__isnull=True, proposal__isnull=True),
                                   name="grants_project_origin_links"),
            models.CheckConstraint(condition=~Q(status="closed") | Q(closed_at__isnull=False), name="grants_project_closed_at"),
            models.CheckConstraint(condition=Q(station__isnull=False) | Q(fund__isnull=False), name="grants_project_station_or_fund"),
        ]

    def __str__(self) -> str:
        return self.title


class ProgressReport(models.Model):
    """What a project did in a period: the story, person-times (人次) and sessions (场次) served, and photos."""

    project = models.ForeignKey(ServiceProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="progress")
    period_end = models.DateField(_("up to"))
    text = models.TextField(_("what was done"))
    person_times = models.PositiveIntegerField(_("person-times served"))
    sessions = models.PositiveIntegerField(_("sessions"))
    milestone = models.ForeignKey(Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="+",
                                  null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("reported"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["project", "-period_end", "-id"]
        constraints = [models.UniqueConstraint(fields=["project", "period_end"], name="grants_progress_one_per_period")]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.period_end}"


class ProgressPhoto(models.Model):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="grants/progress/%Y/%m/")
    name = models.CharField(max_length=200)
    caption = models.CharField(_("caption"), max_length=100, blank=True)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return self.name


class BrandPlanStatus(models.TextChoices):
    ACTIVE = "active", _("Being carried out")
    MET = "met", _("Goals met")
    NOT_MET = "not_met", _("Goals not met")


class BrandPlan(models.Model):
    """A year's cultivation plan of a project on the brand list (品牌培育计划): its goals, the actions that reach
    them, who answers for it, and when it is reviewed; reviewed, it says whether the goals were met."""

    project = models.ForeignKey(ServiceProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="brand_plans")
    year = models.PositiveSmallIntegerField(_("year"))
    goals = models.TextField(_("goals"))
    actions = models.TextField(_("actions"))
    owner = models.CharField(_("responsible person"), max_length=64)
    review_on = models.DateField(_("review date"))
    status = models.CharField(_("status"), max_length=8, choices=BrandPlanStatus.choices, default=BrandPlanStatus.ACTIVE)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(_("saved"), auto_now=True)

    class Meta:
        verbose_name = _("brand cultivation plan")
        verbose_name_plural = _("brand cultivation plans")
        ordering = ["project", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="grants_brand_plan_year"),
            models.CheckConstraint(condition=Q(status="active") | ~Q(review_note=""), name="grants_brand_plan_reviewed"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year}"
