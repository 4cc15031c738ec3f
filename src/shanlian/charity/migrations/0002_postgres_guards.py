"""Charity guards in PostgreSQL itself: what a gift was never changes (a refund only marks it and
points at the reversal), and a receipt's number, gift and amount never change (voiding only marks it).
On SQLite the services keep the same rules."""

from django.db import migrations

from shanlian.core.migration_ops import postgres_sql

FORWARD = r"""
CREATE OR REPLACE FUNCTION charity_donation_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'donations are never deleted; refund by reversal' USING ERRCODE = '23514';
    END IF;
    IF (NEW.fund_id, NEW.project_id, NEW.campaign_id, NEW.channel, NEW.amount, NEW.donor_name, NEW.show_name,
        NEW.received_at, NEW.entry_id, NEW.source, NEW.external_id)
       IS DISTINCT FROM
       (OLD.fund_id, OLD.project_id, OLD.campaign_id, OLD.channel, OLD.amount, OLD.donor_name, OLD.show_name,
        OLD.received_at, OLD.entry_id, OLD.source, OLD.external_id) THEN
        RAISE EXCEPTION 'donation % cannot change; refund it and record it again', OLD.id USING ERRCODE = '23514';
    END IF;
    IF OLD.status = 'refunded' AND NEW.status <> 'refunded' THEN
        RAISE EXCEPTION 'a refunded donation stays refunded' USING ERRCODE = '23514';
    END IF;
    IF NEW.status = 'refunded' AND OLD.status <> 'refunded' AND EXISTS (
        SELECT 1 FROM charity_receipt r WHERE r.donation_id = OLD.id AND r.status = 'issued') THEN
        RAISE EXCEPTION 'donation % has an issued receipt; void it first', OLD.id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER charity_donation_frozen BEFORE UPDATE OR DELETE ON charity_donation
    FOR EACH ROW EXECUTE FUNCTION charity_donation_frozen();

CREATE OR REPLACE FUNCTION charity_receipt_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'receipts are never deleted; void them' USING ERRCODE = '23514';
    END IF;
    IF (NEW.issuer_id, NEW.year, NEW.number, NEW.donation_id, NEW.amount, NEW.donor_name, NEW.verification_code)
       IS DISTINCT FROM (OLD.issuer_id, OLD.year, OLD.number, OLD.donation_id, OLD.amount, OLD.donor_name, OLD.verification_code)
       OR (OLD.status = 'voided' AND NEW.status <> 'voided') THEN
        RAISE EXCEPTION 'receipt % cannot change; void it and issue a new one', OLD.id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER charity_receipt_frozen BEFORE UPDATE OR DELETE ON charity_receipt
    FOR EACH ROW EXECUTE FUNCTION charity_receipt_frozen();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS charity_donation_frozen ON charity_donation;
DROP FUNCTION IF EXISTS charity_donation_frozen();
DROP TRIGGER IF EXISTS charity_receipt_frozen ON charity_receipt;
DROP FUNCTION IF EXISTS charity_receipt_frozen();
"""


class Migration(migrations.Migration):
    dependencies = [("charity", "0001_initial")]
    operations = [postgres_sql(FORWARD, BACKWARD)]
