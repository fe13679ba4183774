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
        from django.db import connections
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_save
        from wagtail.signals import post_page_move

        from .folding import register_sqlite_function

        # The folding function of search columns (cotraining.folding), on every SQLite
        # connection, including any opened before this app was ready.
        connection_created.connect(register_sqlite_function, dispatch_uid="cotraining.fold")
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None:
                register_sqlite_function(connection=connection)

        from . import roles
        from .catalogue_cache import touch_catalogue
        from .models import Enrollment, SearchSynonym, Session, WorkshopPage

        # Cached catalogue listings become obsolete when what they count (or how a search
        # reads, its synonyms) changes.
        for model in (WorkshopPage, Session, Enrollment, SearchSynonym):
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
