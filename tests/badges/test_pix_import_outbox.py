"""A large Pix import is a row first (issue 15): a broker outage at upload leaves it pending, a
lost task is queued again once it has not moved for PIX_IMPORT_STALLED_MINUTES, and one run at
a time writes it (a second delivery while it is under way does nothing)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from kombu.exceptions import OperationalError

from badges import tasks
from badges.models import PixCertification, PixImport
from badges.services import pix_import
from tests.badges.test_pix_import import HEADER, line, people  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def later(minutes):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def broker_down(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def uploaded(coordinator, people, settings, monkeypatch, django_capture_on_commit_callbacks):  # noqa: F811
    """A 30-line import uploaded while the broker is down: recorded, pending."""
    settings.PIX_IMPORT_SYNC_MAX_LINES = 10
    content = "\n".join([HEADER] + [line(f"prof{n % 3}@ac-test.fr", n) for n in range(30)])
    with monkeypatch.context() as broker:
        broker.setattr(tasks.run_pix_import, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            job = pix_import.start_pix_import(
                file=SimpleUploadedFile("pix.csv", content.encode()),
                filename="pix.csv",
                by=coordinator,
            )
    job.refresh_from_db()
    assert job.status == PixImport.Status.PENDING
    return job


def test_an_import_never_queued_is_queued_once_stalled_then_written_once(
    uploaded, django_capture_on_commit_callbacks
):
    with later(30):
        assert pix_import.resume_stalled_pix_imports() == []  # it may only be waiting
    with later(71):
        assert pix_import.resume_stalled_pix_imports() == [uploaded.pk]
        assert pix_import.resume_stalled_pix_imports() == []  # requeued: left alone
    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.created) == (PixImport.Status.DONE, 30)
    assert PixCertification.objects.count() == 30
    with later(300):
        assert pix_import.resume_stalled_pix_imports() == []  # done: never again


def test_a_second_delivery_leaves_an_import_under_way_to_its_run(uploaded):
    PixImport.objects.filter(pk=uploaded.pk).update(status=PixImport.Status.WRITING)
    with later(30):  # its run is alive (it would have been killed after an hour)
        assert tasks.run_pix_import(uploaded.pk) == PixImport.Status.WRITING
    assert PixCertification.objects.count() == 0
    with later(71):  # its run is dead: the next delivery takes it over
        assert tasks.run_pix_import(uploaded.pk) == PixImport.Status.DONE
    assert PixCertification.objects.count() == 30
