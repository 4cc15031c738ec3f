"""Tamper evidence for the ledger: seals, a hash chain of Merkle roots over the entries.

A seal covers every entry with id in (previous seal's last_entry_id, last_entry_id]. Its leaves are
the entries in id order; each leaf is sha256(0x00 || canonical JSON of the entry and its postings)
(see `entry_leaf_data`). Inner nodes are sha256(0x01 || left || right) over the raw 32-byte digests;
on a level with an odd number of nodes the last one is paired with itself, sha256(0x01 || x || x).
The prefixes keep a leaf from ever passing for an inner node (second-preimage attacks).

seal_hash = sha256("seq|first_entry_id|last_entry_id|entry_count|merkle_root|prev_hash"), and each
seal's prev_hash is the seal_hash before it (64 zeros for the first), so changing any sealed row
breaks its leaf, its root and every seal after it. Publishing the newest seal_hash (on the
disclosure page, in a newspaper) lets anyone hold the platform to it.

Each sealed entry's leaf hash is also stored (`SealLeaf`): the root proves the set as a whole,
the stored leaves let `verify` name the one entry that was altered, deleted or slipped in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Prefetch
from django.utils.translation import gettext_lazy as _

from .models import Entry, Posting, Seal, SealLeaf
from .selectors import balances_mismatched, unbalanced_entries

_RECORDED_TZ = ZoneInfo("Asia/Shanghai")  # the zone migration 0007 dated the entries before it in

GENESIS = "0" * 64
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


# -- hashing ---------------------------------------------------------------------------------------


def entry_leaf_data(entry: Entry) -> str:
    """The canonical serialization of an entry: JSON, sorted keys, no spaces, UTF-8, times in UTC.

    `entry.postings` should be prefetched with their accounts (see `_entries`).
    """
    postings = sorted(entry.postings.all(), key=lambda p: p.pk)
    body = {
        "id": entry.pk,
        "source": entry.source,
        "external_id": entry.external_id,
        "memo": entry.memo,
        "posted_at": entry.posted_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "reverses_id": entry.reverses_id,
        "content_hash": entry.content_hash,
        "postings": [[p.pk, p.account.code, p.unit, f"{Decimal(p.amount):.2f}"] for p in postings],
    }
    # The business date, where it is not the day the entry was recorded (so the leaves sealed before entries
    # had one, whose business date is that day, hash as they did).
    if entry.booked_on != entry.posted_at.astimezone(_RECORDED_TZ).date():
        body["booked_on"] = entry.booked_on.isoformat()
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def leaf_hash(data: str) -> str:
    return hashlib.sha256(LEAF_PREFIX + data.encode()).hexdigest()


def node_hash(left: str, right: str) -> str:
    return hashlib.sha256(NODE_PREFIX + bytes.fromhex(left) + bytes.fromhex(right)).hexdigest()


def merkle_root(leaves: Sequence[str]) -> str:
    """The root over hex leaf hashes; an odd node at the end of a level is hashed with itself."""
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    level = list(leaves)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def merkle_path(leaves: Sequence[str], index: int) -> list[tuple[str, str]]:
    """Siblings from the leaf up: ("L", h) means h is on the left, ("R", h) on the right."""
    path: list[tuple[str, str]] = []
    level = list(leaves)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        if index % 2:
            path.append(("L", level[index - 1]))
        else:
            path.append(("R", level[index + 1]))
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        index //= 2
    return path


def seal_hash_of(*, seq: int, first_entry_id: int, last_entry_id: int, entry_count: int, merkle_root: str, prev_hash: str) -> str:
    text = f"{seq}|{first_entry_id}|{last_entry_id}|{entry_count}|{merkle_root}|{prev_hash}"
    return hashlib.sha256(text.encode()).hexdigest()


def _entries(lo: int, hi: int | None = None) -> Iterable[Entry]:
    """Entries with lo < id <= hi, in id order, with their postings and accounts, read in chunks."""
    qs = Entry.objects.filter(pk__gt=lo)
    if hi is not None:
        qs = qs.filter(pk__lte=hi)
    # The accounts in a query of their own rather than joined: PostgreSQL then looks each account up once per chunk,
    # not once per posting (a busy account's row has many versions in a long transaction, such as the demo's seed).
    postings = Prefetch("postings", queryset=Posting.objects.order_by("pk"))
    return qs.order_by("pk").prefetch_related(postings, "postings__account").iterator(chunk_size=2000)


# -- sealing ---------------------------------------------------------------------------------------


def _settled_max_entry_id() -> int:
    """The highest entry id below which no transaction can still commit an entry.

    Ids come from a sequence before COMMIT, so on PostgreSQL entry 7 may still be in flight when 8 is
    visible. A SHARE lock waits for every transaction that is inserting entries to finish (and holds
    off new ones for this short moment); every id handed out later is higher.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE ledger_entry IN SHARE MODE")
        return Entry.objects.aggregate(m=Max("pk"))["m"] or 0


