"""The supervision calendar (督导): the daily generator of tasks (each project active in a month checks itself that
month; each district spot-checks a reproducible random sample of its projects each quarter; each agency running
stations assesses itself each half year), the reminders of tasks due soon and overdue, a task's completion with its
rating and findings, and the rectifications closed when put right.

The generator and the reminders are safe to run twice and at once: the tables' unique constraints decide, each row is
inserted in its own savepoint, and only the rows this run inserted are counted."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, PermissionDenied, field_error, lazy_format
from shanlian.core.inputs import Checks, date_window, model_text
from shanlian.core.scoping import Role
from shanlian.core.transitions import transition
from shanlian.grants.models import ProjectStatus, ServiceProject
from shanlian.orgs.models import Station
from shanlian.people.models import RoleGrant
from shanlian.people.selectors import signed_in_scope
from shanlian.places.models import Division

from ..access import ORG_ROLES
from ..models import (
    CheckRating,
    Finding,
    Rectification,
    Reminder,
    Severity,
    SupervisionTask,
    TaskKind,
    TaskStatus,
)
from ..satisfaction_counts import satisfaction_rate
from ..selectors_supervision import REMINDER_PREFIX, district_id_of, is_task_doer, may_rectify

# Days after a period's last day its task is due: the 5th of the next month, the 15th after a quarter or a half year.
DUE_AFTER = {TaskKind.SELF_CHECK: 5, TaskKind.SPOT_CHECK: 15, TaskKind.SELF_ASSESSMENT: 15}
# A district's quarterly spot-check: this share of its projects active in the quarter, at least one.
SPOT_CHECK_SHARE = Decimal("0.2")
REMIND_DAYS_BEFORE = 3
FINDINGS_MAX = 20
RECTIFICATION_DAYS_MAX = 366


# --- periods -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    kind: str
    code: str  # "2026-03", "2026Q1", "2026H1"
    first: dt.date
    last: dt.date

    @property
    def due(self) -> dt.date:
        return self.last + dt.timedelta(days=DUE_AFTER[TaskKind(self.kind)])


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)


def period_for(kind: str, day: dt.date) -> Period:
    """The period of `kind` that `day` falls in: its month (self-checks), quarter (spot-checks) or half year."""
    y = day.year
    if kind == TaskKind.SELF_CHECK:
        return Period(kind, f"{y}-{day.month:02d}", day.replace(day=1), _month_end(y, day.month))
    if kind == TaskKind.SPOT_CHECK:
        q = (day.month - 1) // 3 + 1
        return Period(kind, f"{y}Q{q}", dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q))
    h = 1 if day.month <= 6 else 2
    return Period(kind, f"{y}H{h}", dt.date(y, 6 * h - 5, 1), _month_end(y, 6 * h))


def period_of(task: SupervisionTask) -> Period:
    """A task's period, read back from its code."""
    code = task.period
    year = int(code[:4])
    if task.kind == TaskKind.SELF_CHECK:
        return period_for(task.kind, dt.date(year, int(code[5:7]), 1))
    if task.kind == TaskKind.SPOT_CHECK:
        return period_for(task.kind, dt.date(year, 3 * int(code[5]) - 2, 1))
    return period_for(task.kind, dt.date(year, 6 * int(code[5]) - 5, 1))


def spot_check_seed(district_code: str, period: str) -> int:
    """The sample's seed: the same district and quarter draw the same sample, on any machine, in any run."""
    return int.from_bytes(hashlib.sha256(f"{district_code}:{period}".encode()).digest()[:8], "big")


def spot_check_sample(project_ids: Iterable[int], *, district_code: str, period: str) -> list[int]:
    """The projects a district spot-checks in a quarter: SPOT_CHECK_SHARE of them (at least one), drawn at random
    with a seed of the district and the quarter from the projects in id order."""
    population = sorted(set(project_ids))
    if not population:
        return []
    size = max(1, math.ceil(len(population) * SPOT_CHECK_SHARE))
    return sorted(random.Random(spot_check_seed(district_code, period)).sample(population, size))


