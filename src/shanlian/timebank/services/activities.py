"""Publishing activities with shifts; signing up, the wait list, cancelling; reminders."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, ValidationFailed, field_error, lazy_format
from shanlian.core.inputs import model_text
from shanlian.orgs.models import Organization, Station
from shanlian.places.models import Division

from ..models import Activity, ActivityStatus, Category, Notification, Shift, Signup, SignupStatus, Skill, Volunteer
from ._access import require_organizer, require_self
from .volunteers import is_certified

log = logging.getLogger("shanlian.notify")


class Notifier(Protocol):
    def send(self, *, user: Any, subject: str, body: str, key: str) -> None: ...


class ConsoleNotifier:
    """The demo's notification backend: logs the message and keeps a row (SMS/WeChat backends plug in here)."""

    def send(self, *, user: Any, subject: str, body: str, key: str) -> None:
        _row, created = Notification.objects.get_or_create(key=key[:120], defaults={
            "user": user, "subject": subject[:120], "body": body, "channel": "console"})
        if created:
            log.info("notify %s: %s — %s", user, subject, body)


notifier: Notifier = ConsoleNotifier()


def _notify(volunteer: Volunteer, subject: str, body: str, key: str) -> None:
    user = volunteer.person.user
    if user is not None:
        transaction.on_commit(lambda: notifier.send(user=user, subject=subject, body=body, key=key))


@transaction.atomic
def activity_publish(
    *,
    actor: Any,
    station: Station,
    title: str,
    category: str,
    division: Division,
    place: str,
    shifts: list[tuple[datetime, datetime, int]],
    description: str = "",
    skills: list[str] | None = None,
    quiz_required: bool = False,
    organization: Organization | None = None,
) -> Activity:
    require_organizer(actor, station)
    title, place = model_text(Activity, "title", title), model_text(Activity, "place", place)
    description = model_text(Activity, "description", description)
    if not title:
        raise field_error("title", "title_required", _("Give the activity a title."))
    if category not in Category.values:
        raise field_error("category", "invalid_category", _("Unknown category."))
    if not division.path.startswith(station.street.path):
        raise field_error("division", "division_not_in_station", _("The place is outside the station's street."))
    bad = [s for s in (skills or []) if s not in Skill.values]
    if bad:
        raise field_error("skills", "invalid_skill", lazy_format(_("Unknown skill: %(skill)s."), {"skill": bad[0]}))
    if not shifts:
        raise field_error("shifts", "shifts_required", _("An activity needs at least one shift."))
    now = timezone.now()
    for start, end, headcount in shifts:
        if end <= start:
            raise field_error("shifts", "invalid_period", _("A shift ends after it starts."))
        if start < now:
            raise field_error("shifts", "shift_in_past", _("A shift cannot start in the past."))
        if (end - start).total_seconds() > 12 * 3600:
            raise field_error("shifts", "shift_too_long", _("A shift lasts at most 12 hours."))
        if not 1 <= int(headcount) <= 500:
            raise field_error("shifts", "invalid_headcount", _("A shift needs between 1 and 500 volunteers."))
    activity = Activity.objects.create(
        title=title, category=category, description=description, station=station, organization=organization,
        division=division, place=place, skills=sorted(set(skills or [])), quiz_required=quiz_required, created_by=actor,
    )
    Shift.objects.bulk_create([
        Shift(activity=activity, starts_at=s, ends_at=e, headcount=int(h), qr_secret=secrets.token_hex(16)) for s, e, h in shifts
    ])
    audit_log(actor=actor, action="timebank.activity.publish", obj=activity, after={"shifts": len(shifts)})
    return activity


