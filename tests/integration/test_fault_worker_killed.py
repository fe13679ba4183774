"""`kill -9` of the worker in the middle of a 2,000-row bulk award and of an email send (issue 15,
fault 3): once a new worker has started and beat's catch-ups have run, the job is done, each row
is awarded exactly once, every recipient has their email, and no image is left without its row.

Both moments are held on purpose, so that the kill lands where it hurts on any machine:
- a chunk is in flight: a transaction of the test holds one of its rows (an uncommitted award to
  the same person), so the chunk waits with its 100 baked images already written;
- an email is in flight: the test's mail server holds one message, received whole, without
  answering; it delivers it after the kill (the worst case for the sender, which never learnt
  that it left).
The delays of the catch-ups (15 min, 2 h, 1 h) are not shortened: once every worker is dead, the
rows and files are aged instead (`age`), as the clock would have done.
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from badges.models import Assertion, BulkAward, Issuer
from badges.services.versions import publish_version
from cotraining.constants import Role
from cotraining.services import grant_role
from tests.factories import UserFactory, academie, make_badge_class
from tests.integration.faults import (
    HeldTransaction,
    Worker,
    age,
    age_files,
    celery_app_on,
    mail_server,
    redis_server,
    run_task,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS = 2000  # 20 chunks of 100
HELD_ROW = 1050  # in chunk 10


def image_files(media_root):
    folder = media_root / "badges" / "assertions"
    return (
        {f"badges/assertions/{path.name}" for path in folder.iterdir()}
        if folder.exists()
        else set()
    )


def test_a_worker_killed_mid_award_and_mid_email_leaves_nothing_lost_or_doubled(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    coordinator = UserFactory()
    grant_role(user=coordinator, role=Role.COORDINATOR, academie=academie("13"))
    issuer = Issuer.objects.create(
        name="DANE", url="https://www.ac-poitiers.fr", email="dane@ac.fr", academie=academie("13")
    )
    badge = make_badge_class(issuer, name="Contributeur")
    version = publish_version(badge_class=badge)
    emails = [f"enseignant{i:04d}@ac-poitiers.fr" for i in range(ROWS)]

    def award_the_held_row():
        Assertion(
            badge_class=badge, version=version, recipient_email=emails[HELD_ROW], source="bulk"
        ).save()

    with (
        redis_server() as broker,
        celery_app_on(broker.url()) as app,
        mail_server() as mailbox,
    ):
        worker = Worker(broker.url(), media_root=tmp_path, smtp_port=mailbox.port).start(app)
        try:
            with HeldTransaction(award_the_held_row) as held:
                client.force_login(coordinator)
                upload = SimpleUploadedFile("f.csv", ("email\n" + "\n".join(emails)).encode())
                response = client.post(
                    reverse("badges:bulk_award"), {"badge_class": badge.pk, "file": upload}
                )
                assert response.status_code == 302
                (bulk,) = BulkAward.objects.all()
                wait_for(lambda: held.waiters() == 1, "chunk 10 in flight")
                # Chunks 11 to 19 and their emails are still to come: hold the next email.
                mailbox.hold_next()
                wait_for(mailbox.holding.is_set, "an email in flight", interval=0.01)
                worker.kill()
                held.rollback()
        finally:
            worker.stop()

        # What the kill left: the job "running", part done; chunk 10's images on disk without
        # their rows; one email whose fate the sender never learnt.
        bulk.refresh_from_db()
        assert bulk.status == BulkAward.Status.RUNNING
        assert 0 < bulk.processed < ROWS
        assert 10 not in set(bulk.chunks.values_list("index", flat=True))
        orphans = image_files(tmp_path) - set(Assertion.objects.values_list("image", flat=True))
        assert len(orphans) == 100
        (in_flight,) = mailbox.held_for
        uncertain = Assertion.objects.get(recipient_email=in_flight)
        assert uncertain.emailing_started_at is not None
        assert uncertain.emailed_at is None
        assert mailbox.recipients[in_flight] == 1  # it left

        # Later: the job has not moved for 15 minutes, the claims are 2 hours old, the orphan
        # images an hour old. A new worker starts (it resumes stalled jobs at start) and beat
        # runs the email and image catch-ups.
        age(BulkAward.objects.all(), timedelta(minutes=20), "moved_at")
        age(Assertion.objects.all(), timedelta(minutes=20), "created_at")
        age(
            Assertion.objects.filter(emailing_started_at__isnull=False),
            timedelta(hours=3),
            "emailing_started_at",
        )
        age_files(tmp_path, timedelta(hours=2))
        worker = Worker(broker.url(), media_root=tmp_path, smtp_port=mailbox.port).start(app)
        try:
            assert run_task(app, "badges.tasks.delete_orphan_assertion_images") == 100
            run_task(app, "badges.tasks.email_unsent_awards")
            wait_for(lambda: worker.idle(app, broker), "the worker to be idle")
            bulk.refresh_from_db()
            if bulk.status != BulkAward.Status.DONE:
                # Chunks of the job still queued at the kill ran first and moved it, so its
                # resume at start found it moving: only chunk 10, lost with the dead worker, is
                # missing. Beat queues it again 15 minutes after the job's last move.
                assert bulk.processed == ROWS - 100
                assert 10 not in set(bulk.chunks.values_list("index", flat=True))
                age(BulkAward.objects.all(), timedelta(minutes=20), "moved_at")
                assert run_task(app, "badges.tasks.resume_stalled_bulk_awards") == 1
            done = BulkAward.objects.filter(pk=bulk.pk, status=BulkAward.Status.DONE)
            wait_for(
                done.exists,
                "the bulk award to resume and finish",
                state=lambda: BulkAward.objects.values(
                    "status", "processed", "errors", "moved_at", "requeued_at"
                ).get(pk=bulk.pk),
            )
            unsent = Assertion.objects.filter(emailed_at__isnull=True)
            wait_for(lambda: not unsent.exists(), "every award email")
            # Beat again: nothing left to do.
            assert run_task(app, "badges.tasks.resume_stalled_bulk_awards") == 0
            assert run_task(app, "badges.tasks.email_unsent_awards") == 0
            wait_for(lambda: worker.idle(app, broker), "the worker to be idle")
        finally:
            worker.stop()

    bulk.refresh_from_db()
    assert (bulk.status, bulk.processed, bulk.awarded, bulk.already_had) == ("done", ROWS, ROWS, 0)
    assert list(bulk.chunks.values_list("index", flat=True)) == list(range(20))
    assert sorted(Assertion.objects.values_list("recipient_email", flat=True)) == emails
    # Every image on disk belongs to its assertion, and every assertion has its image.
    images = set(Assertion.objects.values_list("image", flat=True))
    assert "" not in images
    assert image_files(tmp_path) == images
    # Exactly once per recipient, but for the one email in flight at the kill: the mail server
    # had it, the sender never learnt so, and the catch-up sent it again once its claim was two
    # hours old (at least once beats at most once: OPERATIONS.md). Nothing else twice.
    assert mailbox.recipients == {**dict.fromkeys(emails, 1), in_flight: 2}
    assert sum(mailbox.recipients.values()) == ROWS + 1
