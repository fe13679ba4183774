import importlib

import pytest
from celery.result import EagerResult
from django.apps import apps
from django.core.cache import cache
from django.db import connection

from cms.tasks import HEARTBEAT_KEY, health, record_heartbeat


@pytest.mark.django_db
def test_health_task_runs_eagerly_without_a_broker(settings):
    if settings.CELERY_BROKER_URL:
        pytest.skip("a broker is configured: tests/integration covers the worker")
    from cms.celery import app

    # No broker configured: the embedded default runs each task here, when it is called.
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert app.conf.task_always_eager is True
    result = health.delay()
    assert isinstance(result, EagerResult)
    answer = result.get(timeout=5)
    assert answer["status"] == "ok"
    assert answer["database"] == connection.settings_dict["NAME"]  # this process's database


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
