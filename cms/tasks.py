from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task(name="cms.tasks.health", time_limit=10, soft_time_limit=5)
def health():
    """Answer from a worker: proves the broker delivers and a worker runs our code."""
    return {"status": "ok", "at": timezone.now().isoformat()}


@shared_task(name="cms.tasks.record_heartbeat", time_limit=10)
def record_heartbeat():
    """Run by beat: records when a worker last ran a scheduled task."""
    at = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, at, None)
    return at
