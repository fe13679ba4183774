"""seed_scale writes pages in bulk: the tree, publication and search index must hold as if each
page had gone through add_child. Its speed is measured by `make bench`, never here."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Page

from cms.site_structure import ensure_site
from cotraining.models import Enrollment, Session, WorkshopIndexPage, WorkshopPage

pytestmark = pytest.mark.django_db


def seed_scale(**options):
    options = {"teachers": 20, "trainers": 3, "stdout": StringIO(), **options}
    call_command("seed_scale", **options)


def scale_workshops():
    return WorkshopPage.objects.filter(slug__startswith="charge-")


@pytest.fixture
def home():
    ensure_site()
    return Page.objects.get(depth=2)


def test_workshops_are_live_children_of_the_academie_section_in_a_sound_tree(home):
    seed_scale(workshops=30)

    catalogue = WorkshopIndexPage.objects.child_of(home).get(slug="ateliers")
    section = WorkshopIndexPage.objects.child_of(catalogue).get()
    assert section.academie.code == "13"
    workshops = scale_workshops()
    assert workshops.count() == 30
    assert workshops.live().child_of(section).count() == 30
    assert not workshops.filter(first_published_at__isnull=True).exists()
    assert section.numchild == 30
    first = workshops.order_by("path").first()
    assert first.url == f"/ateliers/{section.slug}/{first.slug}/"
    # Nothing for fixtree to repair: characters, step length, orphans, depth, numchild.
    assert Page.find_problems() == ([], [], [], [], [])


def test_every_workshop_has_sessions_and_some_have_enrolments(home):
    seed_scale(workshops=30, sessions_per_workshop=3)

    workshops = scale_workshops()
    assert not workshops.filter(sessions__isnull=True).exists()
    sessions = Session.objects.filter(workshop__in=workshops)
    assert 30 <= sessions.count() <= 90
    for session in sessions:
        session.full_clean()  # venue or visio link as the modality requires, dates in order
    assert Enrollment.objects.filter(session__in=sessions).exists()


def test_workshops_are_indexed_for_search(home):
    seed_scale(workshops=30)

    first = scale_workshops().order_by("path").first()
    found = WorkshopPage.objects.live().search(first.title)
    assert first.pk in {page.pk for page in found}
    # Indexed through the French backend: the plural finds pages that only use the singular.
    singular_only = {
        page.pk
        for page in scale_workshops()
        if "numérique " in f"{page.title} {page.summary} "
        and "numériques" not in page.summary
        and "numériques" not in page.title
    }
    assert singular_only
    assert singular_only <= {page.pk for page in WorkshopPage.objects.live().search("numériques")}


def test_a_second_run_is_refused_unless_reset(home):
    seed_scale(workshops=5)

    with pytest.raises(CommandError, match="--reset"):
        seed_scale(workshops=5)
    assert scale_workshops().count() == 5

    seed_scale(workshops=7, reset=True)
    assert scale_workshops().count() == 7
    assert scale_workshops().first().get_parent().numchild == 7
    assert Page.find_problems() == ([], [], [], [], [])


def test_production_settings_are_refused(home, settings):
    settings.IS_PRODUCTION = True

    with pytest.raises(CommandError, match="production"):
        seed_scale(workshops=5)
    assert not scale_workshops().exists()
