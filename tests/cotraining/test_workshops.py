"""Workshops and sessions: validation rules, services, académie spaces and permissions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.models import Page, Workflow

from cms.site_structure import ensure_academie_sections
from cotraining.constants import EnrollmentStatus, Modality, Role, SessionStatus, TrainingPlan
from cotraining.exceptions import ServiceError
from cotraining.models import AcademieGroup, Competence, Enrollment, Session, WorkshopPage
from cotraining.services import (
    cancel_session,
    delete_session,
    grant_role,
    revoke_role,
    save_session,
)
from tests.factories import EstablishmentFactory, UserFactory, academie, workshop_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def sections():
    return ensure_academie_sections(academie("13"))


@pytest.fixture
def workshop(sections):
    return workshop_page(parent=sections[0])


def session_values(workshop, **overrides):
    start = timezone.now() + timedelta(days=10)
    values = {
        "workshop": workshop,
        "start": start,
        "end": start + timedelta(hours=3),
        "modality": Modality.IN_PERSON,
        "establishment": EstablishmentFactory(),
        "capacity": 12,
    }
    return {**values, **overrides}


def make_session(workshop, **overrides):
    return save_session(**session_values(workshop, **overrides))


# --- Session rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end_offset": timedelta(hours=-1)}, "end"),
        ({"capacity": 0}, "capacity"),
        ({"closes_offset": timedelta(hours=1)}, "enrollment_closes"),
        ({"modality": Modality.REMOTE, "establishment": None}, "visio_url"),
        ({"modality": Modality.HYBRID}, "visio_url"),
        ({"establishment": None, "address": ""}, "address"),
    ],
)
def test_bad_sessions_are_refused_field_by_field_and_nothing_is_saved(workshop, overrides, field):
    values = session_values(workshop)
    if "end_offset" in overrides:
        values["end"] = values["start"] + overrides.pop("end_offset")
    if "closes_offset" in overrides:
        values["enrollment_closes"] = values["start"] + overrides.pop("closes_offset")
    values.update(overrides)
    with pytest.raises(ValidationError) as error:
        save_session(**values)
    assert field in error.value.message_dict
    assert Session.objects.count() == 0


def test_a_remote_session_with_a_link_and_no_venue_is_fine(workshop):
    session = make_session(
        workshop,
        modality=Modality.REMOTE,
        establishment=None,
        visio_url="https://visio.education.fr/meeting/abc",
    )
    assert session.pk and session.status == SessionStatus.SCHEDULED


def test_the_database_refuses_what_the_form_would(workshop):
    from django.db import IntegrityError, transaction

    values = session_values(workshop)
    values["end"] = values["start"] - timedelta(hours=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(**values)


def test_a_session_with_enrolments_cannot_be_deleted_but_can_be_cancelled(workshop):
    session = make_session(workshop)
    Enrollment.objects.create(session=session, user=UserFactory())
    with pytest.raises(ServiceError) as error:
        delete_session(session=session)
    assert error.value.code == "session_has_enrollments"
    assert Session.objects.filter(pk=session.pk).exists()

    cancel_session(session=session, reason="Formateur malade")
    again = cancel_session(session=session, reason="autre motif")  # idempotent
    assert again.status == SessionStatus.CANCELLED
    assert again.cancellation_reason == "Formateur malade"


def test_a_session_without_enrolments_is_deleted(workshop):
    session = make_session(workshop)
    delete_session(session=session)
    assert not Session.objects.exists()


def test_a_cancelled_session_cannot_be_changed(workshop):
    session = cancel_session(session=make_session(workshop))
    with pytest.raises(ServiceError):
        save_session(session=session, capacity=20)


def test_seats_left_count_confirmed_enrolments_only(workshop):
    session = make_session(workshop, capacity=3)
    Enrollment.objects.create(session=session, user=UserFactory())
    Enrollment.objects.create(
        session=session,
        user=UserFactory(),
        status=EnrollmentStatus.WAITLISTED,
        waitlisted_at=timezone.now(),
    )
    annotated = Session.objects.with_seats().get(pk=session.pk)
    assert (annotated.confirmed, annotated.seats_left) == (1, 2)


def test_unpublishing_or_moving_a_workshop_keeps_its_sessions(sections, workshop):
    session = make_session(workshop)
    workshop.unpublish()
    other = workshop_page(parent=sections[0], title="Autre")
    workshop.move(sections[0], pos="last-child")
    assert Session.objects.get(pk=session.pk).workshop_id == workshop.pk
    with pytest.raises(Exception, match="protected"):
        Page.objects.get(pk=workshop.pk).delete()
    assert other.pk


# --- Workshop form ------------------------------------------------------------------------------


def workshop_form(section, user, **data):
    form_class = WorkshopPage.get_edit_handler().get_form_class()
    values = {
        "title": "Atelier",
        "slug": "atelier",
        "summary": "Résumé",
        "theme": "enseigner",
        "modality": "presentiel",
        "duration_hours": "3",
        "enrollment_mode": "session",
        "completion_threshold": "100",
        "academie": str(section.academie_id),
        "body-count": "0",
        **data,
    }
    return form_class(values, instance=WorkshopPage(), parent_page=section, for_user=user)


def test_a_plan_identifier_needs_a_plan_and_a_plan_needs_a_school_year(sections):
    admin = UserFactory(is_superuser=True)
    form = workshop_form(sections[0], admin, plan_identifier="26A0130012")
    assert not form.is_valid()
    assert "training_plan" in form.errors

    form = workshop_form(sections[0], admin, training_plan=TrainingPlan.PAF)
    assert not form.is_valid()
    assert "school_year" in form.errors

    form = workshop_form(
        sections[0], admin, training_plan=TrainingPlan.PAF, school_year="2026-2028"
    )
    assert not form.is_valid()
    assert "2026-2027" in str(form.errors["school_year"])

    form = workshop_form(
        sections[0],
        admin,
        training_plan=TrainingPlan.PAF,
        school_year="2026-2027",
        plan_identifier="26A0130012",
    )
    assert form.is_valid(), form.errors


def test_an_unknown_competence_is_refused(sections):
    admin = UserFactory(is_superuser=True)
    unknown = (Competence.objects.order_by("-pk").first().pk or 0) + 1000
    form = workshop_form(sections[0], admin, competences=[str(unknown)])
    assert not form.is_valid()
    assert "competences" in form.errors


def test_a_workshop_of_a_section_belongs_to_its_academie(sections):
    admin = UserFactory(is_superuser=True)
    form = workshop_form(sections[0], admin, academie=str(academie("04").pk))
    assert not form.is_valid()
    assert "academie" in form.errors


def test_only_trainers_of_the_academie_are_offered(sections):
    trainer, outsider, teacher = UserFactory(), UserFactory(), UserFactory()
    grant_role(user=trainer, role=Role.TRAINER, academie=academie("13"))
    grant_role(user=outsider, role=Role.TRAINER, academie=academie("04"))
    grant_role(user=teacher, role=Role.TEACHER)
    form = workshop_form(sections[0], UserFactory(is_superuser=True))
    assert list(form.fields["trainers"].queryset) == [trainer]


def test_only_the_departements_of_the_academie_are_offered_as_boxes(sections):
    from django import forms as django_forms

    from cotraining.models import Departement

    form = workshop_form(sections[0], UserFactory(is_superuser=True))
    field = form.fields["departements"]
    assert set(field.queryset) == set(Departement.objects.filter(academie=academie("13")))
    assert field.queryset.count() < Departement.objects.count()
    assert isinstance(field.widget, django_forms.CheckboxSelectMultiple)
    assert len(list(field.widget.choices)) == field.queryset.count()


def test_slugs_made_from_titles_are_ascii(sections):
    # Wagtail keeps accents in slugs unless told otherwise ("cybersécurité" in every URL).
    page = WorkshopPage(title="Cybersécurité à l'école")
    page._cached_parent_obj = sections[0]
    page.full_clean(
        exclude=["academie", "summary", "theme", "modality", "duration_hours", "path", "depth"]
    )
    assert page.slug == "cybersecurite-a-lecole"


# --- Académie spaces and permissions ------------------------------------------------------------


def test_provisioning_is_idempotent_and_sets_the_workflow(sections):
    again = ensure_academie_sections(academie("13"))
    assert [s.pk for s in again] == [s.pk for s in sections]
    assert AcademieGroup.objects.filter(academie=academie("13")).count() == 2
    workflow = Workflow.objects.get(name__endswith="Poitiers")
    assert sections[0].get_workflow() == workflow
    assert sections[1].get_workflow() == workflow


def test_role_changes_move_people_in_and_out_of_the_academie_groups(sections):
    user = UserFactory()
    assignment = grant_role(user=user, role=Role.TRAINER, academie=academie("13"))
    team = AcademieGroup.objects.get(academie=academie("13"), role=Role.TRAINER)
    assert user.groups.filter(pk=team.group_id).exists()
    revoke_role(assignment=assignment)
    assert not user.groups.filter(pk=team.group_id).exists()


def test_people_granted_before_provisioning_join_the_groups():
    user = UserFactory()
    grant_role(user=user, role=Role.COORDINATOR, academie=academie("13"))
    ensure_academie_sections(academie("13"))
    team = AcademieGroup.objects.get(academie=academie("13"), role=Role.COORDINATOR)
    assert user.groups.filter(pk=team.group_id).exists()


def test_trainers_edit_but_do_not_publish_and_only_in_their_academie(sections, workshop):
    ensure_academie_sections(academie("04"))
    trainer, coordinator, stranger = UserFactory(), UserFactory(), UserFactory()
    grant_role(user=trainer, role=Role.TRAINER, academie=academie("13"))
    grant_role(user=coordinator, role=Role.COORDINATOR, academie=academie("13"))
    grant_role(user=stranger, role=Role.TRAINER, academie=academie("04"))

    trainer_perms = workshop.permissions_for_user(trainer)
    assert trainer_perms.can_edit() and not trainer_perms.can_publish()
    assert sections[0].permissions_for_user(trainer).can_add_subpage()
    assert workshop.permissions_for_user(coordinator).can_publish()
    assert not workshop.permissions_for_user(stranger).can_edit()
    assert not sections[0].permissions_for_user(stranger).can_add_subpage()


def test_decimal_duration_is_kept(workshop):
    workshop.duration_hours = Decimal("1.5")
    workshop.save()
    assert WorkshopPage.objects.get(pk=workshop.pk).duration_hours == Decimal("1.5")
