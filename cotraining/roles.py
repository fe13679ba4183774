"""Roles map to Django groups; each group carries the permissions of its role.

The mapping is declared here once and applied after every migration (permissions are created by
post_migrate), so a later issue adds a permission by editing ROLE_PERMISSIONS, never by hand in
the admin. Scope (which territory) is data on RoleAssignment, not a group.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS

from .constants import Role

ROLE_GROUP_NAMES = {
    Role.TEACHER: "Enseignants",
    Role.TRAINER: "Formateurs",
    Role.COORDINATOR: "Coordination",
    Role.INDICATOR_READER: "Lecteurs d'indicateurs",
    Role.SCHOOL_HEAD: "Directions d'établissement",
    Role.INSPECTOR: "Inspection",
    Role.PLATFORM_ADMIN: "Administration de la plateforme",
}

# Sessions: model permissions here; which workshops' sessions is decided by page permissions
# (cotraining.wagtail_hooks.SessionPermissionPolicy).
# The catalogue's synonym list ("Synonymes de recherche", cotraining.search).
SYNONYM_PERMISSIONS = [
    "cotraining.add_searchsynonym",
    "cotraining.change_searchsynonym",
    "cotraining.delete_searchsynonym",
    "cotraining.view_searchsynonym",
]
SESSION_PERMISSIONS = [
    "cotraining.add_session",
    "cotraining.change_session",
    "cotraining.delete_session",
    "cotraining.view_session",
]

# "app_label.codename" strings. Platform admins are superusers besides.
ROLE_PERMISSIONS = {
    Role.TEACHER: [],
    Role.TRAINER: ["wagtailadmin.access_admin", *SESSION_PERMISSIONS],
    Role.COORDINATOR: [
        "wagtailadmin.access_admin",
        *SESSION_PERMISSIONS,
        *SYNONYM_PERMISSIONS,
        "cotraining.view_establishment",
        "cotraining.view_user",
        "cotraining.view_roleassignment",
        "cms.view_contentreport",
        "cms.change_contentreport",
        "cotraining.view_notification",
        # The badges layer's permissions, by name: verify PIX declarations of the académie and
        # run its issuers' badges in the admin (badges.wagtail_hooks narrows them to it).
        "badges.verify_pixcertification",
        "badges.view_issuer",
        "badges.change_issuer",
        "badges.view_badgeclass",
        "badges.add_badgeclass",
        "badges.change_badgeclass",
        "badges.view_assertion",
    ],
    Role.INDICATOR_READER: [],
    Role.SCHOOL_HEAD: [],
    # Inspectors animate communities of practice in the front office (communities app).
    Role.INSPECTOR: [],
    Role.PLATFORM_ADMIN: [
        "wagtailadmin.access_admin",
        *SESSION_PERMISSIONS,
        *SYNONYM_PERMISSIONS,
        "cotraining.add_establishment",
        "cotraining.change_establishment",
        "cotraining.view_establishment",
        "cotraining.view_user",
        "cotraining.add_roleassignment",
        "cotraining.change_roleassignment",
        "cotraining.delete_roleassignment",
        "cotraining.view_roleassignment",
        "cms.view_contentreport",
        "cms.change_contentreport",
        "cotraining.view_notification",
        "badges.verify_pixcertification",
    ],
}


def group_for_role(role) -> Group:
    group, _ = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[Role(role)])
    return group


def sync_role_groups(using=DEFAULT_DB_ALIAS):
    """Create each role's group and give it exactly the declared permissions. Idempotent."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=ROLE_GROUP_NAMES[role])
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            perm = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if perm is not None:  # apps not migrated yet get their permission on a later pass
                wanted.append(perm)
        group.permissions.set(wanted)


def sync_role_groups_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    # post_migrate is sent once per app, in INSTALLED_APPS order; permissions of every app exist
    # only once the last app with models has been handled.
    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender.label == last.label:
        sync_role_groups(using=using)
