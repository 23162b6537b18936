from django.db import migrations, models
from django.db.models import OuterRef, Subquery

# The English of the rejection reasons the city ships (0002_shipped_instruments), by code. Filled
# only where still blank: an administrator's own wording is kept.
REASONS_EN = {
    "hors-competence": "Outside the municipality's powers",
    "contraire-loi": "Contrary to the law or to fundamental rights",
    "diffamatoire": "Insulting, defamatory or discriminatory content",
    "doublon": "Same subject as an initiative already under way",
    "periode-electorale": "Pre-election period (CGCT L5211-52, LO1112-6)",
}


def forwards(apps, schema_editor):
    RejectionReason = apps.get_model("petitions", "RejectionReason")
    Rung = apps.get_model("petitions", "Rung")
    TrackRung = apps.get_model("petitions", "TrackRung")
    Obligation = apps.get_model("petitions", "Obligation")
    for code, label in REASONS_EN.items():
        RejectionReason.objects.filter(code=code, label_en="").update(label_en=label)
    # Thresholds already resolved and obligations already owed take the English of their rung as
    # it stands, as a new initiative would at opening: one UPDATE each.
    TrackRung.objects.filter(obligation_text_en="").exclude(rung__obligation_text_en="").update(
        obligation_text_en=Subquery(
            Rung.objects.filter(pk=OuterRef("rung_id")).values("obligation_text_en")[:1]
        )
    )
    Obligation.objects.filter(text_en="").exclude(track_rung__obligation_text_en="").update(
        text_en=Subquery(
            TrackRung.objects.filter(pk=OuterRef("track_rung_id")).values("obligation_text_en")[:1]
        )
    )

class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0005_draft_may_be_withdrawn"),
    ]

    operations = [
        migrations.AddField(
            model_name="rejectionreason",
            name="label_en",
            field=models.CharField(blank=True, max_length=200, verbose_name="motif (anglais)"),
        ),
        migrations.AddField(
            model_name="trackrung",
            name="obligation_text_en",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="obligation",
            name="text_en",
            field=models.TextField(
                blank=True, default="", verbose_name="ce que la ville doit faire (anglais)"
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
