"""The communities' use cases: who may do what, idempotence, the flows of a question and of an
escalation, and the audit entries."""

import pytest
from wagtail.models import ModelLogEntry

from communities import services
from communities.constants import (
    Access,
    AuditAction,
    EscalationStatus,
    MembershipStatus,
    PostKind,
    QuestionState,
    TerritoryLevel,
)
from communities.models import Membership, PostReport, Question, UsefulVote
from cotraining.constants import Degree, Role
from cotraining.exceptions import ServiceError
from cotraining.models import Academie, Discipline, RoleAssignment
from cotraining.services import grant_role
from tests.factories import UserFactory, academie

from .factories import (
    CommunityFactory,
    community_with_animator,
    inspector,
    maths,
    maths_teacher,
    member,
)

pytestmark = pytest.mark.django_db


def logged(action, instance):
    return ModelLogEntry.objects.filter(action=action, object_id=str(instance.pk)).count()


# --- The inspector role --------------------------------------------------------------------


def test_inspector_is_an_ia_ipr_of_a_discipline_in_an_academie():
    user = inspector()
    assignment = RoleAssignment.objects.get(user=user, role=Role.INSPECTOR)
    assert assignment.discipline == maths() and assignment.academie == academie()
    assert user.groups.filter(name="Inspection").exists()
    # Idempotent.
    grant_role(user=user, role=Role.INSPECTOR, academie=academie(), discipline=maths())
    assert RoleAssignment.objects.filter(user=user, role=Role.INSPECTOR).count() == 1


def test_an_ia_ipr_needs_a_discipline_and_other_roles_take_none():
    user = UserFactory()
    with pytest.raises(ServiceError) as error:
        grant_role(user=user, role=Role.INSPECTOR, academie=academie())
    assert error.value.code == "role_discipline"
    with pytest.raises(ServiceError) as error:
        grant_role(user=user, role=Role.TRAINER, academie=academie(), discipline=maths())
    assert error.value.code == "role_discipline"


def test_an_ien_inspects_a_departement():
    from tests.factories import departement

    user = UserFactory()
    assignment = grant_role(user=user, role=Role.INSPECTOR, departement=departement())
    assert assignment.scope == departement()


# --- Offered communities and joining --------------------------------------------------------


def test_a_teacher_is_offered_the_communities_of_her_discipline_degree_and_territory():
    from communities.permissions import offered_communities

    teacher = maths_teacher()
    mine = CommunityFactory()
    national = CommunityFactory(level=TerritoryLevel.NATIONAL, academie=None)
    other_subject = CommunityFactory(discipline=Discipline.objects.exclude(code="mathematiques")[0])
    other_academie = CommunityFactory(academie=Academie.objects.exclude(code="13")[0])
    primary = CommunityFactory(degree=Degree.FIRST)
    offered = set(offered_communities(teacher))
    assert {mine, national} <= offered
    assert not offered & {other_subject, other_academie, primary}


def test_joining_an_open_community_is_immediate_and_idempotent():
    community = CommunityFactory()
    teacher = maths_teacher()
    membership = services.join(community=community, user=teacher)
    assert membership.status == MembershipStatus.ACTIVE
    assert services.join(community=community, user=teacher).pk == membership.pk
    assert Membership.objects.filter(community=community, user=teacher).count() == 1
    assert logged(AuditAction.JOIN, membership) == 1


def test_a_community_outside_the_profile_cannot_be_joined():
    community = CommunityFactory(academie=Academie.objects.exclude(code="13")[0])
    with pytest.raises(ServiceError) as error:
        services.join(community=community, user=maths_teacher())
    assert error.value.code == "community_not_offered"


def test_a_closed_community_asks_an_animator_who_approves():
    community, animator = community_with_animator(access=Access.CLOSED)
    teacher = maths_teacher()
    membership = services.join(community=community, user=teacher)
    assert membership.status == MembershipStatus.REQUESTED
    with pytest.raises(ServiceError) as error:
        services.ask(community=community, by=teacher, title="Question", text="Texte")
    assert error.value.code == "not_member"
    # Another member cannot approve; the animator can, twice without effect.
    with pytest.raises(ServiceError):
        services.approve_membership(membership=membership, by=member(community))
    services.approve_membership(membership=membership, by=animator)
    services.approve_membership(membership=membership, by=animator)
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE and membership.decided_by == animator
    assert logged(AuditAction.APPROVE_MEMBERSHIP, membership) == 1


