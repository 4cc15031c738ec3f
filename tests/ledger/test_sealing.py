import contextlib
import copy
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from shanlian.ledger import sealing
from shanlian.ledger.models import Entry, Posting, Seal, SealLeaf
from shanlian.ledger.services import account_open, entry_post, entry_reverse

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the immutability triggers exist only on PostgreSQL")


def post_some(books, n: int, start: int = 0) -> list[Entry]:
    out = []
    for i in range(start, start + n):
        out.append(entry_post(legs=[(books["bank"], f"{i + 1}.00"), (books["fund"], f"-{i + 1}.00")], memo=f"捐赠 {i}"))
    return out


def skip_ids(n: int) -> None:
    """Leave a gap of n ids in the entry sequence, as rolled-back transactions do on PostgreSQL."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT setval(pg_get_serial_sequence('ledger_entry', 'id'), (SELECT MAX(id) FROM ledger_entry) + %s)", [n])
        else:
            cur.execute("UPDATE sqlite_sequence SET seq = seq + %s WHERE name = 'ledger_entry'", [n])


@contextlib.contextmanager
def triggers_off():
    """Simulate an attacker with database access: on PostgreSQL the immutability triggers are bypassed."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        # The test's own entries are not committed yet: run their deferred balance checks now, as COMMIT would have.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        cur.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SET session_replication_role = DEFAULT")


def entry_problems(problems) -> set[tuple[str, object]]:
    return {(p.kind, p.ref) for p in problems if p.kind.startswith("entry_")}


def verify_exits_nonzero() -> str:
    err = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=err)
    assert exc.value.code == 1
    return err.getvalue()


def test_merkle_tree_rules():
    leaves = [sealing.leaf_hash(str(i)) for i in range(5)]
    a, b, c, d, e = leaves
    n = sealing.node_hash
    # odd node carried up by pairing it with itself, on every level
    assert sealing.merkle_root(leaves) == n(n(n(a, b), n(c, d)), n(n(e, e), n(e, e)))
    assert sealing.merkle_root([a]) == a
    # leaves and inner nodes are domain-separated
    assert sealing.leaf_hash("x") != __import__("hashlib").sha256(b"x").hexdigest()
    for i in range(5):
        path = sealing.merkle_path(leaves, i)
        h = leaves[i]
        for side, sib in path:
            h = n(sib, h) if side == "L" else n(h, sib)
        assert h == sealing.merkle_root(leaves)


def test_seal_and_verify_ok(books):
    assert sealing.seal_create() is None  # nothing to seal
    entries = post_some(books, 5)
    seal = sealing.seal_create()
    assert seal is not None
    assert (seal.seq, seal.first_entry_id, seal.last_entry_id, seal.entry_count) == (1, entries[0].pk, entries[-1].pk, 5)
    assert seal.prev_hash == "0" * 64
    assert seal.seal_hash == sealing.seal_hash_of(
        seq=1, first_entry_id=seal.first_entry_id, last_entry_id=seal.last_entry_id, entry_count=5,
        merkle_root=seal.merkle_root, prev_hash=seal.prev_hash,
    )
    assert SealLeaf.objects.filter(seal=seal).count() == 5
    assert sealing.seal_create() is None  # nothing new
    assert sealing.verify() == []
    out = io.StringIO()
    call_command("ledger", "verify", stdout=out)
    assert "OK: 1 seals, 5 entries verified" in out.getvalue()


def test_second_seal_chains_to_the_first(books):
    post_some(books, 3)
    first = sealing.seal_create()
    later = post_some(books, 4, start=3)
    entry_reverse(entry=later[0])
    out = io.StringIO()
    call_command("ledger", "seal", stdout=out)
    second = Seal.objects.get(seq=2)
    assert "2" in out.getvalue() and second.seal_hash in out.getvalue()
    assert second.prev_hash == first.seal_hash
    assert second.first_entry_id == first.last_entry_id + 1 and second.entry_count == 5
    assert sealing.verify() == []
    # Entries posted after the last seal are simply not sealed yet.
    post_some(books, 2, start=10)
    assert sealing.verify() == []


def test_leaf_serialization_is_canonical(books):
    entry = entry_post(legs=[(books["issue"], "2.5"), (books["vol"], "-2.5")], memo="服务 2.5 小时")
    entry = Entry.objects.prefetch_related("postings__account").get(pk=entry.pk)
    data = json.loads(sealing.entry_leaf_data(entry))
    assert data["memo"] == "服务 2.5 小时" and data["posted_at"].endswith("Z")
    assert [p[1:] for p in data["postings"]] == [["tb:issue", "HOUR", "2.50"], ["tb:vol:1", "HOUR", "-2.50"]]


def test_proof_checks_for_every_entry_and_fails_when_tampered(books):
    entries = post_some(books, 7)  # odd count: the carried-up node is exercised
    sealing.seal_create()
    entries += post_some(books, 2, start=7)
    sealing.seal_create()
    for entry in entries:
        proof = sealing.inclusion_proof(entry.pk)
        assert sealing.check_proof(json.loads(json.dumps(proof))), entry.pk  # survives a JSON round trip
    proof = sealing.inclusion_proof(entries[3].pk)
    for tamper in (
        lambda p: p.__setitem__("leaf_hash", sealing.leaf_hash("forged")),
        lambda p: p.__setitem__("leaf_data", p["leaf_data"].replace("捐赠", "捐款")),
        lambda p: p["path"].__setitem__(0, (p["path"][0][0], "0" * 64)),
        lambda p: p["path"].__setitem__(0, ("L" if p["path"][0][0] == "R" else "R", p["path"][0][1])),
        lambda p: p["seal"].__setitem__("entry_count", 8),
        lambda p: p.__setitem__("seal_hash", "0" * 64),
        lambda p: p.pop("path"),
    ):
        bad = copy.deepcopy(proof)
        tamper(bad)
        assert not sealing.check_proof(bad)
    with pytest.raises(LookupError):
        sealing.inclusion_proof(entries[-1].pk + 1)
    out = io.StringIO()
    call_command("ledger", "proof", str(entries[0].pk), stdout=out)
    assert sealing.check_proof(json.loads(out.getvalue()))


