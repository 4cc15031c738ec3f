"""Reads about micro-wishes. The wall is public and de-identified: what it shows of a wish is `PublicWish` (what, for
whom as a description, value, community, status), never a field of the beneficiary or of the case, and its queries are
a constant number whatever the page holds. Station pages read through the actor's scope (`access.py`); a claimant reads
their own claims."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.money import Money, fen_sum
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Station
from shanlian.people.selectors import actor_scope
from shanlian.places.models import Division, Level

from . import access
from .models import ClaimStatus, Wish, WishClaim, WishFor, WishKind, WishMessage, WishStatus
from .services import wish_refresh

PUBLIC_STATES = (WishStatus.OPEN, WishStatus.CLAIMED, WishStatus.FULFILLED, WishStatus.CONFIRMED, WishStatus.EXPIRED)
LEADERBOARD_SIZE = 10


def scope_of(actor: Any) -> Scope:
    return actor_scope(actor)


# --- the public wall ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicWish:
    """A wish as anyone may see it: no name, address, age or anything of the case."""

    id: int
    number: str
    title: str
    description: str
    wish_for: str
    kind: str
    kind_label: str
    value: Money
    fulfilled_value: Money
    needed_by: dt.date
    status: str
    status_label: str
    district: str
    street: str
    community: str
    place: str
    headline: str
    line: str  # the headline without the place, under the place on a card
    district_id: int | None
    street_id: int


def _expired_claim(now: dt.datetime) -> Exists:
    return Exists(WishClaim.objects.filter(wish=OuterRef("pk"), status=ClaimStatus.ACTIVE, expires_at__lte=now))


def _shown_status(wish: Wish, now: dt.datetime) -> str:
    """What the wall says: a claim past its time reads open (the job or the next read ends it), an open wish past its day
    reads expired, before anything is written."""
    if wish.status == WishStatus.CLAIMED and getattr(wish, "claim_lapsed", False):
        return WishStatus.OPEN if wish.needed_by >= timezone.localdate(now) else WishStatus.EXPIRED
    if wish.status == WishStatus.OPEN and wish.needed_by < timezone.localdate(now):
        return WishStatus.EXPIRED
    return wish.status


def public_wish(wish: Wish, now: dt.datetime | None = None) -> PublicWish:
    now = now or timezone.now()
    street = wish.street
    district = street.parent
    community = wish.area.name if wish.area_id != wish.street_id else ""
    place = "·".join(x for x in (district.name if district else "", street.name, community) if x)
    who = WishFor(wish.wish_for).label
    line = _("%(who)s's wish: %(what)s") % {"who": who, "what": wish.title}
    headline = f"{place} {line}"
    status = _shown_status(wish, now)
    return PublicWish(
        id=wish.pk, number=wish.number, title=wish.title, description=wish.description, wish_for=wish.wish_for,
        kind=wish.kind, kind_label=str(WishKind(wish.kind).label), value=wish.value, fulfilled_value=wish.fulfilled_value,
        needed_by=wish.needed_by, status=status, status_label=str(WishStatus(status).label), district=district.name if district else "",
        street=street.name, community=community, place=place, headline=headline, line=str(line),
        district_id=district.pk if district else None, street_id=street.pk)


def _public_qs(now: dt.datetime) -> QuerySet[Wish]:
    return (Wish.objects.filter(access.on_wall_q(timezone.localdate(now))).select_related("area", "street", "street__parent")
            .annotate(claim_lapsed=_expired_claim(now)).only(
                "id", "title", "description", "wish_for", "kind", "value", "fulfilled_value", "needed_by", "status",
                "registered_at", "area__name", "area__id", "street__name", "street__id", "street__parent__name",
                "street__parent__id", "street__parent_id", "area_id", "street_id"))


def wall(*, state: str = "open", district_id: int | None = None, street_id: int | None = None, kind: str = "",
         now: dt.datetime | None = None) -> QuerySet[Wish]:
    """Wishes on the wall: `open` (claimable now: open, or claimed with the claim past its time), `claimed` (claimed or
    delivered) or `done` (fulfilled and confirmed); filtered by district, street and kind. Page it; render each row
    with `public_wish`."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    qs = _public_qs(now)
    lapsed = Q(status=WishStatus.CLAIMED, claim_lapsed=True)
    if state == "claimed":
        qs = qs.filter(status__in=[WishStatus.CLAIMED, WishStatus.FULFILLED]).exclude(lapsed)
    elif state == "done":
        qs = qs.filter(status=WishStatus.CONFIRMED)
    else:
        qs = qs.filter(Q(status=WishStatus.OPEN) | lapsed, needed_by__gte=today)
    if district_id is not None:
        qs = qs.filter(street__parent_id=district_id)
    if street_id is not None:
        qs = qs.filter(street_id=street_id)
    if kind:
        qs = qs.filter(kind=kind)
    order = ["-ended_at", "-id"] if state == "done" else ["needed_by", "id"]
    return qs.order_by(*order)


