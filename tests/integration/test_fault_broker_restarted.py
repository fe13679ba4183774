"""The broker's Redis restarted in the middle of a 2,000-row bulk award (issue 15, fault 4): what it
held is gone (queued chunks, queued emails), the worker reconnects, `/health/` says "degraded"
while the job is stalled, and beat's catch-ups bring it to exactly one award and one email per
row. No worker dies here, so no email is uncertain: every count is exact.

The restart lands at a known moment: a transaction of the test holds a row of chunk 2 and one of
chunk 3, so both worker processes wait inside a chunk while chunks 4 to 19 wait in Redis.
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
    celery_app_on,
    forget_connections,
    mail_server,
    redis_server,
    run_task,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS = 2000  # 20 chunks of 100
HELD_ROWS = (250, 350)  # in chunks 2 and 3


def test_a_broker_restarted_mid_job_loses_no_award_and_no_email(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    coordinator = UserFactory()
    grant_role(user=coordinator, role=Role.COORDINATOR, academie=academie("13"))
    issuer = Issuer.objects.create(
        name="DANE", url="https://www.ac-poitiers.fr", email="dane@ac.fr", academie=academie("13")
    )
    badge = make_badge_class(issuer, name="Contributeur")
    version = publish_version(badge_class=badge)
    emails = [f"formateur{i:04d}@ac-poitiers.fr" for i in range(ROWS)]

    def award_the_held_rows():
        for row in HELD_ROWS:
            Assertion(
                badge_class=badge, version=version, recipient_email=emails[row], source="bulk"
            ).save()

    def health():
        return client.get("/health/").json()["status"]

    with (
        redis_server() as broker,
        celery_app_on(broker.url()) as app,
        mail_server() as mailbox,
    ):
        worker = Worker(broker.url(), media_root=tmp_path, smtp_port=mailbox.port).start(app)
        try:
            with HeldTransaction(award_the_held_rows) as held:
                client.force_login(coordinator)
                upload = SimpleUploadedFile("f.csv", ("email\n" + "\n".join(emails)).encode())
                response = client.post(
                    reverse("badges:bulk_award"), {"badge_class": badge.pk, "file": upload}
                )
                assert response.status_code == 302
                (bulk,) = BulkAward.objects.all()
                wait_for(lambda: held.waiters() == 2, "chunks 2 and 3 in flight")
                assert broker.queued() >= 16  # chunks 4 to 19, and emails of chunks 0 and 1
                broker.restart()
                assert broker.queued() == 0
                forget_connections(app)  # this process's pooled connections went with it
                held.rollback()  # chunks 2 and 3 go on, on a worker that reconnects
            wait_for(
                lambda: worker.idle(app, broker),
                "the worker to reconnect and finish what it had in hand",
            )

            # Stalled: chunks 0 to 3 done, the others gone with Redis's memory.
            bulk.refresh_from_db()
            assert (bulk.status, bulk.processed) == (BulkAward.Status.RUNNING, 400)
            assert list(bulk.chunks.values_list("index", flat=True)) == [0, 1, 2, 3]
            # Half an hour later /health/ says so; beat queues the job again.
            age(BulkAward.objects.all(), timedelta(minutes=31), "moved_at")
            assert health() == "degraded"
            assert run_task(app, "badges.tasks.resume_stalled_bulk_awards") == 1
            done = BulkAward.objects.filter(pk=bulk.pk, status=BulkAward.Status.DONE)
            wait_for(done.exists, "the bulk award to finish")
            assert health() == "ok"
            wait_for(lambda: worker.idle(app, broker), "the worker to be idle")
            # The award emails whose tasks Redis lost: beat's catch-up, 15 minutes on.
            age(Assertion.objects.all(), timedelta(minutes=20), "created_at")
            run_task(app, "badges.tasks.email_unsent_awards")
            unsent = Assertion.objects.filter(emailed_at__isnull=True)
            wait_for(lambda: not unsent.exists(), "every award email")
            assert run_task(app, "badges.tasks.email_unsent_awards") == 0
            assert run_task(app, "badges.tasks.resume_stalled_bulk_awards") == 0
            wait_for(lambda: worker.idle(app, broker), "the worker to be idle")
        finally:
            worker.stop()

    bulk.refresh_from_db()
    assert (bulk.status, bulk.processed, bulk.awarded, bulk.already_had) == ("done", ROWS, ROWS, 0)
    assert list(bulk.chunks.values_list("index", flat=True)) == list(range(20))
    assert sorted(Assertion.objects.values_list("recipient_email", flat=True)) == emails
    assert mailbox.recipients == dict.fromkeys(emails, 1)
