import importlib

import pytest
from django.apps import apps
from django.core.cache import cache

from cms.tasks import HEARTBEAT_KEY, health, record_heartbeat


@pytest.mark.django_db
def test_health_task_runs_eagerly_without_a_broker(settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER or settings.CELERY_BROKER_URL
    if settings.CELERY_BROKER_URL:
        pytest.skip("a broker is configured: tests/integration covers the worker")
    assert health.delay().get(timeout=5)["status"] == "ok"


def test_heartbeat_is_recorded():
    at = record_heartbeat()
    assert cache.get(HEARTBEAT_KEY) == at


def test_beat_schedule_names_real_tasks(settings):
    from cms.celery import app

    # What a worker and beat import when they start: every app's tasks.py and CELERY_IMPORTS.
    names = [f"{config.name}.tasks" for config in apps.get_app_configs()]
    for name in [*names, *getattr(settings, "CELERY_IMPORTS", ())]:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
