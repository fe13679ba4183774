"""Enrolment services: capacity, waiting list, promotion, approval, cancellation, notifications."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cotraining.constants import (
    EnrollmentMode,
    EnrollmentStatus,
    NotificationKind,
    NotificationStatus,
    Role,
)
from cotraining.exceptions import ServiceError
from cotraining.models import Enrollment, Notification
from cotraining.services import (
    approve_enrollment,
    cancel_enrollment,
    cancel_session,
    enroll,
    enroll_in_workshop,
    grant_role,
    refuse_enrollment,
    remove_participant,
    save_session,
)
from tests.factories import (
    EstablishmentFactory,
    SessionFactory,
    UserFactory,
    teacher,
    workshop_page,
)

pytestmark = pytest.mark.django_db


def positions(session):
    rows = Enrollment.objects.filter(session=session).with_waitlist_position().waiting_queue()
    return [(row.user_id, row.waitlist_position) for row in rows]


@pytest.fixture
def session():
    return SessionFactory(capacity=2)


def kinds(enrollment):
    return sorted(enrollment.notifications.values_list("kind", flat=True))


def test_a_teacher_gets_a_seat_and_a_convocation_with_pdf_and_invitation(
    session, django_capture_on_commit_callbacks
):
    person = teacher()
    with django_capture_on_commit_callbacks(execute=True):
        result = enroll(user=person, session=session)
    enrollment = result.enrollment
    assert result.changed
    assert enrollment.status == EnrollmentStatus.CONFIRMED
    assert enrollment.confirmed_at is not None
    assert kinds(enrollment) == [NotificationKind.CONVOCATION]
    assert enrollment.notifications.get().status == NotificationStatus.SENT
    (message,) = mail.outbox
    assert message.to == [person.email]
    assert "Convocation" in message.subject
    names = [name for name, _content, _type in message.attachments]
    assert names == ["convocation.pdf", "invitation.ics"]
    assert message.attachments[0][1].startswith(b"%PDF")
    assert "METHOD:REQUEST" in message.attachments[1][1]


def test_when_full_people_queue_in_order_and_see_their_position(session):
    seated = [enroll(user=teacher(), session=session).enrollment for _ in range(2)]
    first, second = teacher(), teacher()
    waiting = enroll(user=first, session=session).enrollment
    enroll(user=second, session=session)
    assert {e.status for e in seated} == {EnrollmentStatus.CONFIRMED}
    assert waiting.status == EnrollmentStatus.WAITLISTED
    assert positions(session) == [(first.pk, 1), (second.pk, 2)]
    assert kinds(waiting) == [NotificationKind.WAITLISTED]


def test_enrolling_twice_is_a_no_op(session, django_capture_on_commit_callbacks):
    person = teacher()
    with django_capture_on_commit_callbacks(execute=True):
        enroll(user=person, session=session)
        again = enroll(user=person, session=session)
    assert not again.changed
    assert Enrollment.objects.filter(user=person).count() == 1
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": "cancelled"}, "session_cancelled"),
        ({"enrollment_closes": "past"}, "enrollment_closed"),
        ({"enrollment_opens": "future"}, "enrollment_not_open"),
        ({"start": "past"}, "session_started"),
    ],
)
def test_enrolment_is_refused_with_a_reason(session, change, code):
    now = timezone.now()
    for field, value in change.items():
        if value == "past" and field == "start":
            session.start, session.end = now - timedelta(hours=1), now + timedelta(hours=2)
        elif value == "past":
            setattr(session, field, now - timedelta(minutes=1))
        elif value == "future":
            setattr(session, field, now + timedelta(days=1))
        else:
            setattr(session, field, value)
    session.save()
    with pytest.raises(ServiceError) as error:
        enroll(user=teacher(), session=session)
    assert error.value.code == code
    assert str(error.value.message)
    assert not Enrollment.objects.exists()


def test_only_teachers_enrol(session):
    with pytest.raises(ServiceError) as error:
        enroll(user=UserFactory(), session=session)
    assert error.value.code == "not_a_teacher"
    assert not Enrollment.objects.exists()


def test_a_cancelled_seat_goes_to_the_first_in_line_who_is_told(
    session, django_capture_on_commit_callbacks
):
    seated = [enroll(user=teacher(), session=session).enrollment for _ in range(2)]
    first, second = teacher(), teacher()
    enroll(user=first, session=session)
    enroll(user=second, session=session)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_enrollment(enrollment=seated[0], by=seated[0].user)
    promoted = Enrollment.objects.get(user=first)
    assert promoted.status == EnrollmentStatus.CONFIRMED
    assert NotificationKind.PROMOTED in kinds(promoted)
    assert positions(session) == [(second.pk, 1)]
    assert Enrollment.objects.get(pk=seated[0].pk).status == EnrollmentStatus.CANCELLED
    subjects = sorted(m.subject for m in mail.outbox)
    assert any("place s'est libérée" in s for s in subjects)
    assert any("annulée" in s for s in subjects)
    cancelled_mail = next(m for m in mail.outbox if m.to == [seated[0].user.email])
    assert "METHOD:CANCEL" in cancelled_mail.attachments[0][1]


def test_cancelling_twice_promotes_once(session):
    seated = [enroll(user=teacher(), session=session).enrollment for _ in range(2)]
    waiting = [enroll(user=teacher(), session=session).enrollment for _ in range(2)]
    cancel_enrollment(enrollment=seated[0], by=seated[0].user)
    cancel_enrollment(enrollment=seated[0], by=seated[0].user)
    statuses = [Enrollment.objects.get(pk=e.pk).status for e in waiting]
    assert statuses == [EnrollmentStatus.CONFIRMED, EnrollmentStatus.WAITLISTED]


def test_after_the_deadline_a_seat_is_kept_but_a_waitlist_place_can_be_left(session):
    session.enrollment_closes = timezone.now() + timedelta(hours=1)
    session.save()
    seated = [enroll(user=teacher(), session=session).enrollment for _ in range(2)]
    waiting = enroll(user=teacher(), session=session).enrollment
    session.enrollment_closes = timezone.now() - timedelta(minutes=1)
    session.save()
    with pytest.raises(ServiceError) as error:
        cancel_enrollment(enrollment=seated[0], by=seated[0].user)
    assert error.value.code == "cancellation_closed"
    assert Enrollment.objects.get(pk=seated[0].pk).status == EnrollmentStatus.CONFIRMED
    cancel_enrollment(enrollment=waiting, by=waiting.user)
    assert Enrollment.objects.get(pk=waiting.pk).status == EnrollmentStatus.CANCELLED


def test_a_trainer_removing_someone_frees_the_seat(session):
    seated = [enroll(user=teacher(), session=session).enrollment for _ in range(2)]
    waiting = enroll(user=teacher(), session=session).enrollment
    trainer = UserFactory()
    remove_participant(enrollment=seated[1], by=trainer)
    assert Enrollment.objects.get(pk=waiting.pk).status == EnrollmentStatus.CONFIRMED
    removed = Enrollment.objects.get(pk=seated[1].pk)
    assert (removed.status, removed.cancelled_by) == (EnrollmentStatus.CANCELLED, trainer)


def test_raising_capacity_promotes_the_next_in_line(session):
    for _ in range(5):
        enroll(user=teacher(), session=session)
    save_session(session=session, capacity=4)
    statuses = list(Enrollment.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [EnrollmentStatus.CONFIRMED] * 4 + [EnrollmentStatus.WAITLISTED]
    assert len(positions(session)) == 1


def test_changing_time_sends_updated_invitations_but_capacity_alone_does_not(
    session, django_capture_on_commit_callbacks
):
    person = teacher()
    enroll(user=person, session=session)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        save_session(session=session, capacity=10)
    assert mail.outbox == []
    assert session.ical_sequence == 0
    with django_capture_on_commit_callbacks(execute=True):
        save_session(
            session=session,
            start=session.start + timedelta(hours=1),
            end=session.end + timedelta(hours=1),
        )
    assert session.ical_sequence == 1
    (message,) = mail.outbox
    assert "modifiée" in message.subject
    assert "SEQUENCE:1" in message.attachments[1][1]


def test_cancelling_a_session_tells_everyone_enrolled_or_waiting(
    session, django_capture_on_commit_callbacks
):
    people = [teacher() for _ in range(3)]
    for person in people:
        enroll(user=person, session=session)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_session(session=session, reason="Formateur malade")
        cancel_session(session=session, reason="Formateur malade")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    for message in mail.outbox:
        assert "Formateur malade" in message.body
        assert "METHOD:CANCEL" in message.attachments[0][1]


# --- Line-manager approval --------------------------------------------------------------------


@pytest.fixture
def school():
    return EstablishmentFactory()


@pytest.fixture
def head(school):
    person = UserFactory()
    grant_role(user=person, role=Role.SCHOOL_HEAD, establishment=school)
    return person


@pytest.fixture
def approval_session():
    return SessionFactory(capacity=1, workshop=workshop_page(approval_required=True))


def test_approval_holds_no_seat_until_the_head_agrees(
    approval_session, school, head, django_capture_on_commit_callbacks
):
    person = teacher(establishment=school)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll(user=person, session=approval_session).enrollment
    assert enrollment.status == EnrollmentStatus.PENDING_APPROVAL
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == sorted([person.email, head.email])
    request = next(m for m in mail.outbox if m.to == [head.email])
    assert "/accords/" in request.body
    other = teacher()  # no approval needed for… nobody: the workshop requires it for all
    other.establishment = school
    other.save()
    enroll(user=other, session=approval_session)
    approve_enrollment(enrollment=enrollment, by=head)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.decided_by) == (EnrollmentStatus.CONFIRMED, head)
    # The second approval finds the only seat taken: approval does not bypass capacity.
    second = Enrollment.objects.get(user=other)
    approve_enrollment(enrollment=second, by=head)
    second.refresh_from_db()
    assert second.status == EnrollmentStatus.WAITLISTED


def test_a_refusal_is_told_and_final(approval_session, school, head):
    person = teacher(establishment=school)
    enrollment = enroll(user=person, session=approval_session).enrollment
    refuse_enrollment(enrollment=enrollment, by=head)
    refuse_enrollment(enrollment=enrollment, by=head)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REFUSED
    assert NotificationKind.REFUSED in kinds(enrollment)
    with pytest.raises(ServiceError) as error:
        enroll(user=person, session=approval_session)
    assert error.value.code == "enrollment_refused"


def test_approval_needs_the_teachers_establishment(approval_session):
    with pytest.raises(ServiceError) as error:
        enroll(user=teacher(), session=approval_session)
    assert error.value.code == "no_establishment"


# --- A course over several dates --------------------------------------------------------------


def test_a_course_enrols_in_all_its_sessions_or_none():
    workshop = workshop_page(enrollment_mode=EnrollmentMode.COURSE)
    first = SessionFactory(workshop=workshop)
    second = SessionFactory(workshop=workshop, start=first.start + timedelta(days=7))
    person = teacher()
    results = enroll_in_workshop(user=person, workshop=workshop)
    assert {r.enrollment.session_id for r in results} == {first.pk, second.pk}
    # enrol() on one session of a course also takes them all (here: a repeat, no change)
    assert not enroll(user=person, session=second).changed

    other = teacher()
    second.enrollment_closes = timezone.now() - timedelta(minutes=1)
    second.save()
    with pytest.raises(ServiceError):
        enroll_in_workshop(user=other, workshop=workshop)
    assert not Enrollment.objects.filter(user=other).exists()


def test_cancel_and_enrol_again_sends_only_the_latest_convocation(session):
    from cotraining.services import deliver_notification

    person = teacher()
    first = enroll(user=person, session=session).enrollment  # its email task "lost"
    cancel_enrollment(enrollment=first, by=person)
    enroll(user=person, session=session)
    convocations = Notification.objects.filter(kind=NotificationKind.CONVOCATION).order_by("pk")
    assert convocations.count() == 2
    mail.outbox.clear()
    statuses = [deliver_notification(notification_id=n.pk) for n in convocations]
    assert statuses == [NotificationStatus.SKIPPED, NotificationStatus.SENT]
    assert len(mail.outbox) == 1
