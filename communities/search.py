"""Searching a community's questions as teachers type: accents and letter case aside, parts of
words, French stems ("évaluations" finds "évaluer"), and the catalogue's synonyms.

Each clause of the query (cotraining.search.query_clauses: a word, or a synonym phrase with its
alternatives) must match; an alternative matches when each of its words, folded and reduced to
its Snowball stem, appears inside the question's folded title, text and tags
(`Question.search_text`, a generated column). A LIKE on that one column, on SQLite and
PostgreSQL alike; `%` and `_` typed are escaped by Django's `contains`.
"""

import operator
from functools import cache, reduce

import snowballstemmer
from django.db.models import Q

from cotraining.folding import fold
from cotraining.search import WORD_RE, query_clauses

MIN_STEM_LENGTH = 4


@cache
def _stemmer():
    return snowballstemmer.stemmer("french")


def needle(word):
    """What to look for inside the folded text: the folded stem of a long word, the word."""
    folded = fold(word)
    stem = fold(_stemmer().stemWord(word.lower()))
    return stem if len(stem) >= MIN_STEM_LENGTH else folded


def _alternative(term):
    words = WORD_RE.findall(term)
    if not words:
        return Q(pk__in=[])
    return reduce(operator.and_, (Q(search_text__contains=needle(w)) for w in words))


def search_questions(questions, value):
    """`questions` that match what was typed; unchanged for an empty query."""
    clauses = query_clauses(value)
    if not clauses:
        return questions
    condition = Q()
    for alternatives in clauses:
        condition &= reduce(operator.or_, (_alternative(term) for term in alternatives))
    return questions.filter(condition)
