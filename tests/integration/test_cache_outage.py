"""A cache outage degrades, never fails (issue 15): a Redis server of this test's own, stopped
while the site runs. Never the shared Redis: the broker keeps running on its own server."""

import subprocess
import time

import pytest
import redis
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
def cache_server():
    """`redis-server` on a free loopback port, without persistence; stopped after the test."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - a fixed binary and our own arguments
        [
            "redis-server",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--bind",
            "127.0.0.1",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the test's redis-server did not start")
            time.sleep(0.05)
    try:
        yield process, port, client
    finally:
        process.kill()
        process.wait(timeout=10)


def test_the_site_answers_while_its_cache_redis_is_stopped(client, settings, cache_server):
    process, port, redis_client = cache_server
    settings.CACHES = resilient_cache(f"redis://127.0.0.1:{port}/0")
    session, person, assertion = outage_fixtures()
    # Up: the pages fill the cache (the DSFR configuration, listings, the assertion).
    caches["default"].set("probe", 1)
    assert caches["default"].get("probe") == 1
    up = visit_everything(client, session, person, assertion)
    assert up == EVERYTHING_ANSWERS
    assert redis_client.dbsize() > 1

    process.terminate()
    process.wait(timeout=10)
    client.logout()
    session.enrollments.all().delete()

    down = visit_everything(client, session, person, assertion)
    assert down == EVERYTHING_ANSWERS
    assert caches["default"].get("probe") is None
