"""The outcome of each file import, kept for the people who import and for the audit."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .people import User


class DataImport(models.Model):
    """The outcome of one file import (establishments now; PIX results and badges later)."""

    class Kind(models.TextChoices):
        ESTABLISHMENTS = "establishments", _("Établissements")

    class Status(models.TextChoices):
        DONE = "done", _("Importé")
        REJECTED = "rejected", _("Refusé (rien n'a été écrit)")

    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    filename = models.CharField(_("fichier"), max_length=255)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices)
    lines = models.PositiveIntegerField(_("lignes lues"), default=0)
    created = models.PositiveIntegerField(_("créés"), default=0)
    updated = models.PositiveIntegerField(_("mis à jour"), default=0)
    unchanged = models.PositiveIntegerField(_("inchangés"), default=0)
    error_count = models.PositiveIntegerField(_("erreurs"), default=0)
    # The first errors only (line, message): the count above is the full number.
    errors = models.JSONField(_("détail des erreurs"), default=list, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("par")
    )
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("import de fichier")
        verbose_name_plural = _("imports de fichiers")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.filename} ({self.get_status_display()})"