def test_a_refused_request_can_be_made_again_and_a_member_is_never_refused():
    community, animator = community_with_animator(access=Access.CLOSED)
    teacher = maths_teacher()
    membership = services.join(community=community, user=teacher)
    services.refuse_membership(membership=membership, by=animator)
    assert services.join(community=community, user=teacher).status == MembershipStatus.REQUESTED
    services.approve_membership(membership=membership, by=animator)
    with pytest.raises(ServiceError) as error:
        services.refuse_membership(membership=membership, by=animator)
    assert error.value.code == "already_member"


def test_leaving_is_idempotent():
    community = CommunityFactory()
    teacher = member(community)
    assert services.leave(community=community, user=teacher) is True
    assert services.leave(community=community, user=teacher) is False


# --- Questions and answers -------------------------------------------------------------------


def test_ask_answer_useful_accept():
    community, animator = community_with_animator()
    asker, helper, other = member(community), member(community), member(community)
    question = services.ask(
        community=community,
        by=asker,
        title="Un outil pour les élèves dyslexiques ?",
        text="En 4e, pour les énoncés de problèmes.",
        tags="dyslexie, , inclusion, dyslexie",
    )
    assert question.tags == "dyslexie, inclusion"
    assert question.follows.filter(user=asker).exists()
    reply = services.answer(question=question, by=helper, text="Essayez la police OpenDyslexic.")
    # One vote per person, never on one's own answer.
    services.mark_useful(answer=reply, by=other)
    services.mark_useful(answer=reply, by=other)
    assert UsefulVote.objects.filter(answer=reply).count() == 1
    with pytest.raises(ServiceError) as error:
        services.mark_useful(answer=reply, by=helper)
    assert error.value.code == "own_answer"
    # Only the asker or an animator accepts.
    with pytest.raises(ServiceError) as error:
        services.accept_answer(answer=reply, by=other)
    assert error.value.code == "not_asker"
    services.accept_answer(answer=reply, by=asker)
    services.accept_answer(answer=reply, by=asker)
    question.refresh_from_db()
    assert question.accepted_answer == reply and question.state == QuestionState.RESOLVED
    assert logged(AuditAction.ACCEPT_ANSWER, question) == 1
    second = services.answer(question=question, by=other, text="Ou une règle de lecture.")
    services.accept_answer(answer=second, by=animator)
    question.refresh_from_db()
    assert question.accepted_answer == second


def test_a_non_member_cannot_answer_and_a_closed_question_takes_no_answer():
    community = CommunityFactory()
    asker = member(community)
    question = services.ask(community=community, by=asker, title="Titre", text="Texte")
    with pytest.raises(ServiceError) as error:
        services.answer(question=question, by=maths_teacher(), text="Réponse")
    assert error.value.code == "not_member"
    services.close_question(question=question, by=asker)
    with pytest.raises(ServiceError) as error:
        services.answer(question=question, by=member(community), text="Réponse")
    assert error.value.code == "question_closed"


def test_a_closed_communitys_questions_are_unreadable_to_outsiders():
    community, _animator = community_with_animator(access=Access.CLOSED)
    question = services.ask(community=community, by=member(community), title="T", text="X")
    outsider = maths_teacher()
    with pytest.raises(ServiceError) as error:
        services.answer(question=question, by=outsider, text="Réponse")
    assert error.value.code == "question_not_found"


def test_empty_and_too_long_texts_are_refused():
    community = CommunityFactory()
    asker = member(community)
    with pytest.raises(ServiceError) as error:
        services.ask(community=community, by=asker, title="  ", text="Texte")
    assert error.value.code == "empty"
    with pytest.raises(ServiceError) as error:
        services.ask(community=community, by=asker, title="T", text="x" * 10_001)
    assert error.value.code == "too_long"


