"""What a process has read of rows that never change once written (an account's definition, the id of the account a
code names), kept so that it is not read again.

A value read in a transaction that has not committed yet may vanish with it: the row was perhaps made by that very
transaction. So a value is known to the whole process only once the transaction that read it commits; until then it
serves that transaction alone, and only while the savepoint it was read in has not rolled back. Django keeps exactly
that account for `transaction.on_commit` callbacks (a rolled-back savepoint or transaction drops the callbacks
registered in it, a commit runs them), so each value read waits as one such callback: still pending, it may be used by
the connection that read it; run, it belongs to the process. PostgreSQL only: SQLite hands a rolled-back row's id out
again, so an id is not a name there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from django.db import connection, transaction

K = TypeVar("K")
V = TypeVar("V")


class _Pending(Generic[K, V]):
    """A `transaction.on_commit` callback holding what one transaction read, handed to the process on commit."""

    def __init__(self, owner: Learnt[K, V], values: dict[K, V]) -> None:
        self.owner, self.values = owner, values

    def __call__(self) -> None:
        self.owner.sure.update(self.values)


class Learnt(Generic[K, V]):
    def __init__(self) -> None:
        self.sure: dict[K, V] = {}
        self.pending: dict[K, tuple[V, _Pending[K, V]]] = {}

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The values known for these keys, to this process or to this connection's transaction."""
        found = {k: self.sure[k] for k in keys if k in self.sure}
        if self.pending and connection.in_atomic_block:
            live = {id(pending[1]) for pending in connection.run_on_commit}  # (savepoint ids, callback, robust)
            for key in keys:
                if key not in found and key in self.pending:
                    value, callback = self.pending[key]
                    if id(callback) in live:
                        found[key] = value
        return found

    def learn(self, values: dict[K, V]) -> None:
        """Values just read: the process's once this transaction commits, this transaction's meanwhile."""
        if not values:
            return
        if not connection.in_atomic_block:
            self.sure.update(values)  # autocommit: what was read is committed
            return
        callback = _Pending(self, values)
        transaction.on_commit(callback)
        self.pending.update((k, (v, callback)) for k, v in values.items())
        if len(self.pending) > 10_000:
            self.pending.clear()
