"""Celery tasks of the indicator dashboards, found here by autodiscovery; each lives beside the
work it does (snapshots.py). Their names keep the `badges.indicators.tasks.` prefix of the days
the app lived in badges: beat schedules, routes and queued messages use them."""

from .snapshots import refresh_indicator_snapshot, refresh_indicator_snapshots

__all__ = ["refresh_indicator_snapshot", "refresh_indicator_snapshots"]
