from pathlib import Path

import pytest

from tests.factories import EstablishmentFactory, UserFactory

DATA = Path(__file__).resolve().parent.parent / "cotraining" / "data"


@pytest.fixture(autouse=True)
def _empty_cache():
    # The cache outlives each test's database transaction: start every test with none.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sample_csv_path():
    return DATA / "annuaire_sample.csv"


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def establishment(db):
    return EstablishmentFactory()
