"""Fixtures shared by every folder of tests. Helpers to import live in tests/factories (objects
of each domain) and tests/helpers.py, never in a conftest."""

import io
from pathlib import Path

import pytest

from tests.factories import CoordinatorFactory, EstablishmentFactory, IssuerFactory, UserFactory
from tests.helpers import built_for_the_module

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
    """seed_demo, run once for the module (tests.helpers.built_for_the_module): rolled back when
    the module ends, each test's own transaction nested in it."""
    from django.core.management import call_command
    from django.test import override_settings

    from cotraining.models import User

    def seed():
        call_command("seed_demo", stdout=io.StringIO())

    media_root = str(tmp_path_factory.mktemp("demo-media"))
    with override_settings(MEDIA_ROOT=media_root):
        for _seeded in built_for_the_module(django_db_blocker, seed):
            yield media_root
    with django_db_blocker.unblock():
        # The next module starts from an empty database, as if no demo had been built.
        assert not User.objects.filter(email__endswith="@demo.entrepairs.fr").exists()


@pytest.fixture
def seeded_demo(request, _demo_for_the_module, db, settings):
    """The demo académie, accounts and offer (seed_demo), as a fresh seed leaves them.

    Built once per module (tests using it run after the module's other tests, so that those
    start from an empty database); each test starts from the seeded state again. Not for
    transactional tests (live servers): the e2e journeys have their own `demo_data`."""
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        pytest.fail("seeded_demo runs inside a transaction: a transactional test cannot use it")
    settings.MEDIA_ROOT = _demo_for_the_module  # the demo's images, whatever the folder sets


def _uses_module_data(item):
    return any(name.endswith("_for_the_module") for name in item.fixturenames)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """In each module, the tests that use data built for the module (fixtures named
    `_…_for_the_module`, tests.helpers.built_for_the_module) run after the others, which still
    start from an empty database: once built, the data stays until the module ends. Only within
    each run of consecutive tests of one module: the order pytest-django gives (transactional
    tests after the others, whose flush would empty the database under them) is kept."""
    runs = []
    for item in items:
        if runs and runs[-1][0].path == item.path:
            runs[-1].append(item)
        else:
            runs.append([item])
    items[:] = [item for run in runs for item in sorted(run, key=_uses_module_data)]
