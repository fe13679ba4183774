import pytest


@pytest.fixture(autouse=True)
def _eager(eager_tasks):
    """The co-training unit tests read the emails and rows their tasks produce in this process,
    in both runs (the integration run has a broker; its own tests use a real worker)."""
    return