# --- the generator -------------------------------------------------------------------------------------------------

def _insert(rows: list[models.Model]) -> int:
    """Insert each row in its own savepoint; one that a unique constraint refuses (another run made it first) is not
    counted."""
    made = 0
    for row in rows:
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            continue
        made += 1
    return made


def _active_projects(period: Period) -> list[tuple[int, int, int]]:
    """(project, lead organization, district) of the projects running at some time in the period."""
    rows = (ServiceProject.objects.filter(starts_on__lte=period.last, ends_on__gte=period.first)
            .filter(Q(status=ProjectStatus.ACTIVE) | Q(closed_at__date__gte=period.first))
            .values_list("pk", "lead_id", "station__street__path", "fund__division__path").order_by("pk"))
    out = []
    for pk, lead_id, street_path, fund_path in rows:
        district = district_id_of(street_path or fund_path or "")
        if district is not None:
            out.append((pk, lead_id, district))
    return out


def _project_tasks(kind: str, period: Period, projects: list[tuple[int, int, int]]) -> int:
    have = set(SupervisionTask.objects.filter(kind=kind, period=period.code, project__isnull=False).values_list("project_id", flat=True))
    return _insert([SupervisionTask(kind=kind, period=period.code, due_on=period.due, project_id=pk, organization_id=lead,
                                    region_id=district) for pk, lead, district in projects if pk not in have])


def _spot_checks(period: Period) -> int:
    """Each district draws its quarter's sample once, the first day the generator finds projects running there."""
    by_district: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for row in _active_projects(period):
        by_district[row[2]].append(row)
    drawn = set(SupervisionTask.objects.filter(kind=TaskKind.SPOT_CHECK, period=period.code).values_list("region_id", flat=True))
    codes = dict(Division.objects.filter(pk__in=[d for d in by_district if d not in drawn]).values_list("pk", "code"))
    chosen: list[tuple[int, int, int]] = []
    for district, code in sorted(codes.items()):
        rows = {r[0]: r for r in by_district[district]}
        chosen += [rows[pk] for pk in spot_check_sample(rows, district_code=code, period=period.code)]
    return _project_tasks(TaskKind.SPOT_CHECK, period, chosen)


def _self_assessments(period: Period) -> int:
    """Each agency running a station in the half year; its district is where it is registered (an agency registered
    with the city: the district of its first station)."""
    stations = (Station.objects.filter(agency__is_agency=True, contract_start__lte=period.last, contract_end__gte=period.first)
                .values_list("agency_id", "agency__division__path", "street__path").order_by("agency_id", "street__code"))
    district_of: dict[int, int] = {}
    for agency, agency_path, street_path in stations:
        if agency not in district_of:
            found = district_id_of(agency_path) or district_id_of(street_path)
            if found is not None:
                district_of[agency] = found
    have = set(SupervisionTask.objects.filter(kind=TaskKind.SELF_ASSESSMENT, period=period.code).values_list("organization_id", flat=True))
    return _insert([SupervisionTask(kind=TaskKind.SELF_ASSESSMENT, period=period.code, due_on=period.due, organization_id=agency,
                                    region_id=district) for agency, district in sorted(district_of.items()) if agency not in have])


@transaction.atomic
def tasks_generate(*, on: dt.date) -> Counter[str]:
    """Make the tasks of the periods `on` falls in that are not there yet: the month's self-checks, the quarter's
    spot-checks, the half year's self-assessments. Returns how many of each this run made."""
    made: Counter[str] = Counter()
    month = period_for(TaskKind.SELF_CHECK, on)
    made[TaskKind.SELF_CHECK.value] = _project_tasks(TaskKind.SELF_CHECK, month, _active_projects(month))
    made[TaskKind.SPOT_CHECK.value] = _spot_checks(period_for(TaskKind.SPOT_CHECK, on))
    made[TaskKind.SELF_ASSESSMENT.value] = _self_assessments(period_for(TaskKind.SELF_ASSESSMENT, on))
    made = +made
    if made:
        audit_log(actor=None, action="evaluation.supervision.generate", object_type="evaluation.supervisiontask",
                  object_id=on.isoformat(), after=dict(made))
    return made


