"""A large Pix Orga import under broker and worker faults (issue 15): uploaded while the broker is
down, it is recorded and waits ("En attente"), never a 500; its task killed mid-write (`kill -9`),
it is queued again by the next worker to start once it has not moved for
PIX_IMPORT_STALLED_MINUTES, and every line is written once.

The kill lands inside the write: a transaction of the test locks the one certification that the
file updates, so the import waits there with its first batch inserted but not committed.
"""

import html
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from badges.constants import CRCN_CODES, PixStatus
from badges.models import PixCertification, PixImport
from cotraining.constants import Role
from cotraining.services import grant_role
from tests.factories import EstablishmentFactory, UserFactory, academie
from tests.integration.faults import (
    HeldTransaction,
    Worker,
    age,
    celery_app_on,
    redis_server,
    run_task,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HEADER = "email;date_certification;score;niveau_max;" + ";".join(CRCN_CODES) + ";code_verification"
ALPHABET = "2346789BCDFGHJKMPQRTVWXY"
LINES = 1500  # two batches of 1,000 (badges.services.pix_import.IMPORT_BATCH)
UPDATED = 5  # the line whose certification exists already, with another score


def code(n):
    digits = []
    for _ in range(8):
        n, rest = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[rest])
    return "P-" + "".join(digits)


def line(email, n, score=400):
    return f"{email};12/03/2026;{score};6;" + ";".join(["3"] * 16) + f";{code(n)}"


def page_text(response):
    return " ".join(html.unescape(response.content.decode()).split())


def upload(client, rows):
    content = "\n".join([HEADER, *rows]).encode()
    return client.post(
        reverse("badges:pix_import"),
        {"file": SimpleUploadedFile("pix.csv", content)},
        follow=True,
    )


def test_an_import_uploaded_while_the_broker_is_down_then_killed_mid_write_is_written_once(
    client, settings, tmp_path
):
    coordinator = UserFactory()
    grant_role(user=coordinator, role=Role.COORDINATOR, academie=academie("13"))
    school = EstablishmentFactory()
    people = []
    for i in range(3):
        person = UserFactory(email=f"prof{i}@ac-test.fr", establishment=school)
        EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
        people.append(person)
    rows = [line(f"prof{n % 3}@ac-test.fr", n) for n in range(LINES)]
    client.force_login(coordinator)
    # Small files are imported in the request: the certification that the large one updates.
    response = upload(client, [line(f"prof{UPDATED % 3}@ac-test.fr", UPDATED, score=390)])
    assert "Import terminé" in page_text(response)
    settings.PIX_IMPORT_SYNC_MAX_LINES = 100  # the large file goes to a job

    with redis_server() as broker, celery_app_on(broker.url()) as app:
        broker.stop()
        response = upload(client, rows)
        assert response.status_code == 200
        assert "En attente : 0 ligne(s) lue(s)" in page_text(response)
        job = PixImport.objects.get(status=PixImport.Status.PENDING)
        broker.start()

        def lock_the_updated_certification():
            list(PixCertification.objects.select_for_update().filter(verification_code=code(5)))

        # Later than the stall delay: the first worker to start queues the import.
        age(PixImport.objects.all(), timedelta(minutes=80), "moved_at")
        with HeldTransaction(lock_the_updated_certification) as held:
            worker = Worker(broker.url(), media_root=tmp_path).start(app)
            try:
                wait_for(lambda: held.waiters() == 1, "the import in its write")
                job.refresh_from_db()
                assert job.status == PixImport.Status.WRITING
                worker.kill()
            finally:
                worker.stop()
            held.rollback()
        assert PixCertification.objects.count() == 1  # the write rolled back whole

        # It has not moved since: the next worker to start queues it again.
        job.refresh_from_db()
        assert job.status == PixImport.Status.WRITING
        age(PixImport.objects.all(), timedelta(minutes=80), "moved_at", "requeued_at")
        worker = Worker(broker.url(), media_root=tmp_path).start(app)
        try:
            done = PixImport.objects.filter(pk=job.pk, status=PixImport.Status.DONE)
            wait_for(done.exists, "the import to be written")
            assert run_task(app, "badges.tasks.resume_stalled_pix_imports") == 0
            wait_for(lambda: worker.idle(app, broker), "the worker to be idle")
        finally:
            worker.stop()

    job.refresh_from_db()
    assert (job.lines, job.created, job.updated, job.unchanged) == (LINES, LINES - 1, 1, 0)
    assert (job.error_count, job.errors) == (0, [])
    assert not job.file  # the upload, personal data, is not kept
    assert PixCertification.objects.count() == LINES
    assert set(PixCertification.objects.values_list("status", flat=True)) == {PixStatus.VERIFIED}
    assert PixCertification.objects.get(verification_code=code(UPDATED)).score == 400
    page = page_text(client.get(reverse("badges:pix_import_detail", args=[job.pk])))
    assert "Import terminé" in page
    assert f"{LINES - 1} créée(s), 1 mise(s) à jour, 0 inchangée(s)." in page
