"""Logging in with ProConnect, in a real browser, against a real OpenID provider on loopback.

"S'identifier avec ProConnect" → the provider's login → back as a teacher (a new account) →
enrolment in a session → "Se déconnecter" ends the site's session and the provider's.
The provider is node's oidc-provider configured like ProConnect (tests/oidc_provider), started
for this module on a free port; skipped with the reason where node is missing, never under CI.
"""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from cotraining.constants import EnrollmentStatus, Modality, Role
from cotraining.models import (
    Enrollment,
    FederatedIdentity,
    RoleAssignment,
    Session,
    User,
    WorkshopIndexPage,
    WorkshopPage,
)
from tests.e2e.helpers import logout_button, visit
from tests.oidc import LOOPBACK_AGENT, enable_oidc, running_provider

TITLE = "Piloter un projet numérique — atelier ProConnect"


@pytest.fixture(scope="module")
def issuer(live_server):
    with running_provider(
        redirect_uris=[f"{live_server.url}/comptes/oidc/retour/"],
        post_logout_redirect_uris=[f"{live_server.url}/comptes/oidc/deconnexion/"],
    ) as url:
        yield url


@pytest.fixture
def proconnect(issuer, settings):
    """The site configured with the provider's discovery URL, as for ProConnect."""
    cache.clear()
    enable_oidc(
        settings,
        OIDC_OP_DISCOVERY_URL=f"{issuer}/.well-known/openid-configuration",
        **dict.fromkeys(
            [
                "OIDC_OP_ISSUER",
                "OIDC_OP_AUTHORIZATION_ENDPOINT",
                "OIDC_OP_TOKEN_ENDPOINT",
                "OIDC_OP_USER_ENDPOINT",
                "OIDC_OP_JWKS_ENDPOINT",
                "OIDC_OP_LOGOUT_ENDPOINT",
            ],
            "",
        ),
    )
    return issuer


def open_workshop():
    section = WorkshopIndexPage.objects.get(academie__code="13")
    workshop = section.add_child(
        instance=WorkshopPage(
            title=TITLE,
            summary="Conduire un projet numérique d'établissement.",
            theme="enseigner",
            modality=Modality.IN_PERSON,
            duration_hours=3,
            academie=section.academie,
            training_plan="paf",
            plan_identifier="26A0130998",
            school_year="2026-2027",
        )
    )
    workshop.save_revision().publish()
    start = timezone.now().replace(microsecond=0) + timedelta(days=10)
    Session.objects.create(
        workshop=workshop,
        start=start,
        end=start + timedelta(hours=3),
        modality=Modality.IN_PERSON,
        address="Atelier Canopé, 6 rue Sainte-Catherine, Poitiers",
        capacity=10,
    )
    return workshop


def proconnect_button(page):
    return page.locator("main").get_by_role("button", name="S’identifier avec ProConnect")


def test_proconnect_login_enrolment_and_logout_at_both(page, live_server, demo_data, proconnect):
    workshop = open_workshop()

    # 1. The login page offers ProConnect above the local form (accessible: checked by visit).
    visit(page, live_server, "/comptes/login/")
    expect(proconnect_button(page)).to_be_visible()
    expect(page.get_by_role("link", name="Qu’est-ce que ProConnect ?")).to_have_attribute(
        "href", "https://www.proconnect.gouv.fr/"
    )

    # 2. At the provider: the agent's address, and back on the site, logged in.
    proconnect_button(page).click()
    page.wait_for_url(f"{proconnect}/interaction/**")
    page.get_by_label("Adresse électronique").fill(LOOPBACK_AGENT["email"])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server.url}/**")
    expect(logout_button(page)).to_be_visible()
    full_name = f"{LOOPBACK_AGENT['given_name']} {LOOPBACK_AGENT['usual_name']}"
    expect(page.locator("header")).to_contain_text(full_name)
    teacher = User.objects.get(email=LOOPBACK_AGENT["email"])
    assert set(RoleAssignment.objects.filter(user=teacher).values_list("role", flat=True)) == {
        Role.TEACHER
    }
    assert FederatedIdentity.objects.get(user=teacher).idp_id == LOOPBACK_AGENT["idp_id"]

    # 3. As a teacher: enrolment in the session.
    visit(page, live_server, workshop.url)
    page.get_by_role("button", name=re.compile("M'inscrire")).click()
    page.wait_for_load_state()
    expect(page.locator(".fr-alert--success")).to_contain_text("Inscription confirmée")
    assert Enrollment.objects.get(user=teacher).status == EnrollmentStatus.CONFIRMED

    # 4. "Se déconnecter": the provider's session ends too, then back on the site, logged out.
    logout_button(page).click()
    page.wait_for_url(f"{live_server.url}/")
    expect(logout_button(page)).to_have_count(0)
    expect(page.locator("header").get_by_role("link", name="Se connecter")).to_be_visible()

    # The provider asks who you are again: its session has ended.
    visit(page, live_server, "/comptes/login/")
    proconnect_button(page).click()
    page.wait_for_url(f"{proconnect}/interaction/**")
    expect(page.get_by_label("Adresse électronique")).to_be_visible()
