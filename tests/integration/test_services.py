import json

import pytest
from django.db import connection
from django.urls import reverse

from cms.tasks import health
from cotraining.models import Departement


@pytest.mark.django_db
def test_database_is_postgresql_with_reference_data():
    assert connection.vendor == "postgresql"
    assert Departement.objects.get(code="086").academie.name == "Poitiers"


def test_a_task_sent_through_the_broker_runs_in_the_worker(celery_worker):
    result = health.delay().get(timeout=30)
    assert result["status"] == "ok"
    assert result["worker"].startswith("test-worker-")
    # The worker is a separate process connected to the same test database.
    assert result["database"] == celery_worker["database"]


@pytest.mark.django_db
def test_health_endpoint_sees_database_broker_and_worker(client, celery_worker, settings):
    settings.HEALTH_TOKEN = "monitor-token"
    response = client.get(
        reverse("health"), {"details": "1"}, headers={"Authorization": "Bearer monitor-token"}
    )
    body = json.loads(response.content)
    assert response.status_code == 200, body
    assert body["checks"]["database"]["vendor"] == "postgresql"
    assert body["checks"]["broker"]["mode"] == "broker"
    assert body["checks"]["workers"]["workers"] >= 1
