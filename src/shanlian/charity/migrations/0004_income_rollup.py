"""A fund's income by month and channel (`FundIncomeMonth`), kept by the database itself.

The public fund page shows a fund's income by month and by source; summing every gift for it costs a
pass over thousands of gifts (and a match look-up per campaign gift) for a busy fund. This table holds
the same sums per (fund, month in Asia/Shanghai, channel), so the page reads a few dozen rows.

Every change to `charity_donation` or `charity_matchgift` adds its difference in the same transaction:
- PostgreSQL: statement-level AFTER triggers with transition tables, so a bulk INSERT ... SELECT or
  COPY of a million gifts costs one grouped upsert, and the services, the importer and a shell are all
  covered without Python. A gift's share is counted while it is confirmed; its match's share while the
  match is not refunded and the gift is confirmed and in a campaign (exactly what `_income` sums).
- SQLite: row triggers doing the same per row (the month with the zone's fixed UTC offset).
Then the table is filled from the existing gifts in one grouped INSERT ... SELECT, with the two tables
locked against writes (SHARE) so no gift is counted twice or missed.

Loads that switch triggers off (`session_replication_role = replica`, as bench/statements.py does) must
rebuild the table afterwards with `REBUILD_SQL` (vendor-specific, see `rebuild_sql`).
"""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion

TABLE = "charity_fundincomemonth"
COLUMNS = "fund_id, month, channel, fen, gifts, match_fen, matches"
ADD = ("ON CONFLICT (fund_id, month, channel) DO UPDATE SET fen = {t}.fen + excluded.fen, gifts = {t}.gifts + excluded.gifts, "
       "match_fen = {t}.match_fen + excluded.match_fen, matches = {t}.matches + excluded.matches")


def _pg_month(col: str) -> str:
    return f"(date_trunc('month', {col} AT TIME ZONE '{settings.TIME_ZONE}'))::date"


