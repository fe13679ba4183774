from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    """The académie's dashboards, above badges and cotraining: it reads them, they never import
    it. Its two models keep the tables created when it lived in badges (migrations 0001)."""

    name = "indicators"
    label = "indicators"
    verbose_name = _("Indicateurs")
    default_auto_field = "django.db.models.BigAutoField"
