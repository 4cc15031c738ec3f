"""One index on `ledger_posting` where there were three starting with the account: every posting written
maintains every index, and a Giving Day writes millions (bench/intake.py, bench/bulk_import.py).

- The single-column index Django makes for the `account` foreign key goes: (account, entry) serves the same
  look-ups. Changed in Django's state only (`db_index=False`) and dropped by name, as charity 0005 does.
- `ledger_posting_account_idx` (account, entry) now carries the amount (INCLUDE, PostgreSQL; SQLite keeps a plain
  index), so a statement walks an account's postings by entry and sums them from the index alone. It replaces
  charity's `charity_stmt_posting_account_entry`, the same index, which charity 0006 drops.
"""

import django.db.models.deletion
from django.db import migrations, models


def _fk_index(apps, schema_editor):
    model = apps.get_model("ledger", "posting")
    table, column = model._meta.db_table, model._meta.get_field("account").column
    return table, column, schema_editor._create_index_name(table, [column], suffix="")


def drop_fk_index(apps, schema_editor):
    _table, _column, name = _fk_index(apps, schema_editor)
    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_fk_index(apps, schema_editor):
    table, column, name = _fk_index(apps, schema_editor)
    q = schema_editor.quote_name
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(name)} ON {q(table)} ({q(column)})")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_seal")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="posting",
                    name="account",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="postings", to="ledger.account", verbose_name="account"),
                ),
            ],
            database_operations=[migrations.RunPython(drop_fk_index, create_fk_index)],
        ),
        migrations.RemoveIndex(model_name="posting", name="ledger_posting_account_idx"),
        migrations.AddIndex(
            model_name="posting",
            index=models.Index(fields=["account", "entry"], include=["amount"], name="ledger_posting_account_idx"),
        ),
    ]
