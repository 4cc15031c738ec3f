"""No resident ID or phone number is stored in plain text: not in the raw SQLite file, not in any
column of any table on whichever database the suite runs on. Nor are a phone's last four digits, a search
key of their own (people.search): only their keyed blind index is kept, and audit rows do not carry the
masked number (139****5678) either."""

import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pytest
from django.db import connection

from shanlian.core import crypto

ID = "440100195203150026"
PHONE = "13912345678"
LAST4 = PHONE[-4:]
# The last four standing alone: not inside a longer number, a hex digest or a base64 ciphertext.
ALONE = rf"(?<![0-9A-Za-z_\-=+/]){LAST4}(?![0-9A-Za-z_\-=+/])"

@pytest.mark.skipif(connection.vendor != "sqlite",
                    reason="the SQLite file is read in the SQLite pass; the PostgreSQL pass reads its tables")
@pytest.mark.django_db(transaction=True)
def test_raw_sqlite_file_has_no_plain_identifiers(tmp_path: Path):
    """A person written through the services (created, then updated) and the test database's pages copied, as they
    are, into a file by SQLite's backup: every byte of it read."""
    from shanlian.people import services as s
    from shanlian.places import services as p

    gz = p.division_create(name="广州市", level="city", code="440100", parent=None)
    yx = p.division_create(name="越秀区", level="district", code="440104", parent=gz)
    st = p.division_create(name="北京街道", level="street", code="440104001", parent=yx)
    c = p.division_create(name="盐运西社区", level="community", code="440104001001", parent=st)
    person = s.person_create(actor=None, real_name="陈秀英", division=c, resident_id=ID, phone=PHONE)
    s.person_update(actor=None, person=person, real_name="陈秀英", division=c, phone=PHONE)
    file = tmp_path / "shanlian.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(file)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    raw = file.read_bytes()
    assert "陈秀英".encode() in raw  # the file is readable and the person is in it
    for secret in (ID, PHONE, ID[-8:], PHONE[3:]):
        assert secret.encode() not in raw, f"{secret} found in plain text in the database file"
        assert secret.encode("utf-16-le") not in raw
    assert not re.search(ALONE.encode(), raw), f"{LAST4} (the phone's last four) found in plain text in the database file"


def test_no_table_holds_plain_identifiers(city):
    found = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            columns = [c.name for c in connection.introspection.get_table_description(cur, table)]
            cur.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names come from introspection)
            for row in cur.fetchall():
                for col, value in zip(columns, row, strict=True):
                    text = str(value)
                    if ID in text or PHONE in text:
                        found.append((table, col))
                    if isinstance(value, (dict, list)):
                        text = json.dumps(value, ensure_ascii=False)
                    if isinstance(value, (str, dict, list)) and re.search(ALONE, text):
                        found.append((table, col, text))
    assert not found, found


def test_the_last_four_are_kept_only_as_a_keyed_index(city):
    from shanlian.people.models import Person

    person = Person.objects.get(pk=city.people["陈秀英"].pk)
    assert person.phone_last4_hash == crypto.blind_index(LAST4, purpose="phone_last4")
    assert person.phone_last4_hash not in (hashlib.sha256(LAST4.encode()).hexdigest(), hashlib.md5(LAST4.encode()).hexdigest(),  # noqa: S324
                                          crypto.blind_index(LAST4, purpose="phone"))