def test_an_animator_hides_a_post_audited_and_hiding_the_accepted_answer_reopens():
    community, animator = community_with_animator()
    asker, helper = member(community), member(community)
    question = services.ask(community=community, by=asker, title="T", text="X")
    reply = services.answer(question=question, by=helper, text="R")
    services.accept_answer(answer=reply, by=asker)
    report = services.report_post(kind=PostKind.ANSWER, pk=reply.pk, by=asker, message="hors sujet")
    assert services.report_post(kind=PostKind.ANSWER, pk=reply.pk, by=asker).pk == report.pk
    with pytest.raises(ServiceError) as error:
        services.hide_post(kind=PostKind.ANSWER, pk=reply.pk, by=asker)
    assert error.value.code == "not_animator"
    services.hide_post(kind=PostKind.ANSWER, pk=reply.pk, by=animator, reason="hors sujet")
    services.hide_post(kind=PostKind.ANSWER, pk=reply.pk, by=animator)
    reply.refresh_from_db()
    question.refresh_from_db()
    assert reply.is_hidden and question.accepted_answer is None
    assert question.state == QuestionState.OPEN
    assert logged(AuditAction.HIDE_POST, reply) == 1
    assert PostReport.objects.get(pk=report.pk).handled_at is not None


# --- Escalations ------------------------------------------------------------------------------


def test_escalation_flow():
    community, animator = community_with_animator()
    author = member(community)
    escalation = services.escalate(
        community=community,
        by=author,
        category="evaluation",
        title="Le livret scolaire",
        text="Les compétences du cycle 4 ne correspondent pas.",
    )
    assert escalation.status == EscalationStatus.OPEN
    with pytest.raises(ServiceError) as error:
        services.answer_escalation(escalation=escalation, by=author, response="Moi-même")
    assert error.value.code == "not_animator"
    services.answer_escalation(escalation=escalation, by=animator, response="Transmis au groupe.")
    services.answer_escalation(escalation=escalation, by=animator, response="Transmis au groupe.")
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.ANSWERED
    assert logged(AuditAction.ANSWER_ESCALATION, escalation) == 1
    services.close_escalation(escalation=escalation, by=author)
    services.close_escalation(escalation=escalation, by=animator)
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.CLOSED
    assert logged(AuditAction.CLOSE_ESCALATION, escalation) == 1


def test_an_escalation_needs_a_category_and_a_member():
    community = CommunityFactory()
    with pytest.raises(ServiceError) as error:
        services.escalate(
            community=community, by=maths_teacher(), category="tool", title="T", text="X"
        )
    assert error.value.code == "not_member"
    with pytest.raises(ServiceError) as error:
        services.escalate(
            community=community, by=member(community), category="?", title="T", text="X"
        )
    assert error.value.code == "category"


# --- Meetings ---------------------------------------------------------------------------------


def test_an_animator_schedules_a_meeting_as_a_session_of_the_meeting_workshop():
    from datetime import timedelta

    from django.utils import timezone

    from cotraining.constants import Modality
    from tests.factories import workshop_page

    community, animator = community_with_animator()
    start = timezone.now().replace(microsecond=0) + timedelta(days=7)
    fields = {
        "start": start,
        "end": start + timedelta(hours=2),
        "modality": Modality.REMOTE,
        "visio_url": "https://visio.example.fr/maths",
        "capacity": 40,
    }
    with pytest.raises(ServiceError) as error:
        services.schedule_meeting(community=community, by=animator, **fields)
    assert error.value.code == "no_meeting_workshop"
    community.meeting_workshop = workshop_page(title="Réunions du groupe de mathématiques")
    community.save()
    with pytest.raises(ServiceError) as error:
        services.schedule_meeting(community=community, by=member(community), **fields)
    assert error.value.code == "not_animator"
    meeting = services.schedule_meeting(community=community, by=animator, **fields)
    assert meeting.session.workshop == community.meeting_workshop
    assert meeting.session.hours == 2


# --- Indicators -------------------------------------------------------------------------------


def test_indicators_per_territory():
    from datetime import timedelta

    community, animator = community_with_animator()
    elsewhere = CommunityFactory(academie=Academie.objects.exclude(code="13")[0])
    asker, helper = member(community), member(community)
    answered = services.ask(community=community, by=asker, title="A", text="X")
    services.ask(community=community, by=asker, title="B", text="X")
    reply = services.answer(question=answered, by=helper, text="R")
    Question.objects.filter(pk=answered.pk).update(created_at=reply.created_at - timedelta(hours=3))
    services.escalate(community=community, by=asker, category="tool", title="T", text="X")
    member(elsewhere)
    figures = services.community_indicators(academie=academie())
    assert figures["communities"] == 1
    assert figures["members"] == 2
    assert figures["questions"] == 2
    assert figures["answered_share"] == 0.5
    assert abs(figures["median_first_answer"] - timedelta(hours=3)) < timedelta(seconds=5)
    assert figures["escalations_by_category"] == {"tool": 1}
