"""Entries carry the day the money or hours moved (booked_on) beside the time they were recorded (posted_at)."""

import datetime as dt
import io
import json

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from shanlian.core.errors import ValidationFailed
from shanlian.ledger import sealing
from shanlian.ledger.beancount import export_ledger
from shanlian.ledger.models import Entry
from shanlian.ledger.services import entry_post, entry_reverse


def test_an_entry_is_dated_today_unless_told(books):
    entry = entry_post(legs=[(books["bank"], "10.00"), (books["fund"], "-10.00")], memo="现金捐赠")
    assert entry.booked_on == timezone.localdate()
    friday = timezone.localdate() - dt.timedelta(days=3)
    late = entry_post(legs=[(books["bank"], "20.00"), (books["fund"], "-20.00")], memo="上周五的现金捐赠", booked_on=friday)
    late.refresh_from_db()
    assert late.booked_on == friday and timezone.localdate(late.posted_at) == timezone.localdate()


@pytest.mark.parametrize("day", [dt.date(1999, 12, 31), dt.date(1, 1, 1), "tomorrow+2"])
def test_a_business_date_outside_the_books_window_is_refused_and_nothing_written(books, day):
    if day == "tomorrow+2":
        day = timezone.localdate() + dt.timedelta(days=2)
    before = Entry.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        entry_post(legs=[(books["bank"], "10.00"), (books["fund"], "-10.00")], booked_on=day)
    assert exc.value.code == "date_out_of_range" and "booked_on" in exc.value.fields
    assert Entry.objects.count() == before


def test_the_database_refuses_a_date_before_2000(books):
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(source="manual", content_hash="x", memo="", booked_on=dt.date(1999, 1, 1))


def test_a_reversal_is_dated_the_day_it_is_made_and_stays_in_its_book(books):
    entry = entry_post(legs=[(books["bank"], "10.00"), (books["fund"], "-10.00")], source="charity.station",
                       booked_on=timezone.localdate() - dt.timedelta(days=30))
    back = entry_reverse(entry=entry, memo="退款")
    assert back.booked_on == timezone.localdate() and back.source == "charity.station"


def test_the_seal_leaf_names_the_business_date_only_where_it_is_not_the_recording_day(books):
    same = entry_post(legs=[(books["bank"], "10.00"), (books["fund"], "-10.00")])
    late = entry_post(legs=[(books["bank"], "10.00"), (books["fund"], "-10.00")], booked_on=dt.date(2026, 3, 6))
    leaves = {e.pk: json.loads(sealing.entry_leaf_data(e)) for e in Entry.objects.filter(pk__in=[same.pk, late.pk])}
    assert "booked_on" not in leaves[same.pk]  # (so leaves sealed before entries had a date hash as they did)
    assert leaves[late.pk]["booked_on"] == "2026-03-06"


def test_beancount_dates_a_transaction_by_its_business_date(books):
    entry_post(legs=[(books["bank"], "10.00"), (books["fund"], "-10.00")], memo="三月的捐赠", booked_on=dt.date(2026, 3, 6))
    out = io.StringIO()
    export_ledger(out)
    text = out.getvalue()
    assert '2026-03-06 * "三月的捐赠"' in text
    assert "  recorded: " in text
