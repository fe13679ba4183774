"""The communities' pages through the test client: who sees what (404 outside), the flows a
browser drives, hostile text escaped, the CSV export neutralised, constant queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities import services
from communities.constants import Access, MembershipStatus
from communities.models import Membership, Question
from cotraining.models import Academie

from .factories import CommunityFactory, community_with_animator, maths_teacher, member

pytestmark = pytest.mark.django_db


def test_the_list_shows_mine_and_the_offered_ones_only(client):
    teacher = maths_teacher()
    mine = CommunityFactory(name="Mon groupe")
    member(mine, teacher)
    CommunityFactory(name="Groupe proposé")
    CommunityFactory(name="Groupe d'ailleurs", academie=Academie.objects.exclude(code="13")[0])
    client.force_login(teacher)
    response = client.get(reverse("communities:list"))
    text = response.content.decode()
    assert "Mon groupe" in text and "Groupe proposé" in text
    assert "Groupe d'ailleurs" not in text
    assert 'href="/communautes/"' in text  # "Communautés" in the main navigation


def test_another_territorys_community_is_a_404(client):
    elsewhere = CommunityFactory(academie=Academie.objects.exclude(code="13")[0])
    question = services.ask(community=elsewhere, by=member(elsewhere), title="T", text="X")
    client.force_login(maths_teacher())
    assert client.get(reverse("communities:detail", args=[elsewhere.pk])).status_code == 404
    assert client.get(reverse("communities:question", args=[question.pk])).status_code == 404
    assert client.post(reverse("communities:join", args=[elsewhere.pk])).status_code == 404


def test_a_closed_community_shows_no_question_until_approved(client):
    community, animator = community_with_animator(access=Access.CLOSED)
    question = services.ask(community=community, by=member(community), title="Secret", text="X")
    teacher = maths_teacher()
    client.force_login(teacher)
    page = client.get(reverse("communities:detail", args=[community.pk])).content.decode()
    assert "Demander à rejoindre" in page and "Secret" not in page
    assert client.get(reverse("communities:question", args=[question.pk])).status_code == 404
    assert client.get(reverse("communities:ask", args=[community.pk])).status_code == 404
    client.post(reverse("communities:join", args=[community.pk]))
    membership = Membership.objects.get(community=community, user=teacher)
    assert membership.status == MembershipStatus.REQUESTED
    # The teacher cannot approve herself; the animator does from the requests page.
    assert (
        client.post(reverse("communities:decide", args=[membership.pk, "accepter"])).status_code
        == 404
    )
    client.force_login(animator)
    assert teacher.get_full_name() in client.get(reverse("communities:requests")).content.decode()
    client.post(reverse("communities:decide", args=[membership.pk, "accepter"]))
    client.force_login(teacher)
    assert client.get(reverse("communities:question", args=[question.pk])).status_code == 200


def test_ask_answer_accept_through_the_pages(client):
    community = CommunityFactory()
    asker, helper = member(community), member(community)
    client.force_login(asker)
    response = client.post(
        reverse("communities:ask", args=[community.pk]),
        {"title": "<script>alert(1)</script>", "text": "<b>gras</b>", "tags": "outil"},
    )
    question = Question.objects.get()
    assert response.url == reverse("communities:question", args=[question.pk])
    client.force_login(helper)
    client.post(reverse("communities:answer", args=[question.pk]), {"text": "Essayez <i>ça</i>"})
    reply = question.answers.get()
    client.force_login(asker)
    page = client.get(reverse("communities:question", args=[question.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "<b>gras</b>" not in page and "<i>ça</i>" not in page
    client.post(reverse("communities:accept", args=[reply.pk]))
    question.refresh_from_db()
    assert question.accepted_answer == reply


def test_a_teacher_cannot_see_anothers_escalation(client):
    community, animator = community_with_animator()
    author, colleague = member(community), member(community)
    escalation = services.escalate(
        community=community, by=author, category="tool", title="L'ENT", text="X"
    )
    client.force_login(colleague)
    assert client.get(reverse("communities:escalation", args=[escalation.pk])).status_code == 404
    assert "L&#x27;ENT" not in client.get(reverse("communities:escalations")).content.decode()
    assert client.get(reverse("communities:escalations_csv")).status_code == 404
    client.force_login(author)
    assert client.get(reverse("communities:escalation", args=[escalation.pk])).status_code == 200
    # Only the inspector answers.
    client.post(reverse("communities:escalation", args=[escalation.pk]), {"response": "Moi"})
    escalation.refresh_from_db()
    assert escalation.response == ""
    client.force_login(animator)
    client.post(reverse("communities:escalation", args=[escalation.pk]), {"response": "Vu."})
    escalation.refresh_from_db()
    assert escalation.response == "Vu."


def test_the_inspector_filters_and_exports_escalations_without_formulas(client):
    community, animator = community_with_animator()
    author = member(community)
    services.escalate(
        community=community, by=author, category="tool", title="=HYPERLINK(1)", text="X"
    )
    services.escalate(
        community=community, by=author, category="programme", title="Programme", text="X"
    )
    client.force_login(animator)
    page = client.get(reverse("communities:escalations"), {"category": "programme"})
    assert "Programme" in page.content.decode() and "HYPERLINK" not in page.content.decode()
    response = client.get(reverse("communities:escalations_csv"), {"category": "tool"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2
    assert rows[1][3] == "'=HYPERLINK(1)"


def test_search_finds_questions_accents_aside_and_parts_of_words(client):
    community = CommunityFactory()
    asker = member(community)
    services.ask(community=community, by=asker, title="Évaluations en cycle 4", text="Comment ?")
    services.ask(community=community, by=asker, title="Tableur", text="Cybersécurité au CDI")
    client.force_login(asker)
    url = reverse("communities:detail", args=[community.pk])
    for typed, expected, absent in [
        ("evaluation", "Évaluations en cycle 4", "Tableur"),
        ("ÉVALUER", "Évaluations en cycle 4", "Tableur"),
        ("securite", "Tableur", "Évaluations"),
    ]:
        page = client.get(url, {"q": typed}).content.decode()
        assert expected in page and absent not in page, typed


def test_a_community_page_pages_its_questions_in_constant_queries(client):
    community = CommunityFactory()
    asker, helper = member(community), member(community)
    client.force_login(asker)
    url = reverse("communities:detail", args=[community.pk])

    def add_questions(count):
        questions = Question.objects.bulk_create(
            Question(community=community, author=asker, title=f"Q{n}", text="X")
            for n in range(count)
        )
        for question in questions[:5]:
            services.answer(question=question, by=helper, text="R")

    add_questions(5)
    client.get(url)  # warm caches (site settings, DSFR config)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_questions(200)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url, {"page": 3}).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
