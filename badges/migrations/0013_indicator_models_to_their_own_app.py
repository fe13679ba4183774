"""The indicator snapshots and API tokens now belong to the `indicators` app: they leave the badges
app's migration state only. Their tables (badges_indicatorsnapshot, badges_indicatorapitoken) and
rows stay where they are; indicators/migrations/0001_initial.py takes them over, and 0002 moves
their content types (and so their permissions and audit entries)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("badges", "0012_bulk_award_progress_and_email_claims")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="IndicatorSnapshot"),
                migrations.DeleteModel(name="IndicatorApiToken"),
            ],
            database_operations=[],
        )
    ]
