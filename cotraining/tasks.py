"""Celery tasks of the co-training layer: thin wrappers that call a service with primitive ids."""

from celery import shared_task

from . import services
from .constants import NotificationStatus


@shared_task(
    name="cotraining.tasks.deliver_notification",
    bind=True,
    ignore_result=True,  # the Notification row is the result; nothing waits on the backend
    max_retries=6,
    time_limit=120,
    soft_time_limit=100,
)
def deliver_notification(self, notification_id):
    """Send one owed email. A failed attempt is retried with exponential backoff (1, 2, 4…
    minutes); after NOTIFICATION_MAX_ATTEMPTS it is marked failed for coordinators to see."""
    status = services.deliver_notification(notification_id=notification_id)
    if status == NotificationStatus.PENDING and not self.request.is_eager:
        raise self.retry(countdown=60 * 2**self.request.retries)
    return status


@shared_task(name="cotraining.tasks.send_due_reminders", time_limit=300, soft_time_limit=280)
def send_due_reminders():
    """Run by beat: record and send the reminders that are due (idempotent)."""
    return services.queue_due_reminders()


@shared_task(
    name="cotraining.tasks.retry_pending_notifications", time_limit=120, soft_time_limit=100
)
def retry_pending_notifications():
    """Run by beat: enqueue again emails still pending (failed attempts, lost tasks)."""
    return services.retry_pending_notifications()


@shared_task(name="cotraining.tasks.complete_ended_sessions", time_limit=300, soft_time_limit=280)
def complete_ended_sessions():
    """Run by beat: completions of the sessions that ended since the last run (idempotent)."""
    return services.complete_ended_sessions()
