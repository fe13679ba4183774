"""The communities journey in a real browser (issue 18's "Done when"): a teacher asks to join
the closed mathematics community, the inspector approves; she asks a question, another teacher
answers, she accepts the answer; she reports a difficulty upward, the inspector answers it; the
weekly digest tells her. Every page is checked with axe-core."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from communities import services
from communities.constants import EscalationStatus, MembershipStatus
from communities.models import Community, Escalation, Membership, Question
from cotraining.constants import Degree
from cotraining.models import Discipline, User
from tests.e2e.helpers import check_a11y, demo_email, login, make_teacher, visit

QUESTION = "Des rituels de calcul mental en 6e ?"
DIFFICULTY = "Trop de contenus dans le programme de 3e"


def maths_teacher(local, first, last):
    user = make_teacher(local, first, last)
    user.degree = Degree.SECOND
    user.establishment = User.objects.get(email=demo_email("enseignant")).establishment
    user.save(update_fields=["degree", "establishment"])
    user.disciplines.add(Discipline.objects.get(code="mathematiques"))
    return user


def test_join_ask_answer_accept_escalate(new_page, live_server, demo_data, mailoutbox):
    from django.utils import timezone

    inspector = User.objects.get(email=demo_email("inspecteur"))
    community = Community.objects.get(animators=inspector)
    alice = maths_teacher("alice.durand", "Alice", "Durand")
    bruno = maths_teacher("bruno.roux", "Bruno", "Roux")
    Membership.objects.create(
        community=community, user=bruno, status=MembershipStatus.ACTIVE, joined_at=timezone.now()
    )

    # 1. Alice finds the closed mathematics community and asks to join.
    page = new_page()
    login(page, live_server, alice.email)
    page.get_by_role("link", name="Communautés", exact=True).first.click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_role("link", name=community.name).click()
    page.wait_for_load_state()
    check_a11y(page)
    page.get_by_role("button", name="Demander à rejoindre").click()
    page.wait_for_load_state()
    expect(page.get_by_text("attend la décision d'un animateur")).to_be_visible()

    # 2. The inspector approves her request.
    inspection = new_page()
    login(inspection, live_server, inspector.email)
    visit(inspection, live_server, reverse("communities:requests"))
    inspection.get_by_role("button", name=re.compile("Accepter — Alice Durand")).click()
    inspection.wait_for_load_state()
    expect(inspection.get_by_text("Alice Durand est membre de la communauté.")).to_be_visible()

    # 3. Alice asks a question.
    visit(page, live_server, reverse("communities:detail", args=[community.pk]))
    page.get_by_role("link", name="Poser une question").click()
    page.wait_for_load_state()
    check_a11y(page)
    page.locator("input[name=title]").fill(QUESTION)
    page.locator("textarea[name=text]").fill("Combien de minutes, quels supports ?")
    page.locator("input[name=tags]").fill("calcul mental, 6e")
    page.get_by_role("button", name="Publier la question").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text(QUESTION)
    check_a11y(page)
    question = Question.objects.get(title=QUESTION)

    # 4. Bruno answers.
    colleague = new_page()
    login(colleague, live_server, bruno.email)
    visit(colleague, live_server, reverse("communities:question", args=[question.pk]))
    colleague.locator("textarea[name=text]").last.fill("Dix minutes, une ardoise, tous les jours.")
    colleague.get_by_role("button", name="Publier la réponse").click()
    colleague.wait_for_load_state()
    expect(colleague.get_by_text("Votre réponse est publiée.")).to_be_visible()

    # 5. Alice accepts it.
    visit(page, live_server, reverse("communities:question", args=[question.pk]))
    page.get_by_role("button", name=re.compile("Accepter cette réponse")).click()
    page.wait_for_load_state()
    expect(page.get_by_text("Réponse acceptée").first).to_be_visible()
    check_a11y(page)
    question.refresh_from_db()
    assert question.accepted_answer.author == bruno

    # 6. Alice reports a difficulty upward.
    visit(page, live_server, reverse("communities:detail", args=[community.pk]))
    page.get_by_role("link", name="Faire remonter une difficulté").click()
    page.wait_for_load_state()
    check_a11y(page)
    page.locator("select[name=category]").select_option("programme")
    page.locator("input[name=title]").fill(DIFFICULTY)
    page.locator("textarea[name=text]").fill("Impossible de tout traiter avant le brevet.")
    page.get_by_role("button", name="Envoyer à l'inspection").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text(DIFFICULTY)

    # 7. The inspector finds it among her communities' escalations and answers.
    visit(inspection, live_server, reverse("communities:escalations") + "?status=open")
    inspection.get_by_role("link", name=DIFFICULTY).click()
    inspection.wait_for_load_state()
    check_a11y(inspection)
    inspection.locator("textarea[name=response]").fill("Remonté au groupe disciplinaire.")
    inspection.get_by_role("button", name="Enregistrer la réponse").click()
    inspection.wait_for_load_state()
    escalation = Escalation.objects.get(title=DIFFICULTY)
    assert escalation.status == EscalationStatus.ANSWERED

    visit(page, live_server, reverse("communities:escalation", args=[escalation.pk]))
    expect(page.get_by_text("Remonté au groupe disciplinaire.")).to_be_visible()

    # 8. The weekly digest tells Alice of the answer to the question she follows.
    mailoutbox.clear()
    services.queue_weekly_digests()
    digests = [m for m in mailoutbox if m.to == [alice.email]]
    assert len(digests) == 1 and QUESTION in digests[0].body
