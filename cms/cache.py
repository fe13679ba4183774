"""A Redis cache that degrades instead of failing: the site answers while its cache is down.

Every page reads the cache (the DSFR configuration, the catalogue's listings, hosted
assertions, rate limits): with Django's RedisCache, a Redis outage turned each of them into a
500. This backend logs the error and behaves as an empty cache that keeps nothing:

- reads (`get`, `get_many`, `has_key`) return their default, a miss;
- writes (`set`, `touch`, `delete`, `delete_many`, `clear`) are skipped (reporting failure
  where Django's API reports an outcome);
- `add` reports success, so that code using it as a lock (allauth's rate limits) goes on
  rather than waiting for a lock nobody holds;
- `incr`/`decr` raise ValueError, as for a key that does not exist: callers already handle it
  (a counter restarts, django-ratelimit falls back to RATELIMIT_FAIL_OPEN).

Rate limits are therefore open while the cache is down (a documented choice: a cache outage
must not lock every teacher out of login); everything else is only slower. After a failure
the process skips Redis for OUTAGE_SECONDS, so that a server that does not answer costs one
short socket timeout, not one per cache call.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)
OUTAGE_SECONDS = 5.0


class ResilientRedisCache(RedisCache):
    """django.core.cache.backends.redis.RedisCache whose connection errors are logged and
    skipped (see the module docstring for what each method returns then)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0

    def _call(self, name, fallback, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback()
        try:
            return getattr(super(), name)(*args, **kwargs)
        except OUTAGE_ERRORS as exc:
            self._down_until = time.monotonic() + OUTAGE_SECONDS
            logger.warning("Cache unavailable, %s skipped: %s", name, exc)
            return fallback()

    def get(self, key, default=None, version=None):
        return self._call("get", lambda: default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", dict, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", lambda: False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", lambda: True, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", lambda: None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", lambda: list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", lambda: False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", lambda: False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", lambda: None, keys, version)

    def clear(self):
        return self._call("clear", lambda: False)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (cache unavailable).")

        return self._call("incr", missing, key, delta, version)
