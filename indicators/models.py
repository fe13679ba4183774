"""The indicator snapshots: a summary table of computed dashboards, refreshed incrementally.

At national scale the live aggregates take seconds (BENCHMARKS.md, `<!-- indicators -->`), so
each dashboard that people read (a reader's territory and filters) is kept here, computed: the
page reads one row. A Celery beat task refreshes the snapshots read lately that are older than
INDICATORS_SNAPSHOT_TTL, and warms the default view of the country and of every académie; a
reader can ask for a refresh on demand. The page says when its figures were computed.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorSnapshot(models.Model):
    # sha256 of the scope and the filters (indicators.snapshots.snapshot_key).
    key = models.CharField(max_length=64, unique=True)
    # What to recompute it from: {"scope": {...}, "filters": {...}}.
    request = models.JSONField(_("périmètre et filtres"))
    # The raw figures of indicators.queries (all groups), JSON-ready.
    data = models.JSONField(_("chiffres"))
    period_start = models.DateField(_("début de la période"))
    period_end = models.DateField(_("fin de la période (exclue)"))
    computed_at = models.DateTimeField(_("calculé le"))
    duration_ms = models.PositiveIntegerField(_("durée du calcul (ms)"), default=0)
    last_read_at = models.DateTimeField(_("lu le"))

    class Meta:
        db_table = "badges_indicatorsnapshot"  # created when the app lived in badges (kept)
        verbose_name = _("instantané d'indicateurs")
        verbose_name_plural = _("instantanés d'indicateurs")
        indexes = [models.Index(fields=["last_read_at"], name="indicator_snapshot_read")]

    def __str__(self):
        return f"{self.key[:12]} ({self.computed_at:%Y-%m-%d %H:%M})"


class IndicatorApiToken(models.Model):
    """A BI tool's read-only access to the indicator API, on behalf of a reader.

    Only a SHA-256 of the token is kept (shown once, when created); what the tool may read is
    the person's scope at each request, so revoking their role revokes the token's reach.
    """

    user = models.ForeignKey(
        "cotraining.User",
        on_delete=models.CASCADE,
        related_name="indicator_api_tokens",
        verbose_name=_("personne"),
    )
    name = models.CharField(_("nom"), max_length=100, help_text=_("L'outil qui l'utilise."))
    prefix = models.CharField(_("début du jeton"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        db_table = "badges_indicatorapitoken"  # created when the app lived in badges (kept)
        verbose_name = _("jeton de l'API des indicateurs")
        verbose_name_plural = _("jetons de l'API des indicateurs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
