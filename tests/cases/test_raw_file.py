"""The raw database holds no sensitive field of a beneficiary in plain text: a beneficiary registered through the
services, the data made to reach a file (SQLite: the test database's pages copied as they are by SQLite's backup;
PostgreSQL: `pg_dump` of the test database, or every table's COPY … TO STDOUT when pg_dump is missing), and every byte
of it read. The beneficiary's name, which is not encrypted, must be found, so the test can fail.

A transactional test of its own: the committed rows are what reaches the file (a module-scoped fixture's open
transaction would make SQLite's backup wait on it)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from shanlian.cases import services as cs
from shanlian.cases.models import Category, ConsentText
from shanlian.cases.standard import standard_data
from tests import conftest as city_conftest
from tests import factories as f

NAME = "司徒婉清"  # the beneficiary's name: kept in clear, and looked for
BIRTH = dt.date(1952, 8, 27)
ADDRESS = "越秀区大塘街四十七号二栋九零三房"
HEALTH = "帕金森病晚期伴吞咽困难"
DISABILITY = "视力残疾一级双目失明"
FINANCES = "每月仅靠低保七百三十元度日"
CHILD = "母亲病故父亲外出务工无人照看"
CHILD_NAME = "司徒小满"
SECRETS = (ADDRESS, HEALTH, DISABILITY, FINANCES, CHILD, BIRTH.isoformat(), BIRTH.strftime("%Y%m%d"))


def _register() -> None:
    city = city_conftest.city.__wrapped__(None)
    standard_data(Category, ConsentText)  # a transactional test's database starts empty of migration-seeded rows
    cats = {c.code: c for c in Category.objects.all()}
    worker = city.users["station_worker"]
    station = city.stations["北京街"]
    elder = f.person(NAME, city.communities["盐运西"], resident_id=f.make_resident_id("440100", BIRTH))
    cs.beneficiary_register(actor=worker, person=elder, station=station,
                            categories=[cats["elderly_alone"], cats["dibao"], cats["disability"]], living_situation="alone",
                            birth_date=BIRTH, address=ADDRESS, health=HEALTH, disability=DISABILITY, finances=FINANCES)
    child_birth = dt.date(2017, 3, 9)
    child = f.person(CHILD_NAME, city.communities["都府"], resident_id=f.make_resident_id("440104", child_birth))
    grandma = f.person("司徒桂芳", city.communities["都府"], resident_id=f.make_resident_id("440100", dt.date(1958, 3, 2)))
    cs.beneficiary_register(actor=worker, person=child, station=station, categories=[cats["child_in_difficulty"]],
                            living_situation="relatives", child_situation=CHILD, guardians=[(grandma, "grandparent")])


def _sqlite_bytes(tmp_path: Path) -> bytes:
    file = tmp_path / "copy.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(file)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return file.read_bytes()


def _postgres_bytes() -> bytes:
    s = connection.settings_dict
    dump = shutil.which("pg_dump")
    if dump:
        env = {**os.environ, "PGPASSWORD": s.get("PASSWORD") or ""}
        args = [dump, "--data-only", "--no-owner", "-h", s.get("HOST") or "127.0.0.1", "-p", str(s.get("PORT") or 5432),
                "-U", s.get("USER") or "postgres", s["NAME"]]
        done = subprocess.run(args, env=env, capture_output=True, timeout=60, check=False)  # noqa: S603 (our own arguments)
        if done.returncode == 0:
            return done.stdout
    out = bytearray()  # no pg_dump (or it could not connect): every table, as COPY writes it
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            with cur.cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                for block in copy:
                    out += bytes(block)
    return bytes(out)


@pytest.mark.django_db(transaction=True)
def test_the_raw_database_holds_no_sensitive_field_in_plain_text(tmp_path: Path):
    _register()
    raw = _sqlite_bytes(tmp_path) if connection.vendor == "sqlite" else _postgres_bytes()
    assert NAME.encode() in raw and CHILD_NAME.encode() in raw  # the copy holds the beneficiaries: a secret would show
    found = [s for s in SECRETS if s.encode() in raw or s.encode("utf-16-le") in raw]
    assert not found, f"in plain text in the database: {found}"