@dataclass
class WallCounts:
    open: int
    claimed: int
    fulfilled: int
    value_fulfilled: Money
    claimants: int


def wall_counts(now: dt.datetime | None = None) -> WallCounts:
    """The wall's figures in one query: open now and claimed (as the wall shows them), fulfilled (confirmed, all of them:
    a count) and their value; the claimants who fulfilled one in a second."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    lapsed = Q(status=WishStatus.CLAIMED, claim_lapsed=True)
    shown = access.on_wall_q(today)
    agg = Wish.objects.annotate(claim_lapsed=_expired_claim(now)).aggregate(
        open=Count("id", filter=(Q(status=WishStatus.OPEN) | lapsed) & Q(needed_by__gte=today) & shown),
        claimed=Count("id", filter=Q(status__in=[WishStatus.CLAIMED, WishStatus.FULFILLED]) & ~lapsed & shown),
        fulfilled=Count("id", filter=Q(status=WishStatus.CONFIRMED)),
        value=fen_sum("fulfilled_value", filter=Q(status=WishStatus.CONFIRMED)))
    claimants = WishClaim.objects.filter(status=ClaimStatus.CONFIRMED).aggregate(n=Count("claimant_key", distinct=True))["n"]
    return WallCounts(open=agg["open"], claimed=agg["claimed"], fulfilled=agg["fulfilled"],
                      value_fulfilled=Money.from_fen(agg["value"] or 0), claimants=claimants or 0)


@dataclass(frozen=True)
class Leader:
    label: str
    wishes: int
    value: Money


def leaderboard(*, size: int = LEADERBOARD_SIZE, district_id: int | None = None) -> list[Leader]:
    """Claimants by wishes FULFILLED (confirmed by the station), not claimed: one grouped query."""
    qs = WishClaim.objects.filter(status=ClaimStatus.CONFIRMED)
    if district_id is not None:
        qs = qs.filter(wish__street__parent_id=district_id)
    rows = (qs.values("claimant_key", "claimant_label").annotate(n=Count("id"), fen=fen_sum("wish__fulfilled_value"))
            .order_by("-n", "-fen", "claimant_label")[:size])
    return [Leader(label=r["claimant_label"], wishes=r["n"], value=Money.from_fen(r["fen"] or 0)) for r in rows]


def wall_places() -> tuple[list[Division], list[Division]]:
    """The districts and streets that have a wish, for the wall's filters (two queries)."""
    street_ids = Wish.objects.values("street_id")
    streets = list(Division.objects.filter(pk__in=street_ids, level=Level.STREET).order_by("code"))
    districts = list(Division.objects.filter(pk__in=[s.parent_id for s in streets]).order_by("code"))
    return districts, streets


def wish_public_get(wish_id: int) -> Wish:
    """A wish's public page: any wish but a cancelled one; a claim past its time is ended first (lazily)."""
    found = _public_qs(timezone.now()).filter(pk=wish_id, status__in=PUBLIC_STATES).first()
    if found is None:
        raise NotFound()
    wish_refresh(found)
    return _public_qs(timezone.now()).get(pk=wish_id)


# --- the station's pages --------------------------------------------------------------------------------------------

def wishes_visible(actor: Any, *, status: str = "", station_id: int | None = None, query: str = "") -> QuerySet[Wish]:
    scope = scope_of(actor)
    if not access.may_open_station_wishes(scope):
        raise PermissionDenied("not_station_reader", _("Only stations' staff and area officers open the stations' wishes."))
    qs = (Wish.objects.filter(access.visible_q(scope)).select_related("station", "area", "street", "beneficiary__person")
          .annotate(claim_lapsed=_expired_claim(timezone.now())))
    if status:
        qs = qs.filter(status=status)
    if station_id is not None:
        qs = qs.filter(station_id=station_id)
    if query:
        qs = qs.filter(title__icontains=query)
    return qs.order_by("-registered_at", "-id")


