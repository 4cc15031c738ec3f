"""The supervision rhythm (督导): the calendar generates tasks (a monthly self-check per project, a quarterly spot-check
of a reproducible random sample of each district's projects, a half-yearly self-assessment per agency); findings
carry rectification tasks tracked to closure; 1+N supervision groups log their sessions; reminders reach people."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    SELF_CHECK = "self_check", _("Monthly self-check")
    SPOT_CHECK = "spot_check", _("Quarterly spot-check")
    SELF_ASSESSMENT = "self_assessment", _("Half-yearly self-assessment")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("To do")
    DONE = "done", _("Done")


class Rating(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")


class SupervisionTask(models.Model):
    """One task of the calendar: what (kind), for which period ("2026-03", "2026Q1", "2026H1"), about what (a project,
    or an agency for its self-assessment), who does it (the organization; a spot-check: the district's staff), by when."""

    kind = models.CharField(_("kind"), max_length=16, choices=TaskKind.choices)
    period = models.CharField(_("period"), max_length=7)
    due_on = models.DateField(_("due on"))
    project = models.ForeignKey("grants.ServiceProject", verbose_name=_("project"), on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    organization = models.ForeignKey("orgs.Organization", verbose_name=_("organization"), on_delete=models.PROTECT,
                                     related_name="+")
    region = models.ForeignKey("places.Division", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    rating = models.CharField(_("rating"), max_length=10, choices=Rating.choices, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    # A project's check: its beneficiaries' satisfaction rate of the year when the check was done (surveys enough).
    satisfaction = models.DecimalField(_("satisfaction rate"), max_digits=5, decimal_places=4, null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supervision task")
        verbose_name_plural = _("supervision tasks")
        ordering = ["due_on", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period", "project"], condition=Q(project__isnull=False),
                                    name="evaluation_task_project_once"),
            models.UniqueConstraint(fields=["kind", "period", "organization"], condition=Q(project__isnull=True),
                                    name="evaluation_task_org_once"),
            models.CheckConstraint(condition=Q(kind="self_assessment", project__isnull=True)
                                   | (~Q(kind="self_assessment") & Q(project__isnull=False)), name="evaluation_task_subject"),
            models.CheckConstraint(condition=Q(status="open", done_at__isnull=True)
                                   | (Q(status="done", done_at__isnull=False) & ~Q(rating="")), name="evaluation_task_done"),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="evaluation_task_due"),
                   models.Index(fields=["region", "kind", "period"], name="evaluation_task_region")]

    def __str__(self) -> str:
        return f"{self.kind} {self.period}"


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")


class Finding(models.Model):
    task = models.ForeignKey(SupervisionTask, on_delete=models.PROTECT, related_name="findings")
    text = models.CharField(_("finding"), max_length=500)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MINOR)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["task", "id"]

    def __str__(self) -> str:
        return self.text

class Rectification(models.Model):
    """What must be put right after a finding, by whom and when; closed with what was done."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="rectifications")
    action = models.CharField(_("rectification"), max_length=300)
    owner = models.CharField(_("owner"), max_length=32)
    due_on = models.DateField(_("due on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closing_note = models.CharField(_("what was done"), max_length=500, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(closed_on__isnull=True, closing_note="")
                                              | (Q(closed_on__isnull=False) & ~Q(closing_note="")),
                                              name="evaluation_rectification_closed")]

    def __str__(self) -> str:
        return self.action

class SupervisionGroup(models.Model):
    """1+N supervision: one senior supervisor guiding several social workers of an agency."""

    organization = models.ForeignKey("orgs.Organization", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("supervisor"), on_delete=models.PROTECT,
                                   related_name="+")
    name = models.CharField(_("name"), max_length=64)
    members = models.ManyToManyField("people.Person", verbose_name=_("supervisees"), related_name="+")
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["organization", "name", "id"]

    def __str__(self) -> str:
        return self.name

class SupervisionSession(models.Model):
    group = models.ForeignKey(SupervisionGroup, on_delete=models.PROTECT, related_name="sessions")
    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=128)
    attendees = models.PositiveSmallIntegerField(_("person-times"))
    note = models.TextField(_("note"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(attendees__gte=1), name="evaluation_session_attendees")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"

class Reminder(models.Model):
    """A reminder to one person (a check due or overdue, a grade about to expire): written once per `key` by the
    daily jobs, shown on their evaluation pages until read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evaluation_reminders")
    key = models.CharField(max_length=64)
    text = models.CharField(_("reminder"), max_length=300)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="evaluation_reminder_once")]

    def __str__(self) -> str:
        return self.text
