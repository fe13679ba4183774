"""Site pages: where each type may live, the resource form's rules, RETEX and library rendering."""

import pytest
from wagtail.test.utils import WagtailPageTestCase

from cms.models import HomePage, ResourceIndexPage, ResourcePage, RetexPage, StandardPage
from cms.site_structure import ensure_academie_sections
from cotraining.models import WorkshopIndexPage, WorkshopPage
from tests.factories import UserFactory, academie, workshop_page

pytestmark = pytest.mark.django_db


class TestPageTree(WagtailPageTestCase):
    def test_where_each_page_type_lives(self):
        self.assertAllowedParentPageTypes(WorkshopPage, {WorkshopIndexPage})
        self.assertAllowedSubpageTypes(WorkshopPage, set())
        self.assertAllowedParentPageTypes(ResourcePage, {ResourceIndexPage})
        self.assertAllowedParentPageTypes(RetexPage, {ResourceIndexPage})
        self.assertAllowedSubpageTypes(
            ResourceIndexPage, {ResourceIndexPage, ResourcePage, RetexPage}
        )
        self.assertCanCreateAt(HomePage, WorkshopIndexPage)
        self.assertCanCreateAt(HomePage, StandardPage)
        self.assertCanNotCreateAt(HomePage, WorkshopPage)


@pytest.fixture
def library():
    return ensure_academie_sections(academie("13"))[1]


def resource_form(section, **data):
    form_class = ResourcePage.get_edit_handler().get_form_class()
    values = {
        "title": "Ressource",
        "slug": "ressource",
        "kind": "document",
        "description": '{"blocks": [{"key": "a", "text": "Texte", "type": "unstyled", '
        '"depth": 0, "inlineStyleRanges": [], "entityRanges": []}], "entityMap": {}}',
        "licence": "cc-by-sa",
        "academie": str(section.academie_id),
        **data,
    }
    return form_class(
        values,
        instance=ResourcePage(),
        parent_page=section,
        for_user=UserFactory(is_superuser=True),
    )


def test_a_document_resource_needs_its_document_and_a_link_its_address(library):
    form = resource_form(library)
    assert not form.is_valid()
    assert "document" in form.errors
    form = resource_form(library, kind="link")
    assert not form.is_valid()
    assert "link_url" in form.errors
    form = resource_form(library, kind="video", link_url="https://tube.example.fr/v/1")
    assert form.is_valid(), form.errors


def test_resource_and_retex_pages_render_and_link_their_workshop(client, library):
    sections = ensure_academie_sections(academie("13"))
    workshop = workshop_page(parent=sections[0], title="Atelier robotique")
    resource = ResourcePage(
        title="Fiches robots",
        slug="fiches-robots",
        kind="link",
        link_url="https://example.fr/fiches",
        description="<p>Des fiches.</p>",
        academie=academie("13"),
    )
    library.add_child(instance=resource)
    resource.workshops.set([workshop])
    resource.save()
    retex = RetexPage(
        title="RETEX robotique",
        slug="retex-robotique",
        theme="enseigner",
        context="<p>Contexte</p>",
        strong_points="<p>Élèves motivés</p>",
        irritants="<p>Batteries</p>",
        improvement_axes="<p>Former des référents</p>",
        academie=academie("13"),
        workshop=workshop,
        action_plan=[
            (
                "action",
                {
                    "what": "Former",
                    "how": "",
                    "who": "ERUN",
                    "when": "Janvier",
                    "indicators": "Référents formés",
                },
            )
        ],
    )
    library.add_child(instance=retex)

    content = client.get(retex.url).content.decode()
    assert "Élèves motivés" in content and "Référents formés" in content
    assert "Signaler un contenu inapproprié" in content
    response = client.get(resource.url)
    assert response.status_code == 200, (resource.url, response.status_code)
    content = response.content.decode()
    assert "Atelier robotique" in content and "https://example.fr/fiches" in content
    workshop_content = client.get(workshop.url).content.decode()
    assert "Fiches robots" in workshop_content and "RETEX robotique" in workshop_content
    listing = client.get(library.url).content.decode()
    assert "Fiches robots" in listing and "RETEX robotique" in listing
