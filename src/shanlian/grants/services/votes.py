"""The resident vote: a resident's ballot cast (and changed) online while the vote is open; paper ballots keyed twice
by the round's staff and counted when two different people key them alike.

One ballot per person and round, whichever way it came: the person's row is locked while their ballot is written
(two casts at once, or a cast beside a paper count, take turns), and the unique constraint on (round, voter) stands
behind the lock. A paper ballot cannot be changed online, and a person who already has a ballot cannot have a paper
one counted (`already_voted`: the first ballot stands; the refused keying is not saved, earlier keyings of that
paper stay as they were, so staff see the paper set aside rather than a false "keyings differ").

The audit rows say which ballot was cast or changed and how many projects it names, not which ones: ballots are
secret from the staff who read the log (the ballot table itself is read only by the tally, in aggregate).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log, audit_rows
from shanlian.core.context import current
from shanlian.core.errors import Conflict, field_error, lazy_format
from shanlian.core.inputs import model_text
from shanlian.core.money import Money
from shanlian.people.models import Person

from .. import phases
from ..access import require_in_area, require_resident, require_round_staff, scope_of
from ..models import (
    Ballot,
    BallotChannel,
    BallotChoice,
    BallotKind,
    GrantRound,
    PaperKeying,
    PaperStatus,
    PhaseKind,
    Proposal,
    ProposalStatus,
    RoundStatus,
)

MAX_BALLOT_IDS = 50  # what a ballot may name at most, whatever the round allows (round_create caps max_choices here)
MAX_ID = 2**63 - 1

Choices = list[tuple[int, int]]  # (proposal id, points), sorted by proposal id


# --- the checks every ballot passes, online or on paper -------------------------------------------------------------

def choices_in(*, round: GrantRound, choices: Any) -> Choices:
    """A ballot's choices made exact, or refused: approval ballots a list of proposal ids, cumulative ones a dict
    {proposal id: points}; every id a feasible proposal of this round, their number within the round's limits, the
    points within the round's, the costs within the budget on a knapsack ballot. Sorted by proposal id."""
    cumulative = round.ballot_kind == BallotKind.CUMULATIVE
    if cumulative:
        if not isinstance(choices, dict):
            raise _bad(_("Share your points as a list of projects with the points each gets."))
        pairs = list(choices.items())
    else:
        if not isinstance(choices, list | tuple):
            raise _bad(_("Tick the projects you support."))
        pairs = [(pid, 1) for pid in choices]
    if len(pairs) > MAX_BALLOT_IDS:
        raise _too_many(round)
    for pid, points in pairs:
        if not _is_int(pid) or not 1 <= pid <= MAX_ID:
            raise _bad(_("A ballot names projects by their number on the ballot."))
        if not _is_int(points) or points < 1:
            raise field_error("choices", "ballot_points", _("Give each project you choose at least one point."))
    ids = [pid for pid, _points in pairs]
    if len(set(ids)) != len(ids):
        raise field_error("choices", "ballot_duplicate", _("A project appears twice on the ballot."))
    if len(ids) < round.min_choices:
        raise field_error("choices", "ballot_too_few", lazy_format(
            _("Choose at least %(min)s projects."), {"min": round.min_choices}))
    if len(ids) > round.max_choices:
        raise _too_many(round)
    total = sum(points for _pid, points in pairs)
    if cumulative and total > round.points:
        raise field_error("choices", "ballot_points", lazy_format(
            _("You have %(points)s points to share; this ballot gives %(total)s."), {"points": round.points, "total": total}))
    costs = {pid: price if price is not None else asked for pid, price, asked in Proposal.objects.filter(
        round=round, status=ProposalStatus.FEASIBLE, pk__in=ids).values_list("pk", "accepted_price", "requested")}  # Proposal.cost
    if len(costs) != len(ids):
        raise field_error("choices", "proposal_not_on_ballot", _("A project chosen is not on this round's ballot."))
    if round.knapsack:
        spent = sum((costs[pid] for pid in ids), Money(0))
        if spent > round.budget:
            raise field_error("choices", "ballot_over_budget", lazy_format(
                _("The projects chosen cost ¥%(cost)s together, more than the round's budget of ¥%(budget)s."),
                {"cost": f"{spent.amount:,.2f}", "budget": f"{round.budget.amount:,.2f}"}))
    return sorted(pairs)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(message: Any) -> Any:
    return field_error("choices", "invalid_choices", message)


