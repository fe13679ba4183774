"""/health/'s backlog check reads the age of the oldest task of each queue on the real broker
(issue 15): a queue of this test's own, that no worker consumes."""

import os
import time
from uuid import uuid4

import pytest

from cms.celery import app
from cms.health import check_backlog
from tests.helpers import delete_queue

pytestmark = pytest.mark.django_db


def test_a_queue_holding_a_task_older_than_the_limit_is_reported_late(settings):
    queue = f"test-health-{os.getpid()}-{uuid4().hex[:8]}"
    settings.ENTREPAIRS_QUEUES = (queue,)
    settings.HEALTH_BACKLOG_MINUTES = 30
    try:
        app.send_task("cms.tasks.record_heartbeat", queue=queue)  # stamped now
        backlog = check_backlog()
        assert backlog["queues"][queue]["length"] == 1
        assert backlog["queues"][queue]["oldest_seconds"] < 60
        assert (backlog["ok"], backlog["late_queues"]) == (True, [])

        delete_queue(queue)
        app.send_task(
            "cms.tasks.record_heartbeat", queue=queue, headers={"sent_at": time.time() - 31 * 60}
        )
        app.send_task("cms.tasks.record_heartbeat", queue=queue)  # a newer one behind it
        backlog = check_backlog()
        assert backlog["queues"][queue]["length"] == 2
        assert backlog["queues"][queue]["oldest_seconds"] >= 31 * 60
        assert (backlog["ok"], backlog["late_queues"]) == (False, [queue])
    finally:
        delete_queue(queue)