def test_altered_memo_is_named(books):
    entries = post_some(books, 4)
    sealing.seal_create()
    with triggers_off():
        Entry.objects.filter(pk=entries[2].pk).update(memo="改过的")
    assert sealing.verify() == [sealing.Problem("entry_altered", entries[2].pk)]
    assert f"entry {entries[2].pk} altered" in verify_exits_nonzero()


def test_altered_amounts_are_named(books):
    entries = post_some(books, 4)
    sealing.seal_create()
    post_some(books, 3, start=4)
    sealing.seal_create()
    target = entries[1]
    with triggers_off():
        # both postings, so the entry still balances; the stored balances now disagree with the postings
        Posting.objects.filter(entry=target, amount__gt=0).update(amount=Decimal("999.00"))
        Posting.objects.filter(entry=target, amount__lt=0).update(amount=Decimal("-999.00"))
    problems = sealing.verify()
    assert entry_problems(problems) == {("entry_altered", target.pk)}
    assert {p.ref for p in problems if p.kind == "balance_mismatch"} == {"fed:bank", "fund:北京街"}
    assert not [p for p in problems if p.kind.startswith("seal_")]
    verify_exits_nonzero()


def test_deleted_entry_is_named(books):
    entries = post_some(books, 5)
    sealing.seal_create()
    with triggers_off():
        Posting.objects.filter(entry=entries[4]).delete()
        Entry.objects.filter(pk=entries[4].pk).delete()
    assert entry_problems(sealing.verify()) == {("entry_deleted", entries[4].pk)}
    assert f"entry {entries[4].pk} deleted" in verify_exits_nonzero()


def test_inserted_entry_is_named(books):
    entries = post_some(books, 2)
    skip_ids(3)
    entries += post_some(books, 2, start=2)
    sealing.seal_create()
    gap = entries[1].pk + 2
    assert gap < entries[2].pk
    with triggers_off():
        forged = Entry.objects.create(pk=gap, source="internal", memo="伪造", content_hash="x", booked_on=dt.date(2026, 3, 2))
        Posting.objects.create(entry=forged, account=books["income"], unit="CNY", amount=Decimal("5.00"))
        Posting.objects.create(entry=forged, account=books["bank"], unit="CNY", amount=Decimal("-5.00"))
    assert entry_problems(sealing.verify()) == {("entry_inserted", gap)}
    assert f"entry {gap} inserted into sealed range" in verify_exits_nonzero()


def test_unbalanced_entry_and_broken_chain_are_found(books):
    entries = post_some(books, 3)
    first = sealing.seal_create()
    post_some(books, 1, start=3)
    second = sealing.seal_create()
    with triggers_off():
        Posting.objects.filter(entry=entries[0], amount__gt=0).update(amount=Decimal("2.00"))
        Seal.objects.filter(pk=first.pk).update(merkle_root="0" * 64)
    problems = set(sealing.verify())
    assert sealing.Problem("entry_unbalanced", entries[0].pk) in problems
    assert sealing.Problem("entry_altered", entries[0].pk) in problems
    assert sealing.Problem("seal_root", first.seq) in problems  # the root no longer matches the stored leaves
    assert sealing.Problem("seal_chain", first.seq) in problems  # nor its own seal_hash
    assert sealing.Problem("seal_chain", second.seq) not in problems
    with triggers_off():
        Seal.objects.filter(pk=first.pk).update(seal_hash="1" * 64)
    assert sealing.Problem("seal_chain", second.seq) in set(sealing.verify())


@on_postgres
def test_postgres_refuses_changing_seals(books):
    post_some(books, 2)
    seal = sealing.seal_create()
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        Seal.objects.filter(pk=seal.pk).update(merkle_root="0" * 64)
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        SealLeaf.objects.filter(seal=seal).delete()
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        Entry.objects.filter(pk=seal.last_entry_id).update(memo="edited")
    assert sealing.verify() == []


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sealing_seals_each_entry_once():
    import threading

    from django.db import connections

    bank = account_open(code="fed:bank", name="银行存款", unit="CNY", type="asset")
    income = account_open(code="income:gifts", name="捐赠收入", unit="CNY", type="income")
    for i in range(6):
        entry_post(legs=[(bank, f"{i + 1}.00"), (income, f"-{i + 1}.00")])
    results: list[object] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        try:
            barrier.wait()
            results.append(sealing.seal_create())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in results if r is not None]) == 1 and len(results) == 4
    assert Seal.objects.count() == 1 and SealLeaf.objects.count() == 6
    assert sealing.verify() == []


def test_expire_holds_command(db):
    out = io.StringIO()
    call_command("ledger", "expire-holds", stdout=out)
    assert "0" in out.getvalue()


def test_export_beancount_command(books, tmp_path):
    post_some(books, 2)
    target = tmp_path / "ledger.beancount"
    call_command("ledger", "export-beancount", str(target), stdout=io.StringIO())
    assert "2.00 CNY" in target.read_text(encoding="utf-8")
    out = io.StringIO()
    call_command("ledger", "export-beancount", stdout=out)
    assert out.getvalue() == target.read_text(encoding="utf-8")
