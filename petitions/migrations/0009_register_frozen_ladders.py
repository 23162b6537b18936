"""While an initiative collects on an instrument, its ladder (rungs) and the rules an open
initiative reads live (regime, collectivity, who may sign, window, quarter limit) cannot change,
whatever the path: admin, shell or SQL (the service `instrument_type_save` / `rung_save` refuses
first with a message; this is the database's own guard)."""

from django.db import migrations

FROZEN = """
CREATE OR REPLACE FUNCTION petitions_ladder_frozen() RETURNS trigger AS $$
DECLARE
    instrument bigint;
BEGIN
    IF TG_TABLE_NAME = 'petitions_instrumenttype' THEN
        IF NEW.legal_regime IS NOT DISTINCT FROM OLD.legal_regime
           AND NEW.collectivity IS NOT DISTINCT FROM OLD.collectivity
           AND NEW.predicate IS NOT DISTINCT FROM OLD.predicate
           AND NEW.window_days IS NOT DISTINCT FROM OLD.window_days
           AND NEW.quarter_limit IS NOT DISTINCT FROM OLD.quarter_limit
           AND NEW.quarter_limit_rule IS NOT DISTINCT FROM OLD.quarter_limit_rule THEN
            RETURN NEW;
        END IF;
        instrument := OLD.id;
    ELSIF TG_OP = 'INSERT' THEN
        instrument := NEW.instrument_type_id;
    ELSE
        instrument := OLD.instrument_type_id;
    END IF;
    IF EXISTS (
        SELECT 1 FROM petitions_initiativetrack t
        JOIN petitions_initiative i ON i.id = t.initiative_id
        WHERE i.status = 'collecting'
          AND (t.instrument_type_id = instrument
               OR (TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'petitions_rung'
                   AND t.instrument_type_id = NEW.instrument_type_id))
    ) THEN
        RAISE EXCEPTION 'ladder_frozen: an initiative collects on instrument %', instrument
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER petitions_rung_frozen
    BEFORE INSERT OR UPDATE OR DELETE ON petitions_rung
    FOR EACH ROW EXECUTE FUNCTION petitions_ladder_frozen();
CREATE TRIGGER petitions_instrumenttype_frozen
    BEFORE UPDATE ON petitions_instrumenttype
    FOR EACH ROW EXECUTE FUNCTION petitions_ladder_frozen();
"""

THAWED = """
DROP TRIGGER IF EXISTS petitions_rung_frozen ON petitions_rung;
DROP TRIGGER IF EXISTS petitions_instrumenttype_frozen ON petitions_instrumenttype;
DROP FUNCTION IF EXISTS petitions_ladder_frozen();
"""


class Migration(migrations.Migration):
    dependencies = [("petitions", "0008_register_annulled_signatures")]

    operations = [migrations.RunSQL(sql=FROZEN, reverse_sql=THAWED)]