# --- reminders -----------------------------------------------------------------------------------------------------

def _in_chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def task_doers(tasks: list[SupervisionTask]) -> dict[int, list[int]]:
    """Task id → the users who must do it: the organization's managers; a spot-check's district administrators (the
    city's when the district has none). Two queries."""
    org_ids = {t.organization_id for t in tasks if t.kind != TaskKind.SPOT_CHECK}
    region_ids = {t.region_id for t in tasks if t.kind == TaskKind.SPOT_CHECK}
    managers: dict[int, set[int]] = defaultdict(set)
    live = RoleGrant.objects.filter(revoked_at__isnull=True, user__is_active=True)
    for org, user in live.filter(role__in=ORG_ROLES, organization_id__in=org_ids).values_list("organization_id", "user_id"):
        managers[org].add(user)
    admins: dict[int, set[int]] = defaultdict(set)
    city_admins: list[tuple[str, int]] = []
    if region_ids:
        grants = live.filter(Q(role=Role.DISTRICT_ADMIN, division_id__in=region_ids) | Q(role=Role.CITY_ADMIN))
        for role, division, path, user in grants.values_list("role", "division_id", "division__path", "user_id"):
            if role == Role.DISTRICT_ADMIN:
                admins[division].add(user)
            else:
                city_admins.append((path, user))
    paths = dict(Division.objects.filter(pk__in=region_ids).values_list("pk", "path")) if region_ids else {}
    out: dict[int, list[int]] = {}
    for t in tasks:
        if t.kind != TaskKind.SPOT_CHECK:
            out[t.pk] = sorted(managers[t.organization_id])
        else:
            out[t.pk] = sorted(admins[t.region_id] or {u for p, u in city_admins if paths.get(t.region_id, "").startswith(p)})
    return out


def _subject(task: SupervisionTask) -> str:
    return task.project.title if task.project is not None else task.organization.name


def reminder_text(task: SupervisionTask, *, overdue: bool) -> str:
    """The reminder as stored, in the site's language."""
    values = {"kind": task.get_kind_display(), "period": task.period, "subject": _subject(task), "date": task.due_on.isoformat()}
    message = (_("Overdue: the %(kind)s %(period)s of %(subject)s was due on %(date)s.") if overdue
               else _("Due soon: the %(kind)s %(period)s of %(subject)s is due on %(date)s."))
    with translation.override(settings.LANGUAGE_CODE):
        return str(lazy_format(message, values))[:300]


@transaction.atomic
def reminders_send(*, on: dt.date) -> int:
    """Remind whoever must do an open task: once when it falls due within REMIND_DAYS_BEFORE days, once when it is
    overdue. Returns how many reminders this run wrote."""
    rows = list(SupervisionTask.objects.filter(status=TaskStatus.OPEN, due_on__lte=on + dt.timedelta(days=REMIND_DAYS_BEFORE))
                .select_related("project", "organization").order_by("due_on", "id"))
    doers = task_doers(rows)
    wanted: list[Reminder] = []
    for t in rows:
        overdue = t.due_on < on
        key = f"{REMINDER_PREFIX}{'overdue' if overdue else 'due'}:{t.pk}"
        link = reverse("evaluation:supervision_task", kwargs={"supervision_task_id": t.pk})
        text = reminder_text(t, overdue=overdue)
        wanted += [Reminder(user_id=user, key=key, text=text, link=link) for user in doers[t.pk]]
    have: set[tuple[int, str]] = set()
    for chunk in _in_chunks(sorted({r.key for r in wanted})):
        have |= set(Reminder.objects.filter(key__in=chunk).values_list("user_id", "key"))
    made = _insert([r for r in wanted if (r.user_id, r.key) not in have])
    if made:
        audit_log(actor=None, action="evaluation.supervision.remind", object_type="evaluation.reminder", object_id=on.isoformat(),
                  after={"reminders": made})
    return made


