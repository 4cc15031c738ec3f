"""No sensitive value of a beneficiary is stored in plain text: not the address, health, finances, child's situation,
allowance amounts, household names, data-request details or answers (the export), in any column of any table, nor in
the audit log, on whichever database the suite runs on. (The raw SQLite file is read by
tests/core/test_privacy_at_rest.py, in a transactional test of its own; a module-scoped fixture cannot be backed up
while its transaction is open.)"""

from __future__ import annotations

import json

from django.db import connection
from django.utils import timezone

from shanlian.cases import services as cs

from .conftest import ADDRESS, AMOUNT, CHILD_NOTES, HEALTH, MEMBER

DETAILS = "请更正门牌为十四号甲"
SECRETS = (ADDRESS, HEALTH, AMOUNT, MEMBER, CHILD_NOTES, DETAILS, "2016-05-01", "月收入不足八百元")


def _with_requests(site) -> None:
    worker = site.users["station_worker"]
    req = cs.data_request_record(actor=worker, beneficiary=site.elder, kind="access", received_on=timezone.localdate())
    cs.data_request_answer(actor=worker, request=req, note="已交付")
    cs.data_request_record(actor=worker, beneficiary=site.elder, kind="correction", received_on=timezone.localdate(), details=DETAILS)


def test_no_table_holds_a_sensitive_value(site, db):
    _with_requests(site)
    found = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            columns = [c.name for c in connection.introspection.get_table_description(cur, table)]
            cur.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names come from introspection)
            for row in cur.fetchall():
                for col, value in zip(columns, row, strict=True):
                    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
                    found += [(table, col, s) for s in SECRETS if s in text]
    assert not found, found
