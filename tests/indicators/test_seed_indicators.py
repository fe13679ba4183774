"""seed_indicators at a tiny scale (the benchmark runs it at issue 7's volumes)."""

import pytest
from django.core.management import CommandError, call_command

from badges.models import Assertion, PixCertification
from cotraining.models import Enrollment, Establishment, User, WorkshopPage
from tests.factories import UserFactory

ARGS = {
    "teachers": 300,
    "schools": 40,
    "workshops": 60,
    "attendances": 1500,
    "assertions": 200,
    "pix": 150,
    "verbosity": 0,
}


@pytest.mark.django_db
def test_seed_indicators_writes_the_volumes_asked_and_the_page_reads_them(client):
    call_command("seed_indicators", **ARGS)
    seeded = User.objects.filter(email__endswith="@indicateurs.entrepairs.test")
    assert seeded.count() == 300
    assert Establishment.objects.filter(uai__in=seeded.values("establishment__uai")).exists()
    assert WorkshopPage.objects.filter(slug__startswith="indic-").count() == 60
    assert Enrollment.objects.count() == 1500
    assert Assertion.objects.count() == 200
    assert PixCertification.objects.count() == 150
    client.force_login(UserFactory(is_superuser=True))
    response = client.get("/indicateurs/")
    assert response.status_code == 200
    with pytest.raises(CommandError):
        call_command("seed_indicators", **ARGS)
