"""PDF documents: convocation, feuille d'émargement, attestation — read back as text with pypdf."""

import io
import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone, translation
from pypdf import PdfReader

from cotraining.constants import (
    Attendance,
    EnrollmentMode,
    EnrollmentStatus,
    Modality,
    SessionStatus,
    TrainingPlan,
)
from cotraining.pdfs import (
    attendance_sheet_pdf,
    certificate_pdf,
    convocation_pdf,
    format_hours,
    hours_phrase,
    offline_url_fetcher,
    render_pdf,
)
from tests.factories import (
    CompletionFactory,
    EnrollmentFactory,
    EstablishmentFactory,
    SessionFactory,
    UserFactory,
    workshop_page,
)

pytestmark = pytest.mark.django_db

# 08:00 UTC on a winter Thursday: 09:00 in Paris, which is what the documents must print.
THURSDAY_MORNING = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
ORDRE_DE_MISSION = (
    "La présente convocation vaut ordre de mission pour vous rendre sur le lieu de formation."
)


def pdf_text(pdf):
    """The text of every page, whitespace collapsed (line breaks fall wherever the layout says)."""
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pdf_links(pdf):
    """The targets of the PDF's clickable links."""
    reader = PdfReader(io.BytesIO(pdf))
    annotations = [a.get_object() for page in reader.pages for a in page.get("/Annots", [])]
    return [a["/A"]["/URI"] for a in annotations if "/A" in a and "/URI" in a["/A"]]


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
    return UserFactory(
        first_name="Jeanne",
        last_name="Moreau",
        establishment=EstablishmentFactory(name="Collège Jean Jaurès", commune="Châtellerault"),
    )


# --- Convocation -------------------------------------------------------------------------------


def test_convocation_names_the_person_the_workshop_the_plan_and_the_session(session, teacher):
    enrollment = EnrollmentFactory(session=session, user=teacher)

    text = pdf_text(convocation_pdf(enrollment))

    assert "Ministère de l'Éducation nationale — Académie de Poitiers" in text
    assert "Jeanne Moreau" in text
    assert "Collège Jean Jaurès" in text
    assert "Enseigner avec l'ENT" in text
    assert "PAF (plan académique de formation) — 2026-2027" in text
    assert "26A0130012" in text
    assert "Claire Vasseur" in text
    assert "jeudi 3 décembre 2026" in text
    assert "09:00 – 12:00" in text  # Paris time, not the UTC stored
    assert "Lycée Camille Guérin (Poitiers)" in text
    assert "B204" in text
    assert "3 h" in text
    assert ORDRE_DE_MISSION in text
    assert f"Convocation n° C{enrollment.pk:06d}-0 du" in text
    assert "Page 1 sur 1" in text


def test_a_course_convocation_lists_every_date_the_person_is_confirmed_on(workshop, teacher):
    workshop.enrollment_mode = EnrollmentMode.COURSE
    workshop.save()
    first = SessionFactory(workshop=workshop, start=THURSDAY_MORNING)
    second = SessionFactory(
        workshop=workshop,
        start=THURSDAY_MORNING + timedelta(days=7),
        end=THURSDAY_MORNING + timedelta(days=7, hours=1, minutes=30),
    )
    cancelled = SessionFactory(
        workshop=workshop,
        start=THURSDAY_MORNING + timedelta(days=14),
        status=SessionStatus.CANCELLED,
    )
    not_enrolled = SessionFactory(workshop=workshop, start=THURSDAY_MORNING + timedelta(days=21))
    enrollment = EnrollmentFactory(session=first, user=teacher)
    EnrollmentFactory(session=second, user=teacher)
    EnrollmentFactory(session=cancelled, user=teacher)
    EnrollmentFactory(session=not_enrolled)

    text = pdf_text(convocation_pdf(enrollment))

    assert "jeudi 3 décembre 2026" in text
    assert "jeudi 10 décembre 2026" in text
    assert "09:00 – 10:30" in text
    assert "jeudi 17 décembre 2026" not in text  # cancelled
    assert "jeudi 24 décembre 2026" not in text  # another person's seat
    assert "Durée 4,5 h" in text