def seal_create() -> Seal | None:
    """Seal every entry posted since the last seal; None when there is nothing new.

    The last seal is locked, so two workers never seal the same range; the loser of a race for the
    very first seal (no row to lock yet) hits the unique seq and returns None too.
    """
    ceiling = _settled_max_entry_id()
    try:
        with transaction.atomic():
            locked = Seal.objects.select_for_update().order_by("-seq").first()
            # Re-read: while we waited for the lock another worker may have committed a newer seal.
            last = Seal.objects.order_by("-seq").first() if locked is not None else None
            prev_last, prev_hash, seq = (last.last_entry_id, last.seal_hash, last.seq + 1) if last else (0, GENESIS, 1)
            ids, leaves = [], []
            for entry in _entries(prev_last, ceiling):
                ids.append(entry.pk)
                leaves.append(leaf_hash(entry_leaf_data(entry)))
            if not ids:
                return None
            root = merkle_root(leaves)
            fields: dict[str, Any] = {
                "seq": seq, "first_entry_id": ids[0], "last_entry_id": ids[-1], "entry_count": len(ids),
                "merkle_root": root, "prev_hash": prev_hash,
            }
            seal = Seal.objects.create(**fields, seal_hash=seal_hash_of(**fields))
            SealLeaf.objects.bulk_create(
                [SealLeaf(seal=seal, entry_id=i, leaf_hash=h) for i, h in zip(ids, leaves, strict=True)], batch_size=2000
            )
            return seal
    except IntegrityError:
        if Seal.objects.filter(last_entry_id__gte=ceiling).exists():
            return None  # another worker sealed this range first
        raise


# -- verifying -------------------------------------------------------------------------------------

PROBLEM_TEXT = {
    "entry_altered": _("entry %(ref)s altered"),
    "entry_deleted": _("entry %(ref)s deleted"),
    "entry_inserted": _("entry %(ref)s inserted into sealed range"),
    "seal_root": _("seal %(ref)s root mismatch"),
    "seal_chain": _("seal %(ref)s chain broken"),
    "entry_unbalanced": _("entry %(ref)s does not balance"),
    "balance_mismatch": _("account %(ref)s balance mismatch"),
}


@dataclass(frozen=True)
class Problem:
    """One finding: kind (a key of PROBLEM_TEXT), ref (entry id, seal seq or account code), detail."""

    kind: str
    ref: int | str
    detail: str = field(default="", compare=False)

    def __str__(self) -> str:
        text = str(PROBLEM_TEXT[self.kind] % {"ref": self.ref})
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class Report:
    problems: list[Problem]
    seals: int
    entries: int

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_report() -> Report:
    """Recompute every seal from the rows as they are now; see `verify`."""
    problems: list[Problem] = []
    prev_last, prev_hash, expected_seq, entries = 0, GENESIS, 1, 0
    seals = list(Seal.objects.order_by("seq"))
    for seal in seals:
        stored = dict(SealLeaf.objects.filter(seal=seal).order_by("entry_id").values_list("entry_id", "leaf_hash"))
        fields: dict[str, Any] = {
            "seq": seal.seq, "first_entry_id": seal.first_entry_id, "last_entry_id": seal.last_entry_id,
            "entry_count": seal.entry_count, "merkle_root": seal.merkle_root, "prev_hash": seal.prev_hash,
        }
        if seal.seq != expected_seq or seal.prev_hash != prev_hash or seal.seal_hash != seal_hash_of(**fields):
            problems.append(Problem("seal_chain", seal.seq, f"expected seq {expected_seq}, prev {prev_hash[:12]}"))
        ids = sorted(stored)
        if (
            not ids or seal.merkle_root != merkle_root([stored[i] for i in ids]) or len(ids) != seal.entry_count
            or ids[0] != seal.first_entry_id or ids[-1] != seal.last_entry_id or ids[0] <= prev_last
        ):
            problems.append(Problem("seal_root", seal.seq))
        live = {}
        for entry in _entries(prev_last, seal.last_entry_id):
            live[entry.pk] = leaf_hash(entry_leaf_data(entry))
        entries += len(live)
        for entry_id in sorted(set(stored) | set(live)):
            if entry_id not in live:
                problems.append(Problem("entry_deleted", entry_id))
            elif entry_id not in stored:
                problems.append(Problem("entry_inserted", entry_id))
            elif live[entry_id] != stored[entry_id]:
                problems.append(Problem("entry_altered", entry_id))
        prev_last, prev_hash, expected_seq = max(prev_last, seal.last_entry_id), seal.seal_hash, seal.seq + 1
    problems.extend(_ledger_problems())
    return Report(problems=problems, seals=len(seals), entries=entries)


