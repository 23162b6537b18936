"""Published count rows rewritten in place by the tick's fold (W3).

The fold updates `count` and `updated_at` of every touched initiative's rows at each tick. With
free room on each page (fillfactor 50) and no index on the columns it writes, PostgreSQL keeps each
new row version on its page and touches no index (a HOT update); the foreign key's own index is
dropped, `count_unique` (initiative, track) serving every lookup by initiative. Existing pages
take the fillfactor as they are rewritten; a `VACUUM FULL petitions_initiativecount` applies it at
once."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0020_moderation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="initiativecount",
            name="initiative",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="counts",
                to="petitions.initiative",
                verbose_name="initiative",
            ),
        ),
        migrations.RunSQL(
            "ALTER TABLE petitions_initiativecount SET (fillfactor = 50)",
            reverse_sql="ALTER TABLE petitions_initiativecount RESET (fillfactor)",
        ),
    ]
