"""The database is the outbox of bulk awards (issue 15): a job is a row first, queued after
commit; a broker outage delays it and never fails the upload; a job whose tasks were lost is
queued again once it has not moved for BULK_AWARD_STALLED_MINUTES, and awards each row once."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from badges import tasks
from badges.models import Assertion, BulkAward
from badges.services import bulk as bulk_awards
from badges.services.awards import award_badge
from cms.celery import RESUME_AT_WORKER_START, resume_lost_work
from tests.factories import make_badge_class

pytestmark = pytest.mark.django_db


@pytest.fixture
def badge(issuer):
    return make_badge_class(issuer, name="Contributeur")


def emails(count):
    return [f"p{i:02d}@b.fr" for i in range(count)]


def later(minutes):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def broker_down(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_file_uploaded_while_the_broker_is_down_is_queued_then_awarded_once(
    client, badge, coordinator, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    upload = SimpleUploadedFile("f.csv", ("email\n" + "\n".join(emails(12))).encode())
    with monkeypatch.context() as broker:
        broker.setattr(tasks.run_bulk_award, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("badges:bulk_award"), {"badge_class": badge.pk, "file": upload}
            )
    bulk = BulkAward.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("badges:bulk_award_detail", kwargs={"pk": bulk.pk})
    assert bulk.status == BulkAward.Status.PENDING
    page = client.get(response["Location"]).content.decode()
    assert "En attente : 0 ligne(s) traitée(s) sur 12" in page

    # Beat, a few minutes later: not yet (it might only be waiting in a queue).
    with later(5), django_capture_on_commit_callbacks(execute=True):
        assert tasks.resume_stalled_bulk_awards.delay().get() == 0
    # Past the stall delay, with the broker back: queued again, awarded, each row once.
    with later(16), django_capture_on_commit_callbacks(execute=True):
        assert tasks.resume_stalled_bulk_awards.delay().get() == 1
    bulk.refresh_from_db()
    assert (bulk.status, bulk.processed, bulk.awarded) == ("done", 12, 12)
    assert Assertion.objects.filter(badge_class=badge).count() == 12
    assert sorted(to for message in mailoutbox for to in message.to) == emails(12)
    # Done: never queued again.
    with later(60), django_capture_on_commit_callbacks(execute=True):
        assert tasks.resume_stalled_bulk_awards.delay().get() == 0


def test_a_job_whose_chunk_tasks_were_lost_resumes_and_awards_each_row_once(
    badge, coordinator, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(bulk_awards, "BULK_CHUNK_ROWS", 10)
    rows = bulk_awards.validate_bulk_award_csv(
        SimpleUploadedFile("f.csv", ("email\n" + "\n".join(emails(25))).encode())
    )
    real_apply_async = tasks.award_bulk_chunk.apply_async
    with monkeypatch.context() as worker:
        # Chunks 1 and 2 are lost (a worker killed with them, the broker restarted).
        worker.setattr(
            tasks.award_bulk_chunk,
            "apply_async",
            lambda args, kwargs=None, **options: (
                real_apply_async(args=args, kwargs=kwargs, **options) if args[1] == 0 else None
            ),
        )
        with django_capture_on_commit_callbacks(execute=True):
            bulk = bulk_awards.start_bulk_award(
                badge_class=badge, rows=rows, filename="f.csv", by=coordinator
            )
    bulk.refresh_from_db()
    assert (bulk.status, bulk.processed) == ("running", 10)

    with later(16), django_capture_on_commit_callbacks(execute=True):
        assert bulk_awards.resume_stalled_bulk_awards() == [bulk.pk]
    bulk.refresh_from_db()
    assert (bulk.status, bulk.processed, bulk.awarded, bulk.already_had) == ("done", 25, 25, 0)
    assert list(bulk.chunks.values_list("index", flat=True)) == [0, 1, 2]
    assert Assertion.objects.filter(badge_class=badge).count() == 25
    assert sorted(to for message in mailoutbox for to in message.to) == emails(25)


def test_a_job_still_moving_is_left_alone(badge, coordinator):
    bulk = BulkAward.objects.create(
        badge_class=badge, filename="f.csv", total=40, status=BulkAward.Status.RUNNING
    )
    with later(10):
        BulkAward.objects.filter(pk=bulk.pk).update(moved_at=timezone.now())  # a chunk done
    with later(20):
        assert bulk_awards.resume_stalled_bulk_awards() == []
    with later(26):
        # Requeued once, then moved: the next beat leaves it alone for another delay.
        assert bulk_awards.resume_stalled_bulk_awards() == [bulk.pk]
        assert bulk_awards.resume_stalled_bulk_awards() == []


def test_each_worker_queues_lost_work_when_it_starts():
    sent = []
    sender = SimpleNamespace(app=SimpleNamespace(send_task=sent.append))
    resume_lost_work(sender=sender)
    assert sent == list(RESUME_AT_WORKER_START)
    assert "badges.tasks.resume_stalled_bulk_awards" in sent
    assert "cotraining.tasks.retry_pending_notifications" in sent


def test_images_of_a_chunk_killed_before_commit_are_deleted_once_old(badge, coordinator):
    """A worker killed mid-chunk: its rows rolled back, its baked images stayed on disk."""
    import os

    from django.core.files.base import ContentFile

    storage = Assertion._meta.get_field("image").storage
    kept, _ = award_badge(badge_class=badge, email="kept@b.fr", source="bulk")
    orphan = storage.save("badges/assertions/orphan.png", ContentFile(b"png"))
    in_flight = storage.save("badges/assertions/in-flight.png", ContentFile(b"png"))
    two_hours_ago = (timezone.now() - timedelta(hours=2)).timestamp()
    for name in (orphan, kept.image.name):
        os.utime(storage.path(name), (two_hours_ago, two_hours_ago))

    assert bulk_awards.delete_orphan_assertion_images() == 1
    assert not storage.exists(orphan)
    assert storage.exists(kept.image.name)  # its row exists
    assert storage.exists(in_flight)  # too recent: a chunk may be about to commit it
    assert tasks.delete_orphan_assertion_images.delay().get() == 0
