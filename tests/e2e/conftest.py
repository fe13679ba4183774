"""Browser journeys: a real headless Chromium driven by Playwright against a live server.

The helpers the journeys share (log in, visit, check accessibility…) are in helpers.py."""

import io
import os
import shutil
import sqlite3
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


class DemoSnapshot:
    """The in-memory test database right after seed_demo, with the files and emails the seed
    produced: restoring it (SQLite's backup API, a few milliseconds) gives each journey exactly
    the state a fresh seed_demo would, for a fraction of its cost.

    Taken again when the hour changes: demo sessions start on the hour, so a snapshot never
    calls a session upcoming that a fresh seed would call started.
    """

    def __init__(self, connection, media_root, emails):
        self.taken_in = _this_hour()
        self.media_root = media_root
        self.emails = emails
        self.database = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(self.database)

    def is_current(self):
        return self.taken_in == _this_hour()

    def restore(self, connection):
        from django.contrib.contenttypes.models import ContentType
        from django.core.cache import caches

        self.database.backup(connection.connection)
        # In-process caches keyed by ids that the flush after the last journey renumbered.
        ContentType.objects.clear_cache()
        for cache in caches.all():
            cache.clear()


def _this_hour():
    from django.utils import timezone

    return timezone.localtime().replace(minute=0, second=0, microsecond=0)


_demo_snapshot = None


@pytest.fixture
def demo_data(transactional_db, settings, tmp_path_factory):
    """The demo académie and accounts; seed_demo also restores the reference data and home
    page that the flush after each live-server test wipes.

    Seeded once (per hour) and restored from a snapshot for the following journeys on the
    embedded in-memory SQLite database; seeded for each journey on any other database."""
    global _demo_snapshot
    from django.core import mail
    from django.db import connection
    from django.test import override_settings

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        call_command("seed_demo", stdout=io.StringIO())
        return
    connection.ensure_connection()
    if _demo_snapshot is None or not _demo_snapshot.is_current():
        media_root = tmp_path_factory.mktemp("demo-media")
        already_sent = len(mail.outbox)
        with override_settings(MEDIA_ROOT=str(media_root)):
            call_command("seed_demo", stdout=io.StringIO())
        _demo_snapshot = DemoSnapshot(connection, media_root, mail.outbox[already_sent:])
        mail.outbox[already_sent:] = []
    else:
        _demo_snapshot.restore(connection)
    # What the seed wrote and sent, as if it had run for this journey.
    shutil.copytree(_demo_snapshot.media_root, settings.MEDIA_ROOT, dirs_exist_ok=True)
    mail.outbox.extend(_demo_snapshot.emails)


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
