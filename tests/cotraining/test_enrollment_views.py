"""The enrolment journey through the views: workshop page, "Mon parcours", documents, calendar
feed, check-in, "Mes séances", attendance sheet, exports, check-in screen and approvals.

Each test goes through Django's test client; object-level rules are checked both ways (the
owner gets the thing, anybody else a 404 with nothing changed).
"""

import csv
import html
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib import messages
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from cotraining import services
from cotraining.constants import Attendance, AuditAction, EnrollmentStatus, Modality, Role
from cotraining.models import CalendarFeed, Enrollment
from cotraining.services import enroll, grant_role
from tests.factories import (
    CompletionFactory,
    EnrollmentFactory,
    EstablishmentFactory,
    SessionFactory,
    UserFactory,
    academie,
    teacher,
    workshop_page,
)

pytestmark = pytest.mark.django_db

VISIO_URL = "https://visio.example.org/salle-secrete-4242"


def trainer_of(*workshops):
    user = UserFactory()
    for workshop in workshops:
        workshop.trainers.add(user)
        workshop.save()
    return user


def page_text(response):
    """The response body with HTML entities decoded (apostrophes come out as &#x27;)."""
    return html.unescape(response.content.decode())


def messages_of(response):
    return [(message.level, str(message)) for message in get_messages(response.wsgi_request)]


def during(session, minutes=30):
    return time_machine.travel(session.start + timedelta(minutes=minutes), tick=False)


def status_of(enrollment):
    enrollment.refresh_from_db()
    return enrollment.status


@pytest.fixture
def session():
    return SessionFactory(capacity=1, workshop=workshop_page(title="Atelier tablettes en classe"))


@pytest.fixture
def workshop(session):
    return session.workshop


@pytest.fixture
def remote_session():
    return SessionFactory(
        capacity=1,
        modality=Modality.REMOTE,
        establishment=None,
        visio_url=VISIO_URL,
        workshop=workshop_page(title="Atelier à distance", modality=Modality.REMOTE),
    )


# --- Workshop page and enrolment -----------------------------------------------------------


def test_an_anonymous_visitor_is_invited_to_log_in(client, session):
    response = client.get(session.workshop.url)
    assert response.status_code == 200
    text = page_text(response)
    assert "Se connecter pour s'inscrire" in text
    assert reverse("cotraining:enroll_session", args=[session.pk]) not in text