def test_a_per_session_convocation_lists_that_session_only(session, teacher):
    other = SessionFactory(workshop=session.workshop, start=THURSDAY_MORNING + timedelta(days=7))
    enrollment = EnrollmentFactory(session=session, user=teacher)
    EnrollmentFactory(session=other, user=teacher)

    text = pdf_text(convocation_pdf(enrollment))

    assert "jeudi 3 décembre 2026" in text
    assert "jeudi 10 décembre 2026" not in text


def test_a_remote_convocation_gives_the_visio_link(workshop, teacher):
    session = SessionFactory(
        workshop=workshop,
        modality=Modality.REMOTE,
        establishment=None,
        visio_url="https://visio.education.fr/meeting/123456",
    )

    pdf = convocation_pdf(EnrollmentFactory(session=session, user=teacher))

    # One annotation per line the link runs over.
    assert set(pdf_links(pdf)) == {"https://visio.education.fr/meeting/123456"}
    # A long link may wrap at a slash: compare the printed text without the line breaks.
    assert "visio.education.fr/meeting/123456" in pdf_text(pdf).replace(" ", "")
    assert ORDRE_DE_MISSION in pdf_text(pdf)


@pytest.mark.parametrize("status", [EnrollmentStatus.WAITLISTED, EnrollmentStatus.CANCELLED])
def test_only_a_confirmed_seat_gets_a_convocation(session, status):
    enrollment = EnrollmentFactory(session=session, status=status)

    with pytest.raises(ValueError, match="confirmed"):
        convocation_pdf(enrollment)


# --- Feuille d'émargement ----------------------------------------------------------------------


def test_attendance_sheet_lists_confirmed_people_by_name_with_their_attendance(session):
    for first, last, attendance, hours in [
        ("Zoé", "Martin", Attendance.PARTIAL, Decimal("1.50")),
        ("Alice", "Bernard", Attendance.PRESENT, Decimal("3.00")),
        ("Paul", "Durand", Attendance.ABSENT, None),
        ("Hugo", "Bernard", "", None),
    ]:
        person = UserFactory(
            first_name=first,
            last_name=last,
            establishment=EstablishmentFactory(name=f"École {last}"),
        )
        EnrollmentFactory(session=session, user=person, attendance=attendance, hours_attended=hours)
    EnrollmentFactory(
        session=session,
        status=EnrollmentStatus.WAITLISTED,
        user=UserFactory(first_name="Léa", last_name="Attente"),
    )
    EnrollmentFactory(user=UserFactory(first_name="Marc", last_name="Ailleurs"))

    text = pdf_text(attendance_sheet_pdf(session))

    assert "Feuille d'émargement" in text
    assert "Enseigner avec l'ENT" in text
    assert "jeudi 3 décembre 2026" in text
    assert "09:00 – 12:00 (3 h)" in text
    assert "Lycée Camille Guérin (Poitiers)" in text
    assert "26A0130012" in text
    assert "4 personnes inscrites" in text
    assert "1 Alice Bernard École Bernard Présent" in text
    assert "2 Hugo Bernard École Bernard 3 Paul Durand" in text  # nothing recorded: blank
    assert "3 Paul Durand École Durand Absent" in text
    assert "4 Zoé Martin École Martin Partiel (1,5 h)" in text
    assert "Attente" not in text
    assert "Ailleurs" not in text
    assert "Signature du formateur ou de la formatrice (Claire Vasseur)" in text


def test_times_are_those_of_paris_whatever_time_zone_is_active(session):
    with timezone.override("America/Cayenne"):
        text = pdf_text(attendance_sheet_pdf(session))

    assert "09:00 – 12:00" in text


