"""Two writers with the same version of a case: the conditional UPDATE … WHERE version = n lets exactly one win, the other
is refused with `stale` even when they run at the same moment (PostgreSQL: the second waits for the first's row lock,
then finds the version moved). SQLite runs one writer at a time, so the race is only run on PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from shanlian.cases import services as cs
from shanlian.cases import services_cycle as cy
from shanlian.cases.models import Case, Category, ConsentText
from shanlian.cases.standard import standard_data
from shanlian.core.errors import Conflict

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL's row locks")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_edits_of_one_version_one_wins(city):
    standard_data(Category, ConsentText)
    worker = city.users["station_worker"]
    b = cs.beneficiary_register(actor=worker, person=city.people["陈秀英"], station=city.stations["北京街"],
                                categories=[Category.objects.get(code="elderly_alone")], living_situation="alone")
    case = cy.case_open(actor=worker, beneficiary=b, source="outreach", problem="独居")
    version = case.version
    first_has_lock, outcomes = threading.Event(), {}

    def first() -> None:
        try:
            with transaction.atomic():
                cy.bump(Case, case.pk, version, problem_enc=cs.crypto.encrypt("第一位"))
                first_has_lock.set()
                time.sleep(0.6)  # the second writer is now waiting on the row
            outcomes["first"] = "ok"
        finally:
            connections.close_all()

    def second() -> None:
        first_has_lock.wait(5)
        try:
            cy.case_update(actor=worker, case=Case.objects.get(pk=case.pk), version=version, problem="第二位")
            outcomes["second"] = "ok"
        except Conflict as exc:
            outcomes["second"] = exc.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert outcomes == {"first": "ok", "second": "stale"}
    row = Case.objects.get(pk=case.pk)
    assert row.version == version + 1 and cs.crypto.decrypt(row.problem_enc) == "第一位"
