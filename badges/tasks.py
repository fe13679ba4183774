"""Celery tasks of the badges layer: thin wrappers around services, primitive ids only."""

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import OperationalError
from django.template.loader import render_to_string
from django.utils import translation

from cotraining.origin import public_url

from . import services
from .services import bulk as bulk_awards


@shared_task(
    name="badges.tasks.award_completion_badges",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
    time_limit=120,
    soft_time_limit=100,
)
def award_completion_badges(completion_id):
    """Award a completed workshop's badges. Safe to run twice: awards are idempotent."""
    return [a.pk for a in services.award_completion_badges(completion_id=completion_id)]


@shared_task(
    name="badges.tasks.award_missing_completion_badges",
    ignore_result=True,
    time_limit=600,
    soft_time_limit=540,
)
def award_missing_completion_badges():
    """Run by beat: award what a lost task did not (awards are idempotent)."""
    missing = services.completions_missing_badges()
    for completion_id in missing:
        services.award_completion_badges(completion_id=completion_id)
    return len(missing)


@shared_task(
    name="badges.tasks.revoke_withdrawn_completion_badges",
    ignore_result=True,
    time_limit=60,
    soft_time_limit=50,
)
def revoke_withdrawn_completion_badges(user_id, workshop_id):
    return services.revoke_withdrawn_completion_badges(user_id=user_id, workshop_id=workshop_id)


# Worth another try: mail server, storage or network trouble, a database connection lost or a
# deadlock.
TRANSIENT = (OSError, smtplib.SMTPException, OperationalError)


@shared_task(
    name="badges.tasks.send_badge_emails",
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
    time_limit=300,
    soft_time_limit=270,
)
def send_badge_emails(assertion_ids):
    """Tell each recipient, with the baked image attached and the public link: one task and one
    mail connection for a chunk of awards. Safe to run twice: each assertion is emailed once."""
    return services.send_award_emails(assertion_ids=assertion_ids)


@shared_task(
    name="badges.tasks.send_badge_email",
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
    time_limit=60,
    soft_time_limit=50,
)
def send_badge_email(assertion_id):
    """The email of one award (award_badge's): send_badge_emails for one assertion."""
    return services.send_award_emails(assertion_ids=[assertion_id]) > 0


def _retry_or_fail(task, bulk_id, exc):
    """Retry a transient failure with backoff; past the last try, or for any other error, the
    bulk award is marked failed with the reason before the error is raised."""
    if isinstance(exc, TRANSIENT) and task.request.retries < task.max_retries:
        if not task.request.is_eager:
            raise task.retry(exc=exc, countdown=2**task.request.retries)
    bulk_awards.fail_bulk_award(bulk_id=bulk_id, error=exc)
    raise exc


@shared_task(
    name="badges.tasks.run_bulk_award",
    bind=True,
    max_retries=3,
    ignore_result=True,
    time_limit=300,
    soft_time_limit=270,
)
def run_bulk_award(self, bulk_id):
    """Start a validated file's award: its chunks go to award_bulk_chunk. Safe to run twice:
    only the chunks not yet recorded are queued, and awards are idempotent."""
    try:
        bulk = bulk_awards.run_bulk_award(bulk_id=bulk_id)
    except Exception as exc:
        _retry_or_fail(self, bulk_id, exc)
    return bulk.status if bulk else None


@shared_task(
    name="badges.tasks.award_bulk_chunk",
    bind=True,
    max_retries=3,
    ignore_result=True,
    # One chunk: BULK_CHUNK_ROWS baked images, a fraction of a second; minutes at worst.
    time_limit=300,
    soft_time_limit=270,
)
def award_bulk_chunk(self, bulk_id, index, version_id):
    """Award one chunk of a file's rows. Safe to run twice: a chunk already recorded is a no-op."""
    try:
        chunk = bulk_awards.award_bulk_chunk(bulk_id=bulk_id, index=index, version_id=version_id)
    except Exception as exc:
        _retry_or_fail(self, bulk_id, exc)
    return chunk and chunk.awarded


@shared_task(
    name="badges.tasks.resume_stalled_bulk_awards",
    ignore_result=True,
    time_limit=120,
    soft_time_limit=100,
)
def resume_stalled_bulk_awards():
    """Run by beat and at each worker's start: queue again the bulk awards that stopped moving
    (never queued, or their task lost). Idempotent: recorded chunks are never redone."""
    return len(bulk_awards.resume_stalled_bulk_awards())


@shared_task(
    name="badges.tasks.delete_orphan_assertion_images",
    ignore_result=True,
    time_limit=600,
    soft_time_limit=540,
)
def delete_orphan_assertion_images():
    """Run by beat: the images a killed chunk stored for rows that never committed."""
    return bulk_awards.delete_orphan_assertion_images()


@shared_task(
    name="badges.tasks.email_unsent_awards",
    ignore_result=True,
    time_limit=900,
    soft_time_limit=840,
)
def email_unsent_awards():
    """Run by beat: email the recent awards whose email task was lost, a chunk per task."""
    ids = services.unsent_award_emails()
    for start in range(0, len(ids), 100):
        send_badge_emails.delay(ids[start : start + 100])
    return len(ids)


@shared_task(
    name="badges.tasks.award_pix_plus_edu_badges",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
    time_limit=120,
    soft_time_limit=100,
)
def award_pix_plus_edu_badges(certification_id):
    """Award the badges of a verified Pix+ Édu level. Safe to run twice (idempotent awards)."""
    from .services.pix import award_pix_plus_edu_badges as award

    return [a.pk for a in award(certification_id=certification_id)]


@shared_task(
    name="badges.tasks.notify_pix_review",
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
    time_limit=60,
    soft_time_limit=50,
)
def notify_pix_review(certification_id, status):
    """Tell the holder that staff verified or refused their declaration (with the reason).

    `status` is the review being told: a certification reviewed again since is not told twice.
    """
    from .models import PixCertification

    certification = (
        PixCertification.objects.select_related("user")
        .filter(pk=certification_id, status=status)
        .first()
    )
    if certification is None:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        context = {"certification": certification, "site_url": public_url()}
        subject = " ".join(
            render_to_string("badges/email/pix_reviewed_subject.txt", context).split()
        )
        body = render_to_string("badges/email/pix_reviewed.txt", context)
    EmailMessage(
        subject=f"[Entrepairs] {subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[certification.user.email],
    ).send()
    return True


@shared_task(
    name="badges.tasks.run_pix_import",
    ignore_result=True,
    # 200,000 lines are read twice and written in batches: minutes, never an hour.
    time_limit=3600,
    soft_time_limit=3500,
)
def run_pix_import(import_id):
    """Validate then write a large Pix Orga export. Safe to run twice: a finished one is left."""
    from .services.pix_import import run_import

    pix_import = run_import(import_id=import_id)
    return pix_import.status if pix_import else None


@shared_task(
    name="badges.tasks.resume_stalled_pix_imports",
    ignore_result=True,
    time_limit=120,
    soft_time_limit=100,
)
def resume_stalled_pix_imports():
    """Run by beat and at each worker's start: queue again the large Pix imports that stopped
    moving (never queued, or their task lost). Idempotent: an import runs once at a time."""
    from .services.pix_import import resume_stalled_pix_imports as resume

    return len(resume())
