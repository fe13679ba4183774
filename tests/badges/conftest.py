import pytest


@pytest.fixture(autouse=True)
def _eager(eager_tasks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return
