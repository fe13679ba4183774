"""/health/ (issue 12): a cheap anonymous liveness answer that tells nothing about the machines;
the detailed checks (database, broker, workers) only for staff or a monitor with HEALTH_TOKEN."""

import json

import pytest
from django.urls import reverse

from cms.celery import app
from cotraining.constants import Role
from cotraining.services import grant_role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-monitoring-token"


@pytest.fixture
def no_worker_ping(settings, monkeypatch):
    """A deployment with a broker whose workers must never be pinged on the public path."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.HEALTH_TOKEN = TOKEN

    def ping(*args, **kwargs):
        raise AssertionError("the workers were pinged")

    def connect(*args, **kwargs):
        raise AssertionError("the broker was contacted")

    monkeypatch.setattr(app.control, "ping", ping)
    monkeypatch.setattr(app, "connection_for_write", connect)


def test_anonymous_gets_a_short_answer_without_worker_ping(client, no_worker_ping):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_anonymous_cannot_ask_for_details(client, no_worker_ping):
    response = client.get(reverse("health"), {"details": "1"})
    assert response.status_code == 403
    assert b"checks" not in response.content and b"error" not in response.content


def test_a_wrong_token_is_refused(client, no_worker_ping):
    for header in ("Bearer wrong", f"Bearer {TOKEN}x", "Bearer "):
        response = client.get(
            reverse("health"), {"details": "1"}, headers={"Authorization": header}
        )
        assert response.status_code == 403, header
        assert b"checks" not in response.content


def test_no_configured_token_accepts_none(client, no_worker_ping, settings):
    settings.HEALTH_TOKEN = ""
    response = client.get(reverse("health"), {"details": "1"}, headers={"Authorization": "Bearer "})
    assert response.status_code == 403


def test_the_token_reads_the_details(client, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.HEALTH_TOKEN = TOKEN
    connect = app.connection_for_write
    monkeypatch.setattr(app, "connection_for_write", lambda: connect(url="redis://127.0.0.1:1/0"))
    response = client.get(
        reverse("health"), {"details": "1"}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 503
    body = json.loads(response.content)
    assert set(body["checks"]) == {"database", "broker", "workers", "backlog"}
    assert body["checks"]["broker"]["ok"] is False


@pytest.mark.parametrize("staff", ["superuser", "platform_admin"])
def test_staff_read_the_details(client, settings, staff):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    user = UserFactory(is_superuser=staff == "superuser")
    if staff == "platform_admin":
        grant_role(user=user, role=Role.PLATFORM_ADMIN)
    client.force_login(user)
    response = client.get(reverse("health"), {"details": "1"})
    assert response.status_code == 200
    assert json.loads(response.content)["checks"]["database"]["ok"] is True


def test_other_accounts_do_not(client, no_worker_ping):
    client.force_login(UserFactory())
    assert client.get(reverse("health"), {"details": "1"}).status_code == 403
    assert json.loads(client.get(reverse("health")).content) == {"status": "ok"}


def test_a_database_failure_is_503_without_the_reason(client, no_worker_ping, monkeypatch):
    from django.db import connection

    def broken(*args, **kwargs):
        raise RuntimeError("could not connect to server db-prod-01.internal")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "error"}
