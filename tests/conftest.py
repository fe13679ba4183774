"""Fixtures shared by every folder of tests. Helpers to import live in tests/factories (objects
of each domain) and tests/helpers.py, never in a conftest."""

import io
from pathlib import Path

import pytest

from tests.factories import CoordinatorFactory, EstablishmentFactory, IssuerFactory, UserFactory

DATA = Path(__file__).resolve().parent.parent / "cotraining" / "data"


@pytest.fixture(autouse=True)
def _empty_cache():
    # The cache outlives each test's database transaction: start every test with none.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in this process even when a broker is configured (the integration run):
    for tests that read this process's outbox or the rows a task writes."""
    from cms.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def sample_csv_path():
    return DATA / "annuaire_sample.csv"


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def establishment(db):
    return EstablishmentFactory()


@pytest.fixture
def issuer(db):
    """The DANE of Poitiers, issuer of Open Badges."""
    return IssuerFactory()


@pytest.fixture
def coordinator(db):
    """A coordinator of the académie "13" (the issuer's)."""
    return CoordinatorFactory()


# --- The demo, seeded once per module ---------------------------------------------------------


@pytest.fixture(scope="module")
def _demo_for_the_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """seed_demo, run once for the module inside a transaction rolled back when the module ends:
    the database is empty again for the next module. Each test's own transaction nests in it (a
    savepoint), so what a test changes is gone for the next one."""
    from django.core.management import call_command
    from django.db import transaction
    from django.test import override_settings

    from cotraining.models import User

    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("demo-media")))
    media.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", stdout=io.StringIO())
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            media.disable()
            raise
    yield media.options["MEDIA_ROOT"]
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
        # The next module starts from an empty database, as if no demo had been built.
        assert not User.objects.filter(email__endswith="@demo.entrepairs.fr").exists()
    media.disable()


@pytest.fixture
def seeded_demo(request, _demo_for_the_module, db, settings):
    """The demo académie, accounts and offer (seed_demo), as a fresh seed leaves them.

    Built once per module (tests using it run after the module's other tests, so that those
    start from an empty database); each test starts from the seeded state again. Not for
    transactional tests (live servers): the e2e journeys have their own `demo_data`."""
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        pytest.fail("seeded_demo runs inside a transaction: a transactional test cannot use it")
    settings.MEDIA_ROOT = _demo_for_the_module  # the demo's images, whatever the folder sets


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """In each module, the tests that use the module's demo run after the others (the order is
    kept otherwise): once built, the demo stays until the module ends."""
    first_of_module = {}
    for index, item in enumerate(items):
        first_of_module.setdefault(item.path, index)
    order = {id(item): index for index, item in enumerate(items)}
    items.sort(
        key=lambda item: (
            first_of_module[item.path],
            "_demo_for_the_module" in item.fixturenames,
            order[id(item)],
        )
    )
