"""Every write about micro-wishes but fulfilment (services_fulfil.py): registering a wish for a beneficiary (with their
consent to a de-identified posting), editing it before anyone claims it (a version check), cancelling it with a
reason, claiming it (one live claim per wish, in the database too), withdrawing, expiring claims and wishes (a periodic
job and, lazily, every read of a wish), and the station's messages to the claimant."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.cases import access as case_access
from shanlian.cases import selectors as case_sel
from shanlian.cases.models import Beneficiary, BeneficiaryStatus, Purpose, Recipient
from shanlian.cases.services import consent_require
from shanlian.core import crypto
from shanlian.core.audit import access_denied, audit_log
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, field_error, lazy_format
from shanlian.core.identifiers import clean_credit_code
from shanlian.core.inputs import Checks, amount_in, int_in, model_text, text_in
from shanlian.core.money import Money
from shanlian.core.scoping import Scope
from shanlian.core.transitions import transition
from shanlian.people.selectors import signed_in_scope
from shanlian.places.models import Level

from . import access
from .conf import claim_days, value_cap, wish_setting
from .models import LIVE_CLAIM, ClaimKind, ClaimStatus, Wish, WishClaim, WishFor, WishKind, WishMessage, WishStatus

NOTE_MAX = 1000
MESSAGE_MAX = 1000
EDITABLE = ("title", "description", "private_note", "wish_for", "kind", "value", "needed_by")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def team_scope(actor: Any, station_id: int, street_path: str, object_id: int | str = "") -> Scope:
    """The station's case team writes; officers who oversee it are refused; anyone else gets a 404 (and the look is
    logged), as for a wish that does not exist."""
    scope = signed_in_scope(actor)
    if access.is_team(scope, station_id):
        return scope
    if access.oversees(scope, street_path):
        raise PermissionDenied("not_case_team", _("Only the station's social workers and their supervisor change its wishes."))
    access_denied(user_id=scope.user_id, object_type="wishes.wish", object_id=object_id or "")
    raise NotFound()


def _locked(wish: Wish) -> Wish:
    return Wish.objects.select_for_update(of=("self",)).select_related("station", "street", "consent").get(pk=wish.pk)


def _value(checks: Checks, value: Any) -> Money | None:
    money = checks(amount_in, value, field="value")
    if money is None:
        return None
    cap = value_cap()
    if money.amount > cap:
        checks.failed.append(field_error("value", "over_cap", lazy_format(
            _("A micro-wish is worth at most ¥%(cap)s."), {"cap": f"{cap:,.2f}"})))
        return None
    return Money(money.amount)


def _needed_by(checks: Checks, day: Any, today: dt.date) -> dt.date | None:
    if not isinstance(day, dt.date):
        checks.failed.append(field_error("needed_by", "required", _("Say by when the wish is needed.")))
        return None
    if day <= today:
        checks.failed.append(field_error("needed_by", "needed_by_past", _("The day it is needed by must be after today.")))
        return None
    furthest = int(wish_setting("WISHES_NEEDED_BY_MAX_DAYS"))
    if day > today + dt.timedelta(days=furthest):
        checks.failed.append(field_error("needed_by", "needed_by_too_far", lazy_format(
            _("A micro-wish is needed within %(n)s days."), {"n": furthest})))
        return None
    return day


def _public_texts(checks: Checks, beneficiary: Beneficiary, texts: dict[str, str]) -> None:
    """What the wall shows may not name the person or give their address (the station writes it for the wall)."""
    name = beneficiary.person.real_name
    address = case_sel.decrypted(beneficiary, "address")
    for field, text in texts.items():
        if len(name) >= 2 and name in text:
            checks.failed.append(field_error(field, "name_in_public_text",
                                             _("The wall never shows the beneficiary's name: describe the need without it.")))
        elif address and (address in text or (len(address) >= 6 and address[:6] in text)):
            checks.failed.append(field_error(field, "address_in_public_text",
                                             _("The wall never shows the beneficiary's address: the community is shown for you.")))


def _area(beneficiary: Beneficiary) -> Any:
    division = beneficiary.person.division
    street = beneficiary.station.street
    if division.level == Level.COMMUNITY and division.path.startswith(street.path):
        return division
    return street


# --- wishes ---------------------------------------------------------------------------------------------------------

@transaction.atomic
def wish_register(*, actor: Any, beneficiary: Beneficiary, title: str, wish_for: str, kind: str, value: Any,
                  needed_by: dt.date | None, description: str = "", private_note: str = "",
                  now: dt.datetime | None = None) -> Wish:
    """The case team posts a wish of one of its beneficiaries: what, for whom (a description, never the person), a value
    above zero and at most the cap (`over_cap`), a day it is needed by after today (`needed_by_past`) and within
    WISHES_NEEDED_BY_MAX_DAYS. The beneficiary must be served and have consented to de-identified posting
    (`consent_missing`, `consent_withdrawn`, `consent_expired`). `now`: the moment (the demo's history), else now."""
    scope = signed_in_scope(actor)
    seen = case_access.sight(scope, beneficiary)
    if seen is case_access.Sight.NONE:
        access_denied(user_id=scope.user_id, object_type="cases.beneficiary", object_id=beneficiary.pk)
        raise NotFound()
    if not case_access.is_case_team(scope, beneficiary):
        raise PermissionDenied("not_case_team", _("Only the station's social workers and their supervisor post its wishes."))
    at = _now(now)
    today = timezone.localdate(at)
    checks = Checks()
    title = checks(model_text, Wish, "title", title, required=True)
    description = checks(model_text, Wish, "description", description)
    note = checks(text_in, private_note, field="private_note", max_length=NOTE_MAX, multiline=True)
    if wish_for not in WishFor.values:
        checks.failed.append(field_error("wish_for", "invalid_choice", _("Choose who the wish is for.")))
    if kind not in WishKind.values:
        checks.failed.append(field_error("kind", "invalid_choice", _("Choose goods, money or service.")))
    money = _value(checks, value)
    day = _needed_by(checks, needed_by, today)
    if beneficiary.status != BeneficiaryStatus.ACTIVE:
        checks.failed.append(field_error("beneficiary", "beneficiary_closed", _("This person is no longer served by the station.")))
    if title or description:
        _public_texts(checks, beneficiary, {"title": title or "", "description": description or ""})
    checks.done()
    consent = consent_require(beneficiary, Purpose.WISH, Recipient.DONOR, on=today)
    assert money is not None and day is not None  # (checks.done() raised otherwise)
    wish = Wish(station=beneficiary.station, beneficiary=beneficiary, area=_area(beneficiary), street=beneficiary.station.street,
                consent=consent,
                title=title, description=description, private_note_enc=crypto.encrypt(note) if note else "", wish_for=wish_for,
                kind=kind, value=money, needed_by=day, registered_by=actor, registered_at=at)
    wish.full_clean(exclude=["private_note_enc"])
    wish.save()
    audit_log(actor=actor, action="wishes.register", obj=wish, after={
        "beneficiary": beneficiary.pk, "kind": kind, "value": str(money), "needed_by": day.isoformat() if day else None})
    return wish


@transaction.atomic
def wish_update(*, actor: Any, wish: Wish, version: int, **changes: Any) -> Wish:
    """Correct a wish before anyone claims it: only the fields given change; `version` is the one the writer read (a
    wish changed since is refused, `stale_version`); a claimed or ended wish is not edited (`not_editable`): what a
    claimant took on does not change under them."""
    team_scope(actor, wish.station_id, wish.street.path, wish.pk)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed("invalid_field", _("This field cannot be changed here."))
    locked = _locked(wish)
    _expire_locked(locked, timezone.now())
    if locked.version != version:
        raise Conflict("stale_version", _("Someone changed this wish after you opened it: reload it and make your change again."))
    if locked.status != WishStatus.OPEN:
        raise Conflict("not_editable", lazy_format(_("A wish is edited only while open; this one is %(state)s."),
                                                   {"state": locked.get_status_display()}))
    checks = Checks()
    new: dict[str, Any] = {}
    if "title" in changes:
        new["title"] = checks(model_text, Wish, "title", changes["title"], required=True)
    if "description" in changes:
        new["description"] = checks(model_text, Wish, "description", changes["description"])
    if "private_note" in changes:
        note = checks(text_in, changes["private_note"], field="private_note", max_length=NOTE_MAX, multiline=True)
        new["private_note_enc"] = crypto.encrypt(note) if note else ""
    if "wish_for" in changes:
        if changes["wish_for"] not in WishFor.values:
            checks.failed.append(field_error("wish_for", "invalid_choice", _("Choose who the wish is for.")))
        new["wish_for"] = changes["wish_for"]
    if "kind" in changes:
        if changes["kind"] not in WishKind.values:
            checks.failed.append(field_error("kind", "invalid_choice", _("Choose goods, money or service.")))
        new["kind"] = changes["kind"]
    if "value" in changes:
        new["value"] = _value(checks, changes["value"])
    if "needed_by" in changes:
        new["needed_by"] = _needed_by(checks, changes["needed_by"], timezone.localdate())
    beneficiary = Beneficiary.objects.select_related("person").get(pk=locked.beneficiary_id)
    _public_texts(checks, beneficiary, {k: v for k, v in new.items() if k in ("title", "description") and v})
    checks.done()
    changed = {k: v for k, v in new.items() if getattr(locked, k) != v}
    if not changed:
        return locked
    before = {k: str(getattr(locked, k)) for k in changed if k != "private_note_enc"}
    for name, v in changed.items():
        setattr(locked, name, v)
    locked.version += 1
    locked.save(update_fields=[*changed, "version", "updated_at"])
    audit_log(actor=actor, action="wishes.update", obj=locked, before=before,
              after={**{k: str(v) for k, v in changed.items() if k != "private_note_enc"},
                     "private_note_changed": "private_note_enc" in changed, "version": locked.version})
    return locked


@transaction.atomic
def wish_cancel(*, actor: Any, wish: Wish, reason: str) -> Wish:
    """Take a wish off the wall with a reason (the need went away, the person moved); a live claim ends with it. A wish
    already delivered is not cancelled: it is confirmed."""
    team_scope(actor, wish.station_id, wish.street.path, wish.pk)
    why = text_in(reason, field="reason", max_length=200)
    if not why:
        raise field_error("reason", "reason_required", _("Say why the wish is cancelled."))
    now = timezone.now()
    done = transition(wish, to=WishStatus.CANCELLED, allowed_from=[WishStatus.OPEN, WishStatus.CLAIMED], actor=actor,
                      action="wishes.cancel", changes=lambda w: {"cancel_reason": why, "ended_at": now, "ended_by": actor},
                      audit={"reason": why})
    WishClaim.objects.filter(wish=done, status__in=LIVE_CLAIM).update(status=ClaimStatus.CANCELLED, ended_at=now)
    return done


# --- expiry ---------------------------------------------------------------------------------------------------------

def _expire_locked(wish: Wish, now: dt.datetime) -> bool:
    """On a locked wish: its claim past its time ends and the wish reopens; an open wish past its day expires."""
    changed = False
    if wish.status == WishStatus.CLAIMED:
        gone = WishClaim.objects.filter(wish=wish, status=ClaimStatus.ACTIVE, expires_at__lte=now).update(
            status=ClaimStatus.EXPIRED, ended_at=now)
        if gone:
            wish.status = WishStatus.OPEN
            wish.save(update_fields=["status", "updated_at"])
            audit_log(actor=None, action="wishes.claim_expire", obj=wish, before={"status": "claimed"}, after={"status": "open"})
            changed = True
    if wish.status == WishStatus.OPEN and wish.needed_by < timezone.localdate(now):
        wish.status, wish.ended_at = WishStatus.EXPIRED, now
        wish.save(update_fields=["status", "ended_at", "updated_at"])
        audit_log(actor=None, action="wishes.expire", obj=wish, before={"status": "open"}, after={"status": "expired"})
        changed = True
    return changed


def wish_refresh(wish: Wish, now: dt.datetime | None = None) -> Wish:
    """The lazy form of the periodic job, for one wish being read or claimed: a write only when something is due."""
    at = _now(now)
    due = (wish.status == WishStatus.CLAIMED and WishClaim.objects.filter(wish=wish, status=ClaimStatus.ACTIVE,
                                                                         expires_at__lte=at).exists()) or (
        wish.status == WishStatus.OPEN and wish.needed_by < timezone.localdate(at))
    if not due:
        return wish
    with transaction.atomic():
        locked = _locked(wish)
        _expire_locked(locked, at)
    wish.refresh_from_db()
    return wish


def claims_expire(now: dt.datetime | None = None) -> int:
    """The periodic job: claims not delivered by their time end and their wishes reopen; open wishes past the day they
    were needed by expire. Safe to run twice and in several processes at once (each wish is locked and looked at again).
    Returns how many wishes changed."""
    at = _now(now)
    due = set(WishClaim.objects.filter(status=ClaimStatus.ACTIVE, expires_at__lte=at).values_list("wish_id", flat=True))
    due |= set(Wish.objects.filter(status=WishStatus.OPEN, needed_by__lt=timezone.localdate(at)).values_list("pk", flat=True))
    changed = 0
    for wish_id in sorted(due):
        with transaction.atomic():
            locked = Wish.objects.select_for_update().filter(pk=wish_id).first()
            if locked is not None and _expire_locked(locked, at):
                changed += 1
    return changed


# --- claims ---------------------------------------------------------------------------------------------------------

def _claimant(checks: Checks, actor: Any, kind: str, party_branch: str, party_members: Any, company_name: str,
              credit_code: str) -> dict[str, Any]:
    """The claim's kind and who the leaderboard counts, with its public name (a person's masked)."""
    out: dict[str, Any] = {"kind": kind, "party_branch": "", "party_members": 0, "company_name": "", "credit_code": ""}
    person = getattr(actor, "person", None)
    name = person.real_name if person is not None else (actor.get_full_name() or actor.get_username())
    if kind == ClaimKind.SELF:
        out.update(claimant_key=f"user:{actor.pk}", claimant_label=crypto.mask_name(name))
    elif kind == ClaimKind.PARTY:
        out["party_members"] = checks(int_in, party_members, field="party_members", minimum=1,
                                      maximum=int(wish_setting("WISHES_PARTY_MEMBERS_MAX"))) or 0
        branch = checks(model_text, WishClaim, "party_branch", party_branch) or ""
        out["party_branch"] = branch
        out.update(claimant_key=f"party:{branch}" if branch else f"user:{actor.pk}",
                   claimant_label=branch or crypto.mask_name(name))
    elif kind == ClaimKind.COMPANY:
        company = checks(model_text, WishClaim, "company_name", company_name, required=True) or ""
        code = ""
        if (credit_code or "").strip():
            code = checks(clean_credit_code, credit_code) or ""
            if not code:
                checks.failed[-1] = field_error("credit_code", checks.failed[-1].code, checks.failed[-1].message)
        out.update(company_name=company, credit_code=code, claimant_key=f"org:{code or company}", claimant_label=company)
    else:
        checks.failed.append(field_error("kind", "invalid_choice",
                                         _("Choose how you claim: yourself, as a party member, or for a company.")))
    return out


@transaction.atomic
def wish_claim(*, actor: Any, wish: Wish, kind: str = ClaimKind.SELF, party_branch: str = "", party_members: Any = None,
               company_name: str = "", credit_code: str = "", contact: str = "", now: dt.datetime | None = None) -> WishClaim:
    """A signed-in person claims an open wish for themselves, as a party member with the members taking part, or for a
    company (its unified social credit code checked when given). One live claim per wish (`already_claimed`, also a
    unique constraint); a wish cancelled, delivered, fulfilled or expired is not claimed (`wish_not_open`). The
    station's own staff do not claim its wishes (`own_station`): they post them, record what was given and confirm it,
    and nobody confirms their own gift. A person holds at most WISHES_LIVE_CLAIMS_MAX live claims (`too_many_claims`)."""
    scope = signed_in_scope(actor)
    at = _now(now)
    checks = Checks()
    who = _claimant(checks, actor, kind, party_branch, party_members, company_name, credit_code)
    contact = checks(model_text, WishClaim, "contact", contact) or ""
    checks.done()
    locked = _locked(wish)
    _expire_locked(locked, at)
    if not access.may_claim(scope, locked.station_id):
        raise PermissionDenied("own_station", _("A station's own staff do not claim its wishes: they confirm them."))
    if locked.beneficiary.person.user_id is not None and locked.beneficiary.person.user_id == actor.pk:
        raise PermissionDenied("own_wish", _("A wish is not claimed by the person it is for."))
    if not access.on_wall(locked, timezone.localdate(at)):
        raise Conflict("off_wall", _("This wish has been taken off the wall."))
    if locked.status == WishStatus.CLAIMED:
        raise Conflict("already_claimed", _("Someone has just claimed this wish. Choose another one on the wall."))
    if locked.status != WishStatus.OPEN:
        raise Conflict("wish_not_open", lazy_format(_("This wish is %(state)s and cannot be claimed."),
                                                    {"state": locked.get_status_display()}))
    live = WishClaim.objects.filter(user=actor, status__in=LIVE_CLAIM).count()
    if live >= int(wish_setting("WISHES_LIVE_CLAIMS_MAX")):
        raise Conflict("too_many_claims", lazy_format(_("You hold %(n)s live claims: deliver one before claiming more."),
                                                      {"n": live}))
    try:
        with transaction.atomic():
            claim = WishClaim.objects.create(wish=locked, user=actor, contact=contact, claimed_at=at,
                                             expires_at=at + dt.timedelta(days=claim_days()), **who)
    except IntegrityError:
        raise Conflict("already_claimed", _("Someone has just claimed this wish. Choose another one on the wall.")) from None
    locked.status = WishStatus.CLAIMED
    locked.save(update_fields=["status", "updated_at"])
    audit_log(actor=actor, action="wishes.claim", obj=claim, after={"wish": locked.pk, "kind": who["kind"],
                                                                      "party_members": who["party_members"]})
    return claim


@transaction.atomic
def claim_withdraw(*, actor: Any, claim: WishClaim) -> WishClaim:
    """The claimant gives a claim back before anything is delivered; the wish reopens. Someone else's claim: 404."""
    signed_in_scope(actor)
    if claim.user_id != actor.pk:
        raise NotFound()
    wish = _locked(claim.wish)
    row = WishClaim.objects.select_for_update().get(pk=claim.pk)
    if row.status == ClaimStatus.WITHDRAWN:
        return row
    if row.status != ClaimStatus.ACTIVE:
        raise Conflict("claim_not_active", lazy_format(_("This claim is %(state)s and cannot be withdrawn."),
                                                       {"state": row.get_status_display()}))
    now = timezone.now()
    row.status, row.ended_at = ClaimStatus.WITHDRAWN, now
    row.save(update_fields=["status", "ended_at"])
    if wish.status == WishStatus.CLAIMED:
        wish.status = WishStatus.OPEN
        wish.save(update_fields=["status", "updated_at"])
        _expire_locked(wish, now)
    audit_log(actor=actor, action="wishes.claim_withdraw", obj=row, after={"wish": wish.pk})
    return row


def live_claim(wish: Wish) -> WishClaim | None:
    return WishClaim.objects.filter(wish=wish, status__in=LIVE_CLAIM).select_related("user").first()


# --- messages -------------------------------------------------------------------------------------------------------

@transaction.atomic
def message_send(*, actor: Any, wish: Wish, text: str) -> WishMessage:
    """The station tells the claimant where and when to hand over: stored, shown to the claimant and the team only."""
    team_scope(actor, wish.station_id, wish.street.path, wish.pk)
    body = text_in(text, field="text", max_length=MESSAGE_MAX, required=True, multiline=True)
    claim = live_claim(wish)
    if claim is None:
        raise Conflict("no_claimant", _("Nobody holds a claim on this wish now."))
    made = WishMessage.objects.create(wish=wish, claim=claim, from_station=True, sender=actor, text=body)
    audit_log(actor=actor, action="wishes.message", obj=made, after={"claim": claim.pk, "from_station": True})
    return made


@transaction.atomic
def message_reply(*, actor: Any, claim: WishClaim, text: str) -> WishMessage:
    """The claimant answers the station (on their live claim)."""
    signed_in_scope(actor)
    if claim.user_id != actor.pk:
        raise NotFound()
    body = text_in(text, field="text", max_length=MESSAGE_MAX, required=True, multiline=True)
    if claim.status not in LIVE_CLAIM:
        raise Conflict("claim_not_active", _("This claim has ended."))
    made = WishMessage.objects.create(wish_id=claim.wish_id, claim=claim, from_station=False, sender=actor, text=body)
    audit_log(actor=actor, action="wishes.message", obj=made, after={"claim": claim.pk, "from_station": False})
    return made


def claims_live_q() -> Q:
    return Q(status__in=LIVE_CLAIM)
