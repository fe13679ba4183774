"""The session and workshop editors: venues and trainers chosen among the académie's own."""

import pytest
from django.urls import reverse

from cms.site_structure import ensure_academie_sections
from cotraining.constants import Role
from cotraining.forms import SessionAdminForm
from cotraining.services import grant_role
from cotraining.validators import uai_check_letter
from tests.cotraining.test_session_admin import form_data
from tests.factories import EstablishmentFactory, UserFactory, academie, departement, workshop_page

pytestmark = pytest.mark.django_db


def lyon_school(name="Lycée lyonnais"):
    first7 = "0690002"
    return EstablishmentFactory(
        uai=first7 + uai_check_letter(first7),
        name=name,
        commune="Lyon",
        departement=departement("069"),
    )


def person_with(role, code):
    user = UserFactory()
    grant_role(user=user, role=role, academie=academie(code))
    return user


@pytest.fixture
def schools():
    return {
        "poitiers": EstablishmentFactory(name="Collège Jean Moulin", commune="Châtellerault"),
        "lyon": lyon_school(),
    }


@pytest.fixture
def workshop():
    section = ensure_academie_sections(academie("13"))[0]
    return workshop_page(parent=section, title="Atelier Capytale")


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER])
def test_the_chooser_lists_only_the_academies_establishments(client, schools, role):
    client.force_login(person_with(role, "13"))
    body = client.get(reverse("establishment_chooser:choose")).json()["html"]
    assert "Collège Jean Moulin" in body
    assert "Lycée lyonnais" not in body
    # Search by name, commune or UAI, never reaching another académie.
    for query in ("moulin", "COLLEGE jean", "chatellerault", schools["poitiers"].uai.lower()):
        results = client.get(reverse("establishment_chooser:choose_results"), {"q": query})
        assert "Collège Jean Moulin" in results.content.decode(), query  # an HTML fragment
    results = client.get(reverse("establishment_chooser:choose_results"), {"q": "lyon"})
    assert "Lycée lyonnais" not in results.content.decode()
    chosen = client.get(reverse("establishment_chooser:chosen", args=[schools["lyon"].pk]))
    assert chosen.status_code == 404


def test_the_session_form_uses_the_chooser_limited_to_the_academie(schools, workshop):
    trainer = person_with(Role.TRAINER, "13")
    form = SessionAdminForm(for_user=trainer)
    field = form.fields["establishment"]
    assert type(field.widget).__name__ == "EstablishmentChooserWidget"
    assert set(field.queryset) == {schools["poitiers"]}
    html = str(form["establishment"])
    assert reverse("establishment_chooser:choose") in html
    assert "Lycée lyonnais" not in html


def test_a_posted_establishment_of_another_academie_is_refused(client, schools, workshop):
    # Page rights on the académie's section come with the trainer's role.
    trainer = person_with(Role.TRAINER, "13")
    client.force_login(trainer)
    response = client.post(
        "/admin/seances/new/", form_data(workshop, establishment=schools["lyon"].pk)
    )
    assert response.status_code == 200
    assert not workshop.sessions.exists()
    response = client.post(
        "/admin/seances/new/", form_data(workshop, establishment=schools["poitiers"].pk)
    )
    assert response.status_code == 302
    assert workshop.sessions.get().establishment == schools["poitiers"]


def test_the_session_form_has_date_pickers():
    form = SessionAdminForm(for_user=UserFactory(is_superuser=True))
    # A bare Meta dropped WagtailAdminModelForm's formfield_callback: plain text inputs.
    for name in ("start", "end", "enrollment_opens", "enrollment_closes"):
        assert type(form.fields[name].widget).__name__ == "AdminDateTimeInput", name


def test_the_workshop_editor_offers_the_academies_trainers_with_a_search(client, workshop):
    ours = person_with(Role.TRAINER, "13")
    ours.last_name = "Poitevin"
    ours.save()
    theirs = person_with(Role.TRAINER, "10")
    theirs.last_name = "Lyonnais"
    theirs.save()
    coordinator = UserFactory(is_superuser=True)
    client.force_login(coordinator)
    body = client.get(reverse("wagtailadmin_pages:edit", args=[workshop.pk])).content.decode()
    assert 'data-filter-placeholder="Rechercher un formateur"' in body
    assert "admin-filter-choices.js" in body
    assert "Poitevin" in body and "Lyonnais" not in body
