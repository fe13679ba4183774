"""Emails of the communities: the weekly digest of each member, and the reminder to the asker
who has answers but accepted none.

The database is the outbox. A `Digest` row claims (person, week) before anything is sent, and a
question's `reminded_at` claims its one reminder: beat firing twice, two beats or a worker
retrying never send twice. Sending locks the digest row and checks it is still pending.
"""

import logging
import smtplib
from datetime import datetime, time, timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from cotraining.exceptions import TRANSIENT_ERRORS
from cotraining.origin import public_url

from ..activity import new_answers_followed, new_questions
from ..constants import DigestStatus, EscalationStatus, MembershipStatus, QuestionState
from ..models import Answer, Community, Digest, Escalation, Membership, Question

logger = logging.getLogger(__name__)


def week_of(day):
    """The Monday that starts the week of `day` (a date)."""
    return day - timedelta(days=day.weekday())


def _digest_communities():
    """Active communities with, per person, whether they want the digest: active members who
    did not opt out, and the animators (escalations wait for them) unless they opted out as
    members."""
    opted_out = Membership.objects.filter(
        community=OuterRef("community_id"), user=OuterRef("user_id"), digest_opt_out=True
    )
    members = Membership.objects.filter(
        status=MembershipStatus.ACTIVE, digest_opt_out=False, community__is_active=True
    ).values_list("user_id", "community_id")
    animators = (
        Community.animators.through.objects.filter(community__is_active=True)
        .exclude(Exists(opted_out))
        .values_list("user_id", "community_id")
    )
    return members, animators


def digest_community_ids(user):
    """The communities whose news a person's digest tells."""
    members, animators = _digest_communities()
    return {pk for _user, pk in members.filter(user=user)} | {
        pk for _user, pk in animators.filter(user=user)
    }


def queue_weekly_digests(*, now=None):
    """Claim this week's digest of every member or animator who wants one (a row per person and
    week) and enqueue the pending ones, those of an earlier run whose task was lost included.
    Run by beat on Monday mornings; a later run the same week only re-enqueues what is pending."""
    now = now or timezone.now()
    week = week_of(timezone.localdate(now))
    members, animators = _digest_communities()
    wanting = set(members.values_list("user_id", flat=True).distinct()) | set(
        animators.values_list("user_id", flat=True).distinct()
    )
    Digest.objects.bulk_create(
        [Digest(user_id=user_id, week=week) for user_id in sorted(wanting)],
        ignore_conflicts=True,
    )
    ids = list(
        Digest.objects.filter(week=week, status=DigestStatus.PENDING).values_list("pk", flat=True)
    )
    for pk in ids:
        send_digest_task.enqueue_on_commit(pk)
    return len(ids)


def digest_content(*, user, week):
    """What the digest tells: the week's new questions of the person's communities, new answers
    to the questions they follow, and the escalations waiting for them (as animator)."""
    since = timezone.make_aware(datetime.combine(week - timedelta(days=7), time.min))
    communities = digest_community_ids(user)
    questions = list(new_questions(user=user, since=since, communities=communities)[:20])
    answers = list(new_answers_followed(user=user, since=since, communities=communities)[:20])
    escalations = list(
        Escalation.objects.filter(
            status=EscalationStatus.OPEN, community__animators=user, community__in=communities
        ).select_related("community")[:20]
    )
    return {"questions": questions, "answers": answers, "escalations": escalations}


