"""A bulk award run by the real worker on PostgreSQL: its chunk tasks shared by both worker
processes, every chunk delivered twice at once, the counts exact and the job done once.

The two processes of the session worker (`celery_worker`) take tasks one at a time (acks late,
prefetch 1), so two deliveries of one chunk really run together, each on its own connection: the
chunk's unique record and the assertions' unique constraint decide, not the order of the test.
"""

import io
import time

import pytest
from wagtail.models import ModelLogEntry

from badges.constants import AuditAction
from badges.models import Assertion, BulkAward, Issuer
from badges.services.awards import award_badge
from badges.services.bulk import (
    BULK_CHUNK_ROWS,
    bulk_chunk_count,
    start_bulk_award,
    validate_bulk_award_csv,
)
from badges.services.versions import publish_version
from badges.tasks import award_bulk_chunk
from tests.factories import UserFactory, make_badge_class

# Transactional: the worker's connections must see the test's commits, and the test theirs.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS = 2 * BULK_CHUNK_ROWS + 50  # three chunks, the last one short
ALREADY = 25


def wait_for(condition, what, timeout=90):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def badge():
    issuer = Issuer.objects.create(
        name="DANE de l'académie de Poitiers",
        url="https://www.ac-poitiers.fr",
        email="dane@ac-poitiers.fr",
    )
    return make_badge_class(issuer, name="Contributeur")


def rows_for(emails):
    text = "email\n" + "".join(f"{email}\n" for email in emails)
    return validate_bulk_award_csv(io.BytesIO(text.encode("utf-8")))


def finished(bulk):
    def check():
        bulk.refresh_from_db()
        return bulk.is_finished

    return check


def test_the_worker_awards_a_file_in_chunks_and_emails_each_person_once(badge, celery_worker):
    coordinator = UserFactory()
    emails = [f"personne{i:03d}@ac-poitiers.fr" for i in range(ROWS)]
    already = emails[::9][:ALREADY]  # spread over the three chunks
    for email in already:
        award_badge(badge_class=badge, email=email, source="bulk")
    bulk = start_bulk_award(
        badge_class=badge, rows=rows_for(emails), filename="f.csv", by=coordinator
    )
    wait_for(finished(bulk), "the bulk award")
    assert (bulk.status, bulk.errors) == ("done", [])
    assert (bulk.awarded, bulk.already_had, bulk.processed) == (ROWS - ALREADY, ALREADY, ROWS)
    assert bulk.chunks.count() == bulk_chunk_count(ROWS) == 3
    awarded = Assertion.objects.filter(source="bulk").exclude(recipient_email__in=already)
    assert awarded.count() == ROWS - ALREADY
    assert not awarded.filter(image="").exists()
    # One audit entry per assertion awarded, by the uploader.
    entries = ModelLogEntry.objects.filter(
        action=AuditAction.AWARD_BADGE,
        object_id__in=[str(pk) for pk in awarded.values_list("pk", flat=True)],
    )
    assert entries.count() == ROWS - ALREADY
    assert set(entries.values_list("user_id", flat=True)) == {coordinator.pk}
    wait_for(lambda: not awarded.filter(emailed_at__isnull=True).exists(), "the emails")


def test_chunks_delivered_twice_at_once_count_once(badge, celery_worker):
    emails = [f"enseignant{i:03d}@ac-poitiers.fr" for i in range(ROWS)]
    bulk = BulkAward.objects.create(
        badge_class=badge,
        filename="f.csv",
        rows=rows_for(emails),
        total=ROWS,
        status=BulkAward.Status.RUNNING,
    )
    version = publish_version(badge_class=badge)
    results = {
        index: [
            award_bulk_chunk.apply_async((bulk.pk, index, version.pk), ignore_result=False)
            for _twice in range(2)
        ]
        for index in range(bulk_chunk_count(ROWS))
    }
    for index, deliveries in results.items():
        outcomes = sorted((result.get(timeout=90) for result in deliveries), key=str)
        # One delivery awarded the chunk's rows; the other found its record and did nothing.
        expected = min(BULK_CHUNK_ROWS, ROWS - index * BULK_CHUNK_ROWS)
        assert outcomes == sorted([expected, None], key=str), index
    bulk.refresh_from_db()
    assert (bulk.status, bulk.awarded, bulk.already_had, bulk.processed) == ("done", ROWS, 0, ROWS)
    assert Assertion.objects.filter(badge_class=badge, source="bulk").count() == ROWS
    # The chunks queued their email tasks on commit: let the worker finish them before the
    # test's flush (a TRUNCATE beside the worker's open transactions deadlocks).
    sent = Assertion.objects.filter(badge_class=badge, emailed_at__isnull=True)
    wait_for(lambda: not sent.exists(), "the emails")
