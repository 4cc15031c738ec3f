"""A station's programmes of group work (小组) and community activities (社区活动), their sessions (场次) and who came
(人次). A group has a closed membership and a planned series of sessions; a community activity is open, one or a few
sessions, counted by a headcount beside any registered participants. Person-times of a session are stored once, by
`person_times`, and the database holds the sum (a CHECK), so every count adds up the same column."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shanlian.cases.models import CareArea
from shanlian.orgs.models import Station
from shanlian.people.models import Person

# Bounds (also in the database). A group meets for a working session of 15 minutes to a day's 8 hours.
MINUTES_MIN = 15
MINUTES_MAX = 480
HEADCOUNT_MAX = 5000
VOLUNTEERS_MAX = 500
SESSIONS_MAX = 60


class Kind(models.TextChoices):
    GROUP = "group", _("Group (小组)")
    COMMUNITY = "community", _("Community activity (社区活动)")


class GroupType(models.TextChoices):
    SUPPORT = "support", _("Support group")
    EDUCATION = "education", _("Education group")
    GROWTH = "growth", _("Growth group")
    THERAPY = "therapy", _("Therapy group")
    RECREATION = "recreation", _("Recreation group")


class Status(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("programme", "Planned")
    RUNNING = "running", _("Running")
    ENDED = "ended", _("Ended")


def person_times(present: int, headcount: int) -> int:
    """The one rule: a session's person-times are the members marked present plus the headcount of others."""
    return present + headcount


def returns(members: Iterable[Member]) -> set[int]:
    """The one rule of membership periods: a person's first period in a programme holds from before it was recorded (a
    worker may enrol the people who came after the session); each later one (by joined_on, then id) is a return, which
    starts on the day it was enrolled. The ids of the returns among `members` (one programme's)."""
    seen: set[int] = set()
    back: set[int] = set()
    for m in sorted(members, key=lambda m: (m.joined_on, m.pk)):
        if m.person_id in seen:
            back.add(m.pk)
        seen.add(m.person_id)
    return back


class Programme(models.Model):
    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="groupwork_programmes")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=64)
    care_area = models.CharField(_("care area"), max_length=16, choices=CareArea.choices)
    group_type = models.CharField(_("group type"), max_length=16, choices=GroupType.choices, blank=True)
    aims = models.TextField(_("aims and goals"), max_length=2000, blank=True)
    planned_sessions = models.PositiveSmallIntegerField(_("planned sessions"))
    starts_on = models.DateField(_("starts on"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    leaders = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("led by"), related_name="+")
    summary = models.TextField(_("closing summary"), max_length=2000, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["station_id", "-starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="groupwork_programme_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="groupwork_programme_status_valid"),
            models.CheckConstraint(condition=Q(care_area__in=CareArea.values), name="groupwork_programme_area_valid"),
            models.CheckConstraint(condition=Q(kind="group", group_type__in=GroupType.values) | Q(kind="community", group_type=""),
                                   name="groupwork_programme_group_type"),
            models.CheckConstraint(condition=Q(planned_sessions__gte=1, planned_sessions__lte=SESSIONS_MAX),
                                   name="groupwork_programme_planned_bounded"),
            models.CheckConstraint(condition=Q(status="ended", ended_on__isnull=False) | (~Q(status="ended") & Q(ended_on__isnull=True)),
                                   name="groupwork_programme_ended_pair"),
        ]
        indexes = [models.Index(fields=["station", "status"], name="groupwork_prog_station_status")]

    def __str__(self) -> str:
        return self.title


class Member(models.Model):
    """A person's period in a programme (a group's closed membership, a community activity's registered participants),
    from `joined_on` to `left_on`; a person who left and came back has a second period."""

    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="members")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["programme_id", "id"]
        constraints = [
            # one current membership a person; one who left may be enrolled again, as a new period (a row of its own)
            models.UniqueConstraint(fields=["programme", "person"], condition=Q(left_on__isnull=True),
                                    name="groupwork_member_once_at_a_time"),
            models.CheckConstraint(condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")), name="groupwork_member_period"),
        ]

    def __str__(self) -> str:
        return str(self.pk)


class Session(models.Model):
    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveSmallIntegerField(_("session number"))
    held_on = models.DateField(_("held on"))
    starts_at = models.TimeField(_("start time"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    venue = models.CharField(_("venue"), max_length=64)
    theme = models.CharField(_("theme"), max_length=64)
    content = models.TextField(_("content"), max_length=2000, blank=True)
    present_count = models.PositiveIntegerField(_("members present"), default=0)
    headcount = models.PositiveIntegerField(_("headcount of others"), default=0)
    person_times = models.PositiveIntegerField(_("person-times"), default=0)
    volunteers = models.PositiveSmallIntegerField(_("volunteers who helped"), default=0)
    timebank_activity = models.ForeignKey("timebank.Activity", verbose_name=_("time bank activity"), null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    workers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("workers present"), related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["programme_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="groupwork_session_number_once"),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=SESSIONS_MAX), name="groupwork_session_number_bounded"),
            models.CheckConstraint(condition=Q(minutes__gte=MINUTES_MIN, minutes__lte=MINUTES_MAX),
                                   name="groupwork_session_minutes_bounded"),
            models.CheckConstraint(condition=Q(headcount__gte=0, headcount__lte=HEADCOUNT_MAX), name="groupwork_session_headcount_bounded"),
            models.CheckConstraint(condition=Q(volunteers__lte=VOLUNTEERS_MAX), name="groupwork_session_volunteers_bounded"),
            models.CheckConstraint(condition=Q(person_times=F("present_count") + F("headcount")), name="groupwork_session_person_times"),
        ]
        indexes = [models.Index(fields=["held_on", "programme"], name="groupwork_session_held")]

    def __str__(self) -> str:
        return f"{self.programme_id}#{self.number}"


class Attendance(models.Model):
    """A member marked present at a session: one row per person per session."""

    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.PROTECT, related_name="attendance")
    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="attendance")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["session_id", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="groupwork_attendance_once")]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.person_id}"
