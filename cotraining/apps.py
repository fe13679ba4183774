from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class CotrainingConfig(AppConfig):
    default = True  # this module holds a second AppConfig (WagtailUsersConfig)
    name = "cotraining"
    verbose_name = _("Co-formation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from wagtail.signals import post_page_move

        from . import roles
        from .catalogue_cache import touch_catalogue
        from .models import Enrollment, Session, WorkshopPage

        # Cached catalogue listings become obsolete when what they count changes.
        for model in (WorkshopPage, Session, Enrollment):
            for name, signal in (("saved", post_save), ("deleted", post_delete)):
                signal.connect(
                    touch_catalogue,
                    sender=model,
                    dispatch_uid=f"cotraining.touch_catalogue.{model.__name__}.{name}",
                )
        post_page_move.connect(touch_catalogue, dispatch_uid="cotraining.touch_catalogue.move")

        # Permissions are created in post_migrate, so role groups are synced after them.
        post_migrate.connect(
            roles.sync_role_groups_after_migrate, dispatch_uid="cotraining.sync_role_groups"
        )


class WagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's users app with its users viewset scoped to the coordinator's académie
    (cotraining.admin_views.UserViewSet); listed in INSTALLED_APPS instead of wagtail.users."""

    default = False
    user_viewset = "cotraining.admin_views.UserViewSet"