def test_a_teacher_enrols_from_the_workshop_page(client, session, workshop):
    person = teacher()
    client.force_login(person)
    assert reverse("cotraining:enroll_session", args=[session.pk]) in page_text(
        client.get(workshop.url)
    )

    response = client.post(reverse("cotraining:enroll_session", args=[session.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"{workshop.url}#sessions"
    assert messages_of(response) == [
        (
            messages.SUCCESS,
            "Inscription confirmée. Votre convocation et l'invitation d'agenda vous sont envoyées.",
        )
    ]
    enrollment = Enrollment.objects.get(user=person, session=session)
    assert enrollment.status == EnrollmentStatus.CONFIRMED
    assert "Inscrit(e)" in page_text(client.get(workshop.url))


def test_when_full_the_teacher_is_told_their_waitlist_position(client, session, workshop):
    EnrollmentFactory(session=session)  # the only seat
    person = teacher()
    client.force_login(person)

    response = client.post(reverse("cotraining:enroll_session", args=[session.pk]))

    assert response.status_code == 302
    ((level, text),) = messages_of(response)
    assert level == messages.WARNING
    assert "liste d'attente, en position 1" in text
    assert Enrollment.objects.get(user=person).status == EnrollmentStatus.WAITLISTED
    assert "Liste d'attente : position 1" in page_text(client.get(workshop.url))


@pytest.mark.parametrize(
    "status",
    [
        None,
        EnrollmentStatus.WAITLISTED,
        EnrollmentStatus.PENDING_APPROVAL,
        EnrollmentStatus.CANCELLED,
    ],
)
def test_the_visio_link_is_hidden_from_anyone_without_a_confirmed_seat(
    client, remote_session, status
):
    EnrollmentFactory(session=remote_session)  # someone else holds the seat
    person = teacher()
    if status is not None:
        EnrollmentFactory(session=remote_session, user=person, status=status)
    client.force_login(person)

    workshop_html = client.get(remote_session.workshop.url).content.decode()
    journey_html = client.get(reverse("cotraining:my_journey")).content.decode()

    assert VISIO_URL not in workshop_html, "visio link leaked on the workshop page"
    assert VISIO_URL not in journey_html, "visio link leaked on /mon-parcours/"


def test_a_confirmed_teacher_sees_the_visio_link(client, remote_session):
    person = teacher()
    EnrollmentFactory(session=remote_session, user=person)
    client.force_login(person)

    assert VISIO_URL in client.get(remote_session.workshop.url).content.decode()
    assert VISIO_URL in client.get(reverse("cotraining:my_journey")).content.decode()


def test_enrolling_needs_a_post(client, session):
    client.force_login(teacher())
    response = client.get(reverse("cotraining:enroll_session", args=[session.pk]))
    assert response.status_code == 405
    assert not Enrollment.objects.exists()


def test_a_non_teacher_is_told_why_and_not_enrolled(client, session):
    client.force_login(UserFactory())
    response = client.post(reverse("cotraining:enroll_session", args=[session.pk]))
    assert response.status_code == 302
    assert messages_of(response) == [
        (messages.ERROR, "Seuls les comptes enseignants peuvent s'inscrire à une séance.")
    ]
    assert not Enrollment.objects.exists()


# --- Mon parcours ---------------------------------------------------------------------------


def test_my_journey_lists_only_my_own_enrolments(client, session):
    me, other = teacher(), teacher()
    EnrollmentFactory(session=session, user=me)
    elsewhere = SessionFactory(workshop=workshop_page(title="Atelier confidentiel de Zoé"))
    EnrollmentFactory(session=elsewhere, user=other)
    client.force_login(me)

    text = page_text(client.get(reverse("cotraining:my_journey")))

    assert "Atelier tablettes en classe" in text
    assert "Atelier confidentiel de Zoé" not in text


def test_the_cancel_button_cancels_my_enrolment(client, session):
    me = teacher()
    mine = EnrollmentFactory(session=session, user=me)
    client.force_login(me)
    journey = page_text(client.get(reverse("cotraining:my_journey")))
    assert reverse("cotraining:cancel_enrollment", args=[mine.pk]) in journey

    response = client.post(
        reverse("cotraining:cancel_enrollment", args=[mine.pk]), {"confirm": "1"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("cotraining:my_journey")
    assert messages_of(response) == [(messages.SUCCESS, "Votre inscription est annulée.")]
    assert status_of(mine) == EnrollmentStatus.CANCELLED


def test_cancelling_someone_elses_enrolment_is_a_404(client, session):
    theirs = EnrollmentFactory(session=session, user=teacher())
    client.force_login(teacher())
    response = client.post(reverse("cotraining:cancel_enrollment", args=[theirs.pk]))
    assert response.status_code == 404
    assert status_of(theirs) == EnrollmentStatus.CONFIRMED


def test_cancelling_asks_for_confirmation_first(client, session):
    """Without JavaScript the cancel button posts without "confirm": the server asks."""
    me = teacher()
    mine = EnrollmentFactory(session=session, user=me)
    client.force_login(me)
    url = reverse("cotraining:cancel_enrollment", args=[mine.pk])

    response = client.post(url, {"next": "workshop"})

    assert response.status_code == 200
    assert status_of(mine) == EnrollmentStatus.CONFIRMED
    html = response.content.decode()
    assert "Annuler votre inscription à « Atelier tablettes en classe » ?" in html
    form = re.search(
        r'<form method="post" action="([^"]+)" id="confirm-form">(.*?)</form>', html, re.S
    )
    assert form and form.group(1) == url
    assert '<input type="hidden" name="next" value="workshop">' in form.group(2)
    assert '<input type="hidden" name="confirm" value="1">' in form.group(2)
    assert f'href="{session.workshop.url}#sessions"' in form.group(2)  # "go back" keeps it all

    response = client.post(url, {"next": "workshop", "confirm": "1"})
    assert response.status_code == 302
    assert status_of(mine) == EnrollmentStatus.CANCELLED


def test_cancel_forms_carry_the_confirmation_and_the_page_its_modal(client, session):
    me = teacher()
    EnrollmentFactory(session=session, user=me)
    client.force_login(me)
    for markup in (
        client.get(reverse("cotraining:my_journey")).content.decode(),
        client.get(session.workshop.url).content.decode(),
    ):
        form = re.search(r'<form method="post" action="/inscription/\d+/annuler/"[^>]*>', markup)
        assert form, "no cancel form"
        assert 'data-confirm="Annuler votre inscription à « Atelier tablettes en classe » ?"' in (
            form.group(0)
        )
        assert 'data-confirm-yes="Oui, annuler mon inscription"' in form.group(0)
        assert 'id="ep-confirm-modal" class="fr-modal"' in markup
        assert "/static/js/confirm.js" in markup
        assert "onclick" not in markup and "onsubmit" not in markup


@pytest.mark.parametrize(
    ("name", "content_type", "magic"),
    [
        ("convocation", "application/pdf", b"%PDF"),
        ("invitation", "text/calendar; charset=utf-8", b"BEGIN:VCALENDAR"),
    ],
)
def test_my_confirmed_seat_gives_a_convocation_and_an_invitation(
    client, session, name, content_type, magic
):
    me = teacher()
    mine = EnrollmentFactory(session=session, user=me)
    client.force_login(me)
    response = client.get(reverse(f"cotraining:{name}", args=[mine.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response.content.startswith(magic)
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("name", ["convocation", "invitation"])
def test_documents_of_another_teacher_or_of_a_waitlisted_seat_are_404(client, session, name):
    me = teacher()
    theirs = EnrollmentFactory(session=session, user=teacher())
    my_waiting = EnrollmentFactory(session=session, user=me, status=EnrollmentStatus.WAITLISTED)
    client.force_login(me)
    assert client.get(reverse(f"cotraining:{name}", args=[theirs.pk])).status_code == 404
    assert client.get(reverse(f"cotraining:{name}", args=[my_waiting.pk])).status_code == 404


def test_certificates_are_mine_only(client):
    me = teacher()
    mine = CompletionFactory(user=me)
    theirs = CompletionFactory(user=teacher())
    client.force_login(me)

    response = client.get(reverse("cotraining:certificate", args=[mine.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert client.get(reverse("cotraining:certificate", args=[theirs.pk])).status_code == 404


def test_my_journey_sums_hours_per_school_year(client):
    me = teacher()
    CompletionFactory(user=me, school_year="2025-2026", hours=Decimal("3"))
    CompletionFactory(user=me, school_year="2025-2026", hours=Decimal("1.5"))
    CompletionFactory(user=me, school_year="2026-2027", hours=Decimal("2"))
    CompletionFactory(user=teacher(), school_year="2025-2026", hours=Decimal("100"))
    client.force_login(me)

    text = page_text(client.get(reverse("cotraining:my_journey")))
    rows = dict(re.findall(r"<tr><td>(\d{4}-\d{4})</td><td>([\d,.]+)</td></tr>", text))

    assert rows == {"2025-2026": "4,5", "2026-2027": "2"}


# --- Calendar feed --------------------------------------------------------------------------


def test_the_private_calendar_feed_works_without_login_until_reset(client, session):
    me = teacher()
    EnrollmentFactory(session=session, user=me)
    client.force_login(me)

    response = client.post(reverse("cotraining:reset_calendar_feed"))
    assert response.status_code == 302
    old_token = CalendarFeed.objects.get(user=me).token
    feed_url = reverse("cotraining:calendar_feed", kwargs={"token": old_token})

    client.logout()
    response = client.get(feed_url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "SUMMARY:Atelier tablettes en classe" in response.content.decode()

    client.force_login(me)
    client.post(reverse("cotraining:reset_calendar_feed"))
    client.logout()
    new_token = CalendarFeed.objects.get(user=me).token
    assert new_token != old_token
    assert client.get(feed_url).status_code == 404
    new_url = reverse("cotraining:calendar_feed", kwargs={"token": new_token})
    assert client.get(new_url).status_code == 200
    # Both writes went through the service, each with its audit entry.
    entries = ModelLogEntry.objects.filter(action=AuditAction.RESET_CALENDAR_FEED, user=me)
    assert [entry.data for entry in entries.order_by("pk")] == [
        {"created": True},
        {"created": False},
    ]


def test_resetting_the_calendar_feed_needs_a_login_and_a_post(client):
    me = teacher()
    assert client.post(reverse("cotraining:reset_calendar_feed")).status_code == 302
    assert not CalendarFeed.objects.exists()
    client.force_login(me)
    assert client.get(reverse("cotraining:reset_calendar_feed")).status_code == 405
    assert not CalendarFeed.objects.exists()
    assert not ModelLogEntry.objects.filter(action=AuditAction.RESET_CALENDAR_FEED).exists()


# --- Self check-in --------------------------------------------------------------------------


def _a_wrong_code(session, now):
    valid = {
        services.checkin_code(session=session, now=now + timedelta(seconds=shift))
        for shift in (-60, -30, 0, 30, 60)
    }
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def test_a_wrong_code_is_refused_and_records_nothing(client, session):
    me = teacher()
    mine = EnrollmentFactory(session=session, user=me)
    with during(session):
        wrong = _a_wrong_code(session, session.start + timedelta(minutes=30))
        client.force_login(me)
        response = client.post(reverse("cotraining:check_in"), {"code": wrong})
    assert response.status_code == 200
    assert messages_of(response) == [
        (messages.ERROR, "Ce code n'est pas (ou plus) valable : saisissez le code affiché.")
    ]
    mine.refresh_from_db()
    assert (mine.attendance, mine.checked_in_at) == ("", None)


def test_the_displayed_code_checks_me_in(client, session):
    me = teacher()
    mine = EnrollmentFactory(session=session, user=me)
    with during(session):
        code = services.checkin_code(session=session)
        client.force_login(me)
        response = client.post(
            reverse("cotraining:check_in"), {"code": code, "seance": str(session.pk)}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("cotraining:my_journey")
    mine.refresh_from_db()
    assert mine.attendance == Attendance.PRESENT
    assert mine.checked_in_at is not None


# --- Mes séances: who reaches what ----------------------------------------------------------


def test_a_trainer_sees_their_session(client, session, workshop):
    client.force_login(trainer_of(workshop))
    response = client.get(reverse("cotraining:my_sessions"))
    assert response.status_code == 200
    text = page_text(response)
    assert "Atelier tablettes en classe" in text
    assert reverse("cotraining:attendance_sheet", args=[session.pk]) in text


def _session_urls(session, enrollment):
    """Every trainer URL of a session, with the method it answers to."""
    args = [session.pk]
    pair = [session.pk, enrollment.pk]
    return [
        ("get", reverse("cotraining:attendance_sheet", args=args)),
        ("post", reverse("cotraining:record_attendance", args=pair)),
        ("post", reverse("cotraining:remove_participant", args=pair)),
        ("get", reverse("cotraining:participants_csv", args=args)),
        ("get", reverse("cotraining:attendance_sheet_pdf", args=args)),
        ("get", reverse("cotraining:checkin_screen", args=args)),
    ]


def test_the_trainer_of_another_workshop_gets_404_everywhere(client, session):
    enrollment = EnrollmentFactory(session=session)
    outsider = trainer_of(SessionFactory().workshop)
    client.force_login(outsider)

    assert "Atelier tablettes en classe" not in page_text(
        client.get(reverse("cotraining:my_sessions"))
    )
    for method, url in _session_urls(session, enrollment):
        data = {"attendance": Attendance.PRESENT} if method == "post" else None
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, f"{method.upper()} {url} reached by an outsider"
    assert status_of(enrollment) == EnrollmentStatus.CONFIRMED


@pytest.mark.parametrize("name", ["record_attendance", "remove_participant"])
def test_a_trainer_cannot_reach_another_sessions_enrolment_through_their_own(
    client, session, workshop, name
):
    foreign = EnrollmentFactory(session=SessionFactory())
    client.force_login(trainer_of(workshop))
    with during(foreign.session):
        response = client.post(
            reverse(f"cotraining:{name}", args=[session.pk, foreign.pk]),
            {"attendance": Attendance.ABSENT},
        )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert (foreign.status, foreign.attendance) == (EnrollmentStatus.CONFIRMED, "")


def test_the_trainer_of_the_workshop_reaches_every_page(client, session, workshop):
    enrollment = EnrollmentFactory(session=session)
    client.force_login(trainer_of(workshop))
    for method, url in _session_urls(session, enrollment):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_a_coordinator_sees_the_sessions_of_their_academie_only(client, session, workshop):
    ours, theirs = UserFactory(), UserFactory()
    grant_role(user=ours, role=Role.COORDINATOR, academie=workshop.academie)
    grant_role(user=theirs, role=Role.COORDINATOR, academie=academie("04"))
    assert workshop.academie != academie("04")
    sheet = reverse("cotraining:attendance_sheet", args=[session.pk])

    client.force_login(ours)
    assert "Atelier tablettes en classe" in page_text(client.get(reverse("cotraining:my_sessions")))
    assert client.get(sheet).status_code == 200

    client.force_login(theirs)
    assert "Atelier tablettes en classe" not in page_text(
        client.get(reverse("cotraining:my_sessions"))
    )
    assert client.get(sheet).status_code == 404


def test_counts_are_not_multiplied_by_the_number_of_trainers(client):
    """A workshop with two trainers: each enrolment counts once, for its trainers and for the
    coordinator who is also one of them (a join on trainers would double every count)."""
    session = SessionFactory(capacity=10, workshop=workshop_page(title="Atelier à deux voix"))
    first, second = UserFactory(), UserFactory()
    grant_role(user=first, role=Role.COORDINATOR, academie=session.workshop.academie)
    session.workshop.trainers.set([first, second])
    session.workshop.save()
    for _ in range(3):
        enroll(user=teacher(), session=session)
    for person in (first, second):
        client.force_login(person)
        text = page_text(client.get(reverse("cotraining:my_sessions")))
        assert "3 / 10 (30 %)" in text, person


# Queries of "Mes séances" whatever the number of sessions: 7 for the view (session, user, the
# scope check, the three lists each with its counts, the coordinator check) and 10 for the
# page's chrome (roles menu, site, settings, navigation, permissions, profile), and 2 for the
# navigation's badge rights (may award, may revoke).
MY_SESSIONS_QUERIES = 19


@pytest.mark.parametrize("count", [1, 10])
def test_my_sessions_needs_a_fixed_number_of_queries(client, django_assert_max_num_queries, count):
    workshops = [workshop_page(title=f"Atelier {n}") for n in range(count)]
    trainer = trainer_of(*workshops)
    grant_role(user=trainer, role=Role.COORDINATOR, academie=academie())
    now = timezone.now()
    for n, workshop in enumerate(workshops):
        # Half upcoming, half past with attendance to record: every list of the page is filled.
        start = now + timedelta(days=10 + n) if n % 2 == 0 else now - timedelta(days=20 + n)
        session = SessionFactory(workshop=workshop, start=start, capacity=4)
        EnrollmentFactory(session=session)
        EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)
    client.force_login(trainer)
    client.get(reverse("cotraining:my_sessions"))  # first visit creates settings and profile rows

    with django_assert_max_num_queries(MY_SESSIONS_QUERIES):
        response = client.get(reverse("cotraining:my_sessions"))

    assert response.status_code == 200
    text = page_text(response)
    assert all(f"Atelier {n} —" in text or f"Atelier {n}<" in text for n in range(count))


# --- Attendance sheet -----------------------------------------------------------------------


@pytest.fixture
def sheet(session, workshop):
    """A seated participant and the workshop's trainer."""
    return EnrollmentFactory(session=session), trainer_of(workshop)


def test_recording_attendance_with_htmx_returns_the_row(client, session, sheet):
    enrollment, trainer = sheet
    url = reverse("cotraining:record_attendance", args=[session.pk, enrollment.pk])
    with during(session):
        client.force_login(trainer)
        response = client.post(
            url, {"attendance": Attendance.PRESENT}, headers={"HX-Request": "true"}
        )
    assert response.status_code == 200
    text = page_text(response)
    assert text.lstrip().startswith(f'<tr id="enrollment-{enrollment.pk}">')
    assert "<html" not in text
    assert "Enregistré" in text
    enrollment.refresh_from_db()
    assert (enrollment.attendance, enrollment.hours_attended) == (
        Attendance.PRESENT,
        Decimal("3.00"),
    )


def test_bad_partial_hours_return_the_row_with_the_error_and_save_nothing(client, session, sheet):
    enrollment, trainer = sheet
    url = reverse("cotraining:record_attendance", args=[session.pk, enrollment.pk])
    with during(session):
        client.force_login(trainer)
        response = client.post(
            url,
            {"attendance": Attendance.PARTIAL, "hours": "7"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    text = page_text(response)
    assert "Présence partielle : indiquez des heures entre 0 et 3." in text
    assert "Enregistré" not in text
    enrollment.refresh_from_db()
    assert (enrollment.attendance, enrollment.hours_attended) == ("", None)


def test_partial_attendance_is_recorded_with_its_hours_in_one_post(client, session, sheet):
    """Status and hours go together: the partial radio does not post on its own (it would be
    refused for want of hours and redraw the row without them), the row's button sends both."""
    enrollment, trainer = sheet
    url = reverse("cotraining:record_attendance", args=[session.pk, enrollment.pk])
    with during(session):
        client.force_login(trainer)
        sheet_page = page_text(
            client.get(reverse("cotraining:attendance_sheet", args=[session.pk]))
        )
        partial = re.search(rf'<input[^>]*id="att-{enrollment.pk}-partial"[^>]*>', sheet_page)
        present = re.search(rf'<input[^>]*id="att-{enrollment.pk}-present"[^>]*>', sheet_page)
        assert "hx-post" not in partial.group(0)
        assert 'hx-trigger="change"' in present.group(0)
        response = client.post(
            url,
            {"attendance": Attendance.PARTIAL, "hours": "1,5"},
            headers={"HX-Request": "true"},
        )
    text = page_text(response)
    assert "Enregistré" in text
    assert re.search(rf'id="att-{enrollment.pk}-partial"[^>]*checked', text)
    assert 'value="1,5"' in text
    enrollment.refresh_from_db()
    assert (enrollment.attendance, enrollment.hours_attended) == (
        Attendance.PARTIAL,
        Decimal("1.50"),
    )


def test_invalid_attendance_keeps_what_the_trainer_typed(client, session, sheet):
    enrollment, trainer = sheet
    url = reverse("cotraining:record_attendance", args=[session.pk, enrollment.pk])
    with during(session):
        client.force_login(trainer)
        response = client.post(
            url, {"attendance": Attendance.PARTIAL, "hours": "3,5"}, headers={"HX-Request": "true"}
        )
        text = page_text(response)
        assert re.search(rf'id="att-{enrollment.pk}-partial"[^>]*checked', text)
        assert 'value="3,5"' in text
        # Hours typed without a status: a partial presence is what the trainer means.
        client.post(url, {"hours": "2"}, headers={"HX-Request": "true"})
    enrollment.refresh_from_db()
    assert (enrollment.attendance, enrollment.hours_attended) == (
        Attendance.PARTIAL,
        Decimal("2.00"),
    )


def test_recording_attendance_without_htmx_redirects_with_a_message(client, session, sheet):
    enrollment, trainer = sheet
    url = reverse("cotraining:record_attendance", args=[session.pk, enrollment.pk])
    with during(session):
        client.force_login(trainer)
        response = client.post(url, {"attendance": Attendance.ABSENT})
    assert response.status_code == 302
    assert response["Location"] == reverse("cotraining:attendance_sheet", args=[session.pk])
    assert messages_of(response) == [
        (messages.SUCCESS, f"Présence enregistrée pour {enrollment.user}.")
    ]
    enrollment.refresh_from_db()
    assert enrollment.attendance == Attendance.ABSENT


def test_removing_a_participant_promotes_the_first_in_line(client, session, sheet):
    seated, trainer = sheet
    first = EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)
    second = EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)
    client.force_login(trainer)

    response = client.post(reverse("cotraining:remove_participant", args=[session.pk, seated.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("cotraining:attendance_sheet", args=[session.pk])
    assert status_of(seated) == EnrollmentStatus.CANCELLED
    assert status_of(first) == EnrollmentStatus.CONFIRMED
    assert status_of(second) == EnrollmentStatus.WAITLISTED


# --- Participants CSV -----------------------------------------------------------------------


def test_participants_csv_is_excel_friendly_with_waitlist_positions(client, session, workshop):
    def person(last_name, status):
        user = UserFactory(first_name="Alex", last_name=last_name)
        EnrollmentFactory(session=session, user=user, status=status)

    person("Arnaud", EnrollmentStatus.CONFIRMED)
    person("Bernard", EnrollmentStatus.WAITLISTED)
    person("Charpentier", EnrollmentStatus.WAITLISTED)
    person("Durand", EnrollmentStatus.CANCELLED)
    client.force_login(trainer_of(workshop))

    response = client.get(reverse("cotraining:participants_csv", args=[session.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert header == [
        "Nom",
        "Prénom",
        "Adresse électronique",
        "Établissement",
        "UAI",
        "Statut",
        "Position en liste d'attente",
        "Présence",
        "Heures suivies",
    ]
    position = {row[0]: row[6] for row in rows}
    assert position == {"Arnaud": "", "Bernard": "1", "Charpentier": "2"}


# --- Check-in screen ------------------------------------------------------------------------


def test_the_checkin_screen_shows_the_current_code_and_a_qr_code(client, session, workshop):
    client.force_login(trainer_of(workshop))
    url = reverse("cotraining:checkin_screen", args=[session.pk])
    with during(session):
        page = client.get(url)
        fragment = client.get(url, headers={"HX-Request": "true"})
        code = services.checkin_code(session=session)
    assert re.fullmatch(r"\d{6}", code)
    shown = f"{code[:3]} {code[3:]}"

    page_html = page.content.decode()
    assert page.status_code == 200
    assert shown in page_html
    assert "<svg" in page_html
    assert "<html" in page_html

    fragment_html = fragment.content.decode()
    assert fragment.status_code == 200
    assert shown in fragment_html
    assert "<svg" in fragment_html
    assert "<html" not in fragment_html
    assert "hx-get" not in fragment_html


def test_the_projected_checkin_screen_has_no_userbar_and_no_styled_paragraph(
    client, session, workshop
):
    """Projected in the room: no Wagtail userbar (kept on Wagtail pages) and no paragraph
    styled as a heading, the cause of the content checker's red marker (axe p-as-heading)."""
    person = trainer_of(workshop)
    person.is_superuser = True  # may reach the admin: Wagtail would render its userbar
    person.save()
    client.force_login(person)
    with during(session):
        screen = client.get(reverse("cotraining:checkin_screen", args=[session.pk]))
    html = screen.content.decode()
    assert screen.status_code == 200 and 'id="checkin-code"' in html
    assert "wagtail-userbar" not in html
    assert not re.search(r'<p[^>]*class="[^"]*fr-display', html)
    assert "wagtail-userbar" in client.get(workshop.url).content.decode()


def test_the_checkin_link_is_on_the_public_origin_not_the_request_host(
    client, session, workshop, settings
):
    # `PORT=8791 make run` sets SITE_URL: the QR code must not point at the host the trainer
    # happened to type, nor at port 8000.
    settings.SITE_URL = "http://127.0.0.1:8791"
    client.force_login(trainer_of(workshop))
    with during(session):
        page = client.get(
            reverse("cotraining:checkin_screen", args=[session.pk]), HTTP_HOST="internal:8000"
        )
    # The link is what the QR code encodes.
    assert page.context["link"].startswith("http://127.0.0.1:8791/emargement/?seance=")


# --- Approvals ------------------------------------------------------------------------------


@pytest.fixture
def approvals_setup():
    school, other_school = EstablishmentFactory(), EstablishmentFactory()
    head = UserFactory()
    grant_role(user=head, role=Role.SCHOOL_HEAD, establishment=school)
    other_head = UserFactory()
    grant_role(user=other_head, role=Role.SCHOOL_HEAD, establishment=other_school)
    session = SessionFactory(
        workshop=workshop_page(title="Atelier sous accord", approval_required=True)
    )
    ours = teacher(first_name="Léa", last_name="Dumontel", establishment=school)
    theirs = teacher(first_name="Hugo", last_name="Varennes", establishment=other_school)
    return {
        "head": head,
        "other_head": other_head,
        "ours": enroll(user=ours, session=session).enrollment,
        "theirs": enroll(user=theirs, session=session).enrollment,
    }


def test_a_school_head_sees_the_requests_of_their_school_only(client, approvals_setup):
    assert approvals_setup["ours"].status == EnrollmentStatus.PENDING_APPROVAL
    client.force_login(approvals_setup["head"])
    text = page_text(client.get(reverse("cotraining:approvals")))
    assert "Léa Dumontel" in text
    assert "Hugo Varennes" not in text


@pytest.mark.parametrize(
    ("decision", "expected"),
    [("accorder", EnrollmentStatus.CONFIRMED), ("refuser", EnrollmentStatus.REFUSED)],
)
def test_the_school_head_decides(client, approvals_setup, decision, expected):
    enrollment = approvals_setup["ours"]
    client.force_login(approvals_setup["head"])
    response = client.post(
        reverse("cotraining:decide", args=[enrollment.pk, decision]), {"confirm": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cotraining:approvals")
    assert status_of(enrollment) == expected
    assert status_of(approvals_setup["theirs"]) == EnrollmentStatus.PENDING_APPROVAL


def test_refusing_asks_for_confirmation_first_and_agreeing_does_not(client, approvals_setup):
    enrollment = approvals_setup["ours"]
    client.force_login(approvals_setup["head"])
    listing = client.get(reverse("cotraining:approvals")).content.decode()
    refuse_url = reverse("cotraining:decide", args=[enrollment.pk, "refuser"])
    form = re.search(rf'<form method="post" action="{refuse_url}"[^>]*>', listing)
    assert form and 'data-confirm="Refuser l\'inscription de Léa Dumontel ?"' in form.group(0)
    assert 'id="ep-confirm-modal"' in listing

    response = client.post(refuse_url)

    assert response.status_code == 200
    assert "Oui, refuser" in response.content.decode()
    assert status_of(enrollment) == EnrollmentStatus.PENDING_APPROVAL
    response = client.post(reverse("cotraining:decide", args=[enrollment.pk, "accorder"]))
    assert response.status_code == 302
    assert status_of(enrollment) == EnrollmentStatus.CONFIRMED


def test_another_head_cannot_decide(client, approvals_setup):
    enrollment = approvals_setup["ours"]
    client.force_login(approvals_setup["other_head"])
    response = client.post(reverse("cotraining:decide", args=[enrollment.pk, "accorder"]))
    assert response.status_code == 404
    assert status_of(enrollment) == EnrollmentStatus.PENDING_APPROVAL


def test_an_unknown_decision_is_a_404(client, approvals_setup):
    enrollment = approvals_setup["ours"]
    client.force_login(approvals_setup["head"])
    response = client.post(reverse("cotraining:decide", args=[enrollment.pk, "peut-etre"]))
    assert response.status_code == 404
    assert status_of(enrollment) == EnrollmentStatus.PENDING_APPROVAL
