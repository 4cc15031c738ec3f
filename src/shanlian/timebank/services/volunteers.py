"""Registering volunteers, the certification quiz, stars, and giving credits to family or the pool."""

from __future__ import annotations

import random
import secrets
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.conf import domain_setting
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed, field_error, lazy_format
from shanlian.core.idempotency import key_lock, replayed, was_replayed
from shanlian.core.money import Hours
from shanlian.ledger.models import Account, Entry
from shanlian.ledger.services import entry_post
from shanlian.orgs.models import Station
from shanlian.people.models import Person
from shanlian.places.models import Division

from .. import memos
from ..models import FamilyLink, QuizAttempt, QuizQuestion, Skill, Volunteer, quiz_pool
from ._access import is_organizer, require_self, scope_of
from .accounts import community_pool, volunteer_account

AVAILABILITY = ("weekday_am", "weekday_pm", "weekday_eve", "sat_am", "sat_pm", "sun_am", "sun_pm")


def star_level(approved: Hours | Decimal) -> int:
    """Stars from cumulative approved hours (100/300/600/1,000/1,500 by default)."""
    value = approved.value if isinstance(approved, Hours) else Decimal(approved)
    return sum(1 for threshold in domain_setting("TIMEBANK_STAR_HOURS") if value >= threshold)


def next_star(approved: Hours | Decimal) -> tuple[int, Decimal] | None:
    """(the next star, hours still needed), or None at the top."""
    value = approved.value if isinstance(approved, Hours) else Decimal(approved)
    for n, threshold in enumerate(domain_setting("TIMEBANK_STAR_HOURS"), start=1):
        if value < threshold:
            return n, Decimal(threshold) - value
    return None


@transaction.atomic
def volunteer_register(
    *,
    actor: Any,
    person: Person,
    station: Station,
    skills: list[str] | None = None,
    availability: list[str] | None = None,
    service_areas: list[Division] | None = None,
    party_member: bool = False,
    party_consent: bool = False,
    idempotency_key: str = "",
) -> Volunteer:
    """A resident registers themself, or a station worker registers a resident of the station's area. Sent again with
    the same `idempotency_key` and the same answers, it returns the registration made then (`was_replayed`)."""
    scope = scope_of(actor)
    if scope.person_id != person.pk and not (is_organizer(scope, station) and scope.covers_path(person.division.path, scope.people_paths)):
        raise PermissionDenied("cannot_register", _("You can register yourself, or residents of your station's area."))
    key_lock("timebank.register", person.pk)
    existing = Volunteer.objects.filter(person=person).first()
    if existing is not None:
        if idempotency_key and existing.idempotency_key == idempotency_key:
            asked = (station.pk, sorted(set(skills or [])), sorted(set(availability or [])),
                     sorted({d.pk for d in service_areas or []}), bool(party_member))
            stored = (existing.station_id, existing.skills, existing.availability,
                      sorted(existing.service_areas.values_list("pk", flat=True)), existing.party_member)
            if asked != stored:
                raise Conflict("idempotency_mismatch", _("This request id was already used for a different registration."))
            return replayed(existing)
        raise Conflict("already_volunteer", _("This person is already a registered volunteer."))
    bad = [s for s in (skills or []) if s not in Skill.values]
    if bad:
        raise field_error("skills", "invalid_skill", lazy_format(_("Unknown skill: %(skill)s."), {"skill": bad[0]}))
    bad = [a for a in (availability or []) if a not in AVAILABILITY]
    if bad:
        raise field_error("availability", "invalid_availability", lazy_format(_("Unknown time slot: %(slot)s."), {"slot": bad[0]}))
    if party_member and not party_consent:
        raise field_error("party_member", "consent_required",
                          _("Party membership is recorded only with the volunteer's separate consent."))
    # The public number: year + a random serial, never derived from the resident ID.
    number = f"ZY{timezone.localdate().year}{secrets.randbelow(10**8):08d}"
    while Volunteer.objects.filter(number=number).exists():
        number = f"ZY{timezone.localdate().year}{secrets.randbelow(10**8):08d}"
    volunteer = Volunteer.objects.create(
        person=person, number=number, station=station, skills=sorted(set(skills or [])), availability=sorted(set(availability or [])),
        party_member=party_member, party_consent_at=timezone.now() if party_member else None,
        account=volunteer_account(number, person.real_name), idempotency_key=idempotency_key,
    )
    if service_areas:
        volunteer.service_areas.set(service_areas)
    audit_log(actor=actor, action="timebank.volunteer.register", obj=volunteer, after={"number": number, "station": station.pk})
    return volunteer


@transaction.atomic
def quiz_start(*, actor: Any, volunteer: Volunteer, station: Station | None = None) -> QuizAttempt:
    """Draw a random paper from the city bank and the station's own questions together. A volunteer who passed
    does not sit it again; retakes are limited."""
    require_self(actor, volunteer)
    station = station or volunteer.station
    Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    attempts = QuizAttempt.objects.filter(volunteer=volunteer, station=station)
    if attempts.filter(passed=True).exists():
        raise Conflict("quiz_already_passed", _("You have already passed this quiz."))
    open_attempt = attempts.filter(submitted_at__isnull=True).first()
    if open_attempt is not None:
        return open_attempt
    if attempts.count() >= domain_setting("TIMEBANK_QUIZ_MAX_ATTEMPTS"):
        raise ValidationFailed("quiz_attempts_exhausted", _("You have used all your attempts; ask the station for help."))
    ids = list(QuizQuestion.objects.filter(quiz_pool(station.pk)).values_list("pk", flat=True))
    size = domain_setting("TIMEBANK_QUIZ_QUESTIONS")
    if len(ids) < min(size, 3):
        raise ValidationFailed("quiz_bank_empty", _("This station has no quiz questions yet."))
    paper = random.SystemRandom().sample(ids, min(size, len(ids)))
    attempt = QuizAttempt.objects.create(volunteer=volunteer, station=station, question_ids=paper)
    # From now on these questions are part of a record: retired rather than deleted, a new version when edited.
    QuizQuestion.objects.filter(pk__in=paper, drawn_at__isnull=True).update(drawn_at=attempt.started_at)
    return attempt


