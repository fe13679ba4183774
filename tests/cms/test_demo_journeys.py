"""The demo as its users meet it: what a coordinator downloads imports cleanly, and the demo's
sessions fall on days when teachers train (issue 13)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from badges.constants import PixStatus
from badges.models import PixCertification, PixImport
from cotraining.models import User

pytestmark = pytest.mark.django_db

DEMO_DOMAIN = "demo.entrepairs.fr"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_downloadable_pix_sample_imports_cleanly_on_the_demo(client):
    call_command("seed_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(email=f"coordination@{DEMO_DOMAIN}"))
    response = client.get(reverse("badges:pix_import_sample"))
    sample = b"".join(response.streaming_content)
    before = PixCertification.objects.count()

    response = client.post(
        reverse("badges:pix_import"),
        {"file": SimpleUploadedFile("exemple-import-pix.csv", sample)},
    )

    pix_import = PixImport.objects.get()
    assert (pix_import.status, pix_import.errors) == ("done", [])
    assert pix_import.created == 3
    assert "Import terminé" in client.get(response.url).content.decode()
    assert PixCertification.objects.count() == before + 3
    imported = PixCertification.objects.filter(user__email__startswith="collegue09")
    assert set(imported.values_list("status", flat=True)) == {PixStatus.VERIFIED}
