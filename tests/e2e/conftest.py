"""Browser journeys: a real headless Chromium driven by Playwright against a live server."""

import io
import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect, sync_playwright

# Playwright's sync API runs an event loop in this thread; Django's ORM must still be allowed.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

E2E_DIR = Path(__file__).resolve().parent
DEMO_DOMAIN = "demo.entrepairs.fr"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BLOCKING_IMPACTS = {"serious", "critical"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(path).is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {path}: CI must never skip browser journeys")
        pytest.skip("Chromium not installed (apt-get install chromium): browser journeys skipped")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def watch_csp(context, violations):
    """Collect the Content-Security-Policy violations Chromium reports on the console: a
    journey fails on any, so that a script, style or frame the policy blocks is noticed."""

    def on_console(message):
        if "Content Security Policy" in message.text:
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", on_console)


def assert_no_csp_violation(violations):
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR")
    violations = []
    watch_csp(context, violations)
    yield context.new_page()
    context.close()
    assert_no_csp_violation(violations)


@pytest.fixture
def demo_data(transactional_db):
    """The demo académie and accounts; seed_demo also restores the reference data and home
    page that the flush after each live-server test wipes."""
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def new_page(browser):
    """Pages in fresh browser contexts: one person each, with their own cookies."""
    contexts = []
    violations = []

    def open_page():
        context = browser.new_context(locale="fr-FR", accept_downloads=True)
        watch_csp(context, violations)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert_no_csp_violation(violations)


def make_teacher(local, first_name, last_name):
    """A teacher who can log in (verified address, the demo password)."""
    from allauth.account.models import EmailAddress

    from cotraining.constants import Role
    from cotraining.models import User
    from cotraining.services import grant_role

    email = f"{local}@example.fr"
    user = User.objects.create_user(
        email, password=settings.DEMO_PASSWORD, first_name=first_name, last_name=last_name
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    grant_role(user=user, role=Role.TEACHER)
    return user


def demo_email(local):
    return f"{local}@{DEMO_DOMAIN}"


def check_a11y(page):
    """Fail on any serious or critical axe-core violation of the current page."""
    violations = [
        v for v in Axe().run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS
    ]
    lines = [
        f"- {v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in violations
    ]
    assert not violations, f"Accessibility violations on {page.url}:\n" + "\n".join(lines)


def visit(page, live_server, path):
    """Open `path`, expect a 200 and an accessible page."""
    response = page.goto(live_server.url + path)
    assert response.status == 200, f"GET {path} answered {response.status}"
    check_a11y(page)


def logout_button(page):
    return page.locator("header").get_by_role("button", name="Se déconnecter")


def submit_login(page, live_server, email, password):
    """Fill and send the login form (header forms such as the language switch are left alone)."""
    visit(page, live_server, "/comptes/login/")
    form = page.locator("main form", has=page.locator("input[name=login]"))
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def login(page, live_server, email):
    submit_login(page, live_server, email, settings.DEMO_PASSWORD)
    expect(logout_button(page)).to_be_visible()
