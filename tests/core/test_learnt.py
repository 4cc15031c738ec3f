"""What a process learns of rows that never change (core.learnt): the reading transaction's alone until it commits,
and forgotten with a savepoint or transaction that rolls back."""

from __future__ import annotations

import pytest
from django.db import transaction

from shanlian.core.learnt import Learnt

pytestmark = pytest.mark.django_db


class Undo(Exception):
    pass


def test_a_value_serves_its_transaction_until_commit_then_the_process(django_capture_on_commit_callbacks):
    learnt: Learnt[int, str] = Learnt()
    with django_capture_on_commit_callbacks(execute=True):
        learnt.learn({1: "cash"})
        assert learnt.get_many([1, 2]) == {1: "cash"} and learnt.sure == {}
    assert learnt.sure == {1: "cash"}  # committed: the whole process knows it
    assert learnt.get_many([1]) == {1: "cash"}


def test_a_value_read_in_a_savepoint_that_rolls_back_is_forgotten():
    learnt: Learnt[int, str] = Learnt()
    learnt.learn({1: "cash"})
    with pytest.raises(Undo), transaction.atomic():
        learnt.learn({2: "goods"})
        assert learnt.get_many([1, 2]) == {1: "cash", 2: "goods"}
        raise Undo
    assert learnt.get_many([1, 2]) == {1: "cash"}  # the row of 2 may have gone with the savepoint
    assert learnt.sure == {}


def test_another_transaction_does_not_see_what_this_one_read(monkeypatch):
    learnt: Learnt[int, str] = Learnt()
    learnt.learn({1: "cash"})
    from django.db import connection

    monkeypatch.setattr(connection, "run_on_commit", [])  # as another connection's transaction sees it
    assert learnt.get_many([1]) == {}
