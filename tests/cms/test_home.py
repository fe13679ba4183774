"""The home page as the start of each role's day (issue 13, item 17)."""

from django.utils import timezone
from django.utils.html import escape

from cotraining.constants import ACTIVE_ENROLLMENT_STATUSES
from cotraining.models import Enrollment, User
from tests.factories import SessionFactory, teacher, workshop_page


def _html(client, user=None):
    if user is not None:
        client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def _demo(local):
    return User.objects.get(email=f"{local}@demo.entrepairs.fr")


def test_each_role_starts_its_day_on_the_home_page(client, seeded_demo):
    anonymous = _html(client)
    assert "Se connecter" in anonymous
    assert "Mes prochaines séances" not in anonymous
    assert "Derniers retours d'expérience" in anonymous

    teacher_user = _demo("enseignant")
    html = _html(client, teacher_user)
    assert "Mes prochaines séances" in html
    nxt = (
        Enrollment.objects.filter(
            user=teacher_user,
            status__in=ACTIVE_ENROLLMENT_STATUSES,
            session__end__gt=timezone.now(),
        )
        .order_by("session__start")
        .first()
    )
    assert escape(nxt.session.workshop.title) in html
    assert "Des places près de chez vous" in html
    assert 'href="/mes-certifications/"' in html  # in her menu
    assert "À décider" not in html
    assert "Chiffres clés" not in html

    html = _html(client, _demo("formateur"))
    assert "Mes séances à animer" in html
    assert "Émargement à compléter" in html  # the demo trainer has attendance to take

    html = _html(client, _demo("coordination"))
    assert "À décider" in html
    assert "1 contenu à relire" in html  # the workshop the trainer submitted
    assert "Séances à risque" in html
    # The coordinator's tools sit in one "Gérer" menu: the bar does not wrap.
    assert 'aria-controls="menu-manage"' in html

    html = _html(client, _demo("indicateurs"))
    assert "Chiffres clés" in html
    assert "Mes séances à animer" not in html


def test_suggestions_are_open_seats_near_the_teacher_and_not_already_chosen(client, db):
    person = teacher()
    near = workshop_page(title="Atelier dans mon département")
    SessionFactory(workshop=near, establishment=person.establishment)
    full = workshop_page(title="Atelier complet")
    full_session = SessionFactory(workshop=full, capacity=1, establishment=person.establishment)
    Enrollment.objects.create(session=full_session, user=teacher(), status="confirmed")
    chosen = workshop_page(title="Atelier déjà choisi")
    chosen_session = SessionFactory(workshop=chosen, establishment=person.establishment)
    Enrollment.objects.create(session=chosen_session, user=person, status="confirmed")

    html = _html(client, person)
    suggestions = html.split("Des places près de chez vous", 1)[1]
    assert "Atelier dans mon département" in suggestions
    assert "Atelier complet" not in suggestions
    assert "Atelier déjà choisi" not in suggestions
    assert "Atelier déjà choisi" in html  # listed among her next sessions instead
