"""The needs phase (需求征集): residents of the round's area, or the fund's station, name what their community needs;
residents support needs; the round's staff merge duplicates."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import Purpose
from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, field_error
from shanlian.core.inputs import Checks, text_in
from shanlian.orgs.models import Station
from shanlian.places.models import Division, Level

from .. import phases
from ..access import require_resident, require_round_staff
from ..models import GrantRound, Need, NeedSource, NeedSupport, PhaseKind, Proposal

NEED_TEXT_MAX = 500


def _community_in(round: GrantRound, community: Division) -> Division:
    if not isinstance(community, Division) or community.level != Level.COMMUNITY:
        raise field_error("community", "not_a_community", _("Choose a community."))
    if not community.path.startswith(round.area.path):
        raise field_error("community", "community_not_in_area", _("The community is not within this round's area."))
    return community


@transaction.atomic
def need_submit(*, actor: Any, round: GrantRound, text: str, category: str, community: Division | None = None,
                station: Station | None = None) -> Need:
    """A need named by a resident of the area (for their own community by default, or another in the area), or, with
    `station`, by the round's staff on behalf of the fund's station for a community in the area."""
    if station is not None:
        require_round_staff(actor, round)
        if round.fund.station_id is None or station.pk != round.fund.station_id:
            raise field_error("station", "not_the_fund_station", _("Needs are named on behalf of the fund's own station."))
        if community is None:
            raise field_error("community", "community_required", _("Choose the community the need is in."))
        source = NeedSource.STATION
    else:
        person = require_resident(actor, round)
        community = person.division if community is None else community
        source = NeedSource.RESIDENT
    phases.require_open(round, PhaseKind.NEEDS)
    checks = Checks()
    clean = checks(text_in, text, field="text", max_length=NEED_TEXT_MAX, required=True, multiline=True)
    if category not in Purpose.values:
        checks.failed.append(field_error("category", "invalid_category", _("Choose one of the listed categories.")))
    community = checks(_community_in, round, community)
    checks.done()
    need = Need(round=round, text=clean, category=category, community=community, source=source, submitted_by=actor,
                station=station if source == NeedSource.STATION else None)
    need.full_clean(validate_constraints=False)
    need.save()
    audit_log(actor=actor, action="grants.need.submit", obj=need,
              after={"round": round.pk, "category": category, "community": community.pk, "source": source})
    return need


def _live(need_id: int) -> Need:
    """The need a support lands on, its row locked: the need itself, or the need it was merged into."""
    locked = Need.objects.select_for_update().get(pk=need_id)
    for _hop in range(8):  # merges are re-pointed to the survivor, so one hop at most; the bound guards bad data
        if locked.merged_into_id is None:
            return locked
        locked = Need.objects.select_for_update().get(pk=locked.merged_into_id)
    raise Conflict("need_merge_loop", _("This need's merges form a loop; ask the round's staff to repair it."))


@transaction.atomic
def need_support(*, actor: Any, need: Need) -> Need:
    """A resident of the area supports a need, once (again: nothing changes); a merged need's support goes to the need
    it joined."""
    round = need.round
    require_resident(actor, round)
    phases.require_open(round, PhaseKind.NEEDS)
    target = _live(need.pk)
    _support, created = NeedSupport.objects.get_or_create(need=target, user=actor)
    if created:
        Need.objects.filter(pk=target.pk).update(supporters=F("supporters") + 1)
        target.refresh_from_db(fields=["supporters"])
        audit_log(actor=actor, action="grants.need.support", obj=target, after={"supporters": target.supporters})
    return target


@transaction.atomic
def need_merge(*, actor: Any, need: Need, into: Need) -> Need:
    """Staff merge a duplicate into another need of the round: its supports (each person once) and the proposals
    answering it move to `into`; returns `into`, recounted. Merging again into the same need is quiet."""
    round = need.round
    require_round_staff(actor, round)
    phases.require_open(round, PhaseKind.NEEDS)
    if need.pk == into.pk:
        raise field_error("into", "merge_into_itself", _("A need cannot be merged into itself."))
    if into.round_id != need.round_id:
        raise field_error("into", "need_other_round", _("Needs are merged only within one round."))
    locked = {n.pk: n for n in Need.objects.select_for_update().filter(pk__in=[need.pk, into.pk]).order_by("pk")}
    dup, survivor = locked[need.pk], locked[into.pk]
    if dup.merged_into_id == survivor.pk:
        return survivor
    if dup.merged_into_id is not None:
        raise Conflict("already_merged", _("This need was already merged into another."))
    if survivor.merged_into_id is not None:
        raise field_error("into", "into_merged", _("That need was itself merged; merge into the need it joined."))
    before = {"supporters": survivor.supporters, "merged_supporters": dup.supporters}
    both = NeedSupport.objects.filter(need=survivor).values("user_id")
    NeedSupport.objects.filter(need=dup).exclude(user_id__in=both).update(need=survivor)
    NeedSupport.objects.filter(need=dup).delete()  # those who supported both: counted once, on the survivor
    Need.objects.filter(merged_into=dup).update(merged_into=survivor)  # no chains: earlier duplicates follow
    links = Proposal.needs.through.objects
    answering = links.filter(need=survivor).values("proposal_id")
    links.filter(need=dup).exclude(proposal_id__in=answering).update(need=survivor)
    links.filter(need=dup).delete()
    dup.merged_into, dup.supporters = survivor, 0
    dup.save(update_fields=["merged_into", "supporters"])
    survivor.supporters = NeedSupport.objects.filter(need=survivor).count()
    survivor.save(update_fields=["supporters"])
    audit_log(actor=actor, action="grants.need.merge", obj=dup, before=before,
              after={"merged_into": survivor.pk, "supporters": survivor.supporters})
    return survivor
