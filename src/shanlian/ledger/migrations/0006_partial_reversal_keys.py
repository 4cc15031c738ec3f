"""At most one reversal per entry, kept by a partial unique index (`reverses_id IS NOT NULL`) instead of the one-to-one
field's full unique constraint: all but a few entries reverse nothing, and each of them added a NULL to that index
(a Giving Day writes a million entries).

The field becomes a foreign key in Django's state only; on PostgreSQL the full constraint is dropped by name (the
foreign key itself stays as it is, so no row is validated again). SQLite keeps its inline UNIQUE (a table rebuild
there would trip charity's roll-up triggers), which refuses the same rows: NULLs are distinct there too.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q

from shanlian.core.migration_ops import postgres_sql


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_slim_posting_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="entry",
                    name="reverses",
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="reversed_by", to="ledger.entry", verbose_name="reverses"),
                ),
            ],
            database_operations=[postgres_sql(
                "ALTER TABLE ledger_entry DROP CONSTRAINT IF EXISTS ledger_entry_reverses_id_key",
                "ALTER TABLE ledger_entry ADD CONSTRAINT ledger_entry_reverses_id_key UNIQUE (reverses_id)",
            )],
        ),
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.UniqueConstraint(condition=Q(reverses__isnull=False), fields=("reverses",),
                                               name="ledger_entry_reversed_once"),
        ),
    ]
