"""Fixtures shared by every folder of tests. Helpers to import live in tests/factories (objects
of each domain) and tests/helpers.py, never in a conftest."""

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
