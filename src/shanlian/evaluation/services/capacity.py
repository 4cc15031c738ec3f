"""Capacity diagnosis (组织力评估诊断): the region's questionnaires (dimensions, each with items described at four
levels) and advice library, kept by its civil-affairs administrators; a diagnosis started for an organization (by
them, or by its managers) with its respondents, each answering once through a link of their own; closing it freezes
the dimension scores the peer median and the next diagnosis read; the action plan, followed up item by item."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, field_error, lazy_format
from shanlian.core.inputs import Checks, date_window, decimal_in, int_in, model_text, text_problem
from shanlian.core.transitions import transition
from shanlian.orgs.models import Organization
from shanlian.people.selectors import signed_in_scope
from shanlian.places.models import Division, Level

from ..access import require_framework_admin
from ..models import (
    ActionItem,
    ActionStatus,
    Advice,
    Answer,
    Diagnosis,
    DiagnosisStatus,
    Dimension,
    Question,
    Questionnaire,
    QuestionnaireKind,
    Respondent,
    RespondentRole,
)
from ..selectors_capacity import LEVELS, covering_regions, diagnosis_scores, may_evaluate

DIMENSIONS_MAX = 12
QUESTIONS_MAX = 12  # items a dimension
DESCRIPTOR_MAX = 200
RESPONDENTS_MAX = 40
ACTIONS_MAX = 100
CODE = re.compile(r"[a-z][a-z0-9_]{0,23}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def require_evaluator(actor: Any, organization: Organization) -> Any:
    """An organization's diagnoses and staff assessments are made by its managers and its area's administrators."""
    scope = signed_in_scope(actor)
    if not may_evaluate(scope, organization):
        raise PermissionDenied("not_evaluator", _("Only the organization's managers and the civil-affairs administrators "
                                                  "of its area do this."))
    return scope


def _covers(questionnaire: Questionnaire, organization: Organization) -> None:
    if questionnaire.region.path not in covering_regions(organization.division):
        raise Conflict("questionnaire_elsewhere", _("This questionnaire is another region's: choose one of the organization's region."))


def _not_future(day: Any, field: str) -> dt.date:
    if not isinstance(day, dt.date):
        raise field_error(field, "invalid_date", _("Enter a valid date."))
    date_window(day, field=field)
    if day > timezone.localdate():
        raise field_error(field, "date_in_future", _("The date cannot be in the future."))
    return day


# --- questionnaires ------------------------------------------------------------------------------------------------

def _text(value: Any, where: Any, *, code: str, max_length: int) -> str:
    text = value.strip() if isinstance(value, str) else None
    problem = text_problem(text, max_length=max_length) if text else None
    if not text or problem is not None:
        raise field_error("dimensions", problem[0] if problem else code, lazy_format(
            _("%(where)s: %(problem)s"), {"where": where, "problem": problem[1] if problem else
                                          lazy_format(_("a text of 1 to %(n)s characters is needed"), {"n": max_length})}))
    return text


def dimensions_in(dimensions: Any) -> list[tuple[str, str, list[tuple[str, list[str]]]]]:
    """The dimensions as given ([{"code", "name", "questions": [{"text", "descriptors": [four texts]}]}]), checked
    whole: (code, name, [(item, descriptors)])."""
    if not isinstance(dimensions, list | tuple) or not 1 <= len(dimensions) <= DIMENSIONS_MAX:
        raise field_error("dimensions", "dimensions_count", lazy_format(
            _("A questionnaire has 1 to %(n)s dimensions."), {"n": DIMENSIONS_MAX}))
    out: list[tuple[str, str, list[tuple[str, list[str]]]]] = []
    seen: set[str] = set()
    for n, dim in enumerate(dimensions, start=1):
        where = lazy_format(_("Dimension %(n)s"), {"n": n})
        if not isinstance(dim, dict):
            raise field_error("dimensions", "invalid_dimension", lazy_format(_("%(where)s: give its code, name and items."),
                                                                             {"where": where}))
        code = dim.get("code")
        if not isinstance(code, str) or not CODE.fullmatch(code.strip()):
            raise field_error("dimensions", "invalid_code", lazy_format(
                _("%(where)s: a code is 1 to 24 lower-case letters, digits or _ (starting with a letter)."), {"where": where}))
        code = code.strip()
        if code in seen:
            raise field_error("dimensions", "duplicate_code", lazy_format(_("%(where)s: the code %(code)s is used twice."),
                                                                          {"where": where, "code": code}))
        seen.add(code)
        name = _text(dim.get("name"), where, code="invalid_name", max_length=Dimension._meta.get_field("name").max_length or 64)
        where = lazy_format(_("Dimension %(n)s「%(name)s」"), {"n": n, "name": name})
        questions = dim.get("questions")
        if not isinstance(questions, list | tuple) or not 1 <= len(questions) <= QUESTIONS_MAX:
            raise field_error("dimensions", "questions_count", lazy_format(
                _("%(where)s: a dimension has 1 to %(n)s items."), {"where": where, "n": QUESTIONS_MAX}))
        items: list[tuple[str, list[str]]] = []
        for m, q in enumerate(questions, start=1):
            at = lazy_format(_("%(where)s, item %(m)s"), {"where": where, "m": m})
            if not isinstance(q, dict):
                raise field_error("dimensions", "invalid_question", lazy_format(_("%(where)s: give its text and descriptors."),
                                                                                {"where": at}))
            text = _text(q.get("text"), at, code="invalid_question", max_length=Question._meta.get_field("text").max_length or 200)
            descriptors = q.get("descriptors")
            if not isinstance(descriptors, list | tuple) or len(descriptors) != LEVELS:
                raise field_error("dimensions", "descriptors_count", lazy_format(
                    _("%(where)s: describe each of the four levels."), {"where": at}))
            texts = [_text(t, lazy_format(_("%(where)s, level %(k)s"), {"where": at, "k": k}), code="invalid_descriptor",
                           max_length=DESCRIPTOR_MAX) for k, t in enumerate(descriptors, start=1)]
            items.append((text, texts))
        out.append((code, name, items))
    return out


@transaction.atomic
def questionnaire_create(*, actor: Any, region: Division, kind: str, title: str, dimensions: Any) -> Questionnaire:
    """A questionnaire of the region, as its next version of that kind. A questionnaire never changes once made
    (diagnoses and assessments are read against it): a correction is a new version."""
    require_framework_admin(actor, region)
    checks = Checks()
    if region.level not in (Level.CITY, Level.DISTRICT):
        checks.failed.append(field_error("region", "invalid_region", _("A questionnaire is a city's or a district's.")))
    if kind not in QuestionnaireKind.values:
        checks.failed.append(field_error("kind", "invalid_kind", _("Choose a capacity diagnosis or a competency questionnaire.")))
    title = checks(model_text, Questionnaire, "title", title, required=True)
    given = checks(dimensions_in, dimensions)
    checks.done()
    version = (Questionnaire.objects.filter(region=region, kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1
    try:
        with transaction.atomic():
            questionnaire = Questionnaire.objects.create(region=region, kind=kind, title=title, version=version, created_by=actor)
    except IntegrityError:
        raise Conflict("version_taken", _("Another version was saved at the same moment: try again.")) from None
    dims = Dimension.objects.bulk_create([Dimension(questionnaire=questionnaire, code=code, name=name, position=n)
                                          for n, (code, name, _items) in enumerate(given, start=1)])
    Question.objects.bulk_create([Question(dimension=d, position=m, text=text, descriptors=texts)
                                  for d, (_c, _n, items) in zip(dims, given, strict=True)
                                  for m, (text, texts) in enumerate(items, start=1)])
    audit_log(actor=actor, action="evaluation.questionnaire.create", obj=questionnaire, after={
        "region": region.pk, "kind": kind, "version": version, "dimensions": [c for c, _n, _i in given],
        "items": sum(len(i) for _c, _n, i in given)})
    return questionnaire


# --- the advice library --------------------------------------------------------------------------------------------

@transaction.atomic
def advice_add(*, actor: Any, region: Division, dimension_code: str, below: Any, text: str) -> Advice:
    """A line of the region's advice library: shown for a dimension scoring below `below`."""
    require_framework_admin(actor, region)
    checks = Checks()
    code = dimension_code.strip() if isinstance(dimension_code, str) else ""
    if not CODE.fullmatch(code):
        checks.failed.append(field_error("dimension_code", "invalid_code", _("Choose the dimension the advice is for.")))
    threshold = checks(decimal_in, below, field="below", places=2, minimum=Decimal("1.01"), maximum=Decimal(LEVELS))
    text = checks(model_text, Advice, "text", text, required=True)
    checks.done()
    advice = Advice(region=region, dimension_code=code, below=threshold, text=text)
    advice.full_clean()
    advice.save()
    audit_log(actor=actor, action="evaluation.advice.add", obj=advice, after={"region": region.pk, "dimension": code,
                                                                              "below": str(threshold)})
    return advice


