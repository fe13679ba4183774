"""The badge journey, in a real browser: a teacher completes a workshop and gets its badge.

The teacher enrols, the trainer projects the check-in code and the teacher types it: the
workshop is completed and its participant badge awarded (Celery runs eagerly). The teacher finds
it in "Mes badges" and opens its public page; a verifier then reads the hosted Open Badges 2.0
JSON-LD (assertion → badge class → issuer) and unbakes the downloaded image.
"""

import hashlib
import io
import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from badges.constants import BadgeKind
from badges.models import Assertion, BadgeClass, Issuer
from badges.services.baking import read_baked
from cotraining.constants import Modality
from cotraining.models import Completion, Session, User, WorkshopIndexPage, WorkshopPage
from cotraining.services.attendance import complete_ended_sessions
from tests.e2e.helpers import check_a11y, demo_email, login, make_teacher, visit

TITLE = "Débuter avec la robotique au collège — atelier e2e badges"
BADGE = "Robotique au collège — participant"
LD_JSON = {"Accept": "application/ld+json"}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Badge images, the demo's and the baked assertions, go to a scratch MEDIA_ROOT.
    settings.MEDIA_ROOT = tmp_path / "media"


def workshop_with_badge():
    """A published workshop whose session starts in 20 minutes (enrolment and check-in are
    open), with a participant badge of the demo DANE, aligned to its competences."""
    section = WorkshopIndexPage.objects.get(academie__code="13")
    trainer = User.objects.get(email=demo_email("formateur"))
    workshop = section.add_child(
        instance=WorkshopPage(
            title=TITLE,
            summary="Programmer un robot pour aborder l'algorithmique en classe.",
            theme="enseigner",
            modality=Modality.IN_PERSON,
            duration_hours=2,
            academie=section.academie,
        )
    )
    workshop.trainers.set([trainer])
    workshop.competences.set(WorkshopPage.objects.get(slug="robotique-cycle-3").competences.all())
    workshop.save_revision().publish()
    start = timezone.now().replace(microsecond=0) + timedelta(minutes=20)
    session = Session.objects.create(
        workshop=workshop,
        start=start,
        end=start + timedelta(hours=2),
        modality=Modality.IN_PERSON,
        address="Atelier Canopé, 6 rue Sainte-Catherine, Poitiers",
        capacity=10,
    )
    badge_class = BadgeClass(
        issuer=Issuer.objects.get(name="DANE de l'académie de Poitiers"),
        name=BADGE,
        description="Décerné aux participants de l'atelier de robotique.",
        criteria_narrative="Présence à l'atelier, émargée en ligne.",
        kind=BadgeKind.PARTICIPANT,
        workshop=workshop,
    )
    output = io.BytesIO()  # a PNG: its baked copy carries the whole assertion
    Image.new("RGBA", (128, 128), (0, 0, 145, 255)).save(output, format="PNG")
    badge_class.image.save("robotique.png", ContentFile(output.getvalue()), save=False)
    badge_class.save()
    badge_class.competences.set(workshop.competences.all())
    return workshop, session, badge_class


