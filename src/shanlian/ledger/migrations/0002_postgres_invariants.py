"""The ledger's invariants in PostgreSQL itself, so no code path (a bug, a shell, a bad script) can break them.

- Every entry balances per unit: a DEFERRABLE INITIALLY DEFERRED constraint trigger checks at COMMIT.
- A posting's unit is its account's unit.
- Posted entries and postings are never updated or deleted (a reversing entry corrects a mistake).
On SQLite, `ledger.services` makes the same checks in Python.
"""

from django.db import migrations

from shanlian.core.migration_ops import postgres_sql

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE bad record;
BEGIN
    SELECT p.unit, SUM(p.amount) AS total INTO bad
      FROM ledger_posting p WHERE p.entry_id = NEW.entry_id
     GROUP BY p.unit HAVING SUM(p.amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry % does not balance in %: sum %', NEW.entry_id, bad.unit, bad.total
            USING ERRCODE = '23514';
    END IF;
    IF EXISTS (SELECT 1 FROM ledger_account a WHERE a.id = NEW.account_id AND a.unit <> NEW.unit) THEN
        RAISE EXCEPTION 'posting % has unit % but its account does not', NEW.id, NEW.unit USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT ON ledger_posting DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();

CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'posted ledger rows are never changed or deleted (%); post a reversing entry', TG_TABLE_NAME
        USING ERRCODE = '23514';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_posting_immutable BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_entry;
DROP TRIGGER IF EXISTS ledger_posting_immutable ON ledger_posting;
DROP FUNCTION IF EXISTS ledger_refuse_change();
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_posting;
DROP FUNCTION IF EXISTS ledger_check_entry_balanced();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [postgres_sql(FORWARD, BACKWARD)]
