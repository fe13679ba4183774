"""Sessions in the Wagtail admin: trainers manage those of their académie's workshops only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cms.site_structure import ensure_academie_sections
from cotraining.constants import Modality, Role, SessionStatus
from cotraining.models import Enrollment, Session
from cotraining.services import grant_role
from tests.factories import EstablishmentFactory, UserFactory, academie, workshop_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def section():
    ensure_academie_sections(academie("04"))
    return ensure_academie_sections(academie("13"))[0]


@pytest.fixture
def workshop(section):
    return workshop_page(parent=section, title="Atelier Capytale")


def trainer_of(code):
    user = UserFactory()
    grant_role(user=user, role=Role.TRAINER, academie=academie(code))
    return user


def dt(days, hour=14):
    moment = timezone.localtime() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def form_data(workshop, **overrides):
    start = dt(10)
    data = {
        "workshop": workshop.pk,
        "modality": Modality.IN_PERSON,
        "start": start.strftime("%Y-%m-%d %H:%M"),
        "end": (start + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M"),
        "establishment": EstablishmentFactory().pk,
        "address": "",
        "room": "Salle 12",
        "visio_url": "",
        "capacity": "12",
        "enrollment_opens": "",
        "enrollment_closes": "",
    }
    data.update(overrides)
    return data


def test_a_trainer_adds_a_session_from_the_workshop(client, workshop):
    client.force_login(trainer_of("13"))
    response = client.get(f"/admin/seances/new/?workshop={workshop.pk}")
    assert response.status_code == 200
    assert response.context["form"].initial["workshop"] == workshop.pk

    response = client.post("/admin/seances/new/", form_data(workshop))
    assert response.status_code == 302
    assert response["Location"].startswith(f"/admin/pages/{workshop.pk}/edit/")
    session = Session.objects.get()
    assert (session.workshop_id, session.capacity, session.room) == (workshop.pk, 12, "Salle 12")

    # Back on the workshop's edit screen, its sessions panel lists the new session: its room,
    # its seats and the link to change it.
    edit = client.get(f"/admin/pages/{workshop.pk}/edit/").content.decode()
    assert '<table class="listing" data-sessions>' in edit
    panel = edit.split("data-sessions>", 1)[1].split("</table>", 1)[0]
    assert f'href="/admin/seances/edit/{session.pk}/"' in panel
    assert "Salle 12" in panel
    assert "0 inscrits / 12" in panel


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"capacity": "0"}, "1"),
        ({"visio_url": "", "modality": Modality.REMOTE}, "lien de visio"),
        ({"establishment": "", "address": ""}, "un établissement ou une adresse"),
    ],
)
def test_bad_sessions_get_clear_messages_and_nothing_is_saved(client, workshop, overrides, message):
    client.force_login(trainer_of("13"))
    response = client.post("/admin/seances/new/", form_data(workshop, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Session.objects.exists()


def test_ending_before_starting_is_refused(client, workshop):
    client.force_login(trainer_of("13"))
    data = form_data(workshop)
    data["end"] = (dt(10) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    data["enrollment_closes"] = (dt(11)).strftime("%Y-%m-%d %H:%M")
    response = client.post("/admin/seances/new/", data)
    content = response.content.decode()
    assert "La fin de la séance doit suivre son début." in content
    assert "au plus tard au début de la séance" in content
    assert not Session.objects.exists()


def test_a_trainer_of_another_academie_cannot_touch_the_sessions(client, workshop):
    start = dt(10)
    session = Session.objects.create(
        workshop=workshop,
        start=start,
        end=start + timedelta(hours=2),
        modality=Modality.IN_PERSON,
        address="Poitiers",
        capacity=5,
    )
    client.force_login(trainer_of("04"))
    listing = client.get("/admin/seances/")
    assert listing.status_code == 200
    assert "Atelier Capytale" not in listing.content.decode()
    assert client.get(f"/admin/seances/edit/{session.pk}/").status_code in (302, 403)
    cancel = client.post(f"/admin/seances/cancel/{session.pk}/", {"reason": "x"})
    assert cancel.status_code in (302, 403)
    assert cancel.get("Location", "/admin/") == "/admin/"  # refused, back to the dashboard
    assert client.post(f"/admin/seances/delete/{session.pk}/").status_code in (302, 403)
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    response = client.post("/admin/seances/new/", form_data(workshop))
    assert response.status_code == 200  # the workshop is not a valid choice for them
    assert Session.objects.count() == 1
    assert client.get(f"/admin/pages/{workshop.pk}/edit/").status_code in (302, 403)


def test_deleting_a_session_with_enrolments_leads_to_cancellation(client, workshop):
    start = dt(10)
    session = Session.objects.create(
        workshop=workshop,
        start=start,
        end=start + timedelta(hours=2),
        modality=Modality.IN_PERSON,
        address="Poitiers",
        capacity=5,
    )
    Enrollment.objects.create(session=session, user=UserFactory())
    client.force_login(trainer_of("13"))
    grant = client.get(f"/admin/seances/delete/{session.pk}/")
    assert grant.status_code == 302
    assert grant["Location"] == f"/admin/seances/cancel/{session.pk}/"
    page = client.get(grant["Location"])
    assert "ne peut pas être supprimée" in page.content.decode()

    response = client.post(f"/admin/seances/cancel/{session.pk}/", {"reason": ""})
    assert response.status_code == 200  # the reason is required
    response = client.post(f"/admin/seances/cancel/{session.pk}/", {"reason": "Grève"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.cancellation_reason) == (SessionStatus.CANCELLED, "Grève")


def test_a_session_without_enrolments_can_be_deleted(client, workshop):
    start = dt(10)
    session = Session.objects.create(
        workshop=workshop,
        start=start,
        end=start + timedelta(hours=2),
        modality=Modality.IN_PERSON,
        address="Poitiers",
        capacity=5,
    )
    client.force_login(trainer_of("13"))
    response = client.post(f"/admin/seances/delete/{session.pk}/")
    assert response.status_code == 302
    assert not Session.objects.exists()


def test_the_workshop_edit_screen_lists_its_sessions(client, workshop):
    start = dt(10)
    Session.objects.create(
        workshop=workshop,
        start=start,
        end=start + timedelta(hours=2),
        modality=Modality.IN_PERSON,
        address="Salle des fêtes de Poitiers",
        capacity=5,
    )
    client.force_login(trainer_of("13"))
    content = client.get(f"/admin/pages/{workshop.pk}/edit/").content.decode()
    assert "Salle des fêtes de Poitiers" in content
    assert f"/admin/seances/new/?workshop={workshop.pk}" in content


def test_a_workshop_with_sessions_is_never_deleted_from_the_admin(client, section, workshop):
    start = dt(10)
    Session.objects.create(
        workshop=workshop,
        start=start,
        end=start + timedelta(hours=2),
        modality=Modality.IN_PERSON,
        address="Poitiers",
        capacity=5,
    )
    client.force_login(UserFactory(is_superuser=True))
    for url in (f"/admin/pages/{workshop.pk}/delete/", f"/admin/pages/{section.pk}/delete/"):
        response = client.post(url)
        assert response.status_code == 302
        assert "/edit/" in response["Location"]
    assert Session.objects.filter(workshop=workshop).exists()
    content = client.get(response["Location"]).content.decode()
    assert "ne peut pas être supprimé" in content


def test_a_workshop_without_sessions_can_be_deleted(client, workshop):
    client.force_login(UserFactory(is_superuser=True))
    response = client.post(f"/admin/pages/{workshop.pk}/delete/")
    assert response.status_code == 302
    assert not type(workshop).objects.filter(pk=workshop.pk).exists()


# --- Emails owed about enrolments, in the admin -----------------------------------------------


def failed_notification(workshop, last_name):
    from cotraining.constants import NotificationKind, NotificationStatus
    from cotraining.models import Notification
    from tests.factories import EnrollmentFactory, SessionFactory

    enrollment = EnrollmentFactory(
        session=SessionFactory(workshop=workshop),
        user=UserFactory(first_name="Iris", last_name=last_name),
    )
    return Notification.objects.create(
        enrollment=enrollment,
        recipient=enrollment.user,
        kind=NotificationKind.CONVOCATION,
        status=NotificationStatus.FAILED,
        attempts=5,
        last_error="SMTPRecipientsRefused: boîte inexistante",
    )


def test_coordinators_see_failed_emails_of_their_academie_only(client, section, workshop):
    bordeaux_section = ensure_academie_sections(academie("04"))[0]
    elsewhere = workshop_page(
        parent=bordeaux_section, title="Atelier bordelais", academie=academie("04")
    )
    failed_notification(workshop, "Poitevine")
    failed_notification(elsewhere, "Bordelaise")
    coordinator = UserFactory()
    grant_role(user=coordinator, role=Role.COORDINATOR, academie=academie("13"))
    client.force_login(coordinator)
    response = client.get("/admin/envois/?status=failed")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Iris Poitevine" in html
    assert "Bordelaise" not in html


def test_teachers_and_trainers_have_no_access_to_the_emails_list(client, workshop):
    client.force_login(trainer_of("13"))
    response = client.get("/admin/envois/")
    assert response.status_code in (302, 403)
