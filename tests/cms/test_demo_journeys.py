"""The demo as its users meet it: what a coordinator downloads imports cleanly, and the demo's
sessions fall on days when teachers train (issue 13)."""

import io
import zoneinfo
from datetime import date, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from badges.constants import PixStatus
from badges.models import PixCertification, PixImport
from cms.demo_calendar import french_public_holidays, is_training_day, training_day
from cotraining.models import Session, User

pytestmark = pytest.mark.django_db

DEMO_DOMAIN = "demo.entrepairs.fr"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_downloadable_pix_sample_imports_cleanly_on_the_demo(client, seeded_demo):
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


def test_french_public_holidays_follow_easter():
    holidays = french_public_holidays(2026)
    assert len(holidays) == 11
    assert {date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25), date(2026, 12, 25)} <= holidays
    assert date(2027, 3, 29) in french_public_holidays(2027)  # Easter Monday, Easter 28 March
    assert training_day(date(2026, 12, 25)) == date(2026, 12, 28)  # Friday → Monday
    assert training_day(date(2026, 12, 27), step=-1) == date(2026, 12, 24)


def test_demo_sessions_avoid_weekends_and_public_holidays():
    """Seeded on 15 December 2026: "in 10 days" is Christmas Day, "in 5 days" a Sunday."""
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    with time_machine.travel(datetime(2026, 12, 15, 10, tzinfo=paris)):
        call_command("seed_demo", stdout=io.StringIO())
    days = {
        timezone.localtime(start).date()
        for start in Session.objects.values_list("start", flat=True)
    }
    assert days, "the demo has sessions"
    wrong = sorted(day for day in days if not is_training_day(day))
    assert wrong == []
    assert date(2026, 12, 25) not in days
