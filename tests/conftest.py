from pathlib import Path

import pytest

from tests.factories import EstablishmentFactory, UserFactory

DATA = Path(__file__).resolve().parent.parent / "cotraining" / "data"


@pytest.fixture
def sample_csv_path():
    return DATA / "annuaire_sample.csv"


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def establishment(db):
    return EstablishmentFactory()
