"""Celery tasks of the co-training layer, re-exported under their registered names.

Each task lives beside the service it wraps (`<name>_task` in cotraining/services/); this module,
which Celery's autodiscovery imports, keeps every task reachable as `cotraining.tasks.<name>`,
the name it is registered under (beat, the routes in settings and queued messages use it).
"""

from .services.attendance import complete_ended_sessions_task as complete_ended_sessions
from .services.notifications import deliver_notification_task as deliver_notification
from .services.notifications import retry_pending_notifications_task as retry_pending_notifications
from .services.notifications import send_due_reminders_task as send_due_reminders

__all__ = [
    "complete_ended_sessions",
    "deliver_notification",
    "retry_pending_notifications",
    "send_due_reminders",
]
