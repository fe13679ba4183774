"""The trainer's attendance sheet in a real browser: a partial presence is recorded with its
hours (the status and the hours go together; neither field saves the row and wipes the other)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from cotraining.constants import Attendance, EnrollmentStatus, Modality
from cotraining.models import Enrollment, Session, User, WorkshopPage
from tests.e2e.helpers import demo_email, login, make_teacher, visit


def test_the_trainer_records_a_partial_presence_with_its_hours(demo_data, live_server, new_page):
    trainer_user = User.objects.get(email=demo_email("formateur"))
    workshop = WorkshopPage.objects.live().filter(trainers=trainer_user).first()
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=30)
    session = Session.objects.create(
        workshop=workshop,
        start=start,
        end=start + timedelta(hours=3),
        modality=Modality.IN_PERSON,
        address="Atelier Canopé, Poitiers",
        capacity=10,
    )
    late, present = make_teacher("ines.tard", "Inès", "Tard"), make_teacher("leo.la", "Léo", "Là")
    rows = {
        person: Enrollment.objects.create(
            session=session,
            user=person,
            status=EnrollmentStatus.CONFIRMED,
            confirmed_at=start - timedelta(days=7),
        )
        for person in (late, present)
    }

    page = new_page()
    login(page, live_server, trainer_user.email)
    visit(page, live_server, f"/mes-seances/{session.pk}/")

    # "Présent" saves its row at once.
    row = page.locator(f"#enrollment-{rows[present].pk}")
    row.get_by_text("Présent", exact=True).click()
    expect(row.get_by_role("status")).to_have_text("Enregistré")

    # "Présence partielle" waits for its hours; a wrong figure keeps both choices on screen.
    row = page.locator(f"#enrollment-{rows[late].pk}")
    row.get_by_text("Présence partielle", exact=True).click()
    expect(row.get_by_role("status")).to_have_text("")
    row.get_by_label("Heures (présence partielle)").fill("4")
    row.get_by_role("button", name="Enregistrer").click()
    expect(row.get_by_role("status")).to_contain_text("indiquez des heures entre 0 et 3")
    expect(row.get_by_label("Présence partielle", exact=True)).to_be_checked()
    expect(row.get_by_label("Heures (présence partielle)")).to_have_value("4")

    row.get_by_label("Heures (présence partielle)").fill("1,5")
    row.get_by_role("button", name="Enregistrer").click()
    expect(row.get_by_role("status")).to_have_text("Enregistré")
    expect(row.get_by_label("Présence partielle", exact=True)).to_be_checked()
    expect(row.get_by_label("Heures (présence partielle)")).to_have_value("1,5")

    attended = {e.user_id: e for e in Enrollment.objects.filter(session=session)}
    assert (attended[late.pk].attendance, attended[late.pk].hours_attended) == (
        Attendance.PARTIAL,
        Decimal("1.50"),
    )
    assert attended[present.pk].attendance == Attendance.PRESENT
