from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = _("Reconnaissance et indicateurs")
    default_auto_field = "django.db.models.BigAutoField"
