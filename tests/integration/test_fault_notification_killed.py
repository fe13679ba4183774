"""`kill -9` of the worker while it sends a convocation (issue 15, "each email at most once and at
least once"): what happens to the email in flight, and to the one queued behind it.

A notification is sent under a lock on its row, and its outcome (status, attempts) commits in
the same transaction as the send: a worker killed mid-send rolls the whole attempt back, so the
row says "pending" and the next catch-up sends it again. The email in flight is the only one
whose fate the platform cannot know (the mail server may have it, as this test's server does);
it may arrive twice, once per crash, and nothing else does.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from cotraining.constants import NotificationKind, NotificationStatus
from cotraining.models import Notification
from tests.factories import SessionFactory, teacher, workshop_page
from tests.integration.faults import (
    Worker,
    age,
    celery_app_on,
    mail_server,
    redis_server,
    run_task,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_worker_killed_mid_send_sends_the_email_in_flight_again_and_nothing_else(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    session = SessionFactory(capacity=5, workshop=workshop_page(title="Atelier interrompu"))
    first, second = teacher(), teacher()

    def enrol(person):
        client.force_login(person)
        response = client.post(reverse("cotraining:enroll_session", args=[session.pk]))
        assert response.status_code == 302
        return Notification.objects.get(recipient=person, kind=NotificationKind.CONVOCATION)

    with (
        redis_server() as broker,
        celery_app_on(broker.url()) as app,
        mail_server() as mailbox,
    ):
        worker = Worker(
            broker.url(), media_root=tmp_path, smtp_port=mailbox.port, concurrency=1
        ).start(app)
        try:
            mailbox.hold_next()
            in_flight = enrol(first)
            wait_for(mailbox.holding.is_set, "the first convocation in flight", interval=0.01)
            worker.kill()
            queued = enrol(second)  # its task waits in the queue: nobody consumes it now
        finally:
            worker.stop()

        # The mail server has the first convocation; the row knows nothing of the attempt.
        assert mailbox.held_for == [first.email.lower()]
        assert mailbox.recipients == {first.email.lower(): 1}
        in_flight.refresh_from_db()
        assert (in_flight.status, in_flight.attempts) == (NotificationStatus.PENDING, 0)
        assert broker.queued() == 1

        # Later than the catch-up's delay (10 minutes): a new worker starts, queues both again
        # (cms.celery.resume_lost_work) and finds the second's own task as well.
        age(Notification.objects.all(), timedelta(minutes=11), "created_at")
        worker = Worker(broker.url(), media_root=tmp_path, smtp_port=mailbox.port).start(app)
        try:
            sent = Notification.objects.filter(status=NotificationStatus.SENT)
            wait_for(lambda: sent.count() == 2, "both convocations")
            wait_for(lambda: worker.idle(app, broker), "the worker to be idle")
            # Beat, later: nothing pending, nothing sent again.
            age(Notification.objects.all(), timedelta(hours=3), "created_at")
            assert run_task(app, "cotraining.tasks.retry_pending_notifications") == 0
            wait_for(lambda: worker.idle(app, broker), "the worker to be idle")
        finally:
            worker.stop()

    for notification in (in_flight, queued):
        notification.refresh_from_db()
        assert (notification.status, notification.attempts) == (NotificationStatus.SENT, 1)
    # The second convocation once, though two tasks delivered it (its own and the catch-up's);
    # the first twice: the copy the mail server had at the kill, and the catch-up's. At most
    # once per crash for the one email in flight, at least once for every email.
    assert mailbox.recipients == {first.email.lower(): 2, second.email.lower(): 1}