def _ledger_problems() -> list[Problem]:
    """The invariants the database keeps on PostgreSQL, checked again: entries balance, balances add up."""
    out = [
        Problem("entry_unbalanced", entry_id, ", ".join(f"{unit} {total}" for unit, total in units))
        for entry_id, units in sorted(unbalanced_entries().items())
    ]
    out += [Problem("balance_mismatch", code, f"{stored} != {recomputed}") for code, stored, recomputed in balances_mismatched()]
    return out


def verify() -> list[Problem]:
    """Every problem found: altered, deleted or inserted entries, broken roots and chain, ledger invariants."""
    return verify_report().problems


# -- proofs ----------------------------------------------------------------------------------------


def inclusion_proof(entry_id: int) -> dict[str, Any]:
    """What a donor needs to check that entry `entry_id` is in a seal, as plain JSON-able data."""
    leaf = SealLeaf.objects.select_related("seal").filter(entry_id=entry_id).first()
    if leaf is None:
        raise LookupError(f"entry {entry_id} is not sealed")
    seal = leaf.seal
    leaves = list(SealLeaf.objects.filter(seal=seal).order_by("entry_id").values_list("entry_id", "leaf_hash"))
    index = [i for i, _h in leaves].index(entry_id)
    entry = next(iter(_entries(entry_id - 1, entry_id)), None)
    return {
        "entry_id": entry_id,
        "leaf_data": entry_leaf_data(entry) if entry is not None and entry.pk == entry_id else None,
        "leaf_hash": leaf.leaf_hash,
        "path": merkle_path([h for _i, h in leaves], index),
        "seal": {
            "seq": seal.seq, "first_entry_id": seal.first_entry_id, "last_entry_id": seal.last_entry_id,
            "entry_count": seal.entry_count, "merkle_root": seal.merkle_root, "prev_hash": seal.prev_hash,
        },
        "merkle_root": seal.merkle_root,
        "seal_hash": seal.seal_hash,
    }


def check_proof(proof: dict[str, Any]) -> bool:
    """Check an inclusion proof with nothing but hashlib; by hand it is the same steps:

    1. if leaf_data is given: sha256(b"\\x00" + leaf_data as UTF-8) must equal leaf_hash;
    2. h = leaf_hash; for each (side, sibling) in path: h = sha256(b"\\x01" + sibling + h) when side is
       "L", sha256(b"\\x01" + h + sibling) when "R" (raw 32-byte digests, not hex text); h must equal merkle_root;
    3. sha256("seq|first_entry_id|last_entry_id|entry_count|merkle_root|prev_hash") must equal seal_hash,
       the hash the platform published.
    """
    try:
        if proof.get("leaf_data") is not None and hashlib.sha256(b"\x00" + proof["leaf_data"].encode()).hexdigest() != proof["leaf_hash"]:
            return False
        h = bytes.fromhex(proof["leaf_hash"])
        for side, sibling in proof["path"]:
            pair = bytes.fromhex(sibling) + h if side == "L" else h + bytes.fromhex(sibling)
            h = hashlib.sha256(b"\x01" + pair).digest()
        s = proof["seal"]
        if h.hex() != proof["merkle_root"] or s["merkle_root"] != proof["merkle_root"]:
            return False
        text = f"{s['seq']}|{s['first_entry_id']}|{s['last_entry_id']}|{s['entry_count']}|{s['merkle_root']}|{s['prev_hash']}"
        return hashlib.sha256(text.encode()).hexdigest() == proof["seal_hash"]
    except (KeyError, TypeError, ValueError):
        return False
