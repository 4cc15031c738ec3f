"""Indexes for public statements and disclosure pages at city scale (PostgreSQL only; SQLite keeps
the plain ones from 0001).

- ledger_posting (account_id, entry_id) INCLUDE (amount): a fund statement page walks each of the
  fund's accounts backwards by entry id and sums amounts; with the amount in the index both are
  index-only scans, so a page costs the same with 10 or 10,000,000 postings (bench/statements.py).
- charity_donation (fund_id, received_at) INCLUDE (id, amount, channel, status, campaign_id): income by month and by
  source of one fund, and the count of its donors, without visiting the table (a fund's gifts are
  scattered over the table among every other fund's: one page read per gift otherwise).

Built CONCURRENTLY so a live ledger is not locked while the index builds.
"""

from django.db import migrations

from shanlian.core.migration_ops import postgres_sql

# One statement per operation: CREATE INDEX CONCURRENTLY cannot run in a (multi-statement) transaction.
POSTING = "charity_stmt_posting_account_entry"
DONATION = "charity_stmt_donation_fund_cover"


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("charity", "0002_postgres_guards"), ("ledger", "0004_seal")]
    operations = [
        postgres_sql(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {POSTING} ON ledger_posting (account_id, entry_id) INCLUDE (amount)",
            f"DROP INDEX CONCURRENTLY IF EXISTS {POSTING}",
        ),
        postgres_sql(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {DONATION} ON charity_donation (fund_id, received_at) "
            "INCLUDE (id, amount, channel, status, campaign_id)",
            f"DROP INDEX CONCURRENTLY IF EXISTS {DONATION}",
        ),
    ]
