import pytest


@pytest.fixture(autouse=True)
def _eager(eager_tasks):
    """These tests read the emails and rows their tasks produce in this process."""
    return