def test_attendance_sheet_of_a_cancelled_session_says_so(session):
    session.status = SessionStatus.CANCELLED
    session.cancellation_reason = "Formatrice absente"
    session.save()

    text = pdf_text(attendance_sheet_pdf(session))

    assert "Séance annulée. Formatrice absente" in text
    assert "Aucune personne inscrite." in text


# --- Attestation de présence -------------------------------------------------------------------


def test_certificate_states_hours_and_lists_the_sessions_attended(session, teacher):
    later = SessionFactory(
        workshop=session.workshop,
        start=THURSDAY_MORNING + timedelta(days=7),
        end=THURSDAY_MORNING + timedelta(days=7, hours=3),
    )
    missed = SessionFactory(workshop=session.workshop, start=THURSDAY_MORNING + timedelta(days=14))
    EnrollmentFactory(session=session, user=teacher, attendance=Attendance.PRESENT)
    EnrollmentFactory(
        session=later, user=teacher, attendance=Attendance.PARTIAL, hours_attended=Decimal("1.5")
    )
    EnrollmentFactory(session=missed, user=teacher, attendance=Attendance.ABSENT)
    completion = CompletionFactory(
        user=teacher,
        workshop=session.workshop,
        hours=Decimal("4.50"),
        sessions_attended=2,
        completed_at=THURSDAY_MORNING + timedelta(days=8),
    )

    # Printed once both sessions are over (only sessions held count).
    with time_machine.travel(THURSDAY_MORNING + timedelta(days=8), tick=False):
        text = pdf_text(certificate_pdf(completion))

    assert "Attestation de présence" in text
    assert (
        "atteste que Jeanne Moreau a suivi l'atelier « Enseigner avec l'ENT » "
        "pour une durée de 4,5 heures." in text
    )
    assert "jeudi 3 décembre 2026 09:00 – 12:00 3 h" in text  # present: the whole session
    assert "jeudi 10 décembre 2026 09:00 – 12:00 1,5 h" in text
    assert "jeudi 17 décembre 2026" not in text  # absent
    assert "26A0130012" in text
    assert "Atelier validé le 11 décembre 2026" in text
    assert f"Attestation n° {completion.certificate_number}" in text
    assert f"en indiquant son numéro, {completion.certificate_number}." in text
    assert "La coordination académique — Académie de Poitiers" in text


# --- Helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("3.00"), "3"),
        (Decimal("1.50"), "1,5"),
        (Decimal("2.25"), "2,25"),
        (Decimal("10.00"), "10"),
        (Decimal("1.333"), "1,33"),
        (2, "2"),
        (None, ""),
    ],
)
def test_hours_have_two_decimals_at_most_and_no_trailing_zeros(value, expected):
    assert format_hours(value) == expected


def test_hours_use_the_active_language():
    with translation.override("en"):
        assert format_hours(Decimal("1.50")) == "1.5"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("1"), "1 heure"), (Decimal("3.00"), "3 heures"), (Decimal("1.5"), "1,5 heures")],
)
def test_hours_phrase_agrees_in_number(value, expected):
    assert hours_phrase(value) == expected


def test_the_url_fetcher_refuses_the_network():
    fetcher = offline_url_fetcher()

    for url in ("https://example.org/logo.png", "http://example.org/style.css"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)


REMOTE_TEMPLATE = {
    "remote.html": '<html><body><p>Bonjour</p><img src="https://example.org/logo.png"></body></html>'
}


@override_settings(
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", REMOTE_TEMPLATE)]},
        }
    ]
)
def test_rendering_never_opens_a_connection(monkeypatch):
    attempts = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kw: attempts.append(args))
    monkeypatch.setattr(socket.socket, "connect", lambda *args: attempts.append(args))

    text = pdf_text(render_pdf("remote.html", {}))

    assert "Bonjour" in text
    assert attempts == []
