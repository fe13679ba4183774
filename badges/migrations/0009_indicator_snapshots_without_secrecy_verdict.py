"""Forget the indicator snapshots computed before the secrecy verdict was kept with them: they
would serve figures that the differencing rule (badges/indicators/secrecy.py) now refuses.
They are a cache: the page and the beat task compute them again."""

from django.db import migrations


def forget_snapshots(apps, schema_editor):
    apps.get_model("badges", "IndicatorSnapshot").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("badges", "0008_award_rights")]

    operations = [migrations.RunPython(forget_snapshots, migrations.RunPython.noop)]
