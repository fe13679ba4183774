import pytest


@pytest.fixture(autouse=True)
def _eager(eager_tasks, settings, tmp_path):
    # Snapshot refreshes run in this process; badge images of the fixtures go to a temporary
    # folder (as in tests/badges, where these tests lived).
    settings.MEDIA_ROOT = tmp_path
