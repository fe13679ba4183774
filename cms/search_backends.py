"""French full-text search in both modes.

PostgreSQL (production) stems with its own `french` dictionary, behind `unaccent`, through the
`french_unaccent` text search configuration that a migration creates (cms 0005). SQLite (the
embedded default) has FTS5, which folds accents but does not stem: this backend adds the French
Snowball stems (the algorithm PostgreSQL's dictionary uses) of every indexed text beside it, and
stems the words of a query, so that "numérique" finds "numériques" there too.
"""

import re
from functools import cache

import snowballstemmer
from django.db import connection
from django.utils.encoding import force_str
from modelsearch.backends.database.sqlite.sqlite import (
    SQLiteIndex,
    SQLiteSearchBackend,
    SQLiteSearchQueryCompiler,
)
from modelsearch.query import PlainText
from modelsearch.utils import get_content_type_pk

WORD_RE = re.compile(r"\w+", re.UNICODE)


@cache
def _stemmer():
    return snowballstemmer.stemmer("french")


def french_stems(text):
    """The Snowball stems of the words of `text`, lower-cased, in order."""
    words = [word.lower() for word in WORD_RE.findall(text or "")]
    return " ".join(_stemmer().stemWords(words))


class FrenchSQLiteIndex(SQLiteIndex):
    def add_items(self, model, objs):
        super().add_items(model, objs)
        # Entries were just written with the original text; append the stems once.
        entries = self.entries.filter(
            content_type_id=get_content_type_pk(model),
            object_id__in=[force_str(obj.pk) for obj in objs],
        ).values_list("pk", "title", "body")
        for pk, title, body in entries:
            self.entries.filter(pk=pk).update(
                title=f"{title} {french_stems(title)}", body=f"{body} {french_stems(body)}"
            )


class FrenchSQLiteQueryCompiler(SQLiteSearchQueryCompiler):
    def build_search_query_content(self, query, config=None):
        if isinstance(query, PlainText):
            query = PlainText(french_stems(query.query_string), operator=query.operator)
        return super().build_search_query_content(query, config=config)


class FrenchSQLiteSearchBackend(SQLiteSearchBackend):
    query_compiler_class = FrenchSQLiteQueryCompiler
    index_class = FrenchSQLiteIndex


def SearchBackend(params):  # noqa: N802 — the name Wagtail looks up in a backend module
    if connection.vendor == "sqlite":
        return FrenchSQLiteSearchBackend(params)
    from modelsearch.backends.database import SearchBackend as database_backend

    return database_backend({"SEARCH_CONFIG": "french_unaccent", **params})
