"""Award emails: each recipient told once, with the baked image attached and the public link.

Sent by tasks after the award commits (one per award, one per bulk chunk); a beat task emails the
recent awards whose task was lost.
"""

import smtplib
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cotraining.exceptions import TRANSIENT_ERRORS

from ..models import Assertion, site_url
from .baking import image_extension


def award_message(assertion):
    """The award email: the baked image attached and the public link (in the site's language).

    `assertion` comes with its badge class, issuer and recipient (select_related).
    """
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "assertion": assertion,
            "badge": assertion.badge_class,
            "site_url": site_url(""),
        }
        subject = " ".join(render_to_string("badges/email/awarded_subject.txt", context).split())
        body = render_to_string("badges/email/awarded.txt", context)
    message = EmailMessage(
        subject=f"[Entrepairs] {subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[assertion.recipient_email],
    )
    ext = image_extension(assertion.badge_class)
    assertion.image.open("rb")
    try:
        content = assertion.image.read()
    finally:
        assertion.image.close()
    message.attach(f"badge.{ext}", content, "image/svg+xml" if ext == "svg" else "image/png")
    return message


def send_award_emails(*, assertion_ids):
    """Tell the recipients of these assertions, each once, over one mail connection; returns
    how many emails left.

    At most once per assertion, across concurrent deliveries, crashes and the catch-up:
    - each email is claimed first by a conditional UPDATE committed on its own
      (`emailing_started_at`, only where no email left and no live claim is held): of two
      deliveries or catch-ups running at once, one claims it and the other skips it;
    - `emailed_at` is committed right after each email leaves, so a worker killed mid-list
      leaves its sent emails recorded and at most the one in flight uncertain;
    - on a mail server failure the claims not used are released (the retry sends the rest);
      a claim left by a killed worker expires after EMAIL_CLAIM_TIMEOUT, and only then does
      the catch-up send that email (at least once).
    The emails are rendered before any claim; a revoked or deleted assertion is skipped.
    """
    candidates = (
        Assertion.objects.select_related("badge_class__issuer", "recipient")
        .filter(pk__in=assertion_ids, revoked=False, emailed_at__isnull=True)
        .order_by("pk")
    )
    messages = {assertion.pk: award_message(assertion) for assertion in candidates}
    if not messages:
        return 0
    now = timezone.now()
    claimable = Assertion.objects.filter(revoked=False, emailed_at__isnull=True).filter(
        Q(emailing_started_at__isnull=True) | Q(emailing_started_at__lt=now - EMAIL_CLAIM_TIMEOUT)
    )
    claimed = [pk for pk in messages if claimable.filter(pk=pk).update(emailing_started_at=now)]
    sent, in_flight = [], None
    try:
        if claimed:
            # Django 6.1's replacement for get_connection(): one backend instance, opened once
            # (one SMTP connection) for the whole list.
            with mailers.default as connection:
                for pk in claimed:
                    in_flight = pk
                    connection.send_messages([messages[pk]])
                    in_flight = None
                    Assertion.objects.filter(pk=pk).update(emailed_at=timezone.now())
                    sent.append(pk)
    except (OSError, smtplib.SMTPException):
        # Refused by the mail server: nothing left for the one in flight, retry them all.
        _release_email_claims(set(claimed) - set(sent))
        raise
    except BaseException:
        # Anything else (a time limit, a shutdown): the one in flight may have left, its claim
        # stays until EMAIL_CLAIM_TIMEOUT; the others are free for the retry or the catch-up.
        _release_email_claims(set(claimed) - set(sent) - {in_flight})
        raise
    return len(sent)


def _release_email_claims(pks):
    if pks:
        Assertion.objects.filter(pk__in=pks, emailed_at__isnull=True).update(
            emailing_started_at=None
        )


# A claimed award email whose task died is sent again by the catch-up after this delay (above
# the email task's time limit and the broker's visibility timeout).
EMAIL_CLAIM_TIMEOUT = timedelta(hours=2)
# An award whose email task was lost is emailed by beat after this delay (the task normally runs
# within seconds), and only while the award is recent: an old badge is not announced late.
UNSENT_EMAIL_AFTER = timedelta(minutes=15)
UNSENT_EMAIL_WITHIN = timedelta(days=7)


def unsent_award_emails(*, limit=1000):
    """Ids of recent, valid awards whose email was never sent (its task was lost)."""
    now = timezone.now()
    return list(
        Assertion.objects.filter(
            revoked=False,
            emailed_at__isnull=True,
            created_at__lt=now - UNSENT_EMAIL_AFTER,
        )
        .filter(
            # Not claimed by a task that may still be sending it (or may have sent it).
            Q(emailing_started_at__isnull=True)
            | Q(emailing_started_at__lt=now - EMAIL_CLAIM_TIMEOUT),
            created_at__gt=now - UNSENT_EMAIL_WITHIN,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


@shared_task(
    name="badges.tasks.send_badge_emails",
    autoretry_for=TRANSIENT_ERRORS,
    time_limit=300,
    soft_time_limit=270,
)
def send_badge_emails_task(assertion_ids):
    """Tell each recipient, with the baked image attached and the public link: one task and one
    mail connection for a chunk of awards. Safe to run twice: each assertion is emailed once."""
    return send_award_emails(assertion_ids=assertion_ids)


@shared_task(
    name="badges.tasks.send_badge_email",
    autoretry_for=TRANSIENT_ERRORS,
    time_limit=60,
    soft_time_limit=50,
)
def send_badge_email_task(assertion_id):
    """The email of one award (award_badge's): send_badge_emails for one assertion."""
    return send_award_emails(assertion_ids=[assertion_id]) > 0


UNSENT_EMAILS_PER_TASK = 100


@shared_task(
    name="badges.tasks.email_unsent_awards",
    time_limit=900,
    soft_time_limit=840,
)
def email_unsent_awards_task():
    """Run by beat: email the recent awards whose email task was lost, a chunk per task."""
    ids = unsent_award_emails()
    for start in range(0, len(ids), UNSENT_EMAILS_PER_TASK):
        send_badge_emails_task.enqueue(ids[start : start + UNSENT_EMAILS_PER_TASK])
    return len(ids)
