"""Reads of the expert pool: who is in it, what they know and carry, and whom they may not review.

One rule for conflicts of interest serves every review (grant proposals, organization evaluations): an expert may
not review an organization they hold an active role over (or over a station it runs as agency), nor one they declared
a tie to, while the tie lasts and for EXPERT_TIE_COOLING_YEARS after it ended. Callers add their own per-round ties.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Q

from shanlian.core import assignment
from shanlian.core.conf import domain_setting
from shanlian.core.scoping import Role

from .models import ExpertField, ExpertProfile, ExpertTie, RoleGrant

WORKS_FOR = "works_for"
TIE = "tie"


@dataclass(frozen=True)
class Recusal:
    kind: str  # WORKS_FOR or TIE
    note: str = ""


def _cooling_start(on: dt.date) -> dt.date:
    years = domain_setting("EXPERT_TIE_COOLING_YEARS")
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def expert_conflicts(*, user_ids: Iterable[int], organization_ids: Iterable[int], on: dt.date) -> dict[tuple[int, int], Recusal]:
    """(user id, organization id) → why that expert may not review that organization, on the day `on`."""
    users, orgs = set(user_ids), set(organization_ids)
    out: dict[tuple[int, int], Recusal] = {}
    if not users or not orgs:
        return out
    grants = (RoleGrant.objects.filter(user_id__in=users, revoked_at__isnull=True)
              .filter(Q(organization_id__in=orgs) | Q(station__agency_id__in=orgs))
              .values_list("user_id", "organization_id", "station__agency_id"))
    for user_id, org_id, agency_id in grants:
        out[(user_id, org_id if org_id in orgs else agency_id)] = Recusal(WORKS_FOR)
    ties = (ExpertTie.objects.filter(user_id__in=users, organization_id__in=orgs)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=_cooling_start(on))).order_by("id"))
    for user_id, org_id, note in ties.values_list("user_id", "organization_id", "note"):
        out.setdefault((user_id, org_id), Recusal(TIE, note))
    return out


@dataclass(frozen=True)
class PoolEntry:
    user_id: int
    name: str
    fields: tuple[str, ...]
    title: str
    employer: str
    max_load: int | None
    away: bool  # away on the day asked about: not assigned
    ties: int

    @property
    def field_labels(self) -> list[str]:
        labels = dict(ExpertField.choices)
        return [str(labels[f]) for f in self.fields if f in labels]


def expert_pool(*, on: dt.date, user_ids: Collection[int] | None = None, limit: int = 500) -> list[PoolEntry]:
    """The experts (an active expert role, an active login), in user order, with their profile on the day `on`."""
    grants = RoleGrant.objects.filter(role=Role.EXPERT, revoked_at__isnull=True, user__is_active=True)
    if user_ids is not None:
        grants = grants.filter(user_id__in=list(user_ids))
    ids = sorted(set(grants.values_list("user_id", flat=True)))[:limit]
    profiles = {p.user_id: p for p in ExpertProfile.objects.filter(user_id__in=ids).select_related("user")}
    names = dict(RoleGrant.objects.filter(user_id__in=ids).values_list("user_id", "user__first_name"))
    usernames = dict(RoleGrant.objects.filter(user_id__in=ids).values_list("user_id", "user__username"))
    ties: dict[int, int] = {}
    for user_id in ExpertTie.objects.filter(user_id__in=ids).values_list("user_id", flat=True):
        ties[user_id] = ties.get(user_id, 0) + 1
    out = []
    for user_id in ids:
        p = profiles.get(user_id)
        away = bool(p and p.away_from and p.away_until and p.away_from <= on <= p.away_until)
        out.append(PoolEntry(user_id=user_id, name=names.get(user_id) or usernames.get(user_id, ""),
                             fields=tuple(p.fields) if p else (), title=p.title if p else "",
                             employer=p.employer if p else "", max_load=p.max_load if p else None, away=away,
                             ties=ties.get(user_id, 0)))
    return out


def assignable(pool: Iterable[PoolEntry], *, load: Mapping[int, int]) -> list[assignment.Expert]:
    """The pool as the assignment solver takes it: those not away, each with their load so far and their ceiling
    (an expert already over their ceiling takes nothing more)."""
    out = []
    for e in pool:
        if e.away:
            continue
        held = load.get(e.user_id, 0)
        cap = None if e.max_load is None else max(e.max_load, held)
        out.append(assignment.Expert(key=e.user_id, load=held, capacity=cap, fields=frozenset(e.fields)))
    return out


def expert_ties(*, user_id: int) -> list[ExpertTie]:
    return list(ExpertTie.objects.filter(user_id=user_id).select_related("organization").order_by("id"))


def expert_profile(*, user_id: int) -> ExpertProfile | None:
    return ExpertProfile.objects.filter(user_id=user_id).first()
