import pytest

from tests.factories import SessionFactory, workshop_page


@pytest.fixture(autouse=True)
def _eager(eager_tasks):
    """The co-training unit tests read the emails and rows their tasks produce in this process,
    in both runs (the integration run has a broker; its own tests use a real worker)."""
    return


@pytest.fixture
def session():
    """A session of one seat, of the workshop "Atelier tablettes en classe"."""
    return SessionFactory(capacity=1, workshop=workshop_page(title="Atelier tablettes en classe"))


@pytest.fixture
def workshop(session):
    return session.workshop
