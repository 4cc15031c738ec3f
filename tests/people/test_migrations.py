"""Migration people 0002 fills the search keys (full pinyin, the blind index of the phone's last four) of the rows
written before it, decrypting each phone once; the rows are then found by them."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from shanlian.core import crypto
from shanlian.people.models import Person
from shanlian.people.selectors import actor_scope, people_list
from shanlian.places import services as places
from shanlian.places.models import Level

AFTER = ("people", "0002_search_keys")


def test_0002_fills_the_keys_of_existing_rows(db, monkeypatch):
    """The migration's fill, run as `migrate` runs it (the models of that moment), on rows whose keys are blank, as
    they were before it. The rows are written to today's table: moving the whole schema back to people 0001 unapplies
    every app (two minutes on PostgreSQL) to test a function that reads and writes three columns of one table."""
    migration = importlib.import_module("shanlian.people.migrations.0002_search_keys")
    gz = places.division_create(name="广州市", level=Level.CITY, code="440100", parent=None)
    yx = places.division_create(name="越秀区", level=Level.DISTRICT, code="440104", parent=gz)
    st = places.division_create(name="北京街道", level=Level.STREET, code="440104001", parent=yx)
    rows = [("陈秀英", "13912345678"), ("吕小明", ""), ("欧阳娜娜", "02083001234")]
    rows += [(f"居民{i}", f"1370000{i:04d}") for i in range(5)]
    for name, phone in rows:
        Person.objects.create(real_name=name, division_id=st.pk, phone_enc=crypto.encrypt(phone),
                              phone_hash=crypto.blind_index(phone, purpose="phone"))
    assert not Person.objects.exclude(name_pinyin="", phone_last4_hash="").exists()  # as before the migration
    apps = MigrationLoader(connection).project_state(AFTER).apps
    decrypted = []
    real_decrypt = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda token: decrypted.append(token) or real_decrypt(token))
    monkeypatch.setattr(migration, "BATCH", 3)  # several batches
    migration.fill(apps, SimpleNamespace(connection=connection))
    monkeypatch.undo()
    assert len(decrypted) == len(rows)  # each phone once
    got = {p.real_name: (p.name_pinyin, p.phone_last4_hash) for p in Person.objects.all()}
    assert got["陈秀英"] == ("chenxiuying", crypto.blind_index("5678", purpose="phone_last4"))
    assert got["吕小明"] == ("lvxiaoming", "")
    assert got["欧阳娜娜"] == ("ouyangnana", crypto.blind_index("1234", purpose="phone_last4"))
    assert got["居民3"][1] == crypto.blind_index("0003", purpose="phone_last4")

    admin = get_user_model().objects.create_superuser("root", password="x")
    scope = actor_scope(admin)
    assert [p.real_name for p in people_list(scope=scope, query="5678")] == ["陈秀英"]
    assert [p.real_name for p in people_list(scope=scope, query="ouyang")] == ["欧阳娜娜"]
