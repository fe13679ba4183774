"""Awarding, baking, versions and revocation of Open Badges 2.0 assertions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from badges.constants import BadgeKind, ExpiryRule
from badges.models import Assertion, hash_identity
from badges.services.awards import award_badge
from badges.services.baking import read_baked
from badges.services.revocation import revoke_assertion
from badges.services.versions import publish_version
from cotraining.constants import Attendance
from cotraining.exceptions import ServiceError
from cotraining.services import enroll, record_attendance
from tests.factories import SessionFactory, UserFactory, make_badge_class, teacher

pytestmark = pytest.mark.django_db


def read(field):
    field.open("rb")
    try:
        return field.read()
    finally:
        field.close()


def test_an_award_is_hashed_baked_and_idempotent(
    issuer, mailoutbox, django_capture_on_commit_callbacks
):
    badge_class = make_badge_class(issuer)
    person = UserFactory(email="Claire.Dupont@ac-poitiers.fr")
    with django_capture_on_commit_callbacks(execute=True):
        assertion, created = award_badge(
            badge_class=badge_class, email=person.email, recipient=person, source="manual:1"
        )
        again, created_again = award_badge(
            badge_class=badge_class, email=person.email, recipient=person, source="manual:1"
        )
    assert (created, created_again, again.pk) == (True, False, assertion.pk)
    assert assertion.identity == hash_identity("claire.dupont@ac-poitiers.fr", assertion.salt)
    baked = read_baked(read(assertion.image))
    assert baked["id"] == assertion.public_url
    assert baked["recipient"]["identity"] == assertion.identity
    assert baked["badge"].endswith(f"/badges/classes/{badge_class.uuid}/v1")
    (message,) = mailoutbox
    assert message.to == ["claire.dupont@ac-poitiers.fr"]
    assert message.attachments[0][0] == "badge.png"
    assert assertion.public_url in message.body


def test_svg_badges_bake_too(issuer):
    badge_class = make_badge_class(issuer, svg=True)
    assertion, _ = award_badge(badge_class=badge_class, email="a@b.fr", source="manual:2")
    assert assertion.image.name.endswith(".svg")
    baked = read(assertion.image)
    assert read_baked(baked) == assertion.public_url  # SVG: the hosted URL, per the spec
    assert b"<![CDATA[" in baked and str(assertion.uuid).encode() in baked


def test_editing_a_badge_class_keeps_earlier_assertions_meaning(issuer):
    badge_class = make_badge_class(issuer)
    first, _ = award_badge(badge_class=badge_class, email="a@b.fr", source="manual:1")
    badge_class.criteria_narrative = "Présence et production d'une séquence."
    badge_class.save()
    second, _ = award_badge(badge_class=badge_class, email="c@d.fr", source="manual:1")
    assert (first.version.number, second.version.number) == (1, 2)
    assert first.version.document["criteria"]["narrative"].startswith("Présence à l'atelier")
    assert publish_version(badge_class=badge_class) == second.version  # nothing changed since


def test_expiry_rules(issuer):
    months = make_badge_class(issuer, expiry_rule=ExpiryRule.MONTHS, expires_after_months=12)
    assertion, _ = award_badge(badge_class=months, email="a@b.fr", source="x")
    assert assertion.expires.date() == (assertion.issued_on + timedelta(days=365)).date()
    assert assertion.status == "valid"
    Assertion.objects.filter(pk=assertion.pk).update(expires=timezone.now() - timedelta(days=1))
    assertion.refresh_from_db()
    assert assertion.status == "expired"


def test_revocation_needs_a_reason_and_is_idempotent(issuer):
    assertion, _ = award_badge(badge_class=make_badge_class(issuer), email="a@b.fr", source="x")
    with pytest.raises(ServiceError):
        revoke_assertion(assertion=assertion, reason=" ", by=None)
    revoke_assertion(assertion=assertion, reason="Attribué par erreur", by=None)
    revoked = revoke_assertion(assertion=assertion, reason="autre", by=None)
    assert (revoked.revoked, revoked.revocation_reason) == (True, "Attribué par erreur")


def test_completing_a_workshop_awards_its_badges_once(issuer, django_capture_on_commit_callbacks):
    session = SessionFactory()
    trainer = UserFactory()
    session.workshop.trainers.set([trainer])
    session.workshop.save()
    participant_badge = make_badge_class(issuer, workshop=session.workshop)
    trainer_badge = make_badge_class(
        issuer, name="Formateur", workshop=session.workshop, kind=BadgeKind.TRAINER
    )
    person = teacher()
    enrollment = enroll(user=person, session=session).enrollment
    import time_machine

    with time_machine.travel(session.end + timedelta(minutes=10), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            record_attendance(enrollment=enrollment, attendance=Attendance.PRESENT, by=trainer)
        with django_capture_on_commit_callbacks(execute=True):
            record_attendance(enrollment=enrollment, attendance=Attendance.PRESENT, by=trainer)
    mine = Assertion.objects.get(badge_class=participant_badge)
    assert mine.recipient == person
    assert mine.evidence[0]["id"].endswith(session.workshop.url)
    assert "3" in mine.evidence[0]["narrative"]
    assert Assertion.objects.get(badge_class=trainer_badge).recipient == trainer
    assert Assertion.objects.count() == 2


def test_attendance_corrected_down_revokes_and_a_new_completion_awards_again(
    issuer, django_capture_on_commit_callbacks
):
    import time_machine

    session = SessionFactory()
    badge_class = make_badge_class(issuer, workshop=session.workshop)
    trainer = UserFactory()
    enrollment = enroll(user=teacher(), session=session).enrollment
    with time_machine.travel(session.end + timedelta(minutes=10), tick=False):
        for attendance in (Attendance.PRESENT, Attendance.ABSENT, Attendance.PRESENT):
            with django_capture_on_commit_callbacks(execute=True):
                record_attendance(enrollment=enrollment, attendance=attendance, by=trainer)
    first, second = Assertion.objects.filter(badge_class=badge_class).order_by("pk")
    assert first.revoked and "Présence corrigée" in first.revocation_reason
    assert not second.revoked


def test_beat_awards_what_a_lost_task_did_not(issuer):
    from badges.services.awards import completions_missing_badges
    from badges.tasks import award_missing_completion_badges
    from cotraining.models import Completion
    from tests.factories import CompletionFactory, workshop_page

    workshop = workshop_page()
    badge_class = make_badge_class(issuer, workshop=workshop)
    # Created without the signal: as if the award task had been lost.
    completion = CompletionFactory(workshop=workshop)
    CompletionFactory(workshop=workshop_page())  # a workshop without badge: nothing owed
    assert completions_missing_badges() == [completion.pk]
    award_missing_completion_badges.delay()
    assert Assertion.objects.get(badge_class=badge_class).recipient == completion.user
    assert completions_missing_badges() == []
    assert Completion.objects.count() == 2


def test_beat_emails_the_recent_awards_whose_email_task_was_lost(issuer, mailoutbox):
    """The email task was lost (broker down at commit): beat sends it, once, if the award is
    recent and valid; one awarded a minute ago is left to its own task."""
    from datetime import timedelta

    from django.utils import timezone

    from badges.tasks import email_unsent_awards

    badge = make_badge_class(issuer)
    lost, recent, revoked, old = (
        award_badge(badge_class=badge, email=f"{name}@ac-poitiers.fr", source="manual")[0]
        for name in ("perdu", "recent", "revoque", "ancien")
    )
    now = timezone.now()
    Assertion.objects.filter(pk__in=[lost.pk, revoked.pk]).update(
        created_at=now - timedelta(minutes=20)
    )
    Assertion.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=30))
    Assertion.objects.filter(pk=revoked.pk).update(revoked=True)
    mailoutbox.clear()
    assert email_unsent_awards() == 1
    assert [m.to for m in mailoutbox] == [["perdu@ac-poitiers.fr"]]
    assert email_unsent_awards() == 0
    assert len(mailoutbox) == 1


# --- The image is part of the version (issue 16) -------------------------------------------


def test_a_new_image_alone_publishes_a_new_version_and_each_version_keeps_its_image(client, issuer):
    from django.core.files.base import ContentFile

    from badges.services.baking import read_baked
    from tests.factories import SVG

    def served(url):
        return b"".join(client.get(url).streaming_content)

    def stored(field):
        field.open("rb")
        try:
            return field.read()
        finally:
            field.close()

    badge_class = make_badge_class(issuer)
    first, _ = award_badge(badge_class=badge_class, email="a@example.org", source="manual:1")
    first_image = served(first.version.document["image"])
    first_baked = stored(first.image)
    assert first_image.startswith(b"\x89PNG")

    # Only the image changes: a new version, with the new picture.
    badge_class.image.save("nouveau.svg", ContentFile(SVG), save=True)
    second, _ = award_badge(badge_class=badge_class, email="b@example.org", source="manual:2")
    assert second.version.number == first.version.number + 1
    assert second.version.document["image"] != first.version.document["image"]
    assert b"<svg" in served(second.version.document["image"])
    assert read_baked(stored(second.image)) == second.public_url  # baked in the SVG

    # The first version, and the image baked against it, still show the first picture.
    assert served(first.version.document["image"]) == first_image
    first.refresh_from_db()
    assert stored(first.image) == first_baked
    assert publish_version(badge_class=badge_class) == second.version  # nothing changed since
