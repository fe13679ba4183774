"""The enrolment journey, in a real browser, from the first click to the certificate.

A teacher enrols and receives the convocation (PDF and .ics); a second teacher lands on the
waiting list; the first cancels, the second is promoted and emailed; the trainer projects the
rotating check-in code and the second teacher types it; the teacher then sees the session
completed with its hours once the session is over (not when checking in before it), and downloads
the attendance certificate.
"""

import io
import re
from datetime import timedelta

import time_machine
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect
from pypdf import PdfReader

from cotraining.constants import EnrollmentStatus, Modality
from cotraining.models import Completion, Enrollment, Session, User, WorkshopIndexPage, WorkshopPage
from tests.e2e.helpers import check_a11y, demo_email, login, make_teacher, visit

TITLE = "Débuter avec la classe mobile — atelier e2e"


def one_seat_workshop():
    """A published workshop with one seat, starting in 20 minutes: enrolment is still open and
    the check-in window (from 30 minutes before the start) already is."""
    section = WorkshopIndexPage.objects.get(academie__code="13")
    trainer = User.objects.get(email=demo_email("formateur"))
    workshop = section.add_child(
        instance=WorkshopPage(
            title=TITLE,
            summary="Prendre en main une flotte de tablettes en classe.",
            theme="enseigner",
            modality=Modality.IN_PERSON,
            duration_hours=2,
            academie=section.academie,
            training_plan="paf",
            plan_identifier="26A0130999",
            school_year="2026-2027",
        )
    )
    workshop.trainers.set([trainer])
    workshop.save_revision().publish()
    start = timezone.now().replace(microsecond=0) + timedelta(minutes=20)
    session = Session.objects.create(
        workshop=workshop,
        start=start,
        end=start + timedelta(hours=2),
        modality=Modality.IN_PERSON,
        address="Atelier Canopé, 6 rue Sainte-Catherine, Poitiers",
        capacity=1,
    )
    return workshop, session


def enrol(page, live_server, workshop):
    visit(page, live_server, workshop.url)
    page.get_by_role("button", name=re.compile("M'inscrire|Rejoindre la liste")).click()
    page.wait_for_load_state()


def mails_to(mailoutbox, user):
    return [message for message in mailoutbox if message.to == [user.email]]


def pdf_text(content):
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_enrol_wait_promote_check_in_complete(new_page, live_server, demo_data, mailoutbox):
    workshop, session = one_seat_workshop()
    first = make_teacher("alice.martin", "Alice", "Martin")
    second = make_teacher("bruno.petit", "Bruno", "Petit")

    # 1. Alice takes the only seat and gets her convocation with the invitation.
    alice = new_page()
    login(alice, live_server, first.email)
    enrol(alice, live_server, workshop)
    expect(alice.locator(".fr-alert--success")).to_contain_text("Inscription confirmée")
    (convocation,) = mails_to(mailoutbox, first)
    attachments = {name: content for name, content, _type in convocation.attachments}
    assert "Alice Martin" in pdf_text(attachments["convocation.pdf"])
    assert "ordre de mission" in pdf_text(attachments["convocation.pdf"])
    invitation = Calendar.from_ical(attachments["invitation.ics"])
    assert invitation["METHOD"] == "REQUEST"
    (event,) = invitation.walk("VEVENT")
    assert event.decoded("DTSTART") == session.start

    # 2. Bruno finds the session full and joins the waiting list, first in line.
    bruno = new_page()
    login(bruno, live_server, second.email)
    enrol(bruno, live_server, workshop)
    expect(bruno.locator(".fr-alert--warning")).to_contain_text("position 1")
    expect(bruno.locator("#sessions ~ div table")).to_contain_text("Liste d'attente : position 1")

    # 3. Alice cancels from "Mon parcours": Bruno gets the seat and an email saying so.
    visit(alice, live_server, "/mon-parcours/")
    alice.get_by_role("button", name=re.compile("Annuler")).click()
    alice.get_by_role("button", name="Oui, annuler mon inscription").click()
    expect(alice.locator(".fr-alert--success")).to_contain_text("annulée")
    promoted = [m for m in mails_to(mailoutbox, second) if "place s'est libérée" in m.subject]
    assert len(promoted) == 1, [m.subject for m in mails_to(mailoutbox, second)]
    assert Enrollment.objects.get(user=second).status == EnrollmentStatus.CONFIRMED

    # 4. The trainer projects the check-in code; Bruno types it.
    trainer = new_page()
    login(trainer, live_server, demo_email("formateur"))
    visit(trainer, live_server, "/mes-seances/")
    trainer.get_by_role(
        "link", name=re.compile("Participants et émargement.*" + "classe mobile")
    ).click()
    expect(trainer.locator("h1")).to_have_text(TITLE)
    check_a11y(trainer)
    trainer.get_by_role("link", name="Afficher le code d'émargement").click()
    code = trainer.locator("#checkin-code").inner_text().replace(" ", "")
    assert re.fullmatch(r"\d{6}", code)
    check_a11y(trainer)

    visit(bruno, live_server, "/emargement/")
    bruno.get_by_label("Code d'émargement").fill(code)
    bruno.get_by_role("button", name="Je suis présent(e)").click()
    expect(bruno.locator(".fr-alert--success")).to_contain_text("Présence enregistrée")

    # The trainer's sheet shows it (and would let them correct it).
    visit(trainer, live_server, f"/mes-seances/{session.pk}/")
    expect(
        trainer.locator(f"#enrollment-{Enrollment.objects.get(user=second).pk}")
    ).to_contain_text("émargé en ligne")

    # 5. Checked in before the start: presence, not training done. No certificate yet, and
    # "Mon parcours" says so instead of offering a cancellation that would fail.
    visit(bruno, live_server, "/mon-parcours/")
    upcoming = bruno.get_by_role("table", name="Mes prochaines séances")
    expect(upcoming).to_contain_text("Présence enregistrée")
    expect(upcoming.get_by_role("button", name=re.compile("Annuler"))).to_have_count(0)
    assert not Completion.objects.filter(user=second).exists()

    # 6. Once the session is over, Bruno's path shows the workshop completed with the session's
    # hours (2 h, not the time since his check-in); the certificate downloads.
    with time_machine.travel(session.end + timedelta(minutes=5)):
        visit(bruno, live_server, "/mon-parcours/")
        completion = Completion.objects.get(user=second, workshop=workshop)
        attestations = bruno.locator("#attestations + ul")
        expect(attestations).to_contain_text(TITLE)
        expect(attestations).to_contain_text("2 h")
        with bruno.expect_download() as download_info:
            bruno.get_by_role("link", name="Attestation de présence (PDF)").click()
    with open(download_info.value.path(), "rb") as handle:
        text = pdf_text(handle.read())
    assert "Bruno Petit" in text
    assert completion.certificate_number in text
