"""The Celery application. Configuration lives in Django settings under the CELERY_ prefix."""

import os
import time

from celery import Celery
from celery.signals import before_task_publish, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")

app = Celery("entrepairs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Work whose task was lost (a worker killed, the broker restarted or down when it was asked
# for) is a row in the database: each worker queues it again when it starts, as beat does
# every few minutes. Both tasks are idempotent; by name, so this module imports no app.
RESUME_AT_WORKER_START = (
    "badges.tasks.resume_stalled_bulk_awards",
    "cotraining.tasks.retry_pending_notifications",
)


@worker_ready.connect(dispatch_uid="cms.celery.resume_lost_work")
def resume_lost_work(sender, **kwargs):
    for name in RESUME_AT_WORKER_START:
        sender.app.send_task(name)


@before_task_publish.connect(dispatch_uid="cms.celery.stamp_sent_at")
def stamp_sent_at(headers=None, **kwargs):
    """When a task was published: /health/ reads the oldest message of each queue by it."""
    if headers is not None:
        headers.setdefault("sent_at", time.time())
