"""Search synonyms, and each person's folded name for people searches ("lea" finds Léa).

The folded name is a stored generated column computed by cotraining.folding.Fold: on PostgreSQL
`f_unaccent(lower(…))`, whose immutable wrapper (as modelsearch's `enable_unaccent` command
creates it) is made first; on SQLite the `entrepairs_fold()` function the app registers.
"""

import cotraining.folding
import django.db.models.functions.text
from django.db import migrations, models

UNACCENT = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE OR REPLACE FUNCTION f_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
$func$ SELECT public.unaccent('public.unaccent', $1) $func$;
"""


def create_f_unaccent(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNACCENT)


class Migration(migrations.Migration):

    dependencies = [
        ('cotraining', '0007_enrolment_waitlist_attendance'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchSynonym',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('terms', models.CharField(help_text='Mots ou expressions de même sens, séparés par des virgules : « visio, visioconférence, classe virtuelle ».', max_length=500, unique=True, verbose_name='termes équivalents')),
            ],
            options={
                'verbose_name': 'synonymes de recherche',
                'verbose_name_plural': 'synonymes de recherche',
                'ordering': ['terms'],
            },
        ),
        # Kept on the way back: other indexes may use it (modelsearch's trigram indexes).
        migrations.RunPython(create_f_unaccent, migrations.RunPython.noop),
        migrations.AddField(
            model_name='user',
            name='search_name',
            field=models.GeneratedField(db_persist=True, expression=cotraining.folding.Fold(django.db.models.functions.text.Concat('first_name', models.Value(' '), 'last_name', models.Value(' '), 'email', output_field=models.TextField())), output_field=models.TextField(), verbose_name='nom pour la recherche'),
        ),
    ]
