from celery import shared_task
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from . import services
from .models import ContentReport

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task(name="cms.tasks.health", bind=True, time_limit=10, soft_time_limit=5)
def health(self):
    """Answer from a worker: the broker delivers, a worker runs our code and reaches the
    database (its name is returned so that a caller can tell which one)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {
        "status": "ok",
        "at": timezone.now().isoformat(),
        "worker": self.request.hostname,
        "database": connection.settings_dict["NAME"],
    }


@shared_task(name="cms.tasks.record_heartbeat", time_limit=10)
def record_heartbeat():
    """Run by beat: records when a worker last ran a scheduled task."""
    at = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, at, None)
    return at


@shared_task(
    name="cms.tasks.send_report_notification",
    autoretry_for=(OSError,),  # SMTP and network failures (smtplib's errors are OSErrors)
    retry_backoff=True,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def send_report_notification(report_id):
    """Email the coordinators of a new content report; nothing when the report is gone."""
    report = ContentReport.objects.select_related("page", "academie").filter(pk=report_id).first()
    if report is None:
        return 0
    return services.send_report_notification(report=report)
