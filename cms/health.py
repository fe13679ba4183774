"""What /health/ checks.

Anyone (a load balancer, an uptime probe) gets `liveness()`: one `SELECT 1`, no broker or worker
round trip, nothing about the machines. Staff and holders of HEALTH_TOKEN get `run_checks()`: the
database, the broker and a worker, each with a short timeout (about 2 s when a part is down).

Both say "degraded" (still 200: the site answers) when work is late: a bulk award that has not
moved for HEALTH_BACKLOG_MINUTES (the public answer, one indexed query), or, in the details, a
queue whose oldest task was published longer ago than that.
"""

import json
import time
from datetime import timedelta

import redis
from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from badges.models import BulkAward
from cotraining.constants import Role
from cotraining.permissions import has_role

from .celery import app

TIMEOUT = 2.0
HEARTBEAT_KEY = "celery:heartbeat"


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means unhealthy; the message says which
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "vendor": connection.vendor}


def check_broker():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager"}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=TIMEOUT)
    except Exception as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "mode": "broker"}


def check_workers():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager", "workers": 0}
    try:
        replies = app.control.ping(timeout=TIMEOUT) or []
    except Exception as exc:
        return {"ok": False, "error": str(exc), "workers": 0}
    names = sorted(name for reply in replies for name in reply)
    return {"ok": bool(names), "workers": len(names), "names": names}


def stalled_jobs():
    """How many bulk awards have not moved for HEALTH_BACKLOG_MINUTES (their task was lost and
    beat's requeue has not made them move either)."""
    since = timezone.now() - timedelta(minutes=settings.HEALTH_BACKLOG_MINUTES)
    return BulkAward.objects.stalled(since=since).count()


def queue_ages():
    """{queue: {"length", "oldest_seconds"}} of the platform's queues on a Redis broker: the
    oldest message sits at the list's tail (kombu pushes at the head), stamped `sent_at` at
    publishing (cms.celery.stamp_sent_at)."""
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
    )
    ages = {}
    now = time.time()
    try:
        for name in settings.ENTREPAIRS_QUEUES:
            length = client.llen(name)
            oldest = client.lindex(name, -1) if length else None
            sent_at = None
            if oldest is not None:
                try:
                    sent_at = json.loads(oldest).get("headers", {}).get("sent_at")
                except (ValueError, AttributeError):
                    sent_at = None
            ages[name] = {
                "length": length,
                "oldest_seconds": round(now - sent_at) if sent_at else None,
            }
    finally:
        client.close()
    return ages


def check_backlog():
    """Work late: a stalled bulk award, or a queue holding a task older than the limit."""
    limit = settings.HEALTH_BACKLOG_MINUTES * 60
    result = {"ok": True, "stalled_jobs": stalled_jobs(), "limit_minutes": limit // 60}
    if settings.CELERY_BROKER_URL.startswith("redis"):
        try:
            result["queues"] = queue_ages()
        except Exception as exc:  # the broker check says why; the backlog is unknown then
            result["queues_error"] = str(exc)
        late = [
            name
            for name, queue in result.get("queues", {}).items()
            if (queue["oldest_seconds"] or 0) > limit
        ]
        result["late_queues"] = late
    result["ok"] = not result["stalled_jobs"] and not result.get("late_queues")
    return result


def run_checks():
    checks = {"database": check_database(), "broker": check_broker()}
    # Asking workers through a broker that is down would only wait for the timeout again.
    checks["workers"] = (
        check_workers()
        if checks["broker"]["ok"]
        else {"ok": False, "error": "broker unavailable", "workers": 0}
    )
    return checks


def liveness():
    """Whether this process can answer and reach its database: cheap enough to poll often."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # the reason is for the detailed checks, not for anyone who asks
        return False
    return True


def public_status():
    """ "ok", "degraded" (a bulk award stalled: the site answers, work is late) or "error"."""
    if not liveness():
        return "error"
    try:
        return "degraded" if stalled_jobs() else "ok"
    except Exception:  # a missing table mid-deploy is no reason to fail the probe
        return "ok"


def _bearer_token(request):
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return presented.strip() if scheme.lower() == "bearer" else None


def presents_bearer_token(request):
    return _bearer_token(request) is not None


def may_see_details(request):
    """Superusers, platform administrators, or a request bearing HEALTH_TOKEN (a monitor).

    The token is compared in constant time; no HEALTH_TOKEN configured, no token is accepted.
    """
    presented = _bearer_token(request)
    if presented is not None:
        token = settings.HEALTH_TOKEN
        return bool(token) and constant_time_compare(presented, token)
    user = request.user
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return has_role(user, Role.PLATFORM_ADMIN)


@shared_task(
    name="cms.tasks.health", bind=True, ignore_result=False, time_limit=10, soft_time_limit=5
)
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
