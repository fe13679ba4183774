"""Celery tasks of the communities, re-exported under their registered names.

Each task lives beside the service it wraps (`<name>_task` in communities/services/); this
module, which Celery's autodiscovery imports, keeps every task reachable as
`communities.tasks.<name>`, the name beat, the routes and queued messages use.
"""

from .services.digests import queue_weekly_digests_task as queue_weekly_digests
from .services.digests import remind_askers_task as remind_askers
from .services.digests import send_accept_reminder_task as send_accept_reminder
from .services.digests import send_digest_task as send_digest

__all__ = ["queue_weekly_digests", "remind_askers", "send_accept_reminder", "send_digest"]
