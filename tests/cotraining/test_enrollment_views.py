"""The enrolment journey through the views, as a teacher lives it: workshop page, "Mon
parcours", documents, calendar feed and self check-in (what trainers, coordinators and school
heads do with sessions is in test_session_staff_views.py).

Each test goes through Django's test client; object-level rules are checked both ways (the
owner gets the thing, anybody else a 404 with nothing changed). The `session` and `workshop`
fixtures are in conftest.py.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import messages
from django.urls import reverse
from wagtail.models import ModelLogEntry

from cotraining import services
from cotraining.constants import Attendance, AuditAction, EnrollmentStatus, Modality
from cotraining.models import CalendarFeed, Enrollment
from tests.factories import (
    CompletionFactory,
    EnrollmentFactory,
    SessionFactory,
    UserFactory,
    teacher,
    workshop_page,
)
from tests.helpers import during, messages_of, page_text, status_of

pytestmark = pytest.mark.django_db

VISIO_URL = "https://visio.example.org/salle-secrete-4242"


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
