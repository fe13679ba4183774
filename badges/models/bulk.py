"""Bulk awards: a CSV file of recipients for one badge, awarded by chunks (one row each)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .openbadges import BadgeClass


class BulkAwardChunk(models.Model):
    """One slice of a bulk award's rows, awarded in one transaction by one Celery task.

    Its row is written in the same transaction as the slice's assertions and counts: a chunk
    task retried or delivered twice finds it and does nothing, so no row is counted twice.
    """

    bulk = models.ForeignKey(
        "BulkAward", on_delete=models.CASCADE, related_name="chunks", verbose_name=_("fichier")
    )
    index = models.PositiveIntegerField(_("tranche"))
    awarded = models.PositiveIntegerField(_("décernés"), default=0)
    already_had = models.PositiveIntegerField(_("déjà titulaires"), default=0)
    created_at = models.DateTimeField(_("traitée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("tranche d'une attribution par fichier")
        verbose_name_plural = _("tranches des attributions par fichier")
        ordering = ["bulk", "index"]
        constraints = [
            models.UniqueConstraint(fields=["bulk", "index"], name="bulk_award_chunk_once")
        ]

    def __str__(self):
        return f"{self.bulk_id} #{self.index}"


class BulkAwardQuerySet(models.QuerySet):
    def stalled(self, *, since):
        """Jobs pending or running that have not moved since then (their task was lost)."""
        return self.filter(
            status__in=[BulkAward.Status.PENDING, BulkAward.Status.RUNNING], moved_at__lt=since
        )


class BulkAward(models.Model):
    """One CSV file of recipients for one badge: validated whole, then awarded by a Celery job.

    The validated rows are kept with it (the job reads them, and they say what was asked); the
    counts say how far the job went and what it found.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    badge_class = models.ForeignKey(
        BadgeClass, on_delete=models.PROTECT, related_name="bulk_awards", verbose_name=_("badge")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("déposé par"),
    )
    filename = models.CharField(_("fichier"), max_length=255)
    # [{"line", "email", "evidence_url", "narrative", "issued_on", "expires"}], dates ISO.
    rows = models.JSONField(_("lignes"), default=list, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total = models.PositiveIntegerField(_("lignes"), default=0)
    awarded = models.PositiveIntegerField(_("décernés"), default=0)
    already_had = models.PositiveIntegerField(_("déjà titulaires"), default=0)
    # Rows gone through, committed with their awards by each chunk (BulkAwardChunk records
    # which): a retried job queues only the chunks not recorded yet.
    processed = models.PositiveIntegerField(_("lignes traitées"), default=0)
    # [[line, message]]: rows the job could not award, or why the job stopped.
    errors = models.JSONField(_("erreurs"), default=list, blank=True)
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    # When the job last moved (recorded, started, a chunk committed): a job pending or
    # running that has not moved for BULK_AWARD_STALLED_MINUTES lost its task and is queued
    # again (badges.services.bulk.resume_stalled_bulk_awards).
    moved_at = models.DateTimeField(_("dernier mouvement"), default=timezone.now, db_index=True)
    # When it was last queued again for that reason: /health/ still sees it stalled (moved_at).
    requeued_at = models.DateTimeField(_("relancé le"), null=True, blank=True)

    objects = BulkAwardQuerySet.as_manager()

    class Meta:
        verbose_name = _("attribution par fichier")
        verbose_name_plural = _("attributions par fichier")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.badge_class} — {self.filename} ({self.get_status_display()})"

    @property
    def percent(self):
        return round(100 * self.processed / self.total) if self.total else 100

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)
