"""Each award email at most once, and at least once (issue 15): the send is claimed in the
database before it leaves, its outcome recorded right after."""

from datetime import timedelta

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from badges import tasks
from badges.models import Assertion
from badges.services import emails
from badges.services.awards import award_badge
from tests.factories import make_badge_class

pytestmark = pytest.mark.django_db


@pytest.fixture
def awards(issuer):
    badge_class = make_badge_class(issuer)
    return [
        award_badge(badge_class=badge_class, email=f"p{i}@b.fr", source="bulk")[0] for i in range(5)
    ]


def recipients(mailoutbox):
    return sorted(to for message in mailoutbox for to in message.to)


def later(minutes):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def test_two_catch_ups_running_at_once_send_each_email_once(awards, mailoutbox, monkeypatch):
    ids = [a.pk for a in awards]
    real_send = EmailBackend.send_messages
    second = []

    def send_while_another_catch_up_runs(self, messages):
        if not second:  # while the first email leaves, another delivery takes the same list
            second.append(emails.send_award_emails(assertion_ids=ids))
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_while_another_catch_up_runs)
    first = emails.send_award_emails(assertion_ids=ids)
    assert (first, second) == (5, [0])
    assert recipients(mailoutbox) == [f"p{i}@b.fr" for i in range(5)]
    assert not Assertion.objects.filter(emailed_at__isnull=True).exists()


def test_a_worker_killed_mid_list_leaves_its_sent_emails_recorded(awards, mailoutbox, monkeypatch):
    """The 15-minute catch-up after a crash: 1,157 emails for 1,000 recipients before."""
    ids = [a.pk for a in awards]
    real_send = EmailBackend.send_messages

    def killed_at_the_fourth(self, messages):
        if messages[0].to == ["p3@b.fr"]:
            raise SystemExit("SIGKILL")  # what the catch-up sees: nothing after this runs
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", killed_at_the_fourth)
    with pytest.raises(SystemExit):
        emails.send_award_emails(assertion_ids=ids)
    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    assert recipients(mailoutbox) == ["p0@b.fr", "p1@b.fr", "p2@b.fr"]
    assert Assertion.objects.filter(emailed_at__isnull=False).count() == 3

    # The catch-up, 16 minutes later: the three sent are never resent; the one in flight may
    # have left, so it waits for its claim to expire; the last one was released.
    with later(16):
        assert tasks.email_unsent_awards.delay().get() == 1
    assert recipients(mailoutbox) == ["p0@b.fr", "p1@b.fr", "p2@b.fr", "p4@b.fr"]
    with later(16 + 60):
        assert tasks.email_unsent_awards.delay().get() == 0
    # Past the claim timeout: at least once.
    with later(16 + emails.EMAIL_CLAIM_TIMEOUT.total_seconds() / 60):
        assert tasks.email_unsent_awards.delay().get() == 1
        assert tasks.email_unsent_awards.delay().get() == 0
    assert recipients(mailoutbox) == [f"p{i}@b.fr" for i in range(5)]


def test_a_claim_left_by_a_killed_worker_holds_off_every_delivery_until_it_expires(
    awards, mailoutbox
):
    ids = [a.pk for a in awards]
    Assertion.objects.filter(pk__in=ids[:2]).update(emailing_started_at=timezone.now())
    assert emails.send_award_emails(assertion_ids=ids) == 3
    assert emails.send_award_emails(assertion_ids=ids) == 0
    with later(emails.EMAIL_CLAIM_TIMEOUT.total_seconds() / 60 + 1):
        assert emails.send_award_emails(assertion_ids=ids) == 2
    assert recipients(mailoutbox) == [f"p{i}@b.fr" for i in range(5)]
