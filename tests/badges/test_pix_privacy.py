"""The PIX verification code opens the whole certificate on pix.fr (name, scores): it never
reaches a public badge, and the PIX forms and imports never tell who has an account or a code."""

import json
from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import ModelLogEntry

from badges.constants import AuditAction
from badges.models import Assertion, PixCertification
from badges.services import pix as pix_services
from badges.services.awards import award_badge
from badges.services.baking import read_baked
from badges.services.pix import PIX_PLUS_EDU_SOURCE
from cotraining.exceptions import ServiceError
from tests.badges.test_pix import data, other_academie_departement
from tests.badges.test_pix_import import HEADER, code, line, run
from tests.factories import EstablishmentFactory, UserFactory, make_badge_class, teacher

pytestmark = pytest.mark.django_db

CODE = "P-2BC4DF6G"
JSON_LD = "application/ld+json"


@pytest.fixture
def holder():
    return teacher(first_name="Zélie", last_name="Marchand", email="zelie.marchand@ac-test.fr")


def verified_pix_plus_edu(holder, coordinator, capture):
    certification = pix_services.declare_certification(
        user=holder,
        data=data(
            verification_code=CODE,
            pix_plus_edu=pix_services.PixPlusEdu("2d", 3, 3, date(2026, 6, 1)),
        ),
    )
    with capture(execute=True):
        pix_services.verify_certifications(certifications=[certification], by=coordinator)
    return certification


def image_bytes(client, assertion):
    response = client.get(reverse("badges:assertion_image", kwargs={"uuid": assertion.uuid}))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def public_parts(client, assertion):
    """Everything a stranger (or a verifier) can read of an assertion, as text."""
    url = reverse("badges:assertion", kwargs={"uuid": assertion.uuid})
    hosted = client.get(url, HTTP_ACCEPT=JSON_LD)
    page = client.get(url, HTTP_ACCEPT="text/html")
    image = image_bytes(client, assertion) if not assertion.revoked else b""
    baked = json.dumps(read_baked(image)) if image else ""
    return {
        "hosted JSON": hosted.content.decode(),
        "public page": page.content.decode(),
        "baked image bytes": image.decode("latin-1"),
        "baked assertion": baked,
        "stored evidence": json.dumps(assertion.evidence, ensure_ascii=False),
        "stored narrative": assertion.narrative,
        "revocation reason": assertion.revocation_reason,
    }


def assert_no_code(parts, code=CODE):
    leaking = [name for name, text in parts.items() if code in text]
    assert not leaking, f"the verification code is public in: {leaking}"


# --- Pix+ Édu badges ------------------------------------------------------------------------


@pytest.mark.parametrize("svg", [False, True], ids=["png", "svg"])
def test_a_pix_plus_edu_badge_never_shows_the_verification_code(
    client, holder, coordinator, issuer, svg, django_capture_on_commit_callbacks
):
    make_badge_class(
        issuer, name="Pix+ Édu Avancé", svg=svg, pix_plus_edu_scope="2d", pix_plus_edu_level=3
    )
    certification = verified_pix_plus_edu(holder, coordinator, django_capture_on_commit_callbacks)
    assertion = Assertion.objects.get(source=f"{PIX_PLUS_EDU_SOURCE}{certification.pk}")
    assert not assertion.public  # the holder keeps their name private: still no code
    parts = public_parts(client, assertion)
    assert_no_code(parts)
    # Still real evidence a verifier understands.
    narrative = assertion.evidence[0]["narrative"]
    assert "Pix+ Édu 2nd degré" in narrative and issuer.name in narrative
    assert "Pix+ Édu 2nd degré" in parts["hosted JSON"]
    # The award email carries the baked image, and nothing else that quotes the code.
    sent = [m for m in mail.outbox if holder.email in m.to and m.attachments]
    assert sent
    for message in sent:
        assert CODE not in message.body
        for _name, content, _type in message.attachments:
            text = content if isinstance(content, str) else content.decode("latin-1")
            assert CODE not in text


def test_a_rejected_pix_plus_edu_badge_does_not_publish_the_reason(
    client, holder, coordinator, issuer, django_capture_on_commit_callbacks
):
    """The revocation reason is public (410 document, page); the staff's reason is for the
    teacher and may quote their certificate."""
    make_badge_class(issuer, name="Pix+ Édu Avancé", pix_plus_edu_scope="2d", pix_plus_edu_level=3)
    certification = verified_pix_plus_edu(holder, coordinator, django_capture_on_commit_callbacks)
    reason = f"Le code {CODE} ne correspond pas à Zélie Marchand"
    pix_services.reject_certifications(
        certifications=[certification], reason=reason, by=coordinator
    )
    assertion = Assertion.objects.get()
    assert assertion.revoked
    parts = public_parts(client, assertion)
    assert_no_code(parts)
    assert "Marchand" not in parts["hosted JSON"] + parts["public page"]
    certification.refresh_from_db()
    assert certification.rejection_reason == reason  # the teacher still reads it


def old_style_assertion(badge_class, certification, **fields):
    """An assertion awarded the way it was before codes were kept out of badges."""
    assertion, _created = award_badge(
        badge_class=badge_class,
        email=certification.user.email,
        recipient=certification.user,
        source=f"{PIX_PLUS_EDU_SOURCE}{certification.pk}",
        evidence=[
            {
                "type": "Evidence",
                "name": "Certification Pix+ Édu",
                "narrative": (
                    "Pix+ Édu 2nd degré, niveau Avancé, certification du 12/03/2026 "
                    f"(code de vérification {certification.verification_code}), vérifiée par "
                    "l'académie."
                ),
            }
        ],
        **fields,
    )
    return assertion


