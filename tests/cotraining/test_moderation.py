"""The académie's moderation workflow: trainers submit, coordinators approve or ask for changes."""

import pytest
from wagtail.models import WorkflowState

from cms.site_structure import ensure_academie_sections
from cotraining.constants import Role
from cotraining.services import grant_role
from tests.factories import UserFactory, academie, workshop_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    trainer, coordinator = UserFactory(), UserFactory()
    grant_role(user=trainer, role=Role.TRAINER, academie=academie("13"))
    grant_role(user=coordinator, role=Role.COORDINATOR, academie=academie("13"))
    return trainer, coordinator


@pytest.fixture
def submitted(people):
    trainer, _coordinator = people
    section = ensure_academie_sections(academie("13"))[0]
    page = workshop_page(parent=section, title="Atelier soumis", live=False, owner=trainer)
    page.save_revision(user=trainer)
    state = page.get_workflow().start(page, trainer)
    return page, state


def act(state, user, action, **kwargs):
    task_state = state.current_task_state
    task_state.task.specific.on_action(task_state.specific, user, action, **kwargs)


def test_the_coordinators_are_emailed_on_submission(people, submitted, mailoutbox):
    _trainer, coordinator = people
    assert any(coordinator.email in message.to for message in mailoutbox)


def test_approval_publishes_and_emails_the_trainer(people, submitted, mailoutbox):
    trainer, coordinator = people
    page, state = submitted
    mailoutbox.clear()
    act(state, coordinator, "approve")
    page.refresh_from_db()
    assert page.live
    assert WorkflowState.objects.get(pk=state.pk).status == WorkflowState.STATUS_APPROVED
    assert any(trainer.email in message.to for message in mailoutbox)


def test_requested_changes_keep_the_page_unpublished_and_tell_the_trainer_why(
    people, submitted, mailoutbox
):
    trainer, coordinator = people
    page, state = submitted
    mailoutbox.clear()
    act(state, coordinator, "reject", comment="Précisez les prérequis, merci.")
    page.refresh_from_db()
    assert not page.live
    assert WorkflowState.objects.get(pk=state.pk).status == WorkflowState.STATUS_NEEDS_CHANGES
    to_trainer = [m for m in mailoutbox if trainer.email in m.to]
    assert to_trainer
    assert "Précisez les prérequis" in to_trainer[0].body


def test_a_trainer_cannot_approve(client, people, submitted):
    trainer, coordinator = people
    page, state = submitted
    task_state = state.current_task_state
    task = task_state.task.specific
    assert task.get_actions(page, trainer) == []
    assert "approve" in [name for name, _label, _modal in task.get_actions(page, coordinator)]
    # Through the admin, as a trainer who knows the URL: refused, the page stays a draft.
    client.force_login(trainer)
    client.post(f"/admin/pages/workflow/action/{page.pk}/approve/{task_state.pk}/")
    page.refresh_from_db()
    assert not page.live
    assert WorkflowState.objects.get(pk=state.pk).status == WorkflowState.STATUS_IN_PROGRESS