@transaction.atomic
def signup_create(*, actor: Any, volunteer: Volunteer, shift: Shift) -> Signup:
    """Sign up: confirmed while there is room, else on the wait list. Signing up again is quiet."""
    require_self(actor, volunteer)
    locked = Shift.objects.select_for_update().select_related("activity").get(pk=shift.pk)
    existing = Signup.objects.filter(shift=locked, volunteer=volunteer).exclude(status=SignupStatus.CANCELLED).first()
    if existing is not None:
        return existing
    if locked.activity.status != ActivityStatus.PUBLISHED:
        raise Conflict("activity_cancelled", _("This activity was cancelled."))
    if locked.ends_at <= timezone.now():  # joining a shift under way is allowed (on-the-spot volunteers)
        raise ValidationFailed("shift_over", _("This shift is over."))
    if locked.activity.quiz_required and not is_certified(volunteer):
        raise ValidationFailed("quiz_required", _("Pass the volunteer certification quiz before signing up for this activity."))
    overlap = Signup.objects.filter(
        volunteer=volunteer, status__in=[SignupStatus.CONFIRMED, SignupStatus.WAITLISTED],
        shift__starts_at__lt=locked.ends_at, shift__ends_at__gt=locked.starts_at,
    ).select_related("shift__activity").first()
    if overlap is not None:
        raise ValidationFailed("shift_overlap", lazy_format(_("You are already signed up for “%(title)s” at that time."),
                               {"title": overlap.shift.activity.title}))
    taken = Signup.objects.filter(shift=locked, status=SignupStatus.CONFIRMED).count()
    status = SignupStatus.CONFIRMED if taken < locked.headcount else SignupStatus.WAITLISTED
    try:
        with transaction.atomic():
            signup = Signup.objects.create(shift=locked, volunteer=volunteer, status=status)
    except IntegrityError:
        raise Conflict("already_signed_up", _("You are already signed up for this shift.")) from None
    audit_log(actor=actor, action="timebank.signup.create", obj=signup, after={"status": status})
    return signup


@transaction.atomic
def signup_cancel(*, actor: Any, signup: Signup) -> Signup:
    """Cancel; a freed place goes to the first on the wait list, who is told."""
    require_self(actor, signup.volunteer)
    locked_shift = Shift.objects.select_for_update().select_related("activity").get(pk=signup.shift_id)
    locked = Signup.objects.select_for_update().get(pk=signup.pk)
    if locked.status == SignupStatus.CANCELLED:
        return locked
    was_confirmed = locked.status == SignupStatus.CONFIRMED
    locked.status, locked.cancelled_at = SignupStatus.CANCELLED, timezone.now()
    locked.save(update_fields=["status", "cancelled_at"])
    if was_confirmed:
        nxt = Signup.objects.filter(shift=locked_shift, status=SignupStatus.WAITLISTED).select_related("volunteer__person").first()
        if nxt is not None:
            Signup.objects.filter(pk=nxt.pk).update(status=SignupStatus.CONFIRMED)
            _notify(nxt.volunteer, "候补转正 You are in",
                    f"您已从候补转为正式报名：{locked_shift.activity.title} {timezone.localtime(locked_shift.starts_at):%m-%d %H:%M}",
                    key=f"promoted:{nxt.pk}")
    audit_log(actor=actor, action="timebank.signup.cancel", obj=locked)
    return locked


def reminders_send(*, within_hours: int = 24) -> int:
    """The job: remind confirmed volunteers of shifts starting within the next hours (once each)."""
    now = timezone.now()
    sent = 0
    rows = Signup.objects.filter(status=SignupStatus.CONFIRMED, shift__starts_at__gt=now,
                                 shift__starts_at__lte=now + timedelta(hours=within_hours)
                                 ).select_related("shift__activity", "volunteer__person__user")
    for s in rows:
        user = s.volunteer.person.user
        if user is None:
            continue
        notifier.send(user=user, subject="活动提醒 Reminder",
                      body=f"{s.shift.activity.title} {timezone.localtime(s.shift.starts_at):%m-%d %H:%M} @ {s.shift.activity.place}",
                      key=f"remind:{s.pk}")
        sent += 1
    return sent
