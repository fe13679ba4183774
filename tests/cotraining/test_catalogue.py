"""The public catalogue: facets and counts, French search, visibility, constant query counts."""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cms.site_structure import ensure_academie_sections
from cotraining.constants import Degree, Modality, SessionStatus, Theme, TrainingPlan
from cotraining.models import Competence, Discipline, Enrollment, Session
from tests.factories import UserFactory, academie, departement, workshop_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def section():
    return ensure_academie_sections(academie("13"))[0]


def add_session(workshop, *, days=10, capacity=10, status=SessionStatus.SCHEDULED, **fields):
    start = timezone.now() + timedelta(days=days)
    return Session.objects.create(
        workshop=workshop,
        start=start,
        end=start + timedelta(hours=3),
        modality=fields.pop("modality", Modality.IN_PERSON),
        address=fields.pop("address", "12 rue de la Paix, Poitiers"),
        capacity=capacity,
        status=status,
        **fields,
    )


def offer(
    section, title="Atelier", *, days=10, disciplines=(), competences=(), departements=(), **fields
):
    fields.setdefault("summary", "Un atelier entre pairs.")
    page = workshop_page(parent=section, title=title, **fields)
    # Parental many-to-many relations are written when the page is saved.
    page.disciplines.set(Discipline.objects.filter(code__in=disciplines))
    page.competences.set(Competence.objects.filter(code__in=competences))
    page.departements.set([departement(code) for code in departements])
    page.save()
    if days is not None:
        add_session(page, days=days)
    return page


def titles(response):
    """The workshop titles listed, read from the HTML (a cached listing has no context)."""
    return [html.unescape(t) for t in re.findall(CARD_TITLE, response.content.decode())]


CARD_TITLE = r'<h3 class="fr-card__title"><a href="[^"]*">([^<]*)</a></h3>'


def facet(response, name):
    found = next(f for f in response.context["facets"] if f.name == name)
    return {option.value: option.count for option in found.options}


def test_only_live_workshops_with_an_upcoming_session_are_listed(client, section):
    offer(section, "À venir")
    offer(section, "Passé", days=-3)
    offer(section, "Sans séance", days=None)
    offer(section, "Brouillon", live=False)
    cancelled = offer(section, "Annulé", days=None)
    add_session(cancelled, status=SessionStatus.CANCELLED)
    response = client.get("/ateliers/")
    assert response.status_code == 200
    assert titles(response) == ["À venir"]


def test_filters_combine_and_facets_count_with_the_other_filters(client, section):
    offer(section, "Maths présentiel", disciplines=["mathematiques"], modality=Modality.IN_PERSON)
    offer(section, "Maths distanciel", disciplines=["mathematiques"], modality=Modality.REMOTE)
    offer(section, "Anglais présentiel", disciplines=["anglais"], modality=Modality.IN_PERSON)
    response = client.get("/ateliers/?discipline=mathematiques&modality=presentiel")
    assert titles(response) == ["Maths présentiel"]
    # Modality counts apply the discipline filter only; discipline counts the modality only.
    assert facet(response, "modality")["presentiel"] == 1
    assert facet(response, "modality")["distanciel"] == 1
    assert facet(response, "discipline") == {"anglais": 1, "mathematiques": 1}
    selected = [o.value for f in response.context["facets"] for o in f.options if o.selected]
    assert sorted(selected) == ["mathematiques", "presentiel"]


def test_theme_competence_and_plan_filters(client, section):
    offer(
        section,
        "PAF",
        theme=Theme.RESPONSIBLE,
        training_plan=TrainingPlan.PAF,
        school_year="2026-2027",
        competences=["4.2"],
    )
    offer(section, "Hors plan", theme=Theme.TEACHING, competences=["3.4"])
    assert titles(client.get("/ateliers/?theme=responsable")) == ["PAF"]
    assert titles(client.get("/ateliers/?competence=3.4")) == ["Hors plan"]
    response = client.get("/ateliers/?plan=paf&plan=pdf")
    assert titles(response) == ["PAF"]
    assert facet(response, "theme")[Theme.RESPONSIBLE] == 1


