"""Browser journeys: a real headless Chromium driven by Playwright against a live server.

The helpers the journeys share (log in, visit, check accessibility…) are in helpers.py."""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import sync_playwright

from tests.e2e.helpers import assert_no_csp_violation, watch_csp

# Playwright's sync API runs an event loop in this thread; Django's ORM must still be allowed.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

E2E_DIR = Path(__file__).resolve().parent
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
