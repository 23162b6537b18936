from django.db import migrations, models


class Migration(migrations.Migration):
    """One draft consultation per assembly recommendation: the event that asks for it may be
    delivered more than once."""

    dependencies = [("referendums", "0001_initial")]

    operations = [
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.UniqueConstraint(
                condition=models.Q(("origin_kind", "assembly")),
                fields=("origin_id",),
                name="referendum_one_draft_per_recommendation",
            ),
        ),
    ]
