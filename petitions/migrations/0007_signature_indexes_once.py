"""Each signature wrote nine indexes; three were redundant. The initiative's own index repeats the
lead of the unique constraint (initiative, register_entry); the register entry had two identical
indexes (the foreign key's and signature_entry_idx); the agent's index held a NULL for every online
signature. Six remain on an online signature, and the agent's index covers paper signatures only.

Only the indexes change: Django's AlterField would drop and re-add the three foreign keys, and
re-adding one validates the whole table under lock. The indexes are built and dropped
CONCURRENTLY, so signing goes on during the migration (hence `atomic = False`)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The foreign keys' own indexes, as 0001_initial named them.
REDUNDANT = {
    "petitions_signature_initiative_id_77d0e794": '"initiative_id"',
    "petitions_signature_register_entry_id_95e82229": '"register_entry_id"',
    "petitions_signature_entered_by_id_cf26c770": '"entered_by_id"',
}
PAPER_AGENT = "signature_paper_agent_idx"


CONCURRENTLY = " CONCURRENTLY"


def _create(schema_editor, name, columns, where=""):
    """CREATE INDEX CONCURRENTLY unless it exists. A concurrent build that failed (a deploy
    interrupted, say) leaves an INVALID index behind, which IF NOT EXISTS would keep: that one is
    dropped first, so the retry builds it again."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND NOT i.indisvalid",
            [name],
        )
        if cursor.fetchone() is not None:
            schema_editor.execute(f'DROP INDEX{CONCURRENTLY} IF EXISTS "{name}"')
    schema_editor.execute(
        f'CREATE INDEX{CONCURRENTLY} IF NOT EXISTS "{name}" ON "petitions_signature" ({columns}){where}'
    )


def forwards(apps, schema_editor):
    _create(schema_editor, PAPER_AGENT, '"entered_by_id"', ' WHERE "entered_by_id" IS NOT NULL')
    for name in REDUNDANT:
        schema_editor.execute(f'DROP INDEX{CONCURRENTLY} IF EXISTS "{name}"')


def backwards(apps, schema_editor):
    for name, columns in REDUNDANT.items():
        _create(schema_editor, name, columns)
    schema_editor.execute(f'DROP INDEX{CONCURRENTLY} IF EXISTS "{PAPER_AGENT}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("civic", "0003_webhooks"),
        ("petitions", "0006_english_obligations_and_reasons"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="signature",
                    name="entered_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="signature",
                    name="initiative",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="signatures",
                        to="petitions.initiative",
                    ),
                ),
                migrations.AlterField(
                    model_name="signature",
                    name="register_entry",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="civic.registerentry",
                    ),
                ),
                migrations.AddIndex(
                    model_name="signature",
                    index=models.Index(
                        condition=models.Q(("entered_by__isnull", False)),
                        fields=["entered_by"],
                        name="signature_paper_agent_idx",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
