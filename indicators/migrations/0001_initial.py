"""The indicator snapshots and API tokens, taken over from the badges app (its migrations 0005,
0006 created them; 0013 let them go): in the migration state only, the tables and their rows are
kept as they are (db_table)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("badges", "0013_indicator_models_to_their_own_app"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='IndicatorSnapshot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=64, unique=True)),
                        ('request', models.JSONField(verbose_name='périmètre et filtres')),
                        ('data', models.JSONField(verbose_name='chiffres')),
                        ('period_start', models.DateField(verbose_name='début de la période')),
                        ('period_end', models.DateField(verbose_name='fin de la période (exclue)')),
                        ('computed_at', models.DateTimeField(verbose_name='calculé le')),
                        ('duration_ms', models.PositiveIntegerField(default=0, verbose_name='durée du calcul (ms)')),
                        ('last_read_at', models.DateTimeField(verbose_name='lu le')),
                    ],
                    options={
                        'verbose_name': "instantané d'indicateurs",
                        'verbose_name_plural': "instantanés d'indicateurs",
                        'db_table': 'badges_indicatorsnapshot',
                        'indexes': [models.Index(fields=['last_read_at'], name='indicator_snapshot_read')],
                    },
                ),
                migrations.CreateModel(
                    name='IndicatorApiToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(help_text="L'outil qui l'utilise.", max_length=100, verbose_name='nom')),
                        ('prefix', models.CharField(max_length=12, verbose_name='début du jeton')),
                        ('key_hash', models.CharField(editable=False, max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='créé le')),
                        ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='utilisé le')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='révoqué le')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='indicator_api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='personne')),
                    ],
                    options={
                        'verbose_name': "jeton de l'API des indicateurs",
                        'verbose_name_plural': "jetons de l'API des indicateurs",
                        'db_table': 'badges_indicatorapitoken',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
            database_operations=[],
        )
    ]