def _too_many(round: GrantRound) -> Any:
    return field_error("choices", "ballot_too_many", lazy_format(
        _("Choose at most %(max)s projects."), {"max": min(round.max_choices, MAX_BALLOT_IDS)}))


def voter_locked(*, person_id: int, round: GrantRound) -> Person:
    """The voter's row, locked until the transaction ends (their ballots are written one at a time), if their
    community on record lies in the round's voting area."""
    return require_in_area(Person.objects.select_for_update(of=("self",)).select_related("division").get(pk=person_id), round)


def _existing_ballot(round: GrantRound, voter: Person) -> Ballot | None:
    return Ballot.objects.select_for_update().filter(round=round, voter=voter).first()


def _new_ballot(*, round: GrantRound, voter: Person, channel: str, paper_number: str = "") -> Ballot | None:
    """A new ballot, or None when one appeared meanwhile (the unique constraint said so: the caller changes it)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return Ballot.objects.create(round=round, voter=voter, community_id=voter.division_id, channel=channel,
                                         paper_number=paper_number, cast_at=now, changed_at=now)
    except IntegrityError:
        return None


# --- online ----------------------------------------------------------------------------------------------------------

@transaction.atomic
def ballot_cast(*, actor: Any, round: GrantRound, choices: Any) -> Ballot:
    """Cast the actor's ballot, or change it (its choices replaced) while the vote is open. The same choices again
    change nothing (a retried request is not an error)."""
    scope_of(actor)  # signed in, before anything else is said
    phases.require_open(round, PhaseKind.VOTE)
    voter = require_resident(actor, round, lock=True)
    picked = choices_in(round=round, choices=choices)
    ballot = _existing_ballot(round, voter)
    if ballot is None:
        ballot = _new_ballot(round=round, voter=voter, channel=BallotChannel.ONLINE)
        if ballot is not None:
            _choices_write(ballot, picked)
            audit_log(actor=actor, action="grants.ballot.cast", obj=ballot, after=_summary(ballot, picked))
            return ballot
        ballot = Ballot.objects.select_for_update().get(round=round, voter=voter)
    if ballot.channel == BallotChannel.PAPER:
        raise Conflict("ballot_on_paper", _("Your ballot was cast on paper; it cannot be changed online."))
    before = list(BallotChoice.objects.filter(ballot=ballot).order_by("proposal_id").values_list("proposal_id", "points"))
    if before == picked and ballot.community_id == voter.division_id:
        return ballot
    ballot.changed_at = timezone.now()
    ballot.community_id = voter.division_id
    ballot.save(update_fields=["changed_at", "community"])
    BallotChoice.objects.filter(ballot=ballot).delete()
    _choices_write(ballot, picked)
    audit_log(actor=actor, action="grants.ballot.change", obj=ballot, before={"choices": len(before)},
              after=_summary(ballot, picked))
    return ballot


def _choices_write(ballot: Ballot, picked: Choices) -> None:
    BallotChoice.objects.bulk_create([BallotChoice(ballot=ballot, proposal_id=pid, points=points) for pid, points in picked])


def _summary(ballot: Ballot, picked: Choices) -> dict[str, Any]:
    return {"channel": ballot.channel, "paper_number": ballot.paper_number, "choices": len(picked),
            "points": sum(points for _pid, points in picked)}


# --- paper -----------------------------------------------------------------------------------------------------------

def paper_number_in(value: Any) -> str:
    """The number printed on a paper ballot: full-width characters made plain and letters upper case, so that
    "ａ-０１２" and "A-012" keyed by two people are the same paper."""
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).upper()
    return model_text(PaperKeying, "paper_number", value, required=True)


def _require_keying_window(round: GrantRound) -> None:
    """Paper ballots are keyed while the vote is open, and after it closes until the round's results are made."""
    if not phases.has_closed(round, PhaseKind.VOTE):
        phases.require_open(round, PhaseKind.VOTE)
        return
    if round.status != RoundStatus.OPEN:
        raise Conflict("round_not_open", _("This round is not open."))
    if round.results.exists():
        raise Conflict("results_made", _("The round's results are made; no more paper ballots can be counted."))