@transaction.atomic
def advice_remove(*, actor: Any, advice: Advice) -> None:
    require_framework_admin(actor, advice.region)
    before = {"region": advice.region_id, "dimension": advice.dimension_code, "below": str(advice.below), "text": advice.text[:200]}
    pk = advice.pk
    Advice.objects.filter(pk=pk).delete()
    audit_log(actor=actor, action="evaluation.advice.remove", object_type="evaluation.advice", object_id=pk, before=before)


# --- diagnoses -----------------------------------------------------------------------------------------------------

def _respondents_in(respondents: Any, *, room: int) -> list[tuple[str, str]]:
    if not isinstance(respondents, list | tuple) or not respondents:
        raise field_error("respondents", "respondents_required", _("Name at least one respondent."))
    if len(respondents) > room:
        raise field_error("respondents", "too_many_respondents", lazy_format(
            _("At most %(n)s respondents a diagnosis."), {"n": RESPONDENTS_MAX}))
    out: list[tuple[str, str]] = []
    for n, given in enumerate(respondents, start=1):
        role, label = (given.get("role"), given.get("label")) if isinstance(given, dict) else (
            given if isinstance(given, list | tuple) and len(given) == 2 else (None, None))
        if role not in RespondentRole.values:
            raise field_error("respondents", "invalid_role", lazy_format(
                _("Respondent %(n)s: a board member, the director or staff."), {"n": n}))
        try:
            text = model_text(Respondent, "label", label, field="respondents", required=True)
        except ValidationFailed as exc:
            raise field_error("respondents", exc.code, lazy_format(_("Respondent %(n)s: %(problem)s"),
                                                                  {"n": n, "problem": exc.message})) from None
        out.append((str(role), text))
    return out


