"""Sessions through the views, as trainers, coordinators and school heads manage them: "Mes
séances" (who reaches what), the attendance sheet, the participants CSV, the check-in screen
and approvals (the teacher's side is in test_enrollment_views.py).

Each test goes through Django's test client; object-level rules are checked both ways (the
owner gets the thing, anybody else a 404 with nothing changed). The `session` and `workshop`
fixtures are in conftest.py.
"""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import messages
from django.urls import reverse
from django.utils import timezone

from cotraining import services
from cotraining.constants import Attendance, EnrollmentStatus, Role
from cotraining.services import enroll, grant_role
from tests.factories import (
    EnrollmentFactory,
    EstablishmentFactory,
    SessionFactory,
    UserFactory,
    academie,
    teacher,
    workshop_page,
)
from tests.helpers import during, messages_of, page_text, status_of

pytestmark = pytest.mark.django_db


def trainer_of(*workshops):
    user = UserFactory()
    for workshop in workshops:
        workshop.trainers.add(user)
        workshop.save()
    return user


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
