"""The SQLite side of cms.search_backends: Snowball stems beside the text FTS5 indexes, and a
folded copy (lower case, no accents) that LIKE searches for parts of words (cotraining.search).
"""

import re
from functools import cache, lru_cache

import snowballstemmer
from django.utils.encoding import force_str
from modelsearch.backends.database.sqlite.sqlite import (
    SQLiteIndex,
    SQLiteSearchBackend,
    SQLiteSearchQueryCompiler,
)
from modelsearch.query import PlainText
from modelsearch.utils import get_content_type_pk

from cotraining.folding import fold

WORD_RE = re.compile(r"\w+", re.UNICODE)


@cache
def _stemmer():
    return snowballstemmer.stemmer("french")


@lru_cache(maxsize=100_000)
def _stem(word):
    return _stemmer().stemWord(word)


def french_stems(text):
    """The Snowball stems of the words of `text`, lower-cased, in order."""
    return " ".join(_stem(word.lower()) for word in WORD_RE.findall(text or ""))


class FrenchSQLiteIndex(SQLiteIndex):
    def add_items(self, model, objs):
        super().add_items(model, objs)
        # Entries were just written with the original text; append the stems and the folded
        # text once (SQLite's LIKE knows neither accents nor non-ASCII letter case).
        entries = self.entries.filter(
            content_type_id=get_content_type_pk(model),
            object_id__in=[force_str(obj.pk) for obj in objs],
        ).values_list("pk", "title", "body")
        for pk, title, body in entries:
            self.entries.filter(pk=pk).update(
                title=f"{title} {french_stems(title)} {fold(title)}",
                body=f"{body} {french_stems(body)} {fold(body)}",
            )


class FrenchSQLiteQueryCompiler(SQLiteSearchQueryCompiler):
    def build_search_query_content(self, query, config=None):
        if isinstance(query, PlainText):
            query = PlainText(french_stems(query.query_string), operator=query.operator)
        return super().build_search_query_content(query, config=config)


class FrenchSQLiteSearchBackend(SQLiteSearchBackend):
    query_compiler_class = FrenchSQLiteQueryCompiler
    index_class = FrenchSQLiteIndex
