"""What /health/ checks: the database, the broker and a worker, each with a short timeout."""

from django.conf import settings
from django.db import connection

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