def _sqlite_offset() -> str:
    """The zone's UTC offset as an SQLite modifier; refuses a zone whose offset changes (DST) after 1992."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    offsets = {dt.datetime(y, m, 15, 12, tzinfo=tz).utcoffset() for y in range(1992, 2101) for m in (1, 7)}
    if len(offsets) != 1:
        raise RuntimeError(f"FundIncomeMonth on SQLite needs a zone with a fixed UTC offset, not {settings.TIME_ZONE}")
    minutes = int(offsets.pop().total_seconds() // 60)  # type: ignore[union-attr]
    return f"'{minutes:+d} minutes'"


def _sqlite_month(col: str) -> str:
    return f"strftime('%Y-%m-01', {col}, {_sqlite_offset()})"


def _fen(col: str) -> str:
    return f"CAST(ROUND({col} * 100) AS BIGINT)"


def rebuild_sql(vendor: str) -> list[str]:
    """Empty the table and fill it from the gifts (the migration's backfill; a bulk load without triggers)."""
    month = _pg_month("d.received_at") if vendor == "postgresql" else _sqlite_month("d.received_at")
    not_refunded = "NOT m.refunded" if vendor == "postgresql" else "m.refunded = 0"
    return [
        f"DELETE FROM {TABLE}",
        f"""INSERT INTO {TABLE} ({COLUMNS})
            SELECT d.fund_id, {month}, d.channel, SUM({_fen("d.amount")}), COUNT(*),
                   COALESCE(SUM({_fen("m.amount")}), 0), COUNT(m.id)
              FROM charity_donation d
              LEFT JOIN charity_matchgift m ON m.donation_id = d.id AND {not_refunded} AND d.campaign_id IS NOT NULL
             WHERE d.status = 'confirmed'
             GROUP BY d.fund_id, {month}, d.channel""",
    ]


# --- PostgreSQL: statement-level triggers ----------------------------------------------------------------

def _pg_upsert(changes: str) -> str:
    """Add the grouped differences in `changes` (rows of fund_id, month, channel, fen, gifts, match_fen, matches)."""
    return f"""
    INSERT INTO {TABLE} AS t ({COLUMNS})
    SELECT fund_id, month, channel, SUM(fen), SUM(gifts), SUM(match_fen), SUM(matches) FROM ({changes}) c
     GROUP BY fund_id, month, channel
    HAVING SUM(fen) <> 0 OR SUM(gifts) <> 0 OR SUM(match_fen) <> 0 OR SUM(matches) <> 0
    {ADD.format(t="t")};"""


def _pg_donations(rows: str) -> str:
    """The share of the donations in `rows` (with a `sign` column), their matches as they stand now."""
    return f"""
      SELECT d.fund_id, {_pg_month("d.received_at")} AS month, d.channel,
             d.sign * {_fen("d.amount")} AS fen, d.sign AS gifts,
             d.sign * COALESCE({_fen("m.amount")}, 0) AS match_fen, CASE WHEN m.id IS NULL THEN 0 ELSE d.sign END AS matches
        FROM ({rows}) d
        LEFT JOIN charity_matchgift m ON m.donation_id = d.id AND NOT m.refunded AND d.campaign_id IS NOT NULL
       WHERE d.status = 'confirmed'"""


def _pg_matches(rows: str) -> str:
    """The share of the matches in `rows` (with a `sign` column), their gifts as they stand now."""
    return f"""
      SELECT d.fund_id, {_pg_month("d.received_at")} AS month, d.channel, 0::bigint AS fen, 0 AS gifts,
             m.sign * {_fen("m.amount")} AS match_fen, m.sign AS matches
        FROM ({rows}) m
        JOIN charity_donation d ON d.id = m.donation_id
       WHERE NOT m.refunded AND d.status = 'confirmed' AND d.campaign_id IS NOT NULL"""


def _pg_forward() -> str:
    new, old = "SELECT *, 1 AS sign FROM new_rows", "SELECT *, -1 AS sign FROM old_rows"
    parts = []
    for table, share in (("donation", _pg_donations), ("matchgift", _pg_matches)):
        for op, rows, refs in (("insert", new, "NEW TABLE AS new_rows"), ("delete", old, "OLD TABLE AS old_rows"),
                               ("update", f"{old} UNION ALL {new}", "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
            name = f"charity_income_{table}_{op}"
            parts.append(f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    {_pg_upsert(share(rows))}
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER {name} AFTER {op.upper()} ON charity_{table}
    REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {name}();
""")
    return "LOCK TABLE charity_donation, charity_matchgift IN SHARE MODE;\n" + "".join(parts)


def _pg_backward() -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS charity_income_{t}_{op} ON charity_{t}; DROP FUNCTION IF EXISTS charity_income_{t}_{op}();\n"
        for t in ("donation", "matchgift") for op in ("insert", "delete", "update"))


# --- SQLite: row triggers --------------------------------------------------------------------------------

def _sqlite_existing(fund: str, at: str, channel: str, sign: int) -> str:
    """A subtraction only meets a row the addition made: when the rollup was emptied first (a test database
    being flushed deletes every table in one transaction), it must not insert a negative row for a fund
    that is about to go too."""
    if sign > 0:
        return ""
    return (f" AND EXISTS (SELECT 1 FROM {TABLE} r WHERE r.fund_id = {fund} AND r.month = {_sqlite_month(at)}"
            f" AND r.channel = {channel})")


def _sqlite_donation(d: str, sign: int) -> str:
    return f"""INSERT INTO {TABLE} ({COLUMNS})
        SELECT {d}.fund_id, {_sqlite_month(f"{d}.received_at")}, {d}.channel, {sign} * {_fen(f"{d}.amount")}, {sign},
               {sign} * COALESCE((SELECT {_fen("m.amount")} FROM charity_matchgift m WHERE m.donation_id = {d}.id
                                   AND m.refunded = 0 AND {d}.campaign_id IS NOT NULL), 0),
               {sign} * (SELECT COUNT(*) FROM charity_matchgift m WHERE m.donation_id = {d}.id AND m.refunded = 0
                         AND {d}.campaign_id IS NOT NULL)
         WHERE {d}.status = 'confirmed'{_sqlite_existing(f"{d}.fund_id", f"{d}.received_at", f"{d}.channel", sign)}
        {ADD.format(t=TABLE)};"""


def _sqlite_match(m: str, sign: int) -> str:
    return f"""INSERT INTO {TABLE} ({COLUMNS})
        SELECT d.fund_id, {_sqlite_month("d.received_at")}, d.channel, 0, 0, {sign} * {_fen(f"{m}.amount")}, {sign}
          FROM charity_donation d
         WHERE d.id = {m}.donation_id AND {m}.refunded = 0 AND d.status = 'confirmed' AND d.campaign_id IS NOT NULL
               {_sqlite_existing("d.fund_id", "d.received_at", "d.channel", sign)}
        {ADD.format(t=TABLE)};"""


def _sqlite_forward() -> list[str]:
    out = []
    for table, share in (("donation", _sqlite_donation), ("matchgift", _sqlite_match)):
        out += [
            f"CREATE TRIGGER charity_income_{table}_insert AFTER INSERT ON charity_{table} BEGIN {share('NEW', 1)} END",
            f"CREATE TRIGGER charity_income_{table}_delete AFTER DELETE ON charity_{table} BEGIN {share('OLD', -1)} END",
            f"CREATE TRIGGER charity_income_{table}_update AFTER UPDATE ON charity_{table} "
            f"BEGIN {share('OLD', -1)} {share('NEW', 1)} END",
        ]
    return out


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_pg_forward(), params=None)
    elif vendor == "sqlite":
        for sql in _sqlite_forward():
            schema_editor.execute(sql, params=None)
    else:
        raise RuntimeError(f"FundIncomeMonth has no triggers for {vendor}")
    for sql in rebuild_sql(vendor):
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_pg_backward(), params=None)
    else:
        for t in ("donation", "matchgift"):
            for op in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS charity_income_{t}_{op}", params=None)


class Migration(migrations.Migration):
    dependencies = [("charity", "0003_statement_indexes")]

    operations = [
        migrations.CreateModel(
            name="FundIncomeMonth",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(verbose_name="month")),
                ("channel", models.CharField(max_length=8, verbose_name="channel")),
                ("fen", models.BigIntegerField(default=0, verbose_name="gifts (fen)")),
                ("gifts", models.BigIntegerField(default=0, verbose_name="gifts")),
                ("match_fen", models.BigIntegerField(default=0, verbose_name="matches (fen)")),
                ("matches", models.BigIntegerField(default=0, verbose_name="matches")),
                ("fund", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                           to="charity.communityfund", verbose_name="fund")),
            ],
            options={"verbose_name": "fund income by month", "verbose_name_plural": "fund income by month"},
        ),
        migrations.AddConstraint(
            model_name="fundincomemonth",
            constraint=models.UniqueConstraint(fields=("fund", "month", "channel"), name="charity_income_month_key"),
        ),
        migrations.RunPython(forward, backward),
    ]