@transaction.atomic
def reminders_read(*, actor: Any) -> int:
    """The actor has read their supervision reminders."""
    signed_in_scope(actor)
    done = Reminder.objects.filter(user_id=actor.pk, key__startswith=REMINDER_PREFIX, read_at__isnull=True).update(
        read_at=timezone.now())
    if done:
        audit_log(actor=actor, action="evaluation.reminders.read", object_type="evaluation.reminder", object_id=str(actor.pk),
                  after={"read": done})
    return done


# --- completing a task ---------------------------------------------------------------------------------------------

@dataclass
class FindingIn:
    text: str
    severity: str
    action: str = ""
    owner: str = ""
    due_on: dt.date | None = None


def day_in(value: Any, *, field: str) -> dt.date:
    """A day, or its ISO form, within the years the system holds."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise field_error(field, "invalid_date", _("Enter a date, e.g. 2026-03-01."))
    return date_window(value, field=field)


def _rating_in(value: Any) -> str:
    if value not in CheckRating.values:
        raise field_error("rating", "invalid_rating", _("Rate the check: excellent, good, fair or poor."))
    return str(value)


def _finding_in(item: Any, n: int, today: dt.date) -> FindingIn:
    at = f"findings.{n}"
    if not isinstance(item, Mapping):
        raise field_error(at, "invalid_finding", _("Give each finding as its text, severity and rectification."))
    checks = Checks()
    text = checks(model_text, Finding, "text", item.get("text"), field=f"{at}.text", required=True)
    severity = item.get("severity") or Severity.MINOR
    if severity not in Severity.values:
        checks.failed.append(field_error(f"{at}.severity", "invalid_severity", _("A finding is minor or major.")))
    fix = item.get("rectification")
    action, owner, due = "", "", None
    if fix is not None and not isinstance(fix, Mapping):
        checks.failed.append(field_error(f"{at}.rectification", "invalid_rectification",
                                         _("Give the rectification as its action, owner and due date.")))
    elif fix is not None:
        action = checks(model_text, Rectification, "action", fix.get("action"), field=f"{at}.action", required=True) or ""
        owner = checks(model_text, Rectification, "owner", fix.get("owner"), field=f"{at}.owner", required=True) or ""
        due = checks(day_in, fix.get("due_on"), field=f"{at}.due_on")
        if due is not None and not today <= due <= today + dt.timedelta(days=RECTIFICATION_DAYS_MAX):
            checks.failed.append(field_error(f"{at}.due_on", "rectification_due_out_of_range", lazy_format(
                _("A rectification is due from today to %(last)s."),
                {"last": (today + dt.timedelta(days=RECTIFICATION_DAYS_MAX)).isoformat()})))
            due = None
    elif severity == Severity.MAJOR:
        checks.failed.append(field_error(f"{at}.action", "rectification_required",
                                         _("A major finding needs a rectification: what is done, by whom, by when.")))
    checks.done()
    return FindingIn(text=text, severity=str(severity), action=action, owner=owner, due_on=due)


def findings_in(findings: Any, *, today: dt.date) -> list[FindingIn]:
    """The findings as given: a list of {text, severity, rectification: {action, owner, due_on} or None}."""
    if findings is None:
        return []
    if not isinstance(findings, list | tuple):
        raise field_error("findings", "invalid_findings", _("Give the findings as a list."))
    if len(findings) > FINDINGS_MAX:
        raise field_error("findings", "too_many_findings", lazy_format(_("At most %(max)s findings a check."), {"max": FINDINGS_MAX}))
    checks = Checks()
    out = [checks(_finding_in, item, n, today) for n, item in enumerate(findings)]
    checks.done()
    return [f for f in out if f is not None]


def require_doer(actor: Any, task: SupervisionTask) -> None:
    scope = signed_in_scope(actor)
    if not is_task_doer(scope, task):
        raise PermissionDenied("not_task_doer", _("A self-check is done by the organization's managers, a spot-check by the "
                                                  "district's administrators."))


@transaction.atomic
def task_complete(*, actor: Any, task: SupervisionTask, rating: str, note: str = "", findings: Any = None) -> SupervisionTask:
    """Complete a check from its period's first day (an overdue one too): its rating, a note, and what was found, each
    finding with the rectification it needs (a major one must have one; a fair or poor rating must name a finding). A
    project's check records the project's satisfaction rate of the year (when its surveys are enough).
    Done once: a retried completion returns the task as it is."""
    require_doer(actor, task)
    locked = SupervisionTask.objects.select_for_update().get(pk=task.pk)
    if locked.status == TaskStatus.DONE:
        return locked
    today = timezone.localdate()
    begins = period_of(locked).first
    if today < begins:
        raise Conflict("period_not_started", lazy_format(_("This check's period begins on %(date)s."), {"date": begins.isoformat()}))
    checks = Checks()
    rating = checks(_rating_in, rating)
    note = checks(model_text, SupervisionTask, "note", note)
    found: list[FindingIn] = checks(findings_in, findings, today=today) or []
    checks.done()
    if rating in (CheckRating.FAIR, CheckRating.POOR) and not found:
        raise field_error("findings", "findings_required", _("A fair or poor rating names what was found."))
    # A project's check records its satisfaction rate of the year beside the rating: one of the indicators it is judged by.
    rate = satisfaction_rate(project=locked.project, year=today.year) if locked.project_id else None
    done = transition(locked, to=TaskStatus.DONE, allowed_from=[TaskStatus.OPEN], actor=actor, action="evaluation.supervision.complete",
                      changes=lambda _t: {"rating": rating, "note": note, "done_at": timezone.now(), "done_by": actor,
                                          "satisfaction": rate},
                      audit={"rating": rating, "findings": len(found), "satisfaction": str(rate) if rate is not None else None,
                             "rectifications": sum(1 for f in found if f.action)})
    for f in found:
        finding = Finding.objects.create(task=done, text=f.text, severity=f.severity, created_by=actor)
        if f.action and f.due_on is not None:
            Rectification.objects.create(finding=finding, action=f.action, owner=f.owner, due_on=f.due_on)
    return done


@transaction.atomic
def rectification_close(*, actor: Any, rectification: Rectification, note: str, closed_on: Any = None) -> Rectification:
    """Close a rectification with what was done (on a day from its finding to today); closed once."""
    task = SupervisionTask.objects.select_related("region").get(pk=rectification.finding.task_id)
    if not may_rectify(signed_in_scope(actor), task):
        raise PermissionDenied("not_rectifier", _("A rectification is closed by the organization's managers or the district's "
                                                  "administrators."))
    locked = Rectification.objects.select_for_update().select_related("finding").get(pk=rectification.pk)
    if locked.closed_on is not None:
        return locked
    today = timezone.localdate()
    checks = Checks()
    text = checks(model_text, Rectification, "closing_note", note, field="note", required=True)
    day = checks(day_in, closed_on, field="closed_on") if closed_on not in (None, "") else today
    found_on = timezone.localtime(locked.finding.created_at).date()
    if day is not None and not found_on <= day <= today:
        checks.failed.append(field_error("closed_on", "closed_out_of_range", lazy_format(
            _("A rectification is closed on a day from %(first)s to %(last)s."),
            {"first": found_on.isoformat(), "last": today.isoformat()})))
    checks.done()
    locked.closed_on, locked.closing_note, locked.closed_by = day, text, actor
    locked.save(update_fields=["closed_on", "closing_note", "closed_by"])
    audit_log(actor=actor, action="evaluation.rectification.close", obj=locked,
              after={"closed_on": day.isoformat() if day else None, "task": task.pk})
    return locked

