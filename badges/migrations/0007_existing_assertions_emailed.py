"""Assertions awarded before `emailed_at` existed were emailed by the task of that time: mark them
so, or the beat catch-up (badges.tasks.email_unsent_awards) would announce them again."""

from django.db import migrations
from django.db.models import F


def mark_emailed(apps, schema_editor):
    Assertion = apps.get_model("badges", "Assertion")
    Assertion.objects.filter(emailed_at__isnull=True).update(emailed_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("badges", "0006_indicator_api_tokens")]

    operations = [migrations.RunPython(mark_emailed, migrations.RunPython.noop)]