def build_digest_message(digest, content):
    context = {**content, "recipient": digest.user, "week": digest.week, "site_url": public_url()}
    subject = " ".join(render_to_string("communities/email/digest_subject.txt", context).split())
    return EmailMessage(
        subject=f"[Entrepairs] {subject}",
        body=render_to_string("communities/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.user.email],
    )


def send_digest(*, digest_id):
    """Send one digest at most once; an empty week is recorded as such and sends nothing.
    Returns the status afterwards (PENDING: failed this time), or None when the row is gone."""
    digest = Digest.objects.select_related("user").filter(pk=digest_id).first()
    if digest is None or digest.status != DigestStatus.PENDING:
        return digest and digest.status
    content = digest_content(user=digest.user, week=digest.week)
    message = None
    if any(content.values()) and digest.user.is_active:
        with translation.override(settings.LANGUAGE_CODE):
            message = build_digest_message(digest, content)
    with transaction.atomic():
        digest = Digest.objects.select_for_update().filter(pk=digest_id).first()
        if digest is None or digest.status != DigestStatus.PENDING:
            return digest and digest.status
        if message is None:
            digest.status = DigestStatus.EMPTY
            digest.save(update_fields=["status"])
            return digest.status
        digest.attempts += 1
        try:
            message.send()
        except (OSError, smtplib.SMTPException) as exc:
            logger.warning("Digest %s failed (attempt %s): %s", digest.pk, digest.attempts, exc)
            digest.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if digest.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                digest.status = DigestStatus.FAILED
        else:
            digest.status = DigestStatus.SENT
            digest.sent_at = timezone.now()
            digest.last_error = ""
        digest.save(update_fields=["status", "attempts", "last_error", "sent_at"])
        return digest.status


# --- The asker's reminder -------------------------------------------------------------------


def remind_askers(*, now=None):
    """Remind, once, each asker whose question has answers but none accepted, N days
    (COMMUNITY_ACCEPT_REMINDER_DAYS) after asking. The conditional UPDATE claims the
    question: a second run, or a second beat, finds it reminded already."""
    now = now or timezone.now()
    answered = Answer.objects.filter(question=OuterRef("pk"), hidden_at__isnull=True)
    due = Question.objects.filter(
        Exists(answered),
        state=QuestionState.OPEN,
        hidden_at__isnull=True,
        reminded_at__isnull=True,
        created_at__lte=now - timedelta(days=settings.COMMUNITY_ACCEPT_REMINDER_DAYS),
    ).values_list("pk", flat=True)[:500]
    reminded = 0
    for pk in list(due):
        with transaction.atomic():
            claimed = Question.objects.filter(pk=pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if claimed:
                send_accept_reminder_task.enqueue_on_commit(pk)
                reminded += 1
    return reminded


def send_accept_reminder(*, question_id):
    """The reminder's email (the claim was made by remind_askers)."""
    question = Question.objects.select_related("author", "community").filter(pk=question_id).first()
    if question is None or question.state != QuestionState.OPEN or not question.author.is_active:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "question": question,
            "recipient": question.author,
            "url": public_url(reverse("communities:question", args=[question.pk])),
        }
        subject = " ".join(
            render_to_string("communities/email/accept_reminder_subject.txt", context).split()
        )
        EmailMessage(
            subject=f"[Entrepairs] {subject}",
            body=render_to_string("communities/email/accept_reminder.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[question.author.email],
        ).send()
    return 1


# --- Tasks (registered as communities.tasks.*, re-exported there) ---------------------------


@shared_task(name="communities.tasks.queue_weekly_digests", time_limit=600, soft_time_limit=580)
def queue_weekly_digests_task():
    """Run by beat: claim and enqueue this week's digests (idempotent)."""
    return queue_weekly_digests()


@shared_task(
    name="communities.tasks.send_digest",
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    time_limit=120,
    soft_time_limit=100,
)
def send_digest_task(self, digest_id):
    """Send one digest; a failed attempt is retried with backoff until it is marked failed."""
    status = send_digest(digest_id=digest_id)
    if status == DigestStatus.PENDING and not self.request.is_eager:
        raise self.retry(countdown=60 * 2**self.request.retries)
    return status


@shared_task(name="communities.tasks.remind_askers", time_limit=300, soft_time_limit=280)
def remind_askers_task():
    """Run by beat: claim and enqueue the reminders to accept an answer (once per question)."""
    return remind_askers()


@shared_task(
    name="communities.tasks.send_accept_reminder",
    autoretry_for=TRANSIENT_ERRORS,
    time_limit=60,
    soft_time_limit=50,
)
def send_accept_reminder_task(question_id):
    return send_accept_reminder(question_id=question_id)
