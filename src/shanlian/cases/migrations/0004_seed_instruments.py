"""The standard assessment instruments (Barthel ADL, GDS-15) as data (shanlian.cases.standard)."""

from django.db import migrations

from shanlian.cases.standard import standard_instruments


def seed(apps, schema_editor):
    standard_instruments(apps.get_model("cases", "Instrument"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_case_cycle")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
