"""Reference data (académies, départements, disciplines, competences) from cotraining/data/*.csv.

Loaded by a data migration and re-applied by seed_demo (idempotent), so that a flushed database
gets it back. `apps` is a migration's historical registry or the live one.
"""

import csv
from pathlib import Path

from django.apps import apps as live_apps

DATA = Path(__file__).resolve().parent / "data"


def _rows(name):
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter=";")


def load_reference_data(apps=live_apps):
    Academie = apps.get_model("cotraining", "Academie")
    Departement = apps.get_model("cotraining", "Departement")
    Discipline = apps.get_model("cotraining", "Discipline")
    academies = {}
    for row in _rows("academies.csv"):
        academies[row["code"]], _ = Academie.objects.update_or_create(
            code=row["code"], defaults={"name": row["nom"]}
        )
    for row in _rows("departements.csv"):
        Departement.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["nom"], "academie": academies[row["academie"]]},
        )
    for row in _rows("disciplines.csv"):
        Discipline.objects.update_or_create(code=row["code"], defaults={"name": row["nom"]})


def load_competences(apps=live_apps):
    Competence = apps.get_model("cotraining", "Competence")
    for row in _rows("competences.csv"):
        Competence.objects.update_or_create(
            framework=row["framework"],
            code=row["code"],
            defaults={"domain": row["domaine"], "name": row["nom"]},
        )
