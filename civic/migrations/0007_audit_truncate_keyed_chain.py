"""The audit log also refuses TRUNCATE (a statement-level trigger: the row trigger of 0002 never
fires for it), and entries mark whether their hash is keyed (HMAC under AUDIT_CHAIN_KEY).

Existing entries keep `keyed = false` and keep verifying as plain SHA-256: history is not rewritten.
"""

from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION civic_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER civic_auditentry_no_truncate
    BEFORE TRUNCATE ON civic_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION civic_audit_no_truncate();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS civic_auditentry_no_truncate ON civic_auditentry;
DROP FUNCTION IF EXISTS civic_audit_no_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("civic", "0006_register_strike_offs")]
    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="keyed",
            field=models.BooleanField(default=False),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
