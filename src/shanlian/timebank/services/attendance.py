"""Check-in and check-out by rotating QR codes, hours from attendance, approval by the organizer (and
the agency above the daily limit), late entries, and posting approved hours as credits."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, ValidationFailed, field_error, lazy_format
from shanlian.core.inputs import id_param, model_text
from shanlian.core.money import Hours, fen_sum
from shanlian.ledger.models import Account
from shanlian.ledger.services import entry_post

from .. import memos
from ..models import Attendance, HoursRecord, HoursStatus, Shift, Signup, SignupStatus, Volunteer
from ._access import require_agency, require_organizer, require_self
from .accounts import community_pool, issuing

QR_SALT = "shanlian.timebank.qr"
EARLY_CHECKIN = timedelta(minutes=30)
LATE_CHECKOUT = timedelta(hours=2)


def qr_token(*, shift: Shift) -> str:
    """The code shown on the organizer's screen: signed with the shift's own secret and stamped with
    the server time; its text changes every rotation window, and a screenshot stops working once it
    is older than the validity (60 s by default)."""
    window = int(time.time() // domain_setting("TIMEBANK_QR_ROTATE_SECONDS"))
    signer = signing.TimestampSigner(salt=f"{QR_SALT}:{shift.qr_secret}")
    return f"{shift.pk}:{signer.sign(f'{shift.pk}.{window}')}"


def qr_check(token: str) -> Shift:
    """The shift a scanned code belongs to; a forged, altered or expired code is refused."""
    head, _sep, signed = (token or "").partition(":")
    if id_param(head) is None or not signed:
        raise ValidationFailed("qr_invalid", _("This QR code is not valid. Scan the code on the organizer's screen."))
    shift = Shift.objects.select_related("activity__station").filter(pk=int(head)).first()
    if shift is None:
        raise ValidationFailed("qr_invalid", _("This QR code is not valid. Scan the code on the organizer's screen."))
    signer = signing.TimestampSigner(salt=f"{QR_SALT}:{shift.qr_secret}")
    try:
        value = signer.unsign(signed, max_age=domain_setting("TIMEBANK_QR_VALID_SECONDS"))
    except signing.SignatureExpired:
        raise ValidationFailed("qr_expired", _("This QR code has expired. Scan the code on the screen now.")) from None
    except signing.BadSignature:
        raise ValidationFailed("qr_invalid", _("This QR code is not valid. Scan the code on the organizer's screen.")) from None
    if value.split(".")[0] != head:
        raise ValidationFailed("qr_invalid", _("This QR code is not valid. Scan the code on the organizer's screen."))
    return shift


def covered_hours(*, shift: Shift, spans: list[tuple[datetime, datetime]]) -> tuple[Hours, Decimal]:
    """(hours to the half hour, rounded down; share of the shift covered) for check-in/out spans."""
    seconds = 0.0
    for start, end in spans:
        lo, hi = max(start, shift.starts_at), min(end, shift.ends_at)
        if hi > lo:
            seconds += (hi - lo).total_seconds()
    length = (shift.ends_at - shift.starts_at).total_seconds()
    return Hours.floor(Decimal(seconds) / 3600), (Decimal(seconds) / Decimal(length)).quantize(Decimal("0.0001"))


@transaction.atomic
def check_in(*, actor: Any, volunteer: Volunteer, token: str) -> Attendance:
    require_self(actor, volunteer)
    shift = qr_check(token)
    now = timezone.now()
    if not (shift.starts_at - EARLY_CHECKIN <= now <= shift.ends_at):
        raise ValidationFailed("not_check_in_time", _("Check-in opens 30 minutes before the shift and closes at its end."))
    Volunteer.objects.select_for_update().get(pk=volunteer.pk)  # one check-in at a time per volunteer
    if not Signup.objects.filter(shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED).exists():
        raise ValidationFailed("not_signed_up", _("You are not signed up for this shift."))
    if Attendance.objects.filter(shift=shift, volunteer=volunteer, checked_out_at__isnull=True).exists():
        raise Conflict("already_checked_in", _("You are already checked in; check out first."))
    day = timezone.localdate(now)
    today = Attendance.objects.filter(volunteer=volunteer, shift__activity=shift.activity, day=day).count()
    if today >= domain_setting("TIMEBANK_CHECKINS_PER_DAY"):
        raise ValidationFailed("too_many_checkins", lazy_format(_("At most %(n)s check-ins per activity per day."),
                               {"n": domain_setting("TIMEBANK_CHECKINS_PER_DAY")}))
    attendance = Attendance.objects.create(shift=shift, volunteer=volunteer, day=day, checked_in_at=now)
    audit_log(actor=actor, action="timebank.check_in", obj=attendance)
    return attendance


@transaction.atomic
def check_out(*, actor: Any, volunteer: Volunteer, token: str) -> tuple[Attendance, HoursRecord | None]:
    """Check out; the covered time becomes a pending hours record if it covers enough of the shift."""
    require_self(actor, volunteer)
    shift = qr_check(token)
    now = timezone.now()
    if now > shift.ends_at + LATE_CHECKOUT:
        raise ValidationFailed("not_check_out_time", _("Check-out closes 2 hours after the shift; ask the organizer for a late entry."))
    Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    attendance = Attendance.objects.filter(shift=shift, volunteer=volunteer, checked_out_at__isnull=True).first()
    if attendance is None:
        raise ValidationFailed("not_checked_in", _("You have not checked in to this shift."))
    attendance.checked_out_at = now
    attendance.save(update_fields=["checked_out_at"])
    spans = [(a.checked_in_at, a.checked_out_at) for a in Attendance.objects.filter(
        shift=shift, volunteer=volunteer, checked_out_at__isnull=False)]
    hours, share = covered_hours(shift=shift, spans=[(s, e) for s, e in spans if e is not None])
    audit_log(actor=actor, action="timebank.check_out", obj=attendance, after={"hours": str(hours), "share": str(share)})
    if share < domain_setting("TIMEBANK_MIN_COVERAGE") or not hours:
        return attendance, None
    record = HoursRecord.objects.filter(volunteer=volunteer, shift=shift).exclude(status=HoursStatus.DECLINED).first()
    if record is None:
        record = HoursRecord.objects.create(volunteer=volunteer, shift=shift, attendance=attendance, day=attendance.day, hours=hours,
                                            recorded_by=actor)
    elif record.status == HoursStatus.PENDING:
        record.hours, record.attendance = hours, attendance
        record.save(update_fields=["hours", "attendance"])
    return attendance, record


def _day_total(volunteer: Volunteer, day: Any, exclude: int) -> Decimal:
    rows = HoursRecord.objects.filter(volunteer=volunteer, day=day).filter(
        Q(status=HoursStatus.APPROVED) | Q(status=HoursStatus.NEEDS_AGENCY, approved_by__isnull=False)).exclude(pk=exclude)
    return Decimal(rows.aggregate(f=fen_sum("hours"))["f"] or 0) / 100


def _post_credits(record: HoursRecord, actor: Any) -> None:
    """Issue the hours as credits: to the volunteer up to the balance cap, the rest to the community pool."""
    volunteer = Volunteer.objects.select_for_update().select_related("account").get(pk=record.volunteer_id)
    account: Account = volunteer.account
    room = max(Decimal(domain_setting("TIMEBANK_BALANCE_CAP")) - account.balance, Decimal("0"))
    amount = record.hours.value
    to_volunteer = min(amount, room)
    overflow = amount - to_volunteer
    legs: list[tuple[Account, Any]] = [(issuing(), amount)]
    if to_volunteer:
        legs.append((account, -to_volunteer))
    if overflow:
        legs.append((community_pool(), -overflow))
    entry = entry_post(legs=legs, memo=memos.hours(volunteer.number, record.day), source="timebank.hours",
                       external_id=str(record.pk), actor=actor, booked_on=record.day)
    Volunteer.objects.filter(pk=volunteer.pk).update(approved_hours=volunteer.approved_hours.value + amount)
    record.entry = entry


@transaction.atomic
def hours_approve(*, actor: Any, record: HoursRecord) -> HoursRecord:
    """The organizer approves: up to 8 h a day takes effect now; 8–12 h also needs the agency; above 12 h
    is refused. A late entry always needs the agency too."""
    locked = HoursRecord.objects.select_for_update().select_related("shift__activity__station").get(pk=record.pk)
    station = locked.shift.activity.station
    require_organizer(actor, station)
    if locked.status == HoursStatus.APPROVED or (locked.status == HoursStatus.NEEDS_AGENCY and locked.approved_by_id):
        return locked
    if locked.status == HoursStatus.DECLINED:
        raise Conflict("hours_declined", _("These hours were declined."))
    Volunteer.objects.select_for_update().get(pk=locked.volunteer_id)
    total = _day_total(locked.volunteer, locked.day, locked.pk) + locked.hours.value
    if total > domain_setting("TIMEBANK_MAX_DAY_HOURS"):
        raise ValidationFailed("day_limit_exceeded", lazy_format(_("More than %(n)s hours in one day cannot be recorded."),
                               {"n": domain_setting("TIMEBANK_MAX_DAY_HOURS")}))
    locked.approved_by, locked.decided_at = actor, timezone.now()
    if total > domain_setting("TIMEBANK_ORGANIZER_DAY_HOURS") or locked.late_entry:
        locked.status = HoursStatus.NEEDS_AGENCY
    else:
        _post_credits(locked, actor)
        locked.status = HoursStatus.APPROVED
    locked.save(update_fields=["approved_by", "decided_at", "status", "entry"])
    audit_log(actor=actor, action="timebank.hours.approve", obj=locked, after={"status": locked.status, "hours": str(locked.hours)})
    return locked


@transaction.atomic
def hours_agency_approve(*, actor: Any, record: HoursRecord) -> HoursRecord:
    locked = HoursRecord.objects.select_for_update().select_related("shift__activity__station").get(pk=record.pk)
    require_agency(actor, locked.shift.activity.station)
    if locked.status == HoursStatus.APPROVED:
        return locked
    if locked.status != HoursStatus.NEEDS_AGENCY or locked.approved_by_id is None:
        raise Conflict("needs_organizer_first", _("The organizer approves first."))
    if locked.approved_by_id == actor.pk or locked.recorded_by_id == actor.pk:
        raise ValidationFailed("four_eyes", _("The agency's approval must come from someone else than the organizer."))
    Volunteer.objects.select_for_update().get(pk=locked.volunteer_id)
    if _day_total(locked.volunteer, locked.day, locked.pk) + locked.hours.value > domain_setting("TIMEBANK_MAX_DAY_HOURS"):
        raise ValidationFailed("day_limit_exceeded", lazy_format(_("More than %(n)s hours in one day cannot be recorded."),
                               {"n": domain_setting("TIMEBANK_MAX_DAY_HOURS")}))
    _post_credits(locked, actor)
    locked.status, locked.agency_approved_by = HoursStatus.APPROVED, actor
    locked.save(update_fields=["status", "agency_approved_by", "entry"])
    audit_log(actor=actor, action="timebank.hours.agency_approve", obj=locked)
    return locked


@transaction.atomic
def hours_decline(*, actor: Any, record: HoursRecord, reason: str) -> HoursRecord:
    """Decline (never delete): the record stays with who declined and why."""
    locked = HoursRecord.objects.select_for_update().select_related("shift__activity__station").get(pk=record.pk)
    require_organizer(actor, locked.shift.activity.station)
    if not (reason or "").strip():
        raise field_error("reason", "reason_required", _("Say why the hours are declined."))
    if locked.status == HoursStatus.DECLINED:
        return locked
    if locked.status == HoursStatus.APPROVED:
        raise Conflict("hours_approved", _("Approved hours are corrected by a reversal, not declined."))
    locked.status, locked.decline_reason, locked.decided_at, locked.approved_by = (
        HoursStatus.DECLINED, model_text(HoursRecord, "decline_reason", reason, field="reason"), timezone.now(), actor)
    locked.save(update_fields=["status", "decline_reason", "decided_at", "approved_by"])
    audit_log(actor=actor, action="timebank.hours.decline", obj=locked, after={"reason": locked.decline_reason})
    return locked


@transaction.atomic
def hours_late_entry(*, actor: Any, volunteer: Volunteer, shift: Shift, hours: Any, reason: str) -> HoursRecord:
    """补录: the organizer enters hours after the fact, with a reason; the agency must approve them."""
    require_organizer(actor, shift.activity.station)
    if not (reason or "").strip():
        raise field_error("reason", "reason_required", _("A late entry needs a reason."))
    try:
        value = Hours(hours)
    except ValidationFailed as exc:
        raise field_error("hours", exc.code, exc.message) from exc
    length = Decimal((shift.ends_at - shift.starts_at).total_seconds()) / 3600
    if value.value <= 0 or value.value > length:
        raise field_error("hours", "hours_out_of_shift", _("The hours must be more than zero and at most the shift's length."))
    if shift.starts_at > timezone.now():
        raise field_error("shift", "shift_not_started", _("Hours are entered for a shift that has taken place."))
    if HoursRecord.objects.filter(volunteer=volunteer, shift=shift).exclude(status=HoursStatus.DECLINED).exists():
        raise Conflict("hours_exist", _("Hours for this volunteer and shift are already recorded."))
    record = HoursRecord.objects.create(
        volunteer=volunteer, shift=shift, day=timezone.localdate(shift.starts_at), hours=value, late_entry=True,
        late_reason=model_text(HoursRecord, "late_reason", reason, field="reason"), recorded_by=actor,
    )
    audit_log(actor=actor, action="timebank.hours.late_entry", obj=record, after={"hours": str(value), "reason": record.late_reason})
    return record
