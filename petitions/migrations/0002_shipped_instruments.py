"""The two instrument types the city ships, and the initial list of inadmissibility reasons."""

from django.db import migrations

INSTRUMENTS = [
    {
        "slug": "interpellation-charte",
        "name": "Droit d'interpellation (charte)",
        "description": (
            "Toute personne résidant dans la ville, âgée de 16 ans ou plus, quelle que soit sa "
            "nationalité, peut signer. Chaque palier atteint engage la ville."
        ),
        "legal_regime": "charter",
        "collectivity": "commune",
        "legal_basis": "Charte de la participation, art. 2",
        "predicate": "resident_16",
        "window_days": 183,
        "min_promoters": 3,
        "quarter_limit": False,
        "quarter_limit_rule": "",
        "rungs": [
            {
                "order": 1,
                "kind": "absolute",
                "absolute_value": 50,
                "obligation_kind": "meeting",
                "obligation_text": "Rencontre avec les élus concernés dans les trois semaines, et compte rendu publié.",
                "due_days": 21,
            },
            # Added by 0010_assembly_agenda_rung (kept here so that a new database and the tests'
            # re-seeding get the same ladder as a migrated one).
            {
                "order": 2,
                "kind": "absolute",
                "absolute_value": 300,
                "obligation_kind": "assembly_agenda",
                "obligation_text": "Inscription à l'ordre du jour de l'assemblée citoyenne, qui en débat et publie son avis.",
                "due_days": 60,
            },
            {
                "order": 3,
                "kind": "absolute",
                "absolute_value": 900,
                "obligation_kind": "council_agenda",
                "obligation_text": "Examen par l'exécutif municipal puis inscription à l'ordre du jour du conseil municipal.",
                "due_days": 90,
            },
            {
                "order": 4,
                "kind": "absolute",
                "absolute_value": 4500,
                "obligation_kind": "referendum_debate",
                "obligation_text": "Débat du conseil municipal sur l'organisation d'un référendum local.",
                "due_days": 120,
            },
        ],
    },
    {
        "slug": "consultation-l1112-16",
        "name": "Demande de consultation (CGCT L1112-16)",
        "description": (
            "Un dixième des électeurs inscrits de la commune peut demander l'inscription à l'ordre "
            "du jour du conseil municipal de l'organisation d'une consultation. Un électeur ne peut "
            "signer qu'une demande par trimestre."
        ),
        "legal_regime": "l1112_16",
        "collectivity": "commune",
        "legal_basis": "CGCT L1112-16",
        "predicate": "municipal_elector",
        "window_days": 183,
        "min_promoters": 1,
        "quarter_limit": True,
        "quarter_limit_rule": "CGCT L1112-16",
        "rungs": [
            {
                "order": 1,
                "kind": "share",
                "numerator": 1,
                "denominator": 10,
                "obligation_kind": "council_agenda",
                "obligation_text": "Le maire informe le conseil municipal à sa première séance ; le conseil délibère sur l'organisation de la consultation.",
                "due_days": 60,
            },
        ],
    },
]

REASONS = [
    ("hors-competence", "Hors des compétences de la commune"),
    ("contraire-loi", "Contraire à la loi ou aux droits fondamentaux"),
    ("diffamatoire", "Propos injurieux, diffamatoires ou discriminatoires"),
    ("doublon", "Même objet qu'une initiative en cours"),
    ("periode-electorale", "Période préélectorale (CGCT L5211-52, LO1112-6)"),
]


def forwards(apps, schema_editor):
    InstrumentType = apps.get_model("petitions", "InstrumentType")
    Rung = apps.get_model("petitions", "Rung")
    RejectionReason = apps.get_model("petitions", "RejectionReason")
    for data in INSTRUMENTS:
        data = dict(data)
        rungs = data.pop("rungs")
        instrument, created = InstrumentType.objects.get_or_create(slug=data["slug"], defaults=data)
        if created:
            for rung in rungs:
                Rung.objects.create(instrument_type=instrument, **rung)
    for code, label in REASONS:
        RejectionReason.objects.get_or_create(code=code, defaults={"label": label})


def tune_queue_tables(apps, schema_editor):
    """The slot table is a queue (rows inserted by signers, deleted by each fold): vacuum it often
    so the fold never scans dead rows."""
    schema_editor.execute(
        "ALTER TABLE petitions_signaturecountslot SET (autovacuum_vacuum_scale_factor = 0, "
        "autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0)"
    )


class Migration(migrations.Migration):
    dependencies = [("petitions", "0001_initial")]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunPython(tune_queue_tables, migrations.RunPython.noop),
    ]