@transaction.atomic
def quiz_submit(*, actor: Any, attempt: QuizAttempt, answers: dict[str, int]) -> QuizAttempt:
    require_self(actor, attempt.volunteer)
    locked = QuizAttempt.objects.select_for_update().get(pk=attempt.pk)
    if locked.submitted_at is not None:
        return locked
    questions = {q.pk: q for q in QuizQuestion.objects.filter(pk__in=locked.question_ids)}
    missing = [qid for qid in locked.question_ids if str(qid) not in answers]
    if missing:
        raise field_error("answers", "quiz_incomplete", _("Answer every question before submitting."))
    right = sum(1 for qid in locked.question_ids if questions[qid].answer == answers[str(qid)])
    score = round(100 * right / len(locked.question_ids))
    locked.answers, locked.score, locked.submitted_at = {str(k): v for k, v in answers.items()}, score, timezone.now()
    locked.passed = score >= domain_setting("TIMEBANK_QUIZ_PASS_PERCENT")
    if locked.passed:
        locked.certificate_code = secrets.token_hex(6).upper()
    locked.save(update_fields=["answers", "score", "submitted_at", "passed", "certificate_code"])
    audit_log(actor=actor, action="timebank.quiz.submit", obj=locked, after={"score": score, "passed": locked.passed})
    return locked


def is_certified(volunteer: Volunteer) -> bool:
    return QuizAttempt.objects.filter(volunteer=volunteer, passed=True).exists()


def positive_hours(value: Any, *, field: str = "amount") -> Hours:
    """Hours given by a person or a machine: half-hour steps, above zero; a field error otherwise."""
    try:
        hours = value if isinstance(value, Hours) else Hours(value)
    except ValidationFailed as exc:
        raise field_error(field, exc.code, exc.message) from exc
    if hours.value <= 0:
        raise field_error(field, "amount_not_positive", _("The amount must be more than zero."))
    return hours


@transaction.atomic
def family_link(*, actor: Any, volunteer: Volunteer, member: Volunteer, relation: str) -> FamilyLink:
    require_self(actor, volunteer)
    if relation not in FamilyLink.Relation.values:
        raise field_error("relation", "invalid_relation", _("Unknown relation."))
    if member.pk == volunteer.pk:
        raise field_error("member", "family_self", _("You cannot add yourself as family."))
    link, _created = FamilyLink.objects.get_or_create(volunteer=volunteer, member=member, defaults={"relation": relation})
    return link


def _have_enough(volunteer: Volunteer, hours: Hours) -> None:
    """The giver's own balance first: giving more than you have is "your balance is too low", whatever the receiver."""
    have = Account.objects.filter(pk=volunteer.account_id).values_list("balance", "held").get()
    if have[0] - have[1] < hours.value:
        raise field_error("amount", "insufficient_balance", lazy_format(
            _("Your balance is too low: you have %(balance)s credits."), {"balance": f"{have[0] - have[1]:.1f}"}))


@transaction.atomic
def credits_give(*, actor: Any, volunteer: Volunteer, to: Volunteer | None, amount: Any, external_id: str = "") -> Entry:
    """Give credits to a registered family member, or to the community pool (to=None). Never below
    zero (the ledger's guarded account refuses: `insufficient_balance` on the amount), never above the receiver's cap.
    The same `external_id` with the same gift returns the first entry (`was_replayed`)."""
    require_self(actor, volunteer)
    hours = positive_hours(amount)
    source = f"timebank.give:{volunteer.pk}"
    # A retry of a gift already made is answered by the ledger (the first entry, or a conflict): not refused for a cap
    # that the first gift itself reached.
    again = bool(external_id) and Entry.objects.filter(source=source, external_id=external_id).exists()
    if not again:
        _have_enough(volunteer, hours)
    if to is not None:
        if not FamilyLink.objects.filter(volunteer=volunteer, member=to).exists():
            raise field_error("to", "not_family", _("Credits can be given only to family members you have registered."))
        to_account = to.account
        to_account.refresh_from_db(fields=["balance"])
        if not again and to_account.balance + hours.value > domain_setting("TIMEBANK_BALANCE_CAP"):
            raise ValidationFailed("receiver_cap", _("This would take the receiver above the balance cap."))
    else:
        to_account = community_pool()
    try:
        entry = entry_post(
            legs=[(volunteer.account, hours.value), (to_account, -hours.value)],
            memo=memos.give(volunteer.number, to.number if to else None),
            source=source, external_id=external_id, actor=actor,
        )
    except ValidationFailed as exc:
        if exc.code != "insufficient_balance":
            raise
        _have_enough(volunteer, hours)  # (spent meanwhile: the ledger refused; say so in the giver's terms)
        raise
    if was_replayed(entry):
        return entry
    audit_log(actor=actor, action="timebank.credits.give", obj=volunteer, after={"to": to.number if to else "pool", "hours": str(hours)})
    return entry
