"""Every entry balances: checked once per INSERT statement over the postings it inserts, instead of once per posting.

0002's constraint trigger ran for every posting at COMMIT and summed that posting's entry each time: a 1,000,000-gift
import ran it 2,000,000 times, a quarter of the import. This statement-level trigger sums the statement's new
postings by (entry, unit), in one pass over its transition table, and refuses the statement if any sum is not zero.

Why the new postings alone are enough: postings are never updated or deleted (0002's triggers), and from this
migration on every statement that inserts postings leaves each entry it touches balanced in each unit. So an
entry's earlier postings sum to zero in every unit, and its total is the sum of the new ones. (Entries already in
the books balance: 0002 checked each of them at its COMMIT.) The check is stricter than before, not looser: an
entry must balance at the end of the statement that writes its postings, not only at COMMIT; the ledger writes an
entry's postings in one statement (`ledger.posting`). A posting's unit is still its account's unit.
"""

from django.db import migrations

from shanlian.core.migration_ops import postgres_sql

FORWARD = r"""
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_posting;
DROP FUNCTION IF EXISTS ledger_check_entry_balanced();

CREATE FUNCTION ledger_check_entries_balanced() RETURNS trigger AS $$
DECLARE bad record;
BEGIN
    SELECT n.entry_id, n.unit, SUM(n.amount) AS total INTO bad
      FROM new_postings n GROUP BY n.entry_id, n.unit HAVING SUM(n.amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry % does not balance in %: sum %', bad.entry_id, bad.unit, bad.total
            USING ERRCODE = '23514';
    END IF;
    SELECT n.id, n.unit INTO bad FROM new_postings n JOIN ledger_account a ON a.id = n.account_id
     WHERE a.unit <> n.unit LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'posting % has unit % but its account does not', bad.id, bad.unit USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_posting
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entries_balanced();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_posting;
DROP FUNCTION IF EXISTS ledger_check_entries_balanced();

CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
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
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_entry_booked_on")]
    operations = [postgres_sql(FORWARD, BACKWARD)]
