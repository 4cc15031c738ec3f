"""One index on `charity_donation` (fund_id, received_at) where there were two: Meta's `charity_donation_fund_time`
and migration 0003's covering `charity_stmt_donation_fund_cover`, the same key. Meta's index now carries the
covered columns itself (INCLUDE on PostgreSQL; SQLite keeps a plain index) and 0003's goes, so each gift written
maintains one index fewer and statements keep their index-only scans."""

from django.db import migrations, models

from shanlian.core.migration_ops import postgres_sql

COVER = "charity_stmt_donation_fund_cover"


class Migration(migrations.Migration):
    dependencies = [("charity", "0006_drop_posting_cover")]
    operations = [
        migrations.RemoveIndex(model_name="donation", name="charity_donation_fund_time"),
        migrations.AddIndex(
            model_name="donation",
            index=models.Index(fields=["fund", "received_at"], include=["id", "amount", "channel", "status", "campaign"],
                               name="charity_donation_fund_time"),
        ),
        postgres_sql(
            f"DROP INDEX IF EXISTS {COVER}",
            f"CREATE INDEX IF NOT EXISTS {COVER} ON charity_donation (fund_id, received_at) "
            "INCLUDE (id, amount, channel, status, campaign_id)",
        ),
    ]
