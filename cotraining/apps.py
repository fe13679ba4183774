from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CotrainingConfig(AppConfig):
    name = "cotraining"
    verbose_name = _("Co-formation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import roles

        # Permissions are created in post_migrate, so role groups are synced after them.
        post_migrate.connect(
            roles.sync_role_groups_after_migrate, dispatch_uid="cotraining.sync_role_groups"
        )
