import pytest

from badges.models import Issuer
from tests.factories import academie


@pytest.fixture(autouse=True)
def _eager(eager_tasks, settings, tmp_path):
    # Snapshot refreshes run in this process; badge images of the fixtures go to a temporary
    # folder (as in tests/badges, where these tests lived).
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def issuer(db):
    return Issuer.objects.create(
        name="DANE de l'académie de Poitiers",
        url="https://www.ac-poitiers.fr",
        email="dane@ac-poitiers.fr",
        academie=academie("13"),
    )
