import pytest
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
    import cms.tasks  # noqa: F401 - registers the tasks
    from cms.celery import app

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
