"""Celery tasks of the badges layer: thin wrappers around services, primitive ids only."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from . import services
from .models import Assertion


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


@shared_task(
    name="badges.tasks.send_badge_email",
    autoretry_for=(OSError,),  # SMTP and network failures
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
    time_limit=60,
    soft_time_limit=50,
)
def send_badge_email(assertion_id):
    """Tell the recipient, with the baked image attached and the public link."""
    assertion = (
        Assertion.objects.select_related("badge_class__issuer", "recipient")
        .filter(pk=assertion_id, revoked=False)
        .first()
    )
    if assertion is None:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "assertion": assertion,
            "badge": assertion.badge_class,
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        subject = " ".join(render_to_string("badges/email/awarded_subject.txt", context).split())
        body = render_to_string("badges/email/awarded.txt", context)
    message = EmailMessage(
        subject=f"[Entrepairs] {subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[assertion.recipient_email],
    )
    ext = services.image_extension(assertion.badge_class)
    assertion.image.open("rb")
    try:
        content = assertion.image.read()
    finally:
        assertion.image.close()
    message.attach(f"badge.{ext}", content, "image/svg+xml" if ext == "svg" else "image/png")
    message.send()
    return True


@shared_task(
    name="badges.tasks.run_bulk_award",
    autoretry_for=(OSError,),  # storage and broker hiccups: the job resumes where it stopped
    retry_backoff=True,
    max_retries=3,
    ignore_result=True,
    # One baked image per row: a 5,000-row file takes minutes, never an hour.
    time_limit=3600,
    soft_time_limit=3500,
)
def run_bulk_award(bulk_id):
    """Award a validated file's rows. Safe to run twice: it resumes, and awards are idempotent."""
    bulk = services.run_bulk_award(bulk_id=bulk_id)
    return bulk.status if bulk else None


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
