"""The ballot box cannot be emptied or rewritten behind the application's back.

- TRUNCATE is refused on ballots, receipt hashes, participations and turnout slots (statement-level
  triggers: row triggers never fire for TRUNCATE).
- Once a campaign's box is sealed (its `results_digest` is set at the close), its ballots and
  receipt hashes can be neither inserted, deleted nor changed: the close itself (seals destroyed,
  shuffle, district coarsening) runs before the digest is written, in the same transaction.
  Inserts are checked once per row (a primary-key probe of the campaign: a cast inserts one ballot
  and one receipt, and a statement trigger's transition table cost a cast 12 % of W6), deletes
  once per statement (transition tables: the close's million-row shuffle costs one join), updates
  once per row (rare: the close's coarsening).
- The seal itself cannot be lifted: a campaign's `results_digest`, once set, never changes, and a
  sealed campaign is never deleted (else clear the digest, rewrite the box, set it back).
"""

from django.db import migrations

TABLES = (
    "referendums_ballot",
    "referendums_receipthash",
    "referendums_participation",
    "referendums_turnoutslot",
)
SEALED = ("referendums_ballot", "referendums_receipthash")

FUNCTIONS = """
CREATE OR REPLACE FUNCTION referendums_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% cannot be truncated', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION referendums_sealed_box_insert() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM referendums_campaign c
               WHERE c.id = NEW.campaign_id AND c.results_digest <> '') THEN
        RAISE EXCEPTION '%: the ballot box of this campaign is sealed', TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION referendums_sealed_box_old() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows r JOIN referendums_campaign c ON c.id = r.campaign_id
               WHERE c.results_digest <> '') THEN
        RAISE EXCEPTION '%: the ballot box of this campaign is sealed', TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION referendums_seal_kept() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'campaign %: its ballot box is sealed (results_digest is final)', OLD.id;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION referendums_sealed_box_row() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM referendums_campaign c
               WHERE c.id IN (OLD.campaign_id, NEW.campaign_id) AND c.results_digest <> '') THEN
        RAISE EXCEPTION '%: the ballot box of this campaign is sealed', TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _forward() -> str:
    sql = [FUNCTIONS]
    for table in TABLES:
        sql.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION referendums_no_truncate();"
        )
    for table in SEALED:
        sql.append(
            f"CREATE TRIGGER {table}_sealed_insert BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION referendums_sealed_box_insert();"
        )
        sql.append(
            f"CREATE TRIGGER {table}_sealed_delete AFTER DELETE ON {table} "
            "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION referendums_sealed_box_old();"
        )
    # Receipt hashes: only their identity is frozen (a re-vote may mark one superseded, and a
    # voter's checks may be counted, until the check window ends).
    sql.append(
        "CREATE TRIGGER referendums_ballot_sealed_update BEFORE UPDATE ON referendums_ballot "
        "FOR EACH ROW EXECUTE FUNCTION referendums_sealed_box_row();"
    )
    sql.append(
        "CREATE TRIGGER referendums_receipthash_sealed_update "
        "BEFORE UPDATE OF campaign_id, digest ON referendums_receipthash "
        "FOR EACH ROW EXECUTE FUNCTION referendums_sealed_box_row();"
    )
    sql.append(
        "CREATE TRIGGER referendums_campaign_seal_kept BEFORE UPDATE OF results_digest "
        "ON referendums_campaign FOR EACH ROW WHEN (OLD.results_digest <> '' "
        "AND NEW.results_digest IS DISTINCT FROM OLD.results_digest) "
        "EXECUTE FUNCTION referendums_seal_kept();"
    )
    sql.append(
        "CREATE TRIGGER referendums_campaign_sealed_delete BEFORE DELETE ON referendums_campaign "
        "FOR EACH ROW WHEN (OLD.results_digest <> '') EXECUTE FUNCTION referendums_seal_kept();"
    )
    return "\n".join(sql)


def _backward() -> str:
    sql = []
    for table in TABLES:
        sql.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    for table in SEALED:
        sql.append(f"DROP TRIGGER IF EXISTS {table}_sealed_insert ON {table};")
        sql.append(f"DROP TRIGGER IF EXISTS {table}_sealed_delete ON {table};")
        sql.append(f"DROP TRIGGER IF EXISTS {table}_sealed_update ON {table};")
    sql.append("DROP TRIGGER IF EXISTS referendums_campaign_seal_kept ON referendums_campaign;")
    sql.append(
        "DROP TRIGGER IF EXISTS referendums_campaign_sealed_delete ON referendums_campaign;"
    )
    sql.append(
        "DROP FUNCTION IF EXISTS referendums_no_truncate(), referendums_sealed_box_insert(), "
        "referendums_sealed_box_old(), referendums_sealed_box_row(), referendums_seal_kept();"
    )
    return "\n".join(sql)


class Migration(migrations.Migration):
    dependencies = [("referendums", "0003_secrecy_fixed_keys_receipt_window")]
    operations = [migrations.RunSQL(_forward(), _backward())]
