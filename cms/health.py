"""What /health/ checks.

Anyone (a load balancer, an uptime probe) gets `liveness()`: one `SELECT 1`, no broker or worker
round trip, nothing about the machines. Staff and holders of HEALTH_TOKEN get `run_checks()`: the
database, the broker and a worker, each with a short timeout (about 2 s when a part is down).
"""

from django.conf import settings
from django.db import connection
from django.utils.crypto import constant_time_compare

from cotraining.constants import Role
from cotraining.permissions import has_role

from .celery import app

TIMEOUT = 2.0


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