def wish_get(actor: Any, wish_id: int) -> Wish:
    """A wish for its station's page: the case team and the officers above; anyone else a 404 (and the look logged). A
    claim past its time is ended first."""
    scope = scope_of(actor)
    found = (Wish.objects.select_related("station", "street", "area", "street__parent", "beneficiary__person", "consent")
             .filter(pk=wish_id).first())
    if found is None or not access.may_see(scope, found.station_id, found.street.path):
        access_denied(user_id=scope.user_id, object_type="wishes.wish", object_id=wish_id)
        raise NotFound()
    return wish_refresh(found)


@dataclass
class WishFile:
    wish: Wish
    team: bool
    beneficiary_name: str
    private_note: str
    public: PublicWish
    claim: WishClaim | None
    claimant_name: str
    claims: list[WishClaim] = field(default_factory=list)
    messages: list[WishMessage] = field(default_factory=list)
    fulfilments: list[Any] = field(default_factory=list)
    confirmation: Any = None
    on_wall: bool = True

    @property
    def room(self) -> Money:
        return Money(self.wish.value.amount - self.wish.fulfilled_value.amount)


def wish_file(actor: Any, wish: Wish) -> WishFile:
    """The wish as its station's page shows it: the case team sees the beneficiary, the private note, the claimant and
    the messages; the officers above the beneficiary's masked name and the counts, no note, no messages."""
    scope = scope_of(actor)
    team = access.is_team(scope, wish.station_id)
    name = wish.beneficiary.person.real_name
    claims = list(wish.claims.select_related("user__person").order_by("-claimed_at", "-id"))
    live = next((c for c in claims if c.live), None) or next((c for c in claims if c.status == ClaimStatus.CONFIRMED), None)
    claimant = ""
    if live is not None:
        person = getattr(live.user, "person", None)
        claimant = person.real_name if person is not None else live.user.get_full_name() or live.user.get_username()
    confirmation = getattr(wish, "confirmation", None) if wish.status == WishStatus.CONFIRMED else None
    return WishFile(
        wish=wish, team=team, beneficiary_name=name if team else crypto.mask_name(name),
        private_note=crypto.decrypt(wish.private_note_enc) if team and wish.private_note_enc else "",
        public=public_wish(wish), claim=live, claimant_name=claimant if team else (live.claimant_label if live else ""),
        claims=claims, messages=list(wish.messages.select_related("sender").order_by("sent_at", "id")) if team else [],
        fulfilments=list(wish.fulfilments.select_related("donation", "recorded_by").order_by("id")), confirmation=confirmation,
        on_wall=access.on_wall(wish, timezone.localdate()))


def beneficiaries_for_wishes(actor: Any) -> QuerySet[Any]:
    """Who the actor may post a wish for: active beneficiaries of their own stations."""
    from shanlian.cases.models import Beneficiary, BeneficiaryStatus

    scope = scope_of(actor)
    if not access.may_register(scope):
        return Beneficiary.objects.none()
    qs = Beneficiary.objects.filter(status=BeneficiaryStatus.ACTIVE).select_related("person", "station")
    if not scope.is_superuser:
        qs = qs.filter(station_id__in=scope.station_ids)
    return qs.order_by("person__real_name", "id")[:500]


def stations_seen(actor: Any) -> QuerySet[Station]:
    return Station.objects.filter(access.stations_q(scope_of(actor))).select_related("street").order_by("street__code")


# --- the claimant's pages -------------------------------------------------------------------------------------------

def my_claims(actor: Any) -> QuerySet[WishClaim]:
    if not getattr(actor, "is_authenticated", False):
        return WishClaim.objects.none()
    return (WishClaim.objects.filter(user=actor)
            .select_related("wish", "wish__area", "wish__street", "wish__street__parent")
            .prefetch_related(Prefetch("messages", queryset=WishMessage.objects.order_by("sent_at", "id")), "fulfilments")
            .order_by("-claimed_at", "-id"))


def claim_get(actor: Any, claim_id: int) -> WishClaim:
    """The claimant's own claim; anyone else's answers as missing."""
    found = WishClaim.objects.select_related("wish", "wish__street", "wish__area", "wish__street__parent").filter(pk=claim_id).first()
    if found is None or found.user_id != getattr(actor, "pk", None):
        raise NotFound()
    wish_refresh(found.wish)
    found.refresh_from_db()
    return found


def claimed_value(claim: WishClaim) -> Decimal:
    return sum((f.value.amount for f in claim.fulfilments.all()), Decimal("0"))
