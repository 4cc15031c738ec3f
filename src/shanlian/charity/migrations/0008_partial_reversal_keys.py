"""At most one refund per gift, kept by a partial unique index (`refund_entry_id IS NOT NULL`) instead of the one-to-one
field's full unique constraint: refunds are few, and every gift added a NULL to that index. Done as ledger 0006 does
it: Django's state changes, PostgreSQL drops the full constraint by name, SQLite keeps its inline UNIQUE.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q

from shanlian.core.migration_ops import postgres_sql


class Migration(migrations.Migration):
    dependencies = [
        ("charity", "0007_one_fund_time_index"),
        ("ledger", "0006_partial_reversal_keys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="donation",
                    name="refund_entry",
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="refunded_donation", to="ledger.entry"),
                ),
            ],
            database_operations=[postgres_sql(
                "ALTER TABLE charity_donation DROP CONSTRAINT IF EXISTS charity_donation_refund_entry_id_key",
                "ALTER TABLE charity_donation ADD CONSTRAINT charity_donation_refund_entry_id_key UNIQUE (refund_entry_id)",
            )],
        ),
        migrations.AddConstraint(
            model_name="donation",
            constraint=models.UniqueConstraint(condition=Q(refund_entry__isnull=False), fields=("refund_entry",),
                                               name="charity_donation_refunded_once"),
        ),
    ]
