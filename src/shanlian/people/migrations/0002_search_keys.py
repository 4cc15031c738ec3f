"""Search keys beside a person's name and phone (see `people.search`): the full pinyin of the name, and a keyed
blind index of the phone's last four digits, so that a search by pinyin or by the last four never decrypts a row.

The rows already there are filled in here, each phone decrypted once, in batches by primary key; the indexes
are built after the fill. From now on the people services keep both columns on every create and edit.
"""

from typing import Any

from django.db import migrations, models

BATCH = 2000


def fill(apps: Any, schema_editor: Any) -> None:
    from shanlian.core import crypto
    from shanlian.people.search import name_keys, phone_last4_index

    Person = apps.get_model("people", "Person")
    people = Person.objects.using(schema_editor.connection.alias)
    last = 0
    while True:
        rows = list(people.filter(pk__gt=last).order_by("pk").only("pk", "real_name", "phone_enc")[:BATCH])
        if not rows:
            return
        for p in rows:
            p.name_pinyin = name_keys(p.real_name)[1]
            p.phone_last4_hash = phone_last4_index(crypto.decrypt(p.phone_enc))
        people.bulk_update(rows, ["name_pinyin", "phone_last4_hash"])
        last = rows[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="name_pinyin",
            field=models.CharField(blank=True, editable=False, max_length=192, verbose_name="pinyin"),
        ),
        migrations.AddField(
            model_name="person",
            name="phone_last4_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["name_initials"], name="person_name_initials", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["name_pinyin"], name="person_name_pinyin", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["phone_last4_hash"], name="person_phone_last4"),
        ),
    ]
