"""The audit log refuses UPDATE and DELETE at the database level, whoever asks."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION civic_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'civic_auditentry is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER civic_auditentry_append_only
    BEFORE UPDATE OR DELETE ON civic_auditentry
    FOR EACH ROW EXECUTE FUNCTION civic_audit_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS civic_auditentry_append_only ON civic_auditentry;
DROP FUNCTION IF EXISTS civic_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("civic", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