def test_a_workshop_without_degree_is_open_to_both(client, section):
    offer(section, "Premier", degree=Degree.FIRST)
    offer(section, "Tous", degree="")
    response = client.get("/ateliers/?degree=2")
    assert titles(response) == ["Tous"]
    assert facet(response, "degree") == {"1": 2, "2": 1}


def test_a_workshop_without_departement_is_offered_to_the_whole_academie(client, section):
    offer(section, "Vienne", departements=["086"])
    offer(section, "Toute l'académie")
    offer(section, "Charente", departements=["016"])
    response = client.get("/ateliers/?departement=086")
    assert sorted(titles(response)) == ["Toute l'académie", "Vienne"]
    assert facet(response, "departement")["086"] == 2
    assert facet(response, "departement")["016"] == 2


def test_date_range_and_seats_left(client, section):
    soon = offer(section, "Bientôt complet", days=None)
    full = add_session(soon, days=5, capacity=1)
    Enrollment.objects.create(session=full, user=UserFactory())
    offer(section, "Plus tard", days=40)
    today = timezone.localdate()
    in_20_days = (today + timedelta(days=20)).isoformat()
    assert titles(client.get(f"/ateliers/?date_to={in_20_days}")) == ["Bientôt complet"]
    assert titles(client.get(f"/ateliers/?date_from={in_20_days}")) == ["Plus tard"]
    assert titles(client.get("/ateliers/?seats=true")) == ["Plus tard"]


def test_search_uses_french_stems_and_ignores_accents(client, section):
    offer(section, "Outils numériques pour la classe")
    offer(section, "Robotique")
    for query in ("numérique", "numerique", "NUMÉRIQUES", "outil"):
        assert titles(client.get("/ateliers/", {"q": query})) == [
            "Outils numériques pour la classe"
        ], query
    assert titles(client.get("/ateliers/", {"q": "tableur"})) == []


def test_search_and_filters_combine(client, section):
    offer(section, "Numérique en maths", disciplines=["mathematiques"])
    offer(section, "Numérique en anglais", disciplines=["anglais"])
    response = client.get("/ateliers/", {"q": "numérique", "discipline": "anglais"})
    assert titles(response) == ["Numérique en anglais"]


def test_an_unknown_filter_value_says_so_and_lists_nothing(client, section):
    offer(section, "Atelier")
    response = client.get("/ateliers/?discipline=astrologie&date_from=demain")
    assert response.status_code == 200
    assert titles(response) == []
    content = response.content.decode()
    assert "Certains filtres ne sont pas valides" in content
    assert "Séance à partir du" in content


def test_pagination_keeps_the_filters(client, section):
    for number in range(14):
        offer(section, f"Atelier {number:02d}", days=number + 1, modality=Modality.REMOTE)
    response = client.get("/ateliers/?modality=distanciel&page=2")
    assert len(titles(response)) == 2
    assert response.context["querystring"] == "modality=distanciel"


def test_the_academie_section_is_a_catalogue_too(client, section):
    offer(section, "Poitiers")
    assert titles(client.get(section.url)) == ["Poitiers"]


def _populate(section, count):
    for number in range(count):
        page = offer(
            section,
            f"Atelier {number}",
            disciplines=["mathematiques", "anglais"][: number % 3],
            competences=["1.1", "3.4"],
            departements=["086"],
            days=number + 1,
        )
        add_session(page, days=number + 30)


