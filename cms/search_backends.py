"""French full-text search in both modes.

PostgreSQL (production) stems with its own `french` dictionary, behind `unaccent`, through the
`french_unaccent` text search configuration that a migration creates (cms 0005). SQLite (the
embedded default) has FTS5, which folds accents but does not stem: this backend adds the French
Snowball stems (the algorithm PostgreSQL's dictionary uses) of every indexed text beside it, and
stems the words of a query, so that "numérique" finds "numériques" there too
(cms/search_sqlite.py).
"""

from django.db import connection


def SearchBackend(params):  # noqa: N802 — the name Wagtail looks up in a backend module
    # Each backend module imports its own database's models: only the one in use is imported.
    if connection.vendor == "sqlite":
        from .search_sqlite import FrenchSQLiteSearchBackend

        return FrenchSQLiteSearchBackend(params)
    from modelsearch.backends.database import SearchBackend as database_backend

    return database_backend({"SEARCH_CONFIG": "french_unaccent", **params})