def test_complete_a_workshop_and_verify_its_badge(
    new_page, live_server, demo_data, settings, mailoutbox
):
    # Open Badges ids are absolute URLs on SITE_URL: the live server's, before any award.
    settings.SITE_URL = live_server.url
    workshop, session, badge_class = workshop_with_badge()
    person = make_teacher("dominique.roux", "Dominique", "Roux")

    # 1. The teacher enrols through the catalogue page.
    teacher = new_page()
    login(teacher, live_server, person.email)
    visit(teacher, live_server, workshop.url)
    teacher.get_by_role("button", name="M'inscrire").click()
    expect(teacher.locator(".fr-alert--success")).to_contain_text("Inscription confirmée")

    # 2. The trainer projects the check-in code; the teacher types it: workshop completed.
    trainer = new_page()
    login(trainer, live_server, demo_email("formateur"))
    visit(trainer, live_server, f"/mes-seances/{session.pk}/")
    expect(trainer.locator("h1")).to_have_text(TITLE)
    trainer.get_by_role("link", name="Afficher le code d'émargement").click()
    code = trainer.locator("#checkin-code").inner_text().replace(" ", "")
    assert re.fullmatch(r"\d{6}", code)

    visit(teacher, live_server, "/emargement/")
    teacher.get_by_label("Code d'émargement").fill(code)
    teacher.get_by_role("button", name="Je suis présent(e)").click()
    expect(teacher.locator(".fr-alert--success")).to_contain_text("Présence enregistrée")
    # Checked in early: presence, not yet training done. Beat completes it once it has ended.
    assert not Completion.objects.filter(user=person, workshop=workshop).exists()
    # The session is over (moved into the past rather than waiting two hours), beat runs.
    ended = timezone.now() - timedelta(minutes=1)
    Session.objects.filter(pk=session.pk).update(start=ended - timedelta(hours=2), end=ended)
    complete_ended_sessions()
    assert Completion.objects.filter(user=person, workshop=workshop).exists()
    assertion = Assertion.objects.get(recipient=person)
    assert assertion.badge_class == badge_class
    assert assertion.public_url == f"{live_server.url}/badges/assertions/{assertion.uuid}"
    awarded = [
        m
        for m in mailoutbox
        if m.to == [person.email] and [a[0] for a in m.attachments] == ["badge.png"]
    ]
    assert len(awarded) == 1 and assertion.public_url in awarded[0].body

    # 3. "Mes badges", from the header's navigation, lists it as valid.
    teacher.locator("header").get_by_role("link", name="Mes badges").click()
    expect(teacher.locator("h1")).to_have_text("Mes badges")
    check_a11y(teacher)
    card = teacher.locator(".fr-card", has_text=BADGE)
    expect(card).to_contain_text("DANE de l'académie de Poitiers")
    expect(card).to_contain_text("Valide")

    # 4. Its public page says it is valid, to anyone.
    card.get_by_role("link", name=BADGE, exact=True).click()
    expect(teacher.locator("h1")).to_have_text(BADGE)
    assert teacher.url == assertion.public_url
    expect(teacher.locator("main")).to_contain_text("Badge valide")
    check_a11y(teacher)
    visitor = new_page()
    visit(visitor, live_server, f"/badges/assertions/{assertion.uuid}")
    expect(visitor.locator("main")).to_contain_text("Badge valide")

    # 5. A verifier follows the hosted JSON-LD: assertion → badge class → issuer.
    api = visitor.request
    response = api.get(assertion.public_url, headers=LD_JSON)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    document = response.json()
    assert (document["type"], document["id"]) == ("Assertion", assertion.public_url)
    recipient = document["recipient"]
    expected = hashlib.sha256((person.email.lower() + recipient["salt"]).encode()).hexdigest()
    assert recipient["identity"] == f"sha256${expected}"
    assert recipient["hashed"] is True and recipient["type"] == "email"
    assert document["verification"] == {"type": "hosted"}
    response = api.get(document["badge"], headers=LD_JSON)
    assert response.status == 200
    badge = response.json()
    assert (badge["type"], badge["id"], badge["name"]) == ("BadgeClass", document["badge"], BADGE)
    assert {a["targetCode"] for a in badge["alignment"]} == set(
        workshop.competences.values_list("code", flat=True)
    )
    response = api.get(badge["issuer"], headers=LD_JSON)
    assert response.status == 200
    issuer = response.json()
    assert (issuer["type"], issuer["id"]) == ("Issuer", badge["issuer"])
    assert issuer["name"] == "DANE de l'académie de Poitiers"
    assert api.get(issuer["image"]).status == 200  # the demo DANE's logo

    # 6. The baked image, downloaded, carries the same assertion.
    response = api.get(document["image"])
    assert response.status == 200
    assert response.headers["content-type"] == "image/png"
    baked = read_baked(response.body())
    assert baked["id"] == assertion.public_url
    assert baked["recipient"]["identity"] == recipient["identity"]