def _respondents_make(diagnosis: Diagnosis, given: list[tuple[str, str]]) -> list[Respondent]:
    return Respondent.objects.bulk_create([Respondent(diagnosis=diagnosis, role=role, label=label, token=secrets.token_urlsafe(32))
                                           for role, label in given])


@transaction.atomic
def diagnosis_start(*, actor: Any, organization: Organization, questionnaire: Questionnaire, started_on: dt.date,
                    respondents: Any) -> Diagnosis:
    """Start an organization's diagnosis under a capacity questionnaire of its region, with its respondents (board
    members, the director, staff), each given a link of their own. One diagnosis of an organization is open at a
    time; the last closed one is the previous the report compares with."""
    require_evaluator(actor, organization)
    if questionnaire.kind != QuestionnaireKind.CAPACITY:
        raise field_error("questionnaire", "not_capacity", _("Choose a capacity diagnosis questionnaire."))
    _covers(questionnaire, organization)
    checks = Checks()
    started_on = checks(_not_future, started_on, "started_on")
    given = checks(_respondents_in, respondents, room=RESPONDENTS_MAX)
    checks.done()
    Organization.objects.select_for_update().filter(pk=organization.pk).first()  # one start at a time per organization
    if Diagnosis.objects.filter(organization=organization, status=DiagnosisStatus.OPEN).exists():
        raise Conflict("diagnosis_open", _("This organization has a diagnosis collecting answers: close it first."))
    previous = (Diagnosis.objects.filter(organization=organization, status=DiagnosisStatus.CLOSED, started_on__lte=started_on,
                                         questionnaire__kind=QuestionnaireKind.CAPACITY)
                .order_by("-started_on", "-id").first())
    diagnosis = Diagnosis.objects.create(organization=organization, questionnaire=questionnaire, previous=previous,
                                         started_on=started_on, created_by=actor)
    _respondents_make(diagnosis, given)
    audit_log(actor=actor, action="evaluation.diagnosis.start", obj=diagnosis, after={
        "organization": organization.pk, "questionnaire": questionnaire.pk, "started_on": started_on.isoformat(),
        "previous": previous.pk if previous else None, "respondents": [role for role, _l in given]})
    return diagnosis


