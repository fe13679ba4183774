"""Celery tasks of the indicator dashboards (found by autodiscovery). Their names keep the
`badges.indicators.tasks.` prefix of the days the app lived in badges: beat schedules, routes and
queued messages use them."""

from celery import shared_task

from . import snapshots


@shared_task(
    name="badges.indicators.tasks.refresh_indicator_snapshots",
    ignore_result=True,
    time_limit=1800,
    soft_time_limit=1700,
)
def refresh_indicator_snapshots():
    """Beat: warm the default dashboards and refresh the stale ones read lately."""
    return snapshots.refresh_snapshots()


@shared_task(
    name="badges.indicators.tasks.refresh_indicator_snapshot",
    ignore_result=True,
    time_limit=300,
    soft_time_limit=270,
)
def refresh_indicator_snapshot(key):
    """One stale dashboard, read just now (a no-op when another refresh got there first)."""
    snapshots.refresh_snapshot(key=key)
