"""A vote's questions, options, scope and electorate are frozen by the database from scheduling on.

Triggers refuse, whoever writes (a service, the admin, a shell, the application's database role):
- any INSERT, UPDATE or DELETE of questions, options or campaign districts unless every campaign
  concerned is a draft;
- any new elector (or station figure) once the campaign's electorate is stamped frozen, and any
  change or removal of one after scheduling (the freeze may clear leftovers in its own transaction
  before the stamp; the personal-data purge removes electors after its own stamp);
- on the campaign row: going back to draft, or changing its kind, voting method, electoral body or
  scope once scheduled; changing the frozen electorate's stamp, counts or cut-off once stamped.

Each refusal is an integrity violation named `referendum_vote_frozen`: the services map it to a
409 `vote_frozen`. The campaign rows are share-locked before the check, so a write racing the
scheduling either commits before it or sees the scheduled status.

Also: the frozen electors per polling station of a paper vote (StationElectorate), and the written
reason a result sheet gives when its "registered" figure differs from it.
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION referendum_frozen_raise(what text) RETURNS void AS $$
BEGIN
    RAISE EXCEPTION 'referendum_vote_frozen: % cannot change once the vote is scheduled', what
        USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'referendum_vote_frozen';
END;
$$ LANGUAGE plpgsql;

-- Share-lock the campaigns in id order (scheduling waits for this transaction, or this statement
-- waits for the scheduling and then reads its outcome), then refuse unless all are drafts.
CREATE OR REPLACE FUNCTION referendum_require_drafts(ids bigint[], what text) RETURNS void AS $$
BEGIN
    PERFORM 1 FROM referendums_campaign WHERE id = ANY(ids) ORDER BY id FOR SHARE;
    IF EXISTS (SELECT 1 FROM referendums_campaign WHERE id = ANY(ids) AND status <> 'draft') THEN
        PERFORM referendum_frozen_raise(what);
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION referendum_material_frozen() RETURNS trigger AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_TABLE_NAME = 'referendums_option' THEN
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(DISTINCT q.campaign_id) INTO ids FROM referendums_question q
            WHERE q.id IN (SELECT question_id FROM new_rows);
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT q.campaign_id) INTO ids FROM referendums_question q
            WHERE q.id IN (SELECT question_id FROM old_rows);
        ELSE
            SELECT array_agg(DISTINCT q.campaign_id) INTO ids FROM referendums_question q
            WHERE q.id IN (SELECT question_id FROM old_rows UNION SELECT question_id FROM new_rows);
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT campaign_id) INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT campaign_id) INTO ids FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT campaign_id) INTO ids
        FROM (SELECT campaign_id FROM old_rows UNION SELECT campaign_id FROM new_rows) touched;
    END IF;
    PERFORM referendum_require_drafts(ids, TG_TABLE_NAME);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION referendum_electorate_frozen() RETURNS trigger AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT campaign_id) INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT campaign_id) INTO ids FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT campaign_id) INTO ids
        FROM (SELECT campaign_id FROM old_rows UNION SELECT campaign_id FROM new_rows) touched;
    END IF;
    PERFORM 1 FROM referendums_campaign WHERE id = ANY(ids) ORDER BY id FOR SHARE;
    IF TG_OP = 'INSERT' THEN
        -- Written once, by the freeze, before it stamps the campaign.
        IF EXISTS (SELECT 1 FROM referendums_campaign WHERE id = ANY(ids)
                   AND electorate_frozen_at IS NOT NULL) THEN
            PERFORM referendum_frozen_raise(TG_TABLE_NAME);
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM referendum_require_drafts(ids, TG_TABLE_NAME);
    ELSIF EXISTS (
        SELECT 1 FROM referendums_campaign WHERE id = ANY(ids) AND status <> 'draft'
        AND electorate_frozen_at IS NOT NULL
        AND (TG_TABLE_NAME <> 'referendums_electoratemember' OR personal_data_purged_at IS NULL)
    ) THEN
        PERFORM referendum_frozen_raise(TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION referendum_campaign_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status <> 'draft' AND (
        NEW.status = 'draft'
        OR NEW.kind IS DISTINCT FROM OLD.kind
        OR NEW.voting_method IS DISTINCT FROM OLD.voting_method
        OR NEW.predicate IS DISTINCT FROM OLD.predicate
        OR NEW.whole_city IS DISTINCT FROM OLD.whole_city
    ) THEN
        PERFORM referendum_frozen_raise('the electoral body, scope or kind of the vote');
    END IF;
    IF OLD.electorate_frozen_at IS NOT NULL AND (
        NEW.electorate_frozen_at IS DISTINCT FROM OLD.electorate_frozen_at
        OR NEW.electorate_count IS DISTINCT FROM OLD.electorate_count
        OR NEW.electorate_districts IS DISTINCT FROM OLD.electorate_districts
        OR NEW.cutoff_date IS DISTINCT FROM OLD.cutoff_date
    ) THEN
        PERFORM referendum_frozen_raise('the frozen electorate');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER referendum_campaign_frozen BEFORE UPDATE ON referendums_campaign
    FOR EACH ROW EXECUTE FUNCTION referendum_campaign_frozen();
"""

# Statement-level triggers with transition tables: the freeze inserts a whole electorate in one
# statement, checked once rather than once per elector.
for _table, _function in (
    ("referendums_question", "referendum_material_frozen"),
    ("referendums_option", "referendum_material_frozen"),
    ("referendums_campaigndistrict", "referendum_material_frozen"),
    ("referendums_electoratemember", "referendum_electorate_frozen"),
    ("referendums_stationelectorate", "referendum_electorate_frozen"),
):
    FORWARD += f"""
CREATE TRIGGER {_table}_frozen_ins AFTER INSERT ON {_table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {_function}();
CREATE TRIGGER {_table}_frozen_upd AFTER UPDATE ON {_table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {_function}();
CREATE TRIGGER {_table}_frozen_del AFTER DELETE ON {_table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {_function}();
"""

BACKWARD = (
    """
DROP TRIGGER IF EXISTS referendum_campaign_frozen ON referendums_campaign;
"""
    + "".join(
        f"DROP TRIGGER IF EXISTS {t}_frozen_{op} ON {t};\n"
        for t in (
            "referendums_question",
            "referendums_option",
            "referendums_campaigndistrict",
            "referendums_electoratemember",
            "referendums_stationelectorate",
        )
        for op in ("ins", "upd", "del")
    )
    + """
DROP FUNCTION IF EXISTS referendum_campaign_frozen();
DROP FUNCTION IF EXISTS referendum_electorate_frozen();
DROP FUNCTION IF EXISTS referendum_material_frozen();
DROP FUNCTION IF EXISTS referendum_require_drafts(bigint[], text);
DROP FUNCTION IF EXISTS referendum_frozen_raise(text);
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("referendums", "0004_audit_no_truncate"),
    ]

    operations = [
        migrations.AddField(
            model_name="resultsheet",
            name="registered_note",
            field=models.CharField(
                blank=True, max_length=500, verbose_name="motif de l'écart d'inscrits"
            ),
        ),
        migrations.CreateModel(
            name="StationElectorate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "electors",
                    models.PositiveIntegerField(verbose_name="électeurs du corps électoral figé"),
                ),
                (
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="referendums.campaign",
                    ),
                ),
                (
                    "station",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="referendums.pollingstation",
                    ),
                ),
            ],
            options={
                "verbose_name": "électeurs figés d'un bureau",
                "verbose_name_plural": "électeurs figés par bureau",
                "ordering": ["campaign", "station"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("campaign", "station"), name="referendum_station_electorate_unique"
                    )
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
