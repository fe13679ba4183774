"""Reminders by beat with a frozen clock: due once, sent once, whatever beat or workers do."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from cotraining.constants import Modality, NotificationKind, NotificationStatus
from cotraining.models import Notification
from cotraining.services import (
    cancel_enrollment,
    deliver_notification,
    enroll,
    queue_due_reminders,
    save_session,
)
from cotraining.tasks import retry_pending_notifications, send_due_reminders
from tests.factories import SessionFactory, teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def remote_session():
    return SessionFactory(
        modality=Modality.REMOTE,
        establishment=None,
        visio_url="https://visio.education.fr/meeting/123456",
    )


def enrolled_days_before(session, days, capture):
    """Enrol `days` before the session (so the convocation is not itself the reminder)."""
    person = teacher()
    with (
        time_machine.travel(session.start - timedelta(days=days), tick=False),
        capture(execute=True),
    ):
        enrollment = enroll(user=person, session=session).enrollment
    mail.outbox.clear()
    return enrollment


def reminders(kind):
    return Notification.objects.filter(kind=kind)


def test_the_days_before_reminder_is_sent_once_even_if_beat_runs_twice(
    settings, django_capture_on_commit_callbacks
):
    settings.REMINDER_DAYS_BEFORE = 2
    session = SessionFactory()
    enrollment = enrolled_days_before(session, 9, django_capture_on_commit_callbacks)
    with time_machine.travel(session.start - timedelta(days=3), tick=False):
        assert queue_due_reminders() == 0  # not yet
    with time_machine.travel(session.start - timedelta(days=2, minutes=-1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert send_due_reminders.delay().get() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert send_due_reminders.delay().get() == 0
            assert queue_due_reminders() == 0
    (message,) = mail.outbox
    assert message.to == [enrollment.user.email]
    assert "Rappel" in message.subject
    reminder = reminders(NotificationKind.REMINDER_DAYS).get()
    assert (reminder.status, reminder.attempts) == (NotificationStatus.SENT, 1)
    # A worker retrying the same delivery sends nothing more.
    assert deliver_notification(notification_id=reminder.pk) == NotificationStatus.SENT
    assert len(mail.outbox) == 1


def test_a_remote_session_also_gets_the_link_an_hour_before(
    remote_session, django_capture_on_commit_callbacks
):
    enrolled_days_before(remote_session, 9, django_capture_on_commit_callbacks)
    with time_machine.travel(remote_session.start - timedelta(minutes=50), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            queue_due_reminders()
            queue_due_reminders()
    kinds = sorted(
        Notification.objects.filter(kind__startswith="reminder").values_list("kind", flat=True)
    )
    assert kinds == [NotificationKind.REMINDER_DAYS, NotificationKind.REMINDER_HOUR]
    hour = next(m for m in mail.outbox if "Dans une heure" in m.subject)
    assert "https://visio.education.fr/meeting/123456" in hour.body


def test_no_reminder_for_someone_who_cancelled(django_capture_on_commit_callbacks):
    session = SessionFactory()
    enrollment = enrolled_days_before(session, 9, django_capture_on_commit_callbacks)
    cancel_enrollment(enrollment=enrollment, by=enrollment.user)
    with time_machine.travel(session.start - timedelta(days=1), tick=False):
        assert queue_due_reminders() == 0
    assert not reminders(NotificationKind.REMINDER_DAYS).exists()


def test_a_reminder_recorded_before_a_cancellation_is_skipped_not_sent(
    django_capture_on_commit_callbacks,
):
    session = SessionFactory()
    enrollment = enrolled_days_before(session, 9, django_capture_on_commit_callbacks)
    with time_machine.travel(session.start - timedelta(days=1), tick=False):
        queue_due_reminders()  # recorded; its task is lost (no on-commit execution here)
        cancel_enrollment(enrollment=enrollment, by=enrollment.user)
        reminder = reminders(NotificationKind.REMINDER_DAYS).get()
        mail.outbox.clear()
        assert deliver_notification(notification_id=reminder.pk) == NotificationStatus.SKIPPED
    assert mail.outbox == []


def test_a_moved_session_gets_a_new_reminder_for_its_new_date(django_capture_on_commit_callbacks):
    session = SessionFactory()
    enrolled_days_before(session, 9, django_capture_on_commit_callbacks)
    with time_machine.travel(session.start - timedelta(days=1), tick=False):
        queue_due_reminders()
        save_session(
            session=session,
            start=session.start + timedelta(days=1),
            end=session.end + timedelta(days=1),
        )
    with time_machine.travel(session.start - timedelta(days=1), tick=False):
        assert queue_due_reminders() == 1
    assert reminders(NotificationKind.REMINDER_DAYS).count() == 2


def test_confirmed_the_day_before_the_convocation_is_the_reminder(
    django_capture_on_commit_callbacks,
):
    session = SessionFactory()
    with time_machine.travel(session.start - timedelta(hours=20), tick=False):
        enroll(user=teacher(), session=session)
        assert queue_due_reminders() == 0


def test_beat_sends_again_the_emails_still_pending_after_commit(
    django_capture_on_commit_callbacks,
):
    session = SessionFactory()
    enrollment = enrolled_days_before(session, 9, django_capture_on_commit_callbacks)
    convocation = Notification.objects.get(enrollment=enrollment)
    # As if its task had been lost: still pending, recorded a while ago.
    Notification.objects.filter(pk=convocation.pk).update(status=NotificationStatus.PENDING)
    with time_machine.travel(session.start - timedelta(days=9, minutes=-5), tick=False):
        assert retry_pending_notifications.delay().get() == 0  # recorded too recently
    with (
        time_machine.travel(session.start - timedelta(days=9, minutes=-11), tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        assert retry_pending_notifications.delay().get() == 1
        assert not mail.outbox  # enqueued once the transaction commits, not before
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    convocation.refresh_from_db()
    assert convocation.status == NotificationStatus.SENT
