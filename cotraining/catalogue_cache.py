"""The catalogue's listings (filters, facet counts, a page of results), cached per query.

With thousands of workshops the facet counts cost tens of SQL milliseconds per request, for
answers that change only when a workshop, a session or an enrolment does. Each listing is cached
under a catalogue *version* that any such change replaces (after its transaction commits), and
for `CACHE_SECONDS` at most, so that sessions that started since drop out on their own. With
several processes the cache must be shared (REDIS_URL) for a change to show at once everywhere;
with a per-process cache a listing may lag by `CACHE_SECONDS`.
"""

import hashlib
import time

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

VERSION_KEY = "catalogue:version"
CACHE_SECONDS = 60


def catalogue_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY)
    return version


def _new_version():
    cache.set(VERSION_KEY, time.time_ns(), None)


def touch_catalogue(**kwargs):
    """Make every cached listing obsolete: now, for the rest of this transaction, and again
    once it commits, since a listing computed meanwhile by another request saw the old data."""
    _new_version()
    transaction.on_commit(_new_version)


def listing_key(index_page_id, query):
    """A key for one catalogue page and one query string (parameters in a stable order)."""
    items = sorted((key, value) for key in query for value in query.getlist(key))
    digest = hashlib.sha256(repr(items).encode()).hexdigest()[:32]
    return f"catalogue:{catalogue_version()}:{index_page_id}:{get_language()}:{digest}"


def cached_fragment(index_page_id, query, render):
    """The catalogue HTML for this query: from the cache, or rendered and kept."""
    key = listing_key(index_page_id, query)
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, CACHE_SECONDS)
    return html
