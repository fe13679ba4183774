"""The workshop journey: a trainer proposes, a coordinator approves, a teacher finds and opens.

A trainer creates a workshop with two sessions in the Wagtail admin and submits it to the
académie's moderation workflow; the coordination approves it, which publishes it and emails the
trainer; a teacher then finds it in the public catalogue through the discipline and modality
facets and through a French search that needs stemming, and opens it.
"""

import re
from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import dateformat, timezone, translation
from playwright.sync_api import expect

from cms.site_structure import ensure_academie_sections
from cotraining.constants import Modality, Role
from cotraining.models import (
    Academie,
    Establishment,
    Session,
    User,
    WorkshopIndexPage,
    WorkshopPage,
)
from cotraining.services import grant_role
from tests.e2e.helpers import check_a11y, demo_email, login, visit

# "numériques" in the title, "numérique" in the search: only French stemming matches the two.
TITLE = "Ressources numériques pour la classe de mathématiques — atelier e2e"
SUMMARY = "Choisir, adapter et partager des ressources en ligne pour la classe de mathématiques."
THEME = "Enseigner et apprendre avec le numérique"
VENUE = "Lycée Camille Guérin"
CAPACITY = 12
# Sooner than any demo session (the closest is in three days): the workshop comes first in the
# catalogue, which lists workshops by their next session, twelve to a page.
SESSION_DAYS = (2, 9)
PERMISSION_DENIED = "Désolé, vous n'avez pas les autorisations pour accéder à cette zone."


def poitiers_section():
    return WorkshopIndexPage.objects.get(academie__code="13")


def session_start(days):
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(14, 0), tzinfo=timezone.get_current_timezone())


def french_day(start):
    """The date as the templates print it ("vendredi 27 novembre 2026")."""
    with translation.override("fr"):
        return dateformat.format(timezone.localtime(start), "l j F Y")


def admin_datetime(start):
    return f"{timezone.localtime(start):%Y-%m-%d %H:%M}"


def admin_message(page):
    return page.locator(".messages")


def open_footer_menu(page):
    page.locator("footer .w-dropdown__toggle").click()


