"""The time-bank benchmark's generator (bench/_timebank_gen.py) at tiny scale: what bench/timebank.py builds
with 1,000,000 volunteers must stay consistent with the models, the ledger and the selectors."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count, Sum

from shanlian.ledger.models import Account
from shanlian.ledger.selectors import balances_mismatched, unbalanced_entries
from shanlian.timebank import selectors as sel
from shanlian.timebank.models import HoursRecord, HoursStatus, Volunteer

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench import _timebank_gen as gen  # noqa: E402

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the generator is PostgreSQL SQL (generate_series, session_replication_role, VACUUM)"),
    pytest.mark.django_db(transaction=True),
]


def test_generated_time_bank_is_consistent_and_readable():
    gen.setup_stations(3, say=lambda _: None)
    made = gen.generate(60, say=lambda _: None)
    # 1 + (31 i mod 19) records for volunteer i: 10 on average over 19 volunteers.
    assert made == sum(1 + (31 * i) % gen.MAX_RECORDS for i in range(60))
    assert Volunteer.objects.count() == 60 and HoursRecord.objects.filter(status=HoursStatus.APPROVED).count() == made
    assert gen.check() == (0, 0, 0)
    assert not unbalanced_entries() and not balances_mismatched()  # the ledger's own checks agree
    assert HoursRecord.objects.values("volunteer", "shift").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert Account.objects.get(code="tb:issue").balance == -HoursRecord.objects.aggregate(s=Sum("hours"))["s"]

    v = Volunteer.objects.get(number=f"{gen.PREFIX}00000018")  # 1 + (31*18 mod 19) = 8 records
    assert v.account.code == f"tb:vol:{v.number}"
    p = sel.volunteer_profile(volunteer=v)
    records = list(HoursRecord.objects.filter(volunteer=v).order_by("-id"))
    assert len(records) == 8 and [r.pk for r in p.latest] == [r.pk for r in records]
    assert p.balance == p.approved_hours == sum((r.hours.value for r in records), Decimal(0))
    assert [r.day for r in p.latest] == sorted((r.day for r in p.latest), reverse=True)  # later records on later days
    assert all(r.shift.activity.station_id == v.station_id and r.entry_id for r in p.latest)

    board = sel.station_leaderboard(station=v.station, limit=100)
    assert len(board) == 20 and all(b.station_id == v.station_id for b in board)
    keys = [(b.approved_hours.value, b.pk) for b in board]
    assert keys == sorted(keys, reverse=True)

