"""Académies, départements and disciplines: reference data, loaded from cotraining/data/*.csv."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def _rows(name):
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter=";")


def load(apps, schema_editor):
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


class Migration(migrations.Migration):
    dependencies = [("cotraining", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
