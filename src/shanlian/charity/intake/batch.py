"""Batch intake of online gifts: a payment platform forwards up to `BATCH_MAX` Giving-Day gifts in one
request (`POST /api/charity/donations/batch`), through a machine token of the custodian federation's
finance officer, as it would forward them one by one to `POST /api/charity/donations`.

- Every gift is idempotent per caller exactly as in the single endpoint: it is stored under source
  `api:<user id>` with its `idempotency_key` as external id, so a key used in a single request and then
  in a batch (or the other way round) is the same gift. The same key with the same content answers
  `replayed` with the first gift's ids; with different content `refused` (idempotency_mismatch).
- Every gift is checked first (the importer's row checks: amount, match, time, fund or campaign, the
  campaign's period and status, the matching pools' room), and the caller must be a finance officer of
  each gift's fund's custodian.
- **A bad gift refuses only itself.** A platform forwarding a Giving Day's stream should not have one
  typo hold up a thousand good gifts: the answer lists every gift as `created`, `replayed` or
  `refused` with a code and a message, and the platform resends the refused ones once fixed. The gifts
  that pass are written in ONE transaction: all of them or (on any failure) none, never half a batch.
- Matching, as in the single endpoint: without `match`, a campaign gift with a `donor_key` is matched by
  the campaign's first active pool with room, at the pool's ratio within its caps per donor, per day, in
  total and within what it holds, gift after gift in the batch's order, exactly what one request per gift
  in that order would get. With `match` (the platform already applied the sponsor's rules), that amount
  is drawn whole from the first pool with room for it as `shanlian charity import` does ("0" means none).
  The pools are locked (in id order, as `donation_record` locks them) before the room is read.
- Writing: the gift writer (`intake.writer.gifts_write`, the file import's too), which posts the entries
  through the ledger's set-based `entries_post` and writes the same rows as `donation_record` does for the
  single endpoint: channel online, recorded by the caller, the same entry (memo, legs, source, content
  hash). Audit: one `charity.donation.batch` row per request (its answer: created, replayed, refused), and the
  writer's row for the request the written gifts came by, which each gift names (`Donation.audit`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.context import RequestMeta
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed, lazy_format
from shanlian.core.i18n import site_day
from shanlian.core.inputs import text_problem
from shanlian.core.money import Money
from shanlian.core.scoping import Role

from ..models import Channel, MatchPool
from ..services._access import scope_of
from ..services.donations import ANONYMOUS
from .importer import (
    MAX_EXTERNAL_ID,
    SHANGHAI,
    ZERO,
    Gift,
    RowError,
    Target,
    Targets,
    _check_money,
    _parse_time,
    donor_text,
    row_errors,
    time_error,
)
from .rules import AHEAD, PoolRoom, same_gift, stored_gifts, target_problems

BATCH_MAX = 1000
KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
ATTEMPTS = 3  # a batch racing another request with the same keys is checked and written again

CREATED, REPLAYED, REFUSED = "created", "replayed", "refused"

MESSAGES: dict[str, Promise] = {
    "invalid_idempotency_key": _("the idempotency key must be 1 to 128 letters, digits or _ . : -"),
    "invalid_donor_key": _("the donor key must be at most %(max)s characters, without control characters"),
    "online_needs_custodian_finance": _(
        "Only a finance officer of the fund's custodian federation may record online gifts."),
    "idempotency_mismatch": _("this idempotency key was already used for a different gift"),
}


@dataclass(frozen=True)
class BatchGiftIn:
    """One gift as the platform sends it (the API's schema, without Django Ninja)."""

    idempotency_key: str
    amount: str
    fund: str = ""
    campaign: str = ""
    donor_name: str = ""
    donor_key: str = ""
    received_at: str | None = None
    match: str | None = None


@dataclass(slots=True)
class _Planned(Gift):
    """A checked gift of a batch: the importer's `Gift` plus what an API gift carries besides."""

    donor_key: str = ""
    match_given: bool = False


@dataclass
class BatchGiftResult:
    index: int
    idempotency_key: str
    status: str
    donation_id: int | None = None
    entry_id: int | None = None
    fund: str = ""
    campaign: str | None = None
    amount: Decimal | None = None
    match: Decimal | None = None
    received_at: datetime | None = None
    code: str = ""
    message: str = ""


@dataclass
class BatchResult:
    gifts: list[BatchGiftResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for g in self.gifts if g.status == status)


def _message(code: str, params: dict[str, Any]) -> str:
    if code in MESSAGES:
        return str(MESSAGES[code]) % params if params else str(MESSAGES[code])
    return RowError(0, code, params).reason()


class _Checker:
    """Checks the gifts of one batch against the database: targets, the caller's custody, stored keys."""

    def __init__(self, *, scope: Any, source: str, now: datetime, gifts: Sequence[BatchGiftIn]) -> None:
        self.scope = scope
        self.source = source
        self.now = now
        self.latest = (now + AHEAD).astimezone(SHANGHAI)
        # Only the funds and campaigns the gifts name ("campaign/fund" names both).
        campaigns = {g.campaign.strip().partition("/")[0].strip() for g in gifts if g.campaign.strip()}
        funds = {g.fund.strip() for g in gifts if g.fund.strip()}
        funds |= {g.campaign.partition("/")[2].strip() for g in gifts if "/" in g.campaign}
        self.targets = Targets(fund_codes=funds, campaign_slugs=campaigns)

    def _target(self, gift: BatchGiftIn) -> Target | tuple[str, dict[str, Any]]:
        fund, campaign = gift.fund.strip(), gift.campaign.strip()
        if campaign:
            if "/" in campaign:
                if fund and campaign.partition("/")[2].strip() != fund:
                    return ("campaign_target_mismatch", {"campaign": campaign, "fund": fund})
                return self.targets.resolve(campaign)
            if campaign not in self.targets.campaigns:
                return ("unknown_target", {"value": campaign})
            return self.targets.resolve(f"{campaign}/{fund}" if fund else campaign)
        if not fund:
            return ("target_missing", {})
        found = self.targets.funds.get(fund)
        if found is None:
            return ("unknown_target", {"value": fund})
        return self.targets._fund_target(fund, found, None)

    def parse(self, index: int, gift: BatchGiftIn, seen: dict[str, int]) -> _Planned | list[RowError]:
        errors: list[RowError] = []
        key = gift.idempotency_key
        if not KEY.match(key or "") or len(key) > MAX_EXTERNAL_ID:
            errors.append(RowError(index, "invalid_idempotency_key"))
        elif key in seen:
            errors.append(RowError(index, "external_id_duplicate", {"value": key, "first": seen[key]}))
        else:
            seen[key] = index
        amount = _check_money(gift.amount or "", row=index, prefix="", errors=errors)
        if amount is not None and amount <= 0:
            errors.append(RowError(index, "amount_not_positive", {"value": gift.amount}))
            amount = None
        match = ZERO
        given = gift.match is not None and gift.match.strip() != ""
        if given:
            checked = _check_money(gift.match or "", row=index, prefix="match_", errors=errors)
            if checked is not None and checked < 0:
                errors.append(RowError(index, "match_negative", {"value": gift.match}))
            match = checked if checked is not None and checked > 0 else ZERO
        moment = self.now
        if gift.received_at is not None and gift.received_at.strip():
            try:
                moment = _parse_time(gift.received_at)
            except (ValueError, IndexError, OverflowError) as exc:
                errors.append(time_error(index, gift.received_at, exc))
        target = self._target(gift)
        if isinstance(target, tuple):
            errors.append(RowError(index, target[0], target[1]))
            return errors
        if not (self.scope.is_superuser or target.custodian_id in self.scope.organization_ids):
            errors.append(RowError(index, "online_needs_custodian_finance"))
        donor = donor_text(index, gift.donor_name or "", errors) or ANONYMOUS
        donor_key = (gift.donor_key or "").strip()
        if text_problem(donor_key, max_length=MAX_EXTERNAL_ID) is not None:
            errors.append(RowError(index, "invalid_donor_key", {"max": MAX_EXTERNAL_ID}))
        if errors or amount is None:
            return errors
        return _Planned(index, key, moment, donor, amount, match, target, donor_key=donor_key, match_given=given)

    def status(self, gift: _Planned) -> list[RowError]:
        """The checks a gift already recorded under its key skips (as the single endpoint's replay does)."""
        return row_errors(gift.row, target_problems(gift.target, gift.received_at, latest=self.latest, match=gift.match))


def _refused(index: int, key: str, errors: list[RowError]) -> BatchGiftResult:
    first = errors[0]
    return BatchGiftResult(index=index, idempotency_key=key, status=REFUSED, code=first.code,
                           message="; ".join(_message(e.code, e.params) for e in errors))


def donation_batch_record(*, actor: Any, gifts: Sequence[BatchGiftIn],
                          requests: Sequence[RequestMeta] | None = None) -> BatchResult:
    """Check every gift, then write all the good new ones in one transaction; see the module's notes. `requests`:
    the request each gift came by (a group commit's gifts came by many); by default the current one."""
    scope = scope_of(actor)
    if not (scope.is_superuser or scope.has(Role.FEDERATION_FINANCE)):
        raise PermissionDenied("online_needs_custodian_finance", MESSAGES["online_needs_custodian_finance"])
    if not gifts:
        raise ValidationFailed("batch_empty", _("Send at least one gift."))
    if len(gifts) > BATCH_MAX:
        raise ValidationFailed("batch_too_large", lazy_format(_("Send at most %(max)s gifts in one batch."), {"max": BATCH_MAX}))
    for attempt in range(ATTEMPTS):
        try:
            return _attempt(actor, scope, gifts, requests)
        except (IntegrityError, Conflict) as exc:
            # Another request wrote some of these keys (or took a pool's room) meanwhile: check again.
            if attempt == ATTEMPTS - 1 or (isinstance(exc, Conflict) and exc.code not in (
                    "import_conflict", "entry_conflict", "idempotency_mismatch", "match_exceeds_pool")):
                raise
    raise AssertionError("unreachable")


def _attempt(actor: Any, scope: Any, gifts: Sequence[BatchGiftIn], requests: Sequence[RequestMeta] | None) -> BatchResult:
    source = f"api:{actor.pk}"
    checker = _Checker(scope=scope, source=source, now=timezone.now(), gifts=gifts)
    results: dict[int, BatchGiftResult] = {}
    planned: list[_Planned] = []
    seen: dict[str, int] = {}
    for index, sent in enumerate(gifts):
        parsed = checker.parse(index, sent, seen)
        if isinstance(parsed, list):
            results[index] = _refused(index, sent.idempotency_key, parsed)
        else:
            planned.append(parsed)
    stored = stored_gifts(source, [g.external_id for g in planned])
    fresh: list[_Planned] = []
    for gift in planned:
        before = stored.get(gift.external_id)
        if before is None:
            problems = checker.status(gift)
            if problems:
                results[gift.row] = _refused(gift.row, gift.external_id, problems)
            else:
                fresh.append(gift)
        elif same_gift(before, gift.row_for(gift.donor_key), Channel.ONLINE,
                       time_sent=bool((gifts[gift.row].received_at or "").strip()), match_sent=gift.match_given):
            results[gift.row] = _answer(gift, REPLAYED, before.pk, before.entry_id, before.received_at, before.match)
        else:
            results[gift.row] = _refused(gift.row, gift.external_id, [RowError(gift.row, "idempotency_mismatch")])
    with transaction.atomic():
        written = _allocate(fresh, results)
        if written:
            for gift, (pk, entry_id) in zip(written, _write(written, actor=actor, source=source, requests=requests),
                                            strict=True):
                results[gift.row] = _answer(gift, CREATED, pk, entry_id, gift.received_at, gift.match)
        out = BatchResult(gifts=[results[i] for i in range(len(gifts))])
        entries = [r.entry_id for r in out.gifts if r.status == CREATED and r.entry_id is not None]
        audit_log(actor=actor, action="charity.donation.batch", object_type="charity.batch", object_id=source, after={
            "gifts": len(gifts), "created": len(entries), "replayed": out.count(REPLAYED), "refused": out.count(REFUSED),
            "amount": str(Money(sum((g.amount for g in written), ZERO))), "matched": str(Money(sum((g.match for g in written), ZERO))),
            "first_entry_id": min(entries, default=None), "last_entry_id": max(entries, default=None),
        })
    return out


def _allocate(fresh: list[_Planned], results: dict[int, BatchGiftResult]) -> list[_Planned]:
    """Under the pools' locks: the given matches fit, the others are computed; returns the gifts to write."""
    pooled = [g for g in fresh if g.target.pools and (g.match or (not g.match_given and g.donor_key))]
    if not pooled:
        return fresh
    pool_ids = sorted({pk for g in pooled for pk in g.target.pools})
    list(MatchPool.objects.select_for_update().filter(pk__in=pool_ids).order_by("pk").values_list("pk", flat=True))
    days = {site_day(g.received_at) for g in pooled}
    room = PoolRoom(pool_ids, days, {g.donor_key for g in pooled})
    refused: set[int] = set()
    for gift in pooled:
        day = site_day(gift.received_at)
        if gift.match_given:
            taken = room.take(gift.match, day=day, pools=gift.target.pools, donor_key=gift.donor_key)
            if isinstance(taken, int):
                gift.pool_id = taken
            else:
                results[gift.row] = _refused(gift.row, gift.external_id, row_errors(gift.row, [taken]))
                refused.add(gift.row)
        else:
            match = room.match_for(gift.amount, donor_key=gift.donor_key, day=day, pools=gift.target.pools)
            if match is not None:
                gift.pool_id, gift.match = match
    return [g for g in fresh if g.row not in refused]


def _write(gifts: list[_Planned], *, actor: Any, source: str,
           requests: Sequence[RequestMeta] | None) -> list[tuple[int, int]]:
    """Write the gifts through the gift writer, each naming the request it came by; returns each one's
    (donation id, entry id)."""
    from .rows import RowSpec
    from .writer import gifts_write

    rows = []
    for gift in gifts:
        row = gift.row_for(gift.donor_key)
        if requests is not None:
            row.request = requests[gift.row]
        rows.append(row)
    spec = RowSpec(source=source, channel=Channel.ONLINE, recorded_by_id=actor.pk if getattr(actor, "is_authenticated", False) else None)
    return gifts_write(rows, spec=spec, actor=actor)


def _answer(gift: _Planned, status: str, pk: int, entry_id: int, received_at: datetime, match: Decimal) -> BatchGiftResult:
    return BatchGiftResult(index=gift.row, idempotency_key=gift.external_id, status=status, donation_id=pk, entry_id=entry_id,
                           fund=gift.target.fund_code, campaign=gift.target.campaign_slug or None, amount=gift.amount,
                           match=match, received_at=received_at)