@pytest.mark.parametrize("count", [2, 15])
def test_the_catalogue_runs_a_constant_number_of_queries(
    client, section, count, django_assert_max_num_queries
):
    _populate(section, count)
    client.get("/ateliers/")  # warm the site-root cache, as a running server has
    url = (
        "/ateliers/?discipline=mathematiques&modality=presentiel&competence=1.1"
        "&seats=true&q=atelier"
    )
    # Computing a listing: filters, one aggregate per facet, the page's workshops.
    with django_assert_max_num_queries(27):
        response = client.get(url)
    assert response.status_code == 200
    with django_assert_max_num_queries(27):
        client.get("/ateliers/?page=2")
    # The same listing again is one cache read: only the site's own queries remain (the bare
    # page's: site, page route, view restrictions, settings, navigation).
    with django_assert_max_num_queries(10):
        again = client.get(url)
    assert titles(again) == titles(response)


def test_a_change_makes_cached_listings_obsolete(client, section):
    offer(section, "Premier")
    assert titles(client.get("/ateliers/")) == ["Premier"]
    later = offer(section, "Second", days=None)
    add_session(later, days=20)
    assert titles(client.get("/ateliers/")) == ["Premier", "Second"]
    Session.objects.filter(workshop=later).delete()
    assert titles(client.get("/ateliers/")) == ["Premier"]


@pytest.mark.parametrize("sessions", [1, 12])
def test_a_workshop_page_runs_a_constant_number_of_queries(
    client, section, sessions, django_assert_max_num_queries
):
    page = offer(section, "Atelier", days=None, disciplines=["mathematiques"], competences=["1.1"])
    for number in range(sessions):
        Enrollment.objects.create(session=add_session(page, days=number + 1), user=UserFactory())
    client.get(page.url)
    with django_assert_max_num_queries(22):
        response = client.get(page.url)
    assert response.status_code == 200


def test_the_workshop_page_shows_seats_identifiers_and_hides_the_visio_link(client, section):
    page = offer(
        section,
        "Classe virtuelle",
        days=None,
        training_plan=TrainingPlan.PAF,
        school_year="2026-2027",
        plan_identifier="26A0130099",
        competences=["2.1"],
    )
    session = add_session(
        page,
        capacity=5,
        modality=Modality.REMOTE,
        address="",
        visio_url="https://visio.education.fr/meeting/secret-room",
    )
    Enrollment.objects.create(session=session, user=UserFactory())
    add_session(page, days=20, status=SessionStatus.CANCELLED)
    content = client.get(page.url).content.decode()
    assert "4 places" in content
    assert "26A0130099" in content
    assert "2.1 Interagir" in content
    assert "Annulée" in content
    assert "secret-room" not in content
    assert "Signaler un contenu inapproprié" in content


def test_on_a_phone_the_filters_wait_behind_a_button_and_the_results_come_first(client, section):
    """The facets sit in a collapse that a "Filtrer" button opens (the CSS keeps it open from
    the md breakpoint up): on a 375 px screen the count and first result are on screen one."""
    offer(section, "Atelier visible")
    page = client.get(section.url).content.decode()
    toggle = re.search(
        r'<button type="button" class="([^"]*ep-filters__toggle[^"]*)"([^>]*)>', page
    )
    assert toggle and 'aria-controls="catalogue-facets"' in toggle.group(2)
    assert 'aria-expanded="false"' in toggle.group(2)
    collapse = page.index('<div class="fr-collapse" id="catalogue-facets">')
    assert collapse < page.index('aria-controls="facet-') < page.index('id="results-title"')
    assert page.index("ep-filters__toggle") < collapse


def test_on_a_phone_each_session_stacks_with_its_enrol_button_under_it(client, section):
    workshop = offer(section, "Atelier mobile")
    client.force_login(UserFactory())
    page = client.get(workshop.url).content.decode()
    assert 'class="fr-table fr-table--no-caption ep-sessions"' in page
    for label in ("Date", "Horaires", "Lieu", "Places restantes"):
        assert f'<td data-label="{label}">' in page
    action = page.index('<td class="ep-sessions__action">')
    assert "M&#x27;inscrire" in page[action:] or "M'inscrire" in page[action:]
