"""The beneficiary categories of civil affairs' priority groups, and the first wording of each consent purpose: data,
so a city adds its own categories and publishes new wording versions without a release (shanlian.cases.standard)."""

from django.db import migrations

from shanlian.cases.standard import standard_data


def seed(apps, schema_editor):
    standard_data(apps.get_model("cases", "Category"), apps.get_model("cases", "ConsentText"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
