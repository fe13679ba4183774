"""A cache outage degrades, never fails (issue 15): cms.cache.ResilientRedisCache."""

import logging

import pytest
from django.core.cache import caches

from tests.cms.cache_outage import (
    EVERYTHING_ANSWERS,
    outage_fixtures,
    resilient_cache,
    visit_everything,
)
from tests.helpers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_down(settings):
    """The default cache is the platform's Redis backend at a port where nothing listens."""
    settings.CACHES = resilient_cache(f"redis://127.0.0.1:{free_port()}/0")
    yield caches["default"]


def test_every_cache_call_is_logged_and_answered_as_an_empty_cache(cache_down, caplog):
    cache = cache_down
    with caplog.at_level(logging.WARNING, logger="cms.cache"):
        assert cache.get("key") is None
        assert cache.get("key", 7) == 7
        assert cache.get_many(["a", "b"]) == {}
        assert cache.has_key("key") is False
        cache.set("key", 1)
        assert cache.get("key") is None
        assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
        assert cache.add("lock", 1) is True  # a lock nobody else can hold: go on
        assert cache.touch("key") is False
        assert cache.delete("key") is False
        cache.delete_many(["a", "b"])
        with pytest.raises(ValueError):
            cache.incr("counter")
        with pytest.raises(ValueError):
            cache.decr("counter")
        cache.clear()
    assert "Cache unavailable" in caplog.text


def test_after_a_failure_the_process_skips_redis_for_a_few_seconds(cache_down, monkeypatch):
    cache = cache_down
    assert cache.get("key") is None
    calls = []
    monkeypatch.setattr(
        type(cache).__mro__[1], "get", lambda *args, **kwargs: calls.append(args) or "hit"
    )
    assert cache.get("key") is None  # not asked: still within the outage window
    assert calls == []


def test_pages_login_enrolment_and_assertions_answer_while_the_cache_is_down(client, cache_down):
    session, person, assertion = outage_fixtures()
    assert visit_everything(client, session, person, assertion) == EVERYTHING_ANSWERS


def test_the_cache_defaults_to_another_database_of_the_brokers_redis():
    from cms.settings.base import _cache_url_beside

    assert _cache_url_beside("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/1"
    assert _cache_url_beside("redis://:secret@redis:6379") == "redis://:secret@redis:6379/1"
    assert _cache_url_beside("redis://127.0.0.1:6379/15") == "redis://127.0.0.1:6379/0"
