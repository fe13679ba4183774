"""Attendance sheet, self check-in with a rotating code, completion and its signals."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from cotraining.constants import Attendance, EnrollmentMode, EnrollmentStatus
from cotraining.exceptions import ServiceError
from cotraining.models import Completion, Enrollment
from cotraining.services import (
    check_in,
    checkin_code,
    complete_ended_attendance,
    complete_ended_sessions,
    enroll,
    record_attendance,
    school_year_of,
)
from cotraining.signals import completion_withdrawn, workshop_completed
from tests.factories import SessionFactory, UserFactory, teacher, workshop_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return SessionFactory(capacity=5)


@pytest.fixture
def enrollment(session):
    return enroll(user=teacher(), session=session).enrollment


@pytest.fixture
def trainer():
    return UserFactory()


@pytest.fixture
def heard():
    """Collect what the co-training layer announces (as the badges layer would hear it)."""
    events = []

    def completed(sender, completion, **kwargs):
        events.append(("completed", completion.user_id, completion.workshop_id))

    def withdrawn(sender, user, workshop, **kwargs):
        events.append(("withdrawn", user.pk, workshop.pk))

    workshop_completed.connect(completed, dispatch_uid="test-completed")
    completion_withdrawn.connect(withdrawn, dispatch_uid="test-withdrawn")
    yield events
    workshop_completed.disconnect(dispatch_uid="test-completed")
    completion_withdrawn.disconnect(dispatch_uid="test-withdrawn")


def during(session, minutes=30):
    return time_machine.travel(session.start + timedelta(minutes=minutes), tick=False)


def after(session, minutes=30):
    """Once the session is over: attendance recorded then completes the workshop at once."""
    return time_machine.travel(session.end + timedelta(minutes=minutes), tick=False)


def test_present_counts_the_session_hours_and_completes_once(
    session, enrollment, trainer, heard, django_capture_on_commit_callbacks
):
    with after(session), django_capture_on_commit_callbacks(execute=True):
        record_attendance(enrollment=enrollment, attendance=Attendance.PRESENT, by=trainer)
        record_attendance(enrollment=enrollment, attendance=Attendance.PRESENT, by=trainer)
    enrollment.refresh_from_db()
    assert enrollment.hours_attended == Decimal("3.00")
    assert enrollment.attendance_recorded_by == trainer
    completion = Completion.objects.get(user=enrollment.user)
    assert (completion.hours, completion.sessions_attended) == (Decimal("3.00"), 1)
    assert completion.school_year == school_year_of(session.start)
    assert completion.certificate_number.startswith("EP-")
    assert heard == [("completed", enrollment.user_id, session.workshop_id)]


def test_partial_needs_hours_within_the_session(session, enrollment, trainer):
    with after(session):
        for hours in (None, "abc", "0", "3", "-1"):
            with pytest.raises(ServiceError) as error:
                record_attendance(
                    enrollment=enrollment, attendance=Attendance.PARTIAL, hours=hours, by=trainer
                )
            assert error.value.code == "bad_hours"
        record_attendance(
            enrollment=enrollment, attendance=Attendance.PARTIAL, hours="1,5", by=trainer
        )
    enrollment.refresh_from_db()
    assert enrollment.hours_attended == Decimal("1.50")
    assert Completion.objects.get().hours == Decimal("1.50")


def test_correcting_to_absent_withdraws_the_completion(
    session, enrollment, trainer, heard, django_capture_on_commit_callbacks
):
    with after(session), django_capture_on_commit_callbacks(execute=True):
        record_attendance(enrollment=enrollment, attendance=Attendance.PRESENT, by=trainer)
        record_attendance(enrollment=enrollment, attendance=Attendance.ABSENT, by=trainer)
    assert not Completion.objects.exists()
    assert [event[0] for event in heard] == ["completed", "withdrawn"]


def test_attendance_waits_for_the_session_and_for_a_confirmed_seat(session, trainer):
    seated = enroll(user=teacher(), session=session).enrollment
    with pytest.raises(ServiceError) as error:
        record_attendance(enrollment=seated, attendance=Attendance.PRESENT, by=trainer)
    assert error.value.code == "session_not_started"
    waiting = Enrollment.objects.create(
        session=session,
        user=teacher(),
        status=EnrollmentStatus.WAITLISTED,
        waitlisted_at=timezone.now(),
    )
    with during(session), pytest.raises(ServiceError) as error:
        record_attendance(enrollment=waiting, attendance=Attendance.PRESENT, by=trainer)
    assert error.value.code == "not_confirmed"


def test_a_course_completes_at_its_share_of_sessions(trainer):
    workshop = workshop_page(enrollment_mode=EnrollmentMode.COURSE, completion_threshold=50)
    first = SessionFactory(workshop=workshop)
    second = SessionFactory(workshop=workshop, start=first.start + timedelta(days=7))
    third = SessionFactory(workshop=workshop, start=first.start + timedelta(days=14))
    person = teacher()
    enroll(user=person, session=first)
    rows = {e.session_id: e for e in Enrollment.objects.filter(user=person)}
    assert set(rows) == {first.pk, second.pk, third.pk}
    with after(first):
        record_attendance(enrollment=rows[first.pk], attendance=Attendance.PRESENT, by=trainer)
    assert not Completion.objects.exists()  # 1 of 3 < 50 %
    with after(second):
        record_attendance(
            enrollment=rows[second.pk], attendance=Attendance.PARTIAL, hours="2", by=trainer
        )
    completion = Completion.objects.get()
    assert (completion.sessions_attended, completion.hours) == (2, Decimal("5.00"))


# --- Self check-in ----------------------------------------------------------------------------


def test_check_in_accepts_the_current_and_neighbouring_codes_only(session, enrollment):
    start = session.start + timedelta(minutes=5)
    with time_machine.travel(start, tick=False):
        shown = checkin_code(session=session)
    # The participant's phone is 25 s behind or ahead: still accepted (previous / next code).
    with time_machine.travel(start + timedelta(seconds=25), tick=False):
        checked = check_in(user=enrollment.user, code=f"{shown[:3]} {shown[3:]}")
    assert checked.attendance == Attendance.PRESENT
    assert checked.checked_in_at is not None

    late = Enrollment.objects.create(
        session=session, user=teacher(), status=EnrollmentStatus.CONFIRMED
    )
    with (
        time_machine.travel(start + timedelta(minutes=2), tick=False),
        pytest.raises(ServiceError) as error,
    ):
        check_in(user=late.user, code=shown)
    assert error.value.code == "bad_code"


def test_check_in_is_idempotent_and_keeps_the_trainers_correction(session, enrollment, trainer):
    with during(session, minutes=1):
        code = checkin_code(session=session)
        check_in(user=enrollment.user, code=code)
        first = Enrollment.objects.get(pk=enrollment.pk).checked_in_at
        check_in(user=enrollment.user, code=code)
        assert Enrollment.objects.get(pk=enrollment.pk).checked_in_at == first
        record_attendance(enrollment=enrollment, attendance=Attendance.ABSENT, by=trainer)
    assert Enrollment.objects.get(pk=enrollment.pk).attendance == Attendance.ABSENT


def test_check_in_only_when_open_and_only_for_participants(session, enrollment):
    with during(session, minutes=1):
        code = checkin_code(session=session)
    stranger = teacher()
    with during(session, minutes=1), pytest.raises(ServiceError) as error:
        check_in(user=stranger, code=code, session=session)
    assert error.value.code == "not_enrolled"
    with time_machine.travel(session.start - timedelta(hours=2), tick=False):
        early = checkin_code(session=session)
        with pytest.raises(ServiceError) as error:
            check_in(user=enrollment.user, code=early)
    assert error.value.code == "checkin_closed"
    assert Enrollment.objects.get(pk=enrollment.pk).attendance == ""


def test_no_code_is_valid_before_the_trainer_shows_one(session, enrollment):
    with during(session, minutes=1), pytest.raises(ServiceError) as error:
        check_in(user=enrollment.user, code="123456")
    assert error.value.code == "bad_code"


def test_school_years_run_from_september():
    paris = timezone.get_current_timezone()
    assert school_year_of(timezone.datetime(2026, 9, 1, 8, tzinfo=paris)) == "2026-2027"
    assert school_year_of(timezone.datetime(2027, 8, 31, 8, tzinfo=paris)) == "2026-2027"


def test_once_marked_present_the_seat_is_neither_cancelled_nor_removed(
    session, enrollment, trainer
):
    from cotraining.services import cancel_enrollment, remove_participant

    with during(session, minutes=-20):  # check-in open, the seat could still be given back
        record_attendance(enrollment=enrollment, attendance=Attendance.PRESENT, by=trainer)
        for attempt in (
            lambda: cancel_enrollment(enrollment=enrollment, by=enrollment.user),
            lambda: remove_participant(enrollment=enrollment, by=trainer),
        ):
            with pytest.raises(ServiceError) as error:
                attempt()
            assert error.value.code == "attendance_recorded"
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.attendance) == (
        EnrollmentStatus.CONFIRMED,
        Attendance.PRESENT,
    )
    # Presence before the start is not training done: no completion until the session is over.
    assert not Completion.objects.filter(user=enrollment.user).exists()


def test_the_participant_is_told_they_checked_in_not_the_trainers_advice(session, enrollment):
    from cotraining.services import cancel_enrollment

    with during(session, minutes=-27):
        check_in(user=enrollment.user, code=checkin_code(session=session))
        with pytest.raises(ServiceError) as error:
            cancel_enrollment(enrollment=enrollment, by=enrollment.user)
    assert "Votre présence à cette séance est déjà enregistrée" in error.value.message
    assert "feuille d'émargement" not in error.value.message


# --- Completion once the session is over --------------------------------------------------------


def test_an_early_check_in_completes_only_once_the_session_is_over(
    session, enrollment, heard, django_capture_on_commit_callbacks
):
    """Checked in 27 minutes early: presence is recorded, the certificate waits for the end,
    and the hours credited are the session's (3 h), not the time spent since the check-in."""
    with during(session, minutes=-27), django_capture_on_commit_callbacks(execute=True):
        check_in(user=enrollment.user, code=checkin_code(session=session))
        assert complete_ended_sessions() == 0
    enrollment.refresh_from_db()
    assert enrollment.attendance == Attendance.PRESENT
    assert not Completion.objects.exists()
    with during(session, minutes=170), django_capture_on_commit_callbacks(execute=True):
        complete_ended_attendance(user=enrollment.user)
        assert complete_ended_sessions() == 0
    assert not Completion.objects.exists()
    assert heard == []

    with after(session, minutes=3), django_capture_on_commit_callbacks(execute=True):
        assert complete_ended_sessions() == 1
        assert complete_ended_sessions() == 0  # each session once
    completion = Completion.objects.get(user=enrollment.user)
    assert (completion.hours, completion.sessions_attended) == (Decimal("3.00"), 1)
    assert completion.completed_at == session.end
    assert heard == [("completed", enrollment.user_id, session.workshop_id)]


def test_a_trainers_sheet_during_the_session_completes_at_the_end(session, enrollment, trainer):
    with during(session):
        record_attendance(
            enrollment=enrollment, attendance=Attendance.PARTIAL, hours="2", by=trainer
        )
    assert not Completion.objects.exists()
    with after(session, minutes=1):
        # The participant opens their path before beat's next run: the attestation is there.
        complete_ended_attendance(user=enrollment.user)
        assert Completion.objects.get().hours == Decimal("2.00")
        assert complete_ended_sessions() == 1  # beat then marks the session done, no change
    assert Completion.objects.count() == 1


def test_a_cancelled_session_completes_nobody(session, enrollment, trainer):
    with during(session):
        record_attendance(enrollment=enrollment, attendance=Attendance.PRESENT, by=trainer)
    session.status = "cancelled"
    session.save()
    with after(session):
        assert complete_ended_sessions() == 1
    assert not Completion.objects.exists()