@pytest.mark.parametrize("svg", [False, True], ids=["png", "svg"])
def test_migrate_cleans_badges_awarded_with_the_code(
    client, holder, coordinator, issuer, svg, django_capture_on_commit_callbacks
):
    badge_class = make_badge_class(issuer, name="Pix+ Édu Avancé", svg=svg)  # no automatic award
    certification = pix_services.declare_certification(
        user=holder,
        data=data(
            verification_code=CODE,
            pix_plus_edu=pix_services.PixPlusEdu("2d", 3, 3, date(2026, 6, 1)),
        ),
        by=coordinator,
    )
    old = old_style_assertion(badge_class, certification)
    # A second one whose certification is gone, and revoked with the code in its reason.
    gone_certification = pix_services.declare_certification(
        user=teacher(), data=data(verification_code="P-9XYW8VT7")
    )
    orphan = old_style_assertion(badge_class, gone_certification, narrative="Code P-9XYW8VT7.")
    orphan.revoked, orphan.revocation_reason = True, "Refusée : P-9XYW8VT7 inconnu"
    orphan.save()
    gone_certification.delete()
    # The leak, as it stood (and the hosted JSON in cache).
    leaking = public_parts(client, old)
    assert CODE in leaking["hosted JSON"] and CODE in leaking["baked image bytes"]
    image_name = old.image.name

    with django_capture_on_commit_callbacks(execute=True):  # the cached JSON is dropped
        call_command("migrate", verbosity=0)

    old.refresh_from_db()
    orphan.refresh_from_db()
    assert_no_code(public_parts(client, old))
    assert old.image.name == image_name  # the same file, rewritten: no copy left with the code
    assert "Pix+ Édu 2nd degré, niveau Avancé" in old.evidence[0]["narrative"]
    assert_no_code(public_parts(client, orphan), code="P-9XYW8VT7")
    assert "Pix+ Édu" in orphan.evidence[0]["narrative"]
    with orphan.image.open("rb") as file:
        assert b"P-9XYW8VT7" not in file.read()
    assert not pix_services.leaking_pix_plus_edu_assertions().exists()
    # Idempotent: nothing left to do, the command says so.
    assert pix_services.redact_pix_plus_edu_assertions() == 0
    call_command("redact_pix_codes", verbosity=0)


# --- What the PIX forms and imports reveal -------------------------------------------------


def test_a_declaration_with_someone_elses_code_reveals_nothing_about_them(client, holder):
    pix_services.declare_certification(user=holder, data=data(verification_code=CODE))
    intruder = teacher()
    with pytest.raises(ServiceError) as refused:
        pix_services.declare_certification(user=intruder, data=data(verification_code=CODE))
    message = refused.value.message
    assert "autre personne" not in message and "déjà enregistré" not in message
    assert "Marchand" not in message and holder.email not in message
    assert message == pix_services.code_refused_message()
    # The same words in the page.
    client.force_login(intruder)
    fields = {f"level_{c.replace('.', '_')}": 3 for c in data().levels}
    response = client.post(
        reverse("badges:declare_certification"),
        {"taken_on": "2026-03-12", "score": 400, "max_level": 6, "verification_code": CODE}
        | fields,
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "ne peut pas être enregistré" in page and "autre personne" not in page
    # The staff who review the holder's certification see the attempt.
    certification = PixCertification.objects.get(verification_code=CODE)
    conflicts = ModelLogEntry.objects.for_instance(certification).filter(
        action=AuditAction.PIX_CODE_CONFLICT
    )
    assert conflicts.count() == 2 and conflicts.first().user == intruder
    assert PixCertification.objects.count() == 1


def test_staff_recording_someone_elses_code_learn_nothing_about_them(holder, coordinator):
    pix_services.declare_certification(user=holder, data=data(verification_code=CODE))
    with pytest.raises(ServiceError) as refused:
        pix_services.declare_certification(
            user=teacher(), data=data(verification_code=CODE), by=coordinator
        )
    assert "autre personne" not in refused.value.message
    assert refused.value.message == pix_services.code_refused_message(staff=True)


def test_the_import_report_reads_the_same_for_an_unknown_and_a_foreign_address(coordinator):
    far = EstablishmentFactory(departement=other_academie_departement(), uai="0750654D")
    UserFactory(email="loin@ac-test.fr", establishment=far)
    refused = run(
        "\n".join([HEADER, line("loin@ac-test.fr", 1), line("personne@ac-test.fr", 2)]),
        coordinator,
    )
    messages = dict(refused.errors)
    foreign = messages[2].replace("loin@ac-test.fr", "ADDRESS")
    unknown = messages[3].replace("personne@ac-test.fr", "ADDRESS")
    assert foreign == unknown
    assert "territoire" in foreign


def test_the_import_report_says_nothing_of_who_holds_a_code(coordinator):
    school = EstablishmentFactory()
    mine = UserFactory(email="prof@ac-test.fr", establishment=school)
    far = EstablishmentFactory(departement=other_academie_departement(), uai="0750654D")
    elsewhere = UserFactory(email="loin@ac-test.fr", establishment=far)
    pix_services.declare_certification(user=elsewhere, data=data(verification_code=code(1)))
    pix_services.declare_certification(user=mine, data=data(verification_code=code(2)))
    other = UserFactory(email="autre@ac-test.fr", establishment=school)
    refused = run(
        "\n".join(
            [
                HEADER,
                line("autre@ac-test.fr", 1),  # held outside the territory
                line("autre@ac-test.fr", 2),  # held inside
            ]
        ),
        coordinator,
    )
    messages = dict(refused.errors)
    assert messages[2].replace(code(1), "CODE") == messages[3].replace(code(2), "CODE")
    assert "autre personne" not in messages[2]
    assert not PixCertification.objects.filter(user=other).exists()
