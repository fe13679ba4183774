"""iCalendar: invitations and cancellations for one session, and each person's private feed."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from cotraining.calendar import calendar_feed, session_invitation, session_uid
from cotraining.constants import EnrollmentStatus, Modality, SessionStatus, TrainingPlan
from tests.factories import (
    EnrollmentFactory,
    EstablishmentFactory,
    SessionFactory,
    UserFactory,
    workshop_page,
)

pytestmark = pytest.mark.django_db

THURSDAY_MORNING = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def parse(ics):
    calendar = Calendar.from_ical(ics)
    return calendar, calendar.walk("VEVENT")


@pytest.fixture
def workshop():
    page = workshop_page(
        title="Enseigner avec l'ENT",
        training_plan=TrainingPlan.PAF,
        plan_identifier="26A0130012",
        school_year="2026-2027",
    )
    page.trainers.set([UserFactory(first_name="Claire", last_name="Vasseur")])
    page.save()
    return page


@pytest.fixture
def session(workshop):
    return SessionFactory(
        workshop=workshop,
        start=THURSDAY_MORNING,
        end=THURSDAY_MORNING + timedelta(hours=3),
        establishment=EstablishmentFactory(name="Lycée Camille Guérin", commune="Poitiers"),
        room="B204",
    )


@pytest.fixture
def teacher():
    return UserFactory(first_name="Jeanne", last_name="Moreau", email="jeanne.moreau@ac-test.fr")


# --- Invitations -------------------------------------------------------------------------------


def test_an_invitation_describes_the_session_for_its_attendee(session, teacher):
    calendar, events = parse(session_invitation(session, method="REQUEST", attendee=teacher))

    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert "Entrepairs" in calendar["PRODID"]
    [event] = events
    assert event["UID"] == f"session-{session.pk}@entrepairs.education.fr"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert event["SUMMARY"] == "Enseigner avec l'ENT"
    assert event.start == THURSDAY_MORNING
    assert event.end == THURSDAY_MORNING + timedelta(hours=3)
    assert event["DTSTART"].to_ical() == b"20261203T080000Z"  # UTC, no VTIMEZONE needed
    assert "DTSTAMP" in event
    uai = session.establishment.uai
    assert event["LOCATION"] == f"Lycée Camille Guérin (Poitiers) — {uai} — B204"
    assert "26A0130012" in event["DESCRIPTION"]
    assert "PAF (plan académique de formation)" in event["DESCRIPTION"]
    assert "Claire Vasseur" in event["DESCRIPTION"]
    assert event["ORGANIZER"] == "mailto:ne-pas-repondre@entrepairs.fr"
    assert event["ORGANIZER"].params["CN"] == "Entrepairs"
    attendee = event["ATTENDEE"]
    assert attendee == "mailto:jeanne.moreau@ac-test.fr"
    assert attendee.params["CN"] == "Jeanne Moreau"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"


def test_the_uid_is_stable_and_the_sequence_follows_the_session(session):
    first = parse(session_invitation(session, method="REQUEST"))[1][0]
    session.ical_sequence = 3
    session.save()
    second = parse(session_invitation(session, method="REQUEST"))[1][0]

    assert first["UID"] == second["UID"] == session_uid(session)
    assert first["SEQUENCE"] == 0
    assert second["SEQUENCE"] == 3
    assert "ATTENDEE" not in second


def test_uids_differ_between_sessions(session):
    assert session_uid(session) != session_uid(SessionFactory(workshop=session.workshop))


def test_a_cancellation_cancels_the_same_event(session, teacher):
    calendar, [event] = parse(session_invitation(session, method="CANCEL", attendee=teacher))

    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == session_uid(session)
    assert event["ATTENDEE"] == "mailto:jeanne.moreau@ac-test.fr"
    assert "PARTSTAT" not in event["ATTENDEE"].params


def test_a_cancelled_session_is_never_sent_as_an_invitation(session, teacher):
    session.status = SessionStatus.CANCELLED
    session.cancellation_reason = "Formatrice absente"
    session.ical_sequence = 1
    session.save()

    calendar, [event] = parse(session_invitation(session, method="REQUEST", attendee=teacher))

    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert "Formatrice absente" in event["DESCRIPTION"]


def test_a_remote_invitation_carries_the_visio_link(workshop):
    session = SessionFactory(
        workshop=workshop,
        modality=Modality.REMOTE,
        establishment=None,
        visio_url="https://visio.education.fr/meeting/123456",
    )

    [event] = parse(session_invitation(session, method="REQUEST"))[1]

    assert event["LOCATION"] == "https://visio.education.fr/meeting/123456"
    assert event["URL"] == "https://visio.education.fr/meeting/123456"
    assert "https://visio.education.fr/meeting/123456" in event["DESCRIPTION"]


def test_an_unknown_method_is_refused(session):
    with pytest.raises(ValueError, match="PUBLISH"):
        session_invitation(session, method="PUBLISH")


# --- Personal feed -----------------------------------------------------------------------------


def test_the_feed_holds_the_confirmed_sessions_of_its_owner_only(workshop, teacher):
    confirmed = EnrollmentFactory(user=teacher, session=SessionFactory(workshop=workshop)).session
    remote = SessionFactory(
        workshop=workshop,
        modality=Modality.REMOTE,
        establishment=None,
        visio_url="https://visio.education.fr/meeting/123456",
    )
    EnrollmentFactory(user=teacher, session=remote)
    cancelled_session = SessionFactory(workshop=workshop, status=SessionStatus.CANCELLED)
    EnrollmentFactory(user=teacher, session=cancelled_session)
    waitlisted = EnrollmentFactory(user=teacher, status=EnrollmentStatus.WAITLISTED).session
    withdrawn = EnrollmentFactory(user=teacher, status=EnrollmentStatus.CANCELLED).session
    someone_elses = EnrollmentFactory(session=SessionFactory(workshop=workshop)).session

    calendar, events = parse(calendar_feed(teacher))

    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "Entrepairs — mes séances"
    by_uid = {str(event["UID"]): event for event in events}
    assert set(by_uid) == {
        session_uid(confirmed),
        session_uid(remote),
        session_uid(cancelled_session),
    }
    for left_out in (waitlisted, withdrawn, someone_elses):
        assert session_uid(left_out) not in by_uid
    assert by_uid[session_uid(confirmed)]["STATUS"] == "CONFIRMED"
    assert by_uid[session_uid(cancelled_session)]["STATUS"] == "CANCELLED"
    assert by_uid[session_uid(remote)]["URL"] == "https://visio.education.fr/meeting/123456"
    assert "ATTENDEE" not in by_uid[session_uid(confirmed)]


def test_the_feed_matches_the_invitations(session, teacher):
    session.ical_sequence = 2
    session.save()
    EnrollmentFactory(user=teacher, session=session)

    [in_feed] = parse(calendar_feed(teacher))[1]
    [invited] = parse(session_invitation(session, method="REQUEST", attendee=teacher))[1]

    for name in ("UID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION"):
        assert in_feed[name] == invited[name], name


def test_an_empty_feed_is_a_valid_calendar(teacher):
    calendar, events = parse(calendar_feed(teacher))

    assert calendar["METHOD"] == "PUBLISH"
    assert events == []


@pytest.mark.parametrize("sessions", [1, 5])
def test_the_feed_costs_the_same_queries_whatever_its_length(
    sessions, teacher, django_assert_max_num_queries
):
    for number in range(sessions):
        page = workshop_page(title=f"Atelier {number}")
        page.trainers.set([UserFactory(), UserFactory()])
        page.save()
        EnrollmentFactory(user=teacher, session=SessionFactory(workshop=page))

    # One query for the enrolments with their sessions and workshops, one for the trainers.
    with django_assert_max_num_queries(2):
        ics = calendar_feed(teacher)

    assert len(parse(ics)[1]) == sessions
