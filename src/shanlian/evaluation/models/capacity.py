"""Capacity diagnosis (组织力评估诊断) and core-staff competency assessment, over one kind of questionnaire: dimensions,
each with items described at four levels (1 nascent, 2 emerging, 3 expanding, 4 mature; a competency item the same).
Several respondents of an organization answer a diagnosis (board, director, staff); a dimension's score is the mean
of its items, an item's the mean of its respondents. Advice is drawn from a library keyed to weak dimensions; the
action plan is followed up; the next diagnosis reports the change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class QuestionnaireKind(models.TextChoices):
    CAPACITY = "capacity", _("Capacity diagnosis")
    COMPETENCY = "competency", _("Core-staff competency")


class Questionnaire(models.Model):
    region = models.ForeignKey("places.Division", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=QuestionnaireKind.choices)
    title = models.CharField(_("title"), max_length=128)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["kind", "-version", "id"]
        constraints = [models.UniqueConstraint(fields=["region", "kind", "version"], name="evaluation_questionnaire_version")]

    def __str__(self) -> str:
        return self.title


class Dimension(models.Model):
    """A dimension (governance, strategy, finance and internal control, ...) or a competency."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="dimensions")
    code = models.CharField(_("code"), max_length=24)  # stable across versions: "governance", "finance", ...
    name = models.CharField(_("dimension"), max_length=64)
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        ordering = ["questionnaire", "position"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="evaluation_dimension_code_once"),
            models.UniqueConstraint(fields=["questionnaire", "position"], name="evaluation_dimension_position_once"),
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("item"), max_length=200)
    descriptors = models.JSONField(_("level descriptors"), default=list)  # four texts, level 1 to 4

    class Meta:
        ordering = ["dimension", "position"]
        constraints = [models.UniqueConstraint(fields=["dimension", "position"], name="evaluation_question_position_once")]

    def __str__(self) -> str:
        return self.text


class DiagnosisStatus(models.TextChoices):
    OPEN = "open", _("Collecting answers")
    CLOSED = "closed", _("Reported")


class Diagnosis(models.Model):
    organization = models.ForeignKey("orgs.Organization", verbose_name=_("organization"), on_delete=models.PROTECT,
                                     related_name="diagnoses")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="diagnoses")
    previous = models.ForeignKey("self", verbose_name=_("previous diagnosis"), on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+")
    started_on = models.DateField(_("started on"))
    status = models.CharField(_("status"), max_length=8, choices=DiagnosisStatus.choices, default=DiagnosisStatus.OPEN)
    closed_at = models.DateTimeField(_("reported"), null=True, blank=True)
    # Dimension code → score (mean of its items, 2 places), frozen when the diagnosis is closed; peers read these.
    scores = models.JSONField(_("dimension scores"), default=dict, blank=True)
    summary = models.TextField(_("diagnostic summary"), max_length=4000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("capacity diagnosis")
        verbose_name_plural = _("capacity diagnoses")
        ordering = ["organization", "-started_on", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(status="closed") | Q(closed_at__isnull=False),
                                              name="evaluation_diagnosis_closed_at")]
        indexes = [models.Index(fields=["status", "questionnaire"], name="evaluation_diagnosis_peers")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.started_on}"


class RespondentRole(models.TextChoices):
    BOARD = "board", _("Board member")
    DIRECTOR = "director", _("Director")
    STAFF = "staff", _("Staff")


class Respondent(models.Model):
    """One person answering a diagnosis, through a link of their own (no login needed; on a phone)."""

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="respondents")
    role = models.CharField(_("role"), max_length=10, choices=RespondentRole.choices)
    label = models.CharField(_("who"), max_length=32)  # a name or a post, as the organization lists them
    token = models.CharField(max_length=43, unique=True, editable=False)
    submitted_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["diagnosis", "role", "id"]

    def __str__(self) -> str:
        return self.label


class Answer(models.Model):
    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["respondent", "question"], name="evaluation_answer_once"),
            models.CheckConstraint(condition=Q(level__gte=1) & Q(level__lte=4), name="evaluation_answer_level"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.level}"

class Advice(models.Model):
    """A line of the advice library: shown for a dimension scoring below `below`."""

    region = models.ForeignKey("places.Division", on_delete=models.PROTECT, related_name="+")
    dimension_code = models.CharField(_("dimension"), max_length=24)
    below = models.DecimalField(_("for scores below"), max_digits=3, decimal_places=2)
    text = models.TextField(_("advice"), max_length=2000)

    class Meta:
        ordering = ["dimension_code", "below", "id"]
        constraints = [models.CheckConstraint(condition=Q(below__gt=1) & Q(below__lte=4), name="evaluation_advice_below")]

    def __str__(self) -> str:
        return f"{self.dimension_code} < {self.below}"

class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class ActionItem(models.Model):
    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="actions")
    dimension_code = models.CharField(_("dimension"), max_length=24)
    text = models.CharField(_("action"), max_length=300)
    owner = models.CharField(_("owner"), max_length=32)
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    follow_up = models.CharField(_("follow-up"), max_length=500, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["diagnosis", "due_on", "id"]
        constraints = [models.CheckConstraint(condition=~Q(status="done") | Q(done_on__isnull=False),
                                              name="evaluation_action_done_on")]

    def __str__(self) -> str:
        return self.text

class StaffAssessment(models.Model):
    """A core staff member assessed against a competency questionnaire by an assessor (a supervisor or trainer)."""

    person = models.ForeignKey("people.Person", verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("orgs.Organization", verbose_name=_("organization"), on_delete=models.PROTECT,
                                     related_name="staff_assessments")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField(_("assessed on"))
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField(_("competency scores"), default=dict)  # dimension code → mean level, 2 places
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "-assessed_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["person", "questionnaire", "assessed_on"], name="evaluation_staff_once")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.assessed_on}"

class StaffScore(models.Model):
    assessment = models.ForeignKey(StaffAssessment, on_delete=models.CASCADE, related_name="levels")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question"], name="evaluation_staff_score_once"),
            models.CheckConstraint(condition=Q(level__gte=1) & Q(level__lte=4), name="evaluation_staff_score_level"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.level}"

class CoachingSession(models.Model):
    """A coaching session (report coaching, 带教): who coached whom, when, on what; person-times counted."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=128)
    people = models.ManyToManyField("people.Person", verbose_name=_("coached"), related_name="+")
    person_times = models.PositiveSmallIntegerField(_("person-times"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(person_times__gte=1), name="evaluation_coaching_person_times")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"
