"""Entries carry their business date (the day the money or hours moved) beside the time they were recorded.
Existing entries get the day they were recorded, in Asia/Shanghai (what their lines showed until now)."""

import datetime as dt

from django.db import migrations, models

FILL = {
    "postgresql": [
        "ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_immutable",
        "UPDATE ledger_entry SET booked_on = (posted_at AT TIME ZONE 'Asia/Shanghai')::date",
        "ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_immutable",
    ],
    "sqlite": ["UPDATE ledger_entry SET booked_on = date(posted_at, '+8 hours')"],
}


def fill(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        for sql in FILL[schema_editor.connection.vendor]:
            cur.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_partial_reversal_keys")]

    operations = [
        migrations.AddField(model_name="entry", name="booked_on", field=models.DateField(null=True, verbose_name="date")),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(model_name="entry", name="booked_on", field=models.DateField(verbose_name="date")),
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.CheckConstraint(condition=models.Q(booked_on__gte=dt.date(2000, 1, 1)), name="ledger_entry_booked_since_2000"),
        ),
    ]
