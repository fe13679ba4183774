"""/health/ tells the truth about late work (issue 15): "degraded" when a bulk award has not
moved for HEALTH_BACKLOG_MINUTES, without details for anyone, with them for staff."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from badges.models import BulkAward
from tests.factories import BulkAwardFactory, IssuerFactory, UserFactory, make_badge_class

pytestmark = pytest.mark.django_db


@pytest.fixture
def job():
    return BulkAwardFactory(
        badge_class=make_badge_class(IssuerFactory(name="DANE", email="dane@ac.fr")),
        total=3000,
        processed=2800,
        status=BulkAward.Status.RUNNING,
    )


def test_a_job_that_has_not_moved_makes_health_degraded_without_details(client, job, settings):
    settings.HEALTH_BACKLOG_MINUTES = 30
    # The embedded mode's broker and workers (the integration run has no worker for this test):
    # only the backlog makes the difference here.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    BulkAward.objects.filter(pk=job.pk).update(moved_at=timezone.now() - timedelta(minutes=20))
    response = client.get(reverse("health"))
    assert (response.status_code, json.loads(response.content)) == (200, {"status": "ok"})

    BulkAward.objects.filter(pk=job.pk).update(moved_at=timezone.now() - timedelta(minutes=31))
    response = client.get(reverse("health"))
    assert (response.status_code, json.loads(response.content)) == (200, {"status": "degraded"})

    client.force_login(UserFactory(is_superuser=True))
    body = json.loads(client.get(reverse("health"), {"details": "1"}).content)
    assert body["status"] == "degraded"
    assert body["checks"]["backlog"]["ok"] is False
    assert body["checks"]["backlog"]["stalled_jobs"] == 1


def test_a_finished_job_is_never_late(client, job):
    BulkAward.objects.filter(pk=job.pk).update(
        status=BulkAward.Status.DONE, moved_at=timezone.now() - timedelta(days=3)
    )
    assert json.loads(client.get(reverse("health")).content) == {"status": "ok"}