def _require_open(diagnosis: Diagnosis) -> Diagnosis:
    locked = Diagnosis.objects.select_for_update().get(pk=diagnosis.pk)
    if locked.status != DiagnosisStatus.OPEN:
        raise Conflict("diagnosis_closed", _("This diagnosis has been closed and reported."))
    return locked


@transaction.atomic
def respondent_add(*, actor: Any, diagnosis: Diagnosis, role: str, label: str) -> Respondent:
    """One more respondent, while the diagnosis collects answers."""
    require_evaluator(actor, diagnosis.organization)
    locked = _require_open(diagnosis)
    room = RESPONDENTS_MAX - Respondent.objects.filter(diagnosis=locked).count()
    if room <= 0:
        raise field_error("respondents", "too_many_respondents", lazy_format(
            _("At most %(n)s respondents a diagnosis."), {"n": RESPONDENTS_MAX}))
    [made] = _respondents_make(locked, _respondents_in([(role, label)], room=room))
    audit_log(actor=actor, action="evaluation.respondent.add", obj=locked, after={"respondent": made.pk, "role": made.role})
    return made


def respondent_by_token(token: Any) -> Respondent:
    """The respondent a link names (any link that names none, malformed or not, is simply not found)."""
    text = token if isinstance(token, str) else ""
    found = (Respondent.objects.filter(token=text).select_related("diagnosis__organization", "diagnosis__questionnaire")
             .first() if TOKEN.fullmatch(text) else None)
    if found is None:
        raise NotFound("respondent_not_found", _("This link is not valid. Ask the organization for your own link."))
    return found


def levels_in(questions: list[Question], levels: Any, *, field: str = "levels") -> dict[int, int]:
    """A level 1–4 for every item, as given ({question id: level}); refused whole, naming the items left out."""
    if not isinstance(levels, dict):
        raise field_error(field, "invalid_levels", _("Give a level for each item."))
    by_id = {q.pk: q for q in questions}
    out: dict[int, int] = {}
    checks = Checks()
    for key, raw in levels.items():
        try:
            qid = int(key)
            by_id[qid]
        except (KeyError, TypeError, ValueError):
            raise field_error(field, "unknown_question", lazy_format(_("Item %(key)s is not an item of this questionnaire."),
                                                                      {"key": str(key)[:20]})) from None
        level = checks(int_in, raw, field=f"{field}.{qid}", minimum=1, maximum=LEVELS)
        if level is not None:
            out[qid] = level
    checks.done()
    missing = [q for q in questions if q.pk not in out]
    if missing:
        message = lazy_format(_("Choose a level for every item (%(n)s left)."), {"n": len(missing)})
        fields: dict[str, list[Any]] = {field: [("levels_incomplete", message)]}
        fields.update({f"{field}.{q.pk}": [("level_required", _("Choose a level."))] for q in missing})
        raise ValidationFailed("levels_incomplete", message, fields=fields)
    return out


def questions_of(questionnaire: Questionnaire) -> list[Question]:
    return list(Question.objects.filter(dimension__questionnaire=questionnaire).order_by("dimension__position", "position"))


@transaction.atomic
def diagnosis_answer(*, token: Any, levels: Any) -> Respondent:
    """A respondent's answers, through their link: every item at a level 1–4, once. Nobody signs in: the link is the
    key, and an answered link answers no more."""
    found = respondent_by_token(token)
    locked = Respondent.objects.select_for_update().select_related("diagnosis__questionnaire").get(pk=found.pk)
    if locked.submitted_at is not None:
        raise Conflict("already_answered", _("These answers have been sent: thank you. A link answers once."))
    if locked.diagnosis.status != DiagnosisStatus.OPEN:
        raise Conflict("diagnosis_closed", _("This diagnosis has been closed and reported."))
    given = levels_in(questions_of(locked.diagnosis.questionnaire), levels)
    Answer.objects.bulk_create([Answer(respondent=locked, question_id=qid, level=level) for qid, level in given.items()])
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["submitted_at"])
    audit_log(actor=None, action="evaluation.diagnosis.answer", obj=locked.diagnosis,
              after={"respondent": locked.pk, "role": locked.role, "items": len(given)})
    return locked


