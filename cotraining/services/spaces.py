"""An académie's space: its sections of the site, the groups that may work there, its workflow.

Wagtail gives page permissions to groups and runs moderation as workflows attached to pages, so
an académie gets two groups (its trainers, its coordinators), permissions on its sections, an
image/document collection, and a one-step workflow "approved by the coordination" on its
sections. Trainers create and edit and can only submit; coordinators approve (publish) or ask for
changes, and Wagtail emails the submitter either way.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from ..constants import AuditAction, Role
from ..models import AcademieGroup, RoleAssignment, WorkshopIndexPage
from ..roles import ROLE_GROUP_NAMES

# Page permissions (codenames of wagtailcore.Page) by role, within the académie's sections.
SECTION_PAGE_PERMISSIONS = {
    Role.TRAINER: ["add_page", "change_page"],
    Role.COORDINATOR: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
# Image and document permissions in the académie's collection.
COLLECTION_PERMISSIONS = {
    Role.TRAINER: ["add_image", "choose_image", "add_document", "choose_document"],
    Role.COORDINATOR: [
        "add_image",
        "change_image",
        "choose_image",
        "add_document",
        "change_document",
        "choose_document",
    ],
}


@dataclass
class AcademieSpace:
    groups: dict
    collection: Collection
    workflow: Workflow


def ensure_workshop_section(*, academie, catalogue):
    """The académie's section of the workshop catalogue, created below `catalogue` if missing."""
    section = WorkshopIndexPage.objects.child_of(catalogue).filter(academie=academie).first()
    if section is None:
        section = catalogue.add_child(
            instance=WorkshopIndexPage(
                title=_("Académie de %(name)s") % {"name": academie.name},
                slug=slugify(academie.name),
                academie=academie,
            )
        )
    return section


def _permission(app_label, codename):
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _group(academie, role):
    team = AcademieGroup.objects.filter(academie=academie, role=role).select_related("group")
    if team.exists():
        return team.get().group
    name = f"{ROLE_GROUP_NAMES[role]} · {academie.name}"
    group, _created = Group.objects.get_or_create(name=name)
    AcademieGroup.objects.create(academie=academie, role=role, group=group)
    return group


def _collection(academie):
    # Wagtail's migration creates the root; a flushed database (transactional tests) has none.
    root = Collection.get_first_root_node() or Collection.add_root(name="Root")
    collection = root.get_children().filter(name=academie.name).first()
    return collection or root.add_child(name=academie.name)


def _workflow(academie, coordinators):
    name = _("Modération · %(name)s") % {"name": academie.name}
    workflow, _created = Workflow.objects.get_or_create(name=name)
    if not workflow.workflow_tasks.exists():
        task = GroupApprovalTask.objects.create(
            name=_("Validation par la coordination · %(name)s") % {"name": academie.name}
        )
        task.groups.set([coordinators])
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    return workflow


@transaction.atomic
def provision_academie(*, academie, sections, by=None):
    """Give an académie its groups, collection, permissions on `sections` and workflow.

    Idempotent: run again (with more sections, or after new role assignments) it only adds what
    is missing, and puts the académie's current trainers and coordinators in its groups.
    """
    groups = {role: _group(academie, role) for role in SECTION_PAGE_PERMISSIONS}
    collection = _collection(academie)
    workflow = _workflow(academie, groups[Role.COORDINATOR])
    for role, group in groups.items():
        for section in sections:
            for codename in SECTION_PAGE_PERMISSIONS[role]:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=section, permission=_permission("wagtailcore", codename)
                )
        for codename in COLLECTION_PERMISSIONS[role]:
            app_label = "wagtailimages" if codename.endswith("image") else "wagtaildocs"
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=collection, permission=_permission(app_label, codename)
            )
        members = RoleAssignment.objects.filter(academie=academie, role=role).values("user")
        group.user_set.add(*[row["user"] for row in members])
    for section in sections:
        WorkflowPage.objects.update_or_create(page=section, defaults={"workflow": workflow})
    log(
        academie,
        AuditAction.PROVISION_ACADEMIE,
        user=by,
        data={"sections": [section.pk for section in sections]},
    )
    return AcademieSpace(groups=groups, collection=collection, workflow=workflow)
