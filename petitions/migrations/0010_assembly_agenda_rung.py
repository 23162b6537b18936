"""The city's charter ladder gets the rung that puts an initiative on the citizens' assembly's
agenda (300 signatures, between the meeting and the council), so that the assembly's automatic
agenda (assembly.events.initiative_reached_agenda_rung) works out of the box.

A database seeded before this rung existed gets it here; one seeded by 0002 since already has it.
Initiatives that already collect keep the ladder they opened with (their thresholds are copied at
opening). While one collects on the charter, the ladder is frozen (0009): the rung is then not
added, and the migration says so; the administrator adds it later through the ladder screen.
"""

from django.db import migrations

SLUG = "interpellation-charte"
RUNG = {
    "kind": "absolute",
    "absolute_value": 300,
    "obligation_kind": "assembly_agenda",
    "obligation_text": (
        "Inscription à l'ordre du jour de l'assemblée citoyenne, qui en débat et publie son avis."
    ),
    "obligation_text_en": (
        "Placed on the agenda of the citizens' assembly, which debates it and publishes its opinion."
    ),
    "due_days": 60,
}


def forwards(apps, schema_editor):
    InstrumentType = apps.get_model("petitions", "InstrumentType")
    Rung = apps.get_model("petitions", "Rung")
    Initiative = apps.get_model("petitions", "Initiative")
    charter = InstrumentType.objects.filter(slug=SLUG).first()
    if charter is None:
        return
    rungs = Rung.objects.filter(instrument_type=charter)
    existing = rungs.filter(obligation_kind=RUNG["obligation_kind"]).first()
    if existing is not None:
        if not existing.obligation_text_en:
            existing.obligation_text_en = RUNG["obligation_text_en"]
            existing.save(update_fields=["obligation_text_en"])
        return
    if Initiative.objects.filter(status="collecting", tracks__instrument_type=charter).exists():
        print(
            f"\n  {SLUG}: an initiative is collecting, so its ladder is frozen; add the "
            "assembly agenda rung (300 signatures) from the ladder screen once none collects."
        )
        return
    below = rungs.filter(absolute_value__lt=RUNG["absolute_value"]).count()
    # One row at a time from the top, so that (instrument, order) stays unique at every step.
    for rung in rungs.filter(order__gt=below).order_by("-order"):
        rung.order += 1
        rung.save(update_fields=["order"])
    Rung.objects.create(instrument_type=charter, order=below + 1, **RUNG)


class Migration(migrations.Migration):
    dependencies = [("petitions", "0009_register_frozen_ladders")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
