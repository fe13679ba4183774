"""First journey: the public home page, then logging in with each demo account."""

import contextlib

import pytest
from playwright.sync_api import Error, expect

from tests.e2e.helpers import (
    check_a11y,
    demo_email,
    login,
    logout_button,
    submit_login,
    visit,
    watch_csp,
)

# (account, full name, role shown on the profile, sees the Administration link)
ROLES = [
    ("enseignant", "Camille Martin", "Enseignant", False),
    ("formateur", "Karim Benali", "Formateur", True),
    ("coordination", "Sophie Durand", "Coordination", True),
    ("indicateurs", "Jean Moreau", "Lecteur d'indicateurs", False),
    ("direction", "Claire Lefèvre", "Direction d'établissement", False),
    ("admin", "Alex Admin", "Administration de la plateforme", True),
]


def test_anonymous_home_page(page, live_server, demo_data):
    visit(page, live_server, "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    header = page.locator("header")
    expect(header.locator(".fr-header__service-title")).to_have_text("Entrepairs")
    expect(header.locator(".fr-header__service-tagline")).to_contain_text("Académie de Poitiers")
    expect(page.locator("main h1")).to_be_visible()
    expect(header.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(logout_button(page)).to_have_count(0)


@pytest.mark.parametrize(("local", "name", "role", "sees_admin"), ROLES, ids=[r[0] for r in ROLES])
def test_demo_account_login(page, live_server, demo_data, local, name, role, sees_admin):
    login(page, live_server, demo_email(local))

    visit(page, live_server, "/")
    expect(page.locator("header")).to_contain_text(name)
    nav = page.locator("#fr-navigation")
    expect(nav.get_by_role("link", name="Administration")).to_have_count(1 if sees_admin else 0)

    visit(page, live_server, "/profil/")
    expect(page.locator("main h1")).to_have_text("Mon profil")
    roles = page.locator("main h2", has_text="Mes rôles").locator("+ ul > li")
    expect(roles.filter(has_text=role).first).to_be_visible()


def test_wrong_password_is_refused(page, live_server, demo_data):
    submit_login(page, live_server, demo_email("enseignant"), "not-the-password")
    assert page.url.endswith("/comptes/login/")
    expect(page.locator("main .fr-alert--error")).to_be_visible()
    expect(logout_button(page)).to_have_count(0)
    expect(page.locator("header").get_by_role("link", name="Se connecter")).to_be_visible()
    check_a11y(page)


def test_an_injected_inline_script_is_blocked(browser, live_server, demo_data):
    """The Content-Security-Policy is enforced: a <script> without the nonce does not run
    (and the journeys' console check would report it)."""
    context = browser.new_context(locale="fr-FR")
    violations = []
    watch_csp(context, violations)
    page = context.new_page()
    page.goto(live_server.url + "/")
    with contextlib.suppress(Error):
        page.add_script_tag(content="window.injected = 1")
    assert page.evaluate("typeof window.injected") == "undefined"
    assert violations
    context.close()
