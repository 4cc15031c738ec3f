"""`charity_stmt_posting_account_entry` (migration 0003) goes: ledger 0005 gave the ledger's own
`ledger_posting_account_idx` the same key and the amount, so statements read the same index-only scans from it,
and each posting written maintains one index fewer."""

from django.db import migrations

from shanlian.core.migration_ops import postgres_sql

POSTING = "charity_stmt_posting_account_entry"


class Migration(migrations.Migration):
    dependencies = [("charity", "0005_slim_donation_indexes"), ("ledger", "0005_slim_posting_indexes")]
    operations = [
        postgres_sql(
            f"DROP INDEX IF EXISTS {POSTING}",
            f"CREATE INDEX IF NOT EXISTS {POSTING} ON ledger_posting (account_id, entry_id) INCLUDE (amount)",
        ),
    ]