@transaction.atomic
def diagnosis_close(*, actor: Any, diagnosis: Diagnosis, summary: str = "") -> Diagnosis:
    """Close the diagnosis and report it: the dimension scores are frozen as answered (peers and the next diagnosis
    read these). At least one respondent must have answered; the others' links answer no more."""
    require_evaluator(actor, diagnosis.organization)
    locked = Diagnosis.objects.select_for_update().select_related("questionnaire").get(pk=diagnosis.pk)
    if locked.status == DiagnosisStatus.CLOSED:
        return locked
    text = model_text(Diagnosis, "summary", summary)
    if not Respondent.objects.filter(diagnosis=locked, submitted_at__isnull=False).exists():
        raise Conflict("no_answers", _("Nobody has answered yet: a diagnosis is reported on its answers."))
    scores = diagnosis_scores(locked)
    now = timezone.now()
    return transition(locked, to=DiagnosisStatus.CLOSED, allowed_from=[DiagnosisStatus.OPEN], actor=actor,
                      action="evaluation.diagnosis.close",
                      changes=lambda d: {"scores": scores, "closed_at": now, "summary": text}, audit={"scores": scores})


# --- the action plan ------------------------------------------------------------------------------------------------

@transaction.atomic
def action_add(*, actor: Any, diagnosis: Diagnosis, dimension_code: str, text: str, owner: str, due_on: dt.date) -> ActionItem:
    """An item of the organization's improvement plan: what, for which dimension, who, by when."""
    require_evaluator(actor, diagnosis.organization)
    locked = Diagnosis.objects.select_for_update().get(pk=diagnosis.pk)
    checks = Checks()
    codes = set(Dimension.objects.filter(questionnaire_id=locked.questionnaire_id).values_list("code", flat=True))
    if dimension_code not in codes:
        checks.failed.append(field_error("dimension_code", "unknown_dimension", _("Choose a dimension of the questionnaire.")))
    text = checks(model_text, ActionItem, "text", text, required=True)
    owner = checks(model_text, ActionItem, "owner", owner, required=True)
    if not isinstance(due_on, dt.date):
        checks.failed.append(field_error("due_on", "invalid_date", _("Enter a valid date.")))
    else:
        checks(date_window, due_on, field="due_on")
        if due_on < locked.started_on:
            checks.failed.append(field_error("due_on", "due_before_start", _("An action is due after the diagnosis started.")))
    checks.done()
    if ActionItem.objects.filter(diagnosis=locked).count() >= ACTIONS_MAX:
        raise Conflict("too_many_actions", lazy_format(_("At most %(n)s actions a plan."), {"n": ACTIONS_MAX}))
    action = ActionItem.objects.create(diagnosis=locked, dimension_code=dimension_code, text=text, owner=owner, due_on=due_on)
    audit_log(actor=actor, action="evaluation.action.add", obj=action, after={
        "diagnosis": locked.pk, "dimension": dimension_code, "owner": owner, "due_on": due_on.isoformat()})
    return action


@transaction.atomic
def action_follow_up(*, actor: Any, action: ActionItem, status: str, follow_up: str, done_on: dt.date | None = None) -> ActionItem:
    """Close an action: done (on a day, saying what was done) or dropped (saying why). Once closed it stays so."""
    diagnosis = Diagnosis.objects.select_related("organization__division").get(pk=action.diagnosis_id)
    require_evaluator(actor, diagnosis.organization)
    if status not in (ActionStatus.DONE, ActionStatus.DROPPED):
        raise field_error("status", "invalid_status", _("Mark the action done or dropped."))
    checks = Checks()
    note = checks(model_text, ActionItem, "follow_up", follow_up, required=True)
    day = None
    if status == ActionStatus.DONE:
        day = checks(_not_future, done_on if done_on is not None else timezone.localdate(), "done_on")
        if day is not None and day < diagnosis.started_on:
            checks.failed.append(field_error("done_on", "done_before_start", _("Done after the diagnosis started.")))
    checks.done()
    return transition(action, to=status, allowed_from=[ActionStatus.OPEN], actor=actor, action=f"evaluation.action.{status}",
                      changes=lambda a: {"follow_up": note, "done_on": day}, audit={"done_on": day.isoformat() if day else None})
