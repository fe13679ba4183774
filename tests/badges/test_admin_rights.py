"""Coordinators run their académie's issuers and badges in the Wagtail admin, never another's."""

import pytest
from django.urls import reverse

from cotraining.constants import Role
from cotraining.services import grant_role
from tests.factories import (
    CoordinatorFactory,
    IssuerFactory,
    UserFactory,
    academie,
    make_badge_class,
    workshop_page,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(issuer):
    lyon = IssuerFactory(
        name="DANE de Lyon", url="https://www.ac-lyon.fr", email="d@ac-lyon.fr",
        academie=academie("10"),
    )  # fmt: skip
    return {
        "coordinator": CoordinatorFactory(),  # of Poitiers
        "mine": make_badge_class(issuer, name="Badge de Poitiers"),
        "theirs": make_badge_class(lyon, name="Badge de Lyon"),
        "lyon": lyon,
    }


def refused(response):
    """Wagtail answers a refused admin page by a redirect to the dashboard with a message."""
    return response.status_code == 403 or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    )


def test_a_coordinator_lists_and_edits_only_their_academie_badges(client, setup, issuer):
    client.force_login(setup["coordinator"])
    listing = client.get(reverse("badgeclass:index"))
    assert listing.status_code == 200
    assert "Badge de Poitiers" in listing.content.decode()
    assert "Badge de Lyon" not in listing.content.decode()
    assert client.get(reverse("badgeclass:edit", args=[setup["mine"].pk])).status_code == 200
    assert refused(client.get(reverse("badgeclass:edit", args=[setup["theirs"].pk])))
    assert refused(client.get(reverse("issuer:edit", args=[setup["lyon"].pk])))
    assert refused(client.get(reverse("badgeclass:delete", args=[setup["theirs"].pk])))
    assert client.get(reverse("issuer:edit", args=[issuer.pk])).status_code == 200


def test_the_badge_form_offers_only_their_issuers_and_workshops(client, setup, issuer):
    mine = workshop_page(title="Atelier de Poitiers")
    client.force_login(setup["coordinator"])
    form = client.get(reverse("badgeclass:add")).context["form"]
    assert list(form.fields["issuer"].queryset) == [issuer]
    assert mine in form.fields["workshop"].queryset
    assert not form.fields["workshop"].queryset.exclude(academie__code="13").exists()


def test_a_teacher_has_no_badge_admin(client, setup):
    teacher = UserFactory()
    grant_role(user=teacher, role=Role.TEACHER)
    client.force_login(teacher)
    assert client.get(reverse("badgeclass:index")).status_code == 302
