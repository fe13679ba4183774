from django.db import migrations


def load(apps, schema_editor):
    from cotraining.reference import load_competences

    load_competences(apps)


class Migration(migrations.Migration):
    dependencies = [("cotraining", "0003_competence")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
