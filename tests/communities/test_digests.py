"""The weekly digest (once per member and week, opt-out per community) and the reminder to
accept an answer (once per question)."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from communities import services
from communities.constants import DigestStatus
from communities.models import Digest, Membership, Question

from .factories import CommunityFactory, community_with_animator, member

pytestmark = pytest.mark.django_db


def test_one_digest_per_member_per_week(mailoutbox, django_capture_on_commit_callbacks):
    community, animator = community_with_animator()
    reader, asker = member(community), member(community)
    services.ask(community=community, by=asker, title="Évaluer par compétences ?", text="X")
    services.escalate(community=community, by=asker, category="tool", title="ENT", text="X")
    next_monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    with time_machine.travel(timezone.make_aware(datetime.combine(next_monday, time(8)))):
        with django_capture_on_commit_callbacks(execute=True):
            services.queue_weekly_digests()
        with django_capture_on_commit_callbacks(execute=True):
            services.queue_weekly_digests()  # beat again the same week: nothing more
    week = services.week_of(next_monday)
    # The reader, the asker and the animator (not a member: escalations wait for them).
    assert Digest.objects.filter(week=week).count() == 3
    to_reader = [m for m in mailoutbox if m.to == [reader.email]]
    assert len(to_reader) == 1
    assert "Évaluer par compétences ?" in to_reader[0].body
    to_animator = [m for m in mailoutbox if m.to == [animator.email]]
    assert len(to_animator) == 1 and "ENT" in to_animator[0].body
    # The asker's own question is not news to her: nothing new, no email.
    assert not [m for m in mailoutbox if m.to == [asker.email]]
    assert Digest.objects.get(user=asker, week=week).status == DigestStatus.EMPTY


def test_the_animator_is_told_of_open_escalations_and_opting_out_stops_the_digest(
    mailoutbox, django_capture_on_commit_callbacks
):
    community, animator = community_with_animator()
    services.join(community=community, user=animator)  # animators may be members too
    author = member(community)
    services.escalate(
        community=community, by=author, category="programme", title="Cycle 4", text="X"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_weekly_digests()
    mails = [m for m in mailoutbox if m.to == [animator.email]]
    assert len(mails) == 1 and "Cycle 4" in mails[0].body

    quiet = member(community)
    Membership.objects.filter(user=quiet).update(digest_opt_out=True)
    services.ask(community=community, by=author, title="Nouveauté", text="X")
    Digest.objects.all().delete()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_weekly_digests()
    assert not Digest.objects.filter(user=quiet).exists()
    assert not [m for m in mailoutbox if m.to == [quiet.email]]


def test_a_sent_digest_is_never_sent_again(mailoutbox):
    community = CommunityFactory()
    reader, asker = member(community), member(community)
    services.ask(community=community, by=asker, title="Q", text="X")
    digest = Digest.objects.create(user=reader, week=services.week_of(timezone.localdate()))
    assert services.send_digest(digest_id=digest.pk) == DigestStatus.SENT
    assert services.send_digest(digest_id=digest.pk) == DigestStatus.SENT
    assert len(mailoutbox) == 1


def test_the_asker_is_reminded_once_to_accept_an_answer(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.COMMUNITY_ACCEPT_REMINDER_DAYS = 3
    community = CommunityFactory()
    asker, helper = member(community), member(community)
    question = services.ask(community=community, by=asker, title="Quel outil ?", text="X")
    unanswered = services.ask(community=community, by=asker, title="Sans réponse", text="X")
    services.answer(question=question, by=helper, text="Celui-ci.")
    Question.objects.update(created_at=timezone.now() - timedelta(days=4))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_askers() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_askers() == 0
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [asker.email] and "Quel outil ?" in mailoutbox[0].subject
    assert Question.objects.get(pk=unanswered.pk).reminded_at is None
