"""The catalogue's search as teachers type it: stems, parts of words, accents optional, synonyms.

A query is split into clauses, one per word or per synonym phrase it contains ("visio sécurité"
gives [visio | visioconférence | classe virtuelle] and [sécurité]). A workshop matches when
every clause matches, each in one of two ways, both computed by the database:
- the full-text index (Wagtail's search backend: French stems, accents optional), which finds
  "numériques" for "numérique";
- a part of a word in the indexed text, accents and letter case aside ("sécurité" inside
  "Cybersécurité", "visio" inside "visioconférence"), for terms of MIN_PARTIAL_LENGTH letters or
  more (shorter ones would match inside too many words). On PostgreSQL, an ILIKE on the index's
  plain text through `f_unaccent`, served by pg_trgm GIN indexes (cotraining migration 0009);
  on SQLite, a LIKE on the index text, to which cms.search_sqlite appends its folded copy.
Workshops that the full-text index finds for the whole query rank before partial matches.
"""

import operator
import re
from functools import reduce

from django.db import connection
from django.db.models import BooleanField, Case, F, Func, IntegerField, Q, Value, When
from modelsearch.query import And, Or, PlainText

from .folding import fold
from .models import SearchSynonym

MIN_PARTIAL_LENGTH = 4
WORD_RE = re.compile(r"\w+")


def synonym_groups():
    """Each synonym group as a list of terms, from the admin's list (one small query)."""
    return [
        SearchSynonym.split(terms)
        for terms in SearchSynonym.objects.values_list("terms", flat=True)
    ]


def query_clauses(value, groups=None):
    """The query as clauses of equivalent alternatives (terms as typed or as listed).

    Synonym phrases are recognised in the query, longest first ("espace numérique de travail"
    is one clause with "ENT"); one-letter words (l', d') are left out when others remain.
    """
    words = WORD_RE.findall(value or "")
    if any(len(word) > 1 for word in words):
        words = [word for word in words if len(word) > 1]
    groups = synonym_groups() if groups is None else groups
    # folded term (as words) -> its group's terms
    phrases = {}
    for terms in groups:
        for term in terms:
            phrases.setdefault(tuple(WORD_RE.findall(fold(term))), terms)
    longest = max((len(key) for key in phrases), default=1)
    folded = [fold(word) for word in words]
    clauses, i = [], 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            terms = phrases.get(tuple(folded[i : i + size]))
            if terms:
                typed = " ".join(words[i : i + size])
                clauses.append(list(dict.fromkeys([typed, *terms])))
                i += size
                break
        else:
            clauses.append([words[i]])
            i += 1
    return clauses


class _ILike(Func):
    """`text ILIKE pattern` (PostgreSQL): the form a pg_trgm GIN index serves."""

    arg_joiner = " ILIKE "
    template = "%(expressions)s"
    output_field = BooleanField()


class _Unaccent(Func):
    """f_unaccent(): the immutable unaccent wrapper that the trigram indexes are built on."""

    function = "f_unaccent"


def _like_pattern(term):
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _partial(alternatives):
    """Q: some alternative appears inside a word of the workshop's indexed text."""
    conditions = []
    for term in alternatives:
        needle = fold(term)
        if len(needle.replace(" ", "")) < MIN_PARTIAL_LENGTH:
            continue
        if connection.vendor == "postgresql":
            pattern = Value(_like_pattern(needle))
            conditions += [
                Q(_ILike(_Unaccent(F(column)), pattern))
                for column in ("index_entries__title_text", "index_entries__body_text")
            ]
        else:
            # SQLite's LIKE ignores ASCII case; the index text holds a folded copy of itself.
            conditions += [
                Q(index_entries__title__contains=needle),
                Q(index_entries__body__contains=needle),
            ]
    return reduce(operator.or_, conditions) if conditions else Q(pk__in=[])


def _indexed(searchable, alternatives):
    """Q: the full-text index finds some alternative (every word of it, stemmed)."""
    queries = [PlainText(term, operator="and") for term in alternatives]
    query = queries[0] if len(queries) == 1 else Or(queries)
    return Q(pk__in=_search_pks(searchable, query))


def _search_pks(searchable, query):
    results = searchable.search(query, order_by_relevance=False)
    return results.get_queryset().values("pk")


def search_workshops(workshops, value, *, searchable, groups=None):
    """`workshops` that match the query, annotated with `search_rank` (0: found by the full-text
    index for the whole query, 1: through parts of words only); unchanged for an empty query.

    `searchable` is the queryset the full-text index is asked about (live workshops); `groups`
    the synonym groups when the caller has them already.
    """
    clauses = query_clauses(value, groups)
    if not clauses:
        return workshops
    condition = Q()
    for alternatives in clauses:
        condition &= _indexed(searchable, alternatives) | _partial(alternatives)
    whole = And([Or([PlainText(t, operator="and") for t in alts]) for alts in clauses])
    exact = Q(pk__in=_search_pks(searchable, whole))
    # One filter() call: the index entries are joined once for every clause.
    return workshops.filter(condition).annotate(
        search_rank=Case(When(exact, then=Value(0)), default=Value(1), output_field=IntegerField())
    )
