"""The Celery application. Configuration lives in Django settings under the CELERY_ prefix."""

import logging
import os
import time

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import before_task_publish, worker_init, worker_ready
from kombu.exceptions import OperationalError as BrokerUnavailable

from cotraining.exceptions import TRANSIENT_ERRORS

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")

logger = logging.getLogger(__name__)


class Task(DjangoTask):
    """The base of every task of the project (the app's `task_cls`, so `@shared_task` in any
    layer gets it without importing this module).

    One way to enqueue: `enqueue_on_commit` once the caller's transaction commits, `enqueue`
    when there is none. The work a request creates is a row first (the database is the
    outbox), so a broker that is down delays it and never fails the request: the publish error
    is logged and a beat task queues the row again.

    Shared retry options: a task that lists `autoretry_for` (usually `TRANSIENT_ERRORS`) retries
    with exponential backoff and jitter, five times, at most ten minutes apart. Expected domain
    refusals are declared with `throws=` so they are logged as such, not as crashes.
    """

    TRANSIENT_ERRORS = TRANSIENT_ERRORS  # defined in the lowest layer, which tasks everywhere use

    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5
    ignore_result = True  # a task whose result is read says ignore_result=False

    def enqueue(self, *args, **kwargs):
        """Publish now. Returns False, with a warning logged, when the broker is unreachable:
        the caller's row stays pending and is queued again later."""
        try:
            self.apply_async(args=args, kwargs=kwargs)
        except BrokerUnavailable:  # kombu wraps the connection's errors in it
            logger.warning(
                "Broker unavailable: %s%r stays in the database, queued later", self.name, args
            )
            return False
        return True

    def enqueue_on_commit(self, *args, **kwargs):
        """Publish once the current transaction commits (at once outside one). Robust: an error
        while publishing, or in an eager task (the embedded mode), never breaks the request
        that committed; it is logged, and the row it concerns is picked up again."""
        from django.db import transaction

        transaction.on_commit(lambda: self.enqueue(*args, **kwargs), robust=True)


app = Celery("entrepairs", task_cls="cms.celery:Task")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Work whose task was lost (a worker killed, the broker restarted or down when it was asked
# for) is a row in the database: each worker queues it again when it starts, as beat does
# every few minutes. Both tasks are idempotent; by name, so this module imports no app.
RESUME_AT_WORKER_START = (
    "badges.tasks.resume_stalled_bulk_awards",
    "badges.tasks.resume_stalled_pix_imports",
    "cotraining.tasks.retry_pending_notifications",
)


@worker_init.connect(dispatch_uid="cms.celery.refuse_another_origin")
def refuse_another_origin(**kwargs):
    """A worker issues badges too: in production it refuses to start, like gunicorn, on a
    SITE_URL that is not the origin of the badges already issued (badges/checks.py)."""
    from badges.checks import refuse_another_origin as check  # Django is set up by now

    check()


@worker_ready.connect(dispatch_uid="cms.celery.resume_lost_work")
def resume_lost_work(sender, **kwargs):
    for name in RESUME_AT_WORKER_START:
        sender.app.send_task(name)


@before_task_publish.connect(dispatch_uid="cms.celery.stamp_sent_at")
def stamp_sent_at(headers=None, **kwargs):
    """When a task was published: /health/ reads the oldest message of each queue by it."""
    if headers is not None:
        headers.setdefault("sent_at", time.time())
