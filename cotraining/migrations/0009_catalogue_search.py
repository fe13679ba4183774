"""Catalogue search: the first synonyms, and on PostgreSQL the trigram indexes for parts of words.

PostgreSQL: pg_trgm and GIN trigram indexes on `f_unaccent()` (made by migration 0008) of the
search index's plain text (wagtailsearch's IndexEntry), so that `f_unaccent(text) ILIKE
'%securite%'` (cotraining.search) reads an index rather than every row.
The index names are those of modelsearch's `enable_trigram` command, which then finds them made.
Nothing to do on SQLite, where the search backend stores a folded copy of the text.
"""

from django.db import migrations

SYNONYMS = [
    "visio, visioconférence, classe virtuelle",
    "ENT, espace numérique de travail",
    "IA, intelligence artificielle",
    "EMI, éducation aux médias et à l'information",
    "TNI, TBI, VPI, tableau numérique interactif, tableau blanc interactif",
    "RGPD, données personnelles",
    "cybersécurité, sécurité numérique",
    "tablette, iPad",
]

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS modelsearch_title_text_unaccent_trgm
    ON {table} USING gin (f_unaccent(title_text) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS modelsearch_body_text_unaccent_trgm
    ON {table} USING gin (f_unaccent(body_text) gin_trgm_ops);
"""
DROP = """
DROP INDEX IF EXISTS modelsearch_title_text_unaccent_trgm;
DROP INDEX IF EXISTS modelsearch_body_text_unaccent_trgm;
"""


def trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = apps.get_model("wagtailsearch", "IndexEntry")._meta.db_table
        schema_editor.execute(CREATE.format(table=schema_editor.quote_name(table)))


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def seed_synonyms(apps, schema_editor):
    SearchSynonym = apps.get_model("cotraining", "SearchSynonym")
    for terms in SYNONYMS:
        SearchSynonym.objects.get_or_create(terms=terms)


def remove_synonyms(apps, schema_editor):
    apps.get_model("cotraining", "SearchSynonym").objects.filter(terms__in=SYNONYMS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cotraining", "0008_search_synonyms_and_folded_names"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [
        migrations.RunPython(seed_synonyms, remove_synonyms),
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
    ]