def open_add_workshop_form(page, live_server, section):
    page.goto(f"{live_server.url}/admin/pages/{section.pk}/")
    expect(page.locator("h1")).to_contain_text(section.title)
    page.get_by_role("link", name="Ajouter une sous-page").click()
    page.get_by_role("link", name="Atelier", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/pages/add/cotraining/workshoppage/{section.pk}/"))


# --- 1. The trainer -----------------------------------------------------------------------------


def create_workshop_draft(page, live_server, section):
    open_add_workshop_form(page, live_server, section)
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_summary").fill(SUMMARY)
    # Wagtail fills the slug from the title in the browser once the title loses focus: saving
    # before that is refused ("erreurs de validation"), as a hurried CI run once did.
    expect(page.locator("#id_slug")).not_to_have_value("")
    page.locator("#id_theme").select_option(label=THEME)
    page.locator("#id_modality").select_option(label="Présentiel")
    page.locator("#id_disciplines").select_option(label="Mathématiques")
    page.locator("#id_duration_hours").fill("6")
    # Should already be chosen (test_a_new_workshop_belongs_to_the_academie_of_its_section).
    page.locator("#id_academie").select_option(label="Poitiers")
    # The académie's trainers are boxes to tick (with a search box above them).
    page.get_by_role("checkbox", name="Karim Benali").check()
    with page.expect_navigation():
        page.locator("footer button.action-save").click()  # "Enregistrer le brouillon"

    expect(admin_message(page)).to_contain_text(TITLE)
    workshop = WorkshopPage.objects.get(title=TITLE)
    expect(page).to_have_url(re.compile(rf"/admin/pages/{workshop.pk}/edit/"))
    assert workshop.get_parent().specific == section
    assert not workshop.live
    assert list(workshop.disciplines.values_list("code", flat=True)) == ["mathematiques"]
    return workshop


def add_session(page, workshop, days):
    start = session_start(days)
    page.get_by_role("tab", name="Séances").click()
    with page.expect_navigation():
        page.locator("#tab-seances").get_by_role("link", name="Ajouter une séance").click()
    expect(
        page,
        "a trainer may add sessions to their workshop",
    ).to_have_url(re.compile(rf"/admin/seances/new/\?workshop={workshop.pk}$"))
    # The session form opens with the workshop and its modality already chosen.
    expect(page.locator("#id_workshop")).to_have_value(str(workshop.pk))
    expect(page.locator("#id_modality")).to_have_value(Modality.IN_PERSON)

    for field, value in (
        ("start", admin_datetime(start)),
        ("end", admin_datetime(start + timedelta(hours=3))),
    ):
        page.locator(f"#id_{field}").fill(value)
        page.locator(f"#id_{field}").press("Escape")  # closes the date picker
    venue = Establishment.objects.get(name=VENUE)
    # The venue is chosen in the establishment chooser (a search among the académie's schools).
    page.get_by_role("button", name="Choisir un établissement").click()
    chooser = page.locator(".modal-dialog, [role=dialog]").last
    chooser.get_by_role("textbox").first.fill(venue.name.split()[0])
    chooser.get_by_role("link", name=venue.name).first.click()
    expect(page.locator("#id_establishment")).to_have_value(str(venue.pk))
    page.locator("#id_room").fill("Salle 12")
    page.locator("#id_capacity").fill(str(CAPACITY))
    with page.expect_navigation():
        page.locator("footer button[type=submit]").first.click()

    # Back on the workshop, Séances tab, with the new session listed.
    expect(page).to_have_url(re.compile(rf"/admin/pages/{workshop.pk}/edit/"))
    row = page.locator("#tab-seances table[data-sessions] tbody tr", has_text=french_day(start))
    expect(row).to_be_visible()
    expect(row).to_contain_text(VENUE)
    expect(row).to_contain_text(f"0 inscrits / {CAPACITY}")


def submit_for_moderation(page, workshop):
    open_footer_menu(page)
    # A trainer may submit, never publish.
    expect(page.locator("footer [name=action-publish]")).to_have_count(0)
    submit = page.locator("footer button[name=action-submit]")
    expect(submit).to_contain_text("Modération · Poitiers")
    with page.expect_navigation():
        submit.click()
    expect(admin_message(page)).to_contain_text(TITLE)

    workshop.refresh_from_db()
    assert not workshop.live
    state = workshop.current_workflow_state
    assert state is not None and state.status == state.STATUS_IN_PROGRESS
    assert state.requested_by.email == demo_email("formateur")


# --- 2. The coordinator -------------------------------------------------------------------------


def approve(page, live_server, workshop):
    page.goto(f"{live_server.url}/admin/pages/{workshop.pk}/edit/")
    open_footer_menu(page)
    # "Approuver" without the comment dialog ("Approuver avec commentaire" opens one).
    approve_button = page.locator(
        "footer button[data-workflow-action-name=approve]:not([data-workflow-action-modal-url])"
    )
    with page.expect_navigation():
        approve_button.click()
    expect(admin_message(page)).to_contain_text(TITLE)
    workshop.refresh_from_db()
    assert workshop.live
    assert workshop.current_workflow_state is None


# --- 3. The teacher -----------------------------------------------------------------------------


def workshop_card(page):
    return page.locator("main .fr-card", has=page.get_by_role("link", name=TITLE))


def tick(facet, label):
    """Tick an option by its label, as a person does (DSFR draws the box over the input)."""
    facet.locator("label", has_text=re.compile(rf"^{label} \(\d+\)$")).click()
    expect(facet.get_by_label(label)).to_be_checked()


def find_with_facets(page, live_server):
    # The unfiltered catalogue's accessibility is test_the_catalogue_is_accessible's business.
    page.goto(live_server.url + "/ateliers/")
    discipline = page.locator("fieldset[data-facet=discipline]")
    if not discipline.is_visible():  # a facet with many options may start folded
        page.get_by_role("button", name="Discipline", exact=True).click()
    tick(discipline, "Mathématiques")
    tick(page.locator("fieldset[data-facet=modality]"), "Présentiel")
    with page.expect_navigation():
        page.get_by_role("button", name="Appliquer les filtres").click()

    assert "discipline=mathematiques" in page.url
    assert "modality=presentiel" in page.url
    expect(workshop_card(page)).to_be_visible()
    expected = (
        WorkshopPage.objects.live()
        .filter(disciplines__code="mathematiques", modality=Modality.IN_PERSON)
        .filter(sessions__in=Session.objects.upcoming())
        .distinct()
        .count()
    )
    expect(page.locator("main .fr-card")).to_have_count(expected)
    check_a11y(page)
    return page.url, expected


def search(page, live_server, words):
    page.goto(live_server.url + "/ateliers/")
    page.locator("#id_q").fill(words)
    with page.expect_navigation():
        page.locator("#catalogue-search").get_by_role("button", name="Rechercher").click()
    expect(page.locator("#id_q")).to_have_value(words)
    expect(workshop_card(page), f"a search for {words!r} finds {TITLE!r}").to_be_visible()
    check_a11y(page)


def open_workshop(page, workshop):
    with page.expect_navigation():
        page.get_by_role("link", name=TITLE).click()
    assert page.url.endswith(workshop.url)
    expect(page.locator("main h1")).to_have_text(TITLE)
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(len(SESSION_DAYS))
    for days in SESSION_DAYS:
        row = rows.filter(has_text=french_day(session_start(days)))
        expect(row).to_contain_text(VENUE)
        expect(row).to_contain_text(f"{CAPACITY} places / {CAPACITY}")
    facts = page.locator("main aside dl")
    expect(facts).to_contain_text("Mathématiques")
    expect(facts).to_contain_text("Karim Benali")
    expect(facts).to_contain_text("Académie de Poitiers")
    check_a11y(page)


def test_trainer_proposes_coordinator_approves_teacher_finds(
    page, new_page, live_server, demo_data, mailoutbox
):
    login(page, live_server, demo_email("formateur"))
    workshop = create_workshop_draft(page, live_server, poitiers_section())
    for days in SESSION_DAYS:
        add_session(page, workshop, days)
    assert workshop.sessions.count() == len(SESSION_DAYS)
    submit_for_moderation(page, workshop)

    coordinator = new_page()
    login(coordinator, live_server, demo_email("coordination"))
    mailoutbox.clear()
    approve(coordinator, live_server, workshop)
    to_trainer = [message for message in mailoutbox if demo_email("formateur") in message.to]
    assert to_trainer, "Wagtail tells the trainer that the workshop was approved"
    assert TITLE in to_trainer[0].subject + to_trainer[0].body

    teacher = new_page()
    login(teacher, live_server, demo_email("enseignant"))
    filtered_url, expected = find_with_facets(teacher, live_server)

    # The filtered catalogue is a shareable link: the same URL gives the same list, to anyone.
    anonymous = new_page()
    assert anonymous.goto(filtered_url).status == 200
    expect(workshop_card(anonymous)).to_be_visible()
    expect(anonymous.locator("main .fr-card")).to_have_count(expected)

    for words in ("numérique", "numerique"):
        search(teacher, live_server, words)
    open_workshop(teacher, workshop)


# --- Shorter checks -----------------------------------------------------------------------------


def test_a_new_workshop_belongs_to_the_academie_of_its_section(page, live_server, demo_data):
    section = poitiers_section()
    login(page, live_server, demo_email("formateur"))
    open_add_workshop_form(page, live_server, section)
    expect(
        page.locator("#id_academie"),
        "the académie is preset from the section (WorkshopPageForm)",
    ).to_have_value(str(section.specific.academie_id))


def test_the_catalogue_is_accessible(page, live_server, demo_data):
    """The whole catalogue (more than a page of workshops) and an académie's section."""
    visit(page, live_server, "/ateliers/")
    expect(page.locator("main .fr-card").first).to_be_visible()
    visit(page, live_server, "/ateliers/poitiers/")


def test_a_trainer_of_another_academie_cannot_touch_poitiers_workshops(
    page, live_server, demo_data
):
    bordeaux = Academie.objects.get(code="04")
    bordeaux_section, _ = ensure_academie_sections(bordeaux)
    email = "formatrice.bordeaux@example.fr"
    outsider = User.objects.create_user(
        email, password=settings.DEMO_PASSWORD, first_name="Inès", last_name="Garcia"
    )
    EmailAddress.objects.create(user=outsider, email=email, verified=True, primary=True)
    grant_role(user=outsider, role=Role.TRAINER, academie=bordeaux)
    # Her own workshop and session, so that an empty list of sessions proves nothing.
    own = bordeaux_section.add_child(
        instance=WorkshopPage(
            title="Atelier bordelais de test",
            summary="Un atelier de l'académie de Bordeaux.",
            theme="enseigner",
            modality=Modality.IN_PERSON,
            duration_hours=3,
            academie=bordeaux,
            owner=outsider,
        )
    )
    start = session_start(5)
    Session.objects.create(
        workshop=own,
        start=start,
        end=start + timedelta(hours=3),
        modality=Modality.IN_PERSON,
        address="1 place de la Bourse, Bordeaux",
        capacity=10,
    )
    poitiers_workshop = (
        WorkshopPage.objects.live()
        .child_of(poitiers_section())
        .filter(sessions__isnull=False)
        .distinct()
        .first()
    )

    login(page, live_server, email)
    edit_url = f"/admin/pages/{poitiers_workshop.pk}/edit/"
    page.goto(live_server.url + edit_url)
    assert not page.url.endswith(edit_url), "another académie's workshop is not editable"
    expect(admin_message(page)).to_contain_text(PERMISSION_DENIED)

    page.goto(f"{live_server.url}/admin/seances/")
    expect(
        page,
        "a trainer lists the sessions of their académie",
    ).to_have_url(re.compile(r"/admin/seances/$"))
    listing = page.locator("main table")
    expect(listing).to_contain_text(own.title)
    expect(listing).not_to_contain_text(poitiers_workshop.title)

    # Nor can she attach a session to a Poitiers workshop.
    page.goto(f"{live_server.url}/admin/seances/new/?workshop={poitiers_workshop.pk}")
    choices = page.locator("#id_workshop option")
    expect(choices.filter(has_text=own.title)).to_have_count(1)
    expect(page.locator(f"#id_workshop option[value='{poitiers_workshop.pk}']")).to_have_count(0)