@transaction.atomic
def paper_ballot_key(*, actor: Any, round: GrantRound, paper_number: str, voter: Person, choices: Any) -> PaperKeying:
    """One staff member's keying of a paper ballot. The second keying of the same paper, by someone else, that names
    the same voter and choices counts it (a paper ballot is made, both keyings COUNTED); keyings that differ are all
    MISMATCH, and a later keying that agrees with one of them counts it. A counted paper takes no more keyings.

    The round's row is locked: keyings of a round take turns (they are few, typed by hand), and the allocation,
    which locks it too before making results, sees every paper counted before it or none."""
    require_round_staff(actor, round)
    number = paper_number_in(paper_number)
    locked = GrantRound.objects.select_for_update(of=("self",)).select_related("area").get(pk=round.pk)
    _require_keying_window(locked)
    person = voter_locked(person_id=voter.pk, round=locked)
    picked = choices_in(round=locked, choices=choices)
    stored = [[pid, points] for pid, points in picked]
    keyings = list(PaperKeying.objects.filter(round=locked, paper_number=number).order_by("id"))
    if any(k.status == PaperStatus.COUNTED for k in keyings):
        raise Conflict("paper_counted", lazy_format(_("Paper ballot %(number)s is already counted."), {"number": number}))
    if any(k.keyed_by_id == actor.pk for k in keyings):
        raise Conflict("second_keying_same_person", _("You keyed this paper ballot already; someone else keys it a second time."))
    if Ballot.objects.filter(round=locked, voter=person).exists():
        raise Conflict("already_voted", lazy_format(
            _("%(name)s has already voted in this round; this paper ballot is not counted."), {"name": person.real_name}))
    keying = PaperKeying.objects.create(round=locked, paper_number=number, voter=person, choices=stored, keyed_by=actor)
    audit_log(actor=actor, action="grants.paper.key", obj=keying,
              after={"paper_number": number, "voter": person.pk, "choices": len(stored)})
    if not keyings:
        return keying
    agreeing = [k for k in keyings if k.voter_id == person.pk and k.choices == stored]
    if agreeing:
        ballot = _new_ballot(round=locked, voter=person, channel=BallotChannel.PAPER, paper_number=number)
        if ballot is None:  # (the voter's row is locked and was checked: only a broken lock gets here)
            raise Conflict("already_voted", _("This person has already voted in this round."))
        _choices_write(ballot, picked)
        marked = [keying, *agreeing]
        PaperKeying.objects.filter(pk__in=[k.pk for k in marked]).update(status=PaperStatus.COUNTED, ballot=ballot)
        audit_log(actor=actor, action="grants.ballot.cast", obj=ballot, after=_summary(ballot, picked))
    else:
        marked = [keying, *(k for k in keyings if k.status != PaperStatus.MISMATCH)]
        PaperKeying.objects.filter(pk__in=[k.pk for k in marked]).update(status=PaperStatus.MISMATCH)
        ballot = None
    status = PaperStatus.COUNTED if ballot is not None else PaperStatus.MISMATCH
    meta = current.get()
    audit_rows(actor=actor, action="grants.paper.mark", object_type="grants.paperkeying", object_id=f"{locked.pk}:{number}",
               rows=[(meta, {"keying": k.pk, "status": status, "ballot": ballot.pk if ballot else None}) for k in marked])
    keying.refresh_from_db()
    return keying
