"""PIX and Pix+ Édu: a person's certifications, their Pix+ Édu results, and Pix Orga imports."""

import secrets

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..constants import (
    CRCN_CODES,
    PIX_CODE_REGEX,
    PIX_MAX_SCORE,
    PIX_TOP_LEVEL,
    PixPlusEduLevel,
    PixPlusEduScope,
    PixSource,
    PixStatus,
    level_field,
)
from ..validators import validate_attestation_pdf


def private_storage():
    # A callable, so that the storage is looked up when used (tests and settings may swap it).
    return storages["private"]


def attestation_path(instance, filename):
    # Never the uploaded name (it may hold a person's name): a random one, per person.
    return f"pix/{instance.user_id}/{secrets.token_hex(16)}.pdf"


class PixCertificationQuerySet(models.QuerySet):
    def current(self, today=None):
        """Verified or declared, not rejected, and taken within the validity period."""
        qs = self.exclude(status=PixStatus.REJECTED)
        years = settings.PIX_VALIDITY_YEARS
        if years:
            today = today or timezone.localdate()
            qs = qs.filter(taken_on__gt=today - relativedelta(years=years))
        return qs


def _level_column(code):
    return models.PositiveSmallIntegerField(
        code, default=0, validators=[MaxValueValidator(PIX_TOP_LEVEL)]
    )


class PixCertification(models.Model):
    """A person's PIX certification: its score, a level per CRCN competence, its code.

    One column per competence (the CRCN's 16 are fixed by décret): each level is checked against
    the maximum reachable on that date by the database itself, and the indicators aggregate
    them in one pass over the table. The verification code identifies the certificate: it
    belongs to one person only.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pix_certifications",
        verbose_name=_("personne"),
    )
    taken_on = models.DateField(_("date de la certification"))
    score = models.PositiveSmallIntegerField(
        _("score (pix)"), validators=[MaxValueValidator(PIX_MAX_SCORE)]
    )
    max_level = models.PositiveSmallIntegerField(
        _("niveau maximal atteignable"),
        validators=[MinValueValidator(1), MaxValueValidator(PIX_TOP_LEVEL)],
        help_text=_("Les niveaux ouvrent progressivement : celui en vigueur à cette date."),
    )
    level_1_1 = _level_column("1.1")
    level_1_2 = _level_column("1.2")
    level_1_3 = _level_column("1.3")
    level_2_1 = _level_column("2.1")
    level_2_2 = _level_column("2.2")
    level_2_3 = _level_column("2.3")
    level_2_4 = _level_column("2.4")
    level_3_1 = _level_column("3.1")
    level_3_2 = _level_column("3.2")
    level_3_3 = _level_column("3.3")
    level_3_4 = _level_column("3.4")
    level_4_1 = _level_column("4.1")
    level_4_2 = _level_column("4.2")
    level_4_3 = _level_column("4.3")
    level_5_1 = _level_column("5.1")
    level_5_2 = _level_column("5.2")
    verification_code = models.CharField(
        _("code de vérification"),
        max_length=10,
        unique=True,
        validators=[
            RegexValidator(
                PIX_CODE_REGEX,
                _("Le code de vérification s'écrit P- suivi de 8 caractères (ex. P-2BC4DF6G)."),
            )
        ],
        error_messages={"unique": _("Ce code de vérification est déjà enregistré.")},
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=PixStatus.choices, default=PixStatus.DECLARED
    )
    rejection_reason = models.CharField(_("motif du refus"), max_length=255, blank=True)
    source = models.CharField(
        _("origine"), max_length=10, choices=PixSource.choices, default=PixSource.SELF
    )
    attestation = models.FileField(
        _("attestation (PDF)"),
        storage=private_storage,
        upload_to=attestation_path,
        blank=True,
        validators=[validate_attestation_pdf],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistrée par"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vérifiée ou refusée par"),
    )
    reviewed_at = models.DateTimeField(_("vérifiée ou refusée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = PixCertificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("certification PIX")
        verbose_name_plural = _("certifications PIX")
        ordering = ["-taken_on", "-pk"]
        permissions = [("verify_pixcertification", _("Vérifier ou refuser des certifications PIX"))]
        indexes = [
            models.Index(fields=["user", "-taken_on"], name="pix_user_date"),
            models.Index(fields=["status", "taken_on"], name="pix_status_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__lte=PIX_MAX_SCORE),
                name="pix_score_range",
                violation_error_message=_("Le score est compris entre 0 et 1024 pix."),
            ),
            models.CheckConstraint(
                condition=Q(max_level__gte=1, max_level__lte=PIX_TOP_LEVEL),
                name="pix_max_level_range",
                violation_error_message=_(
                    "Le niveau maximal atteignable est compris entre 1 et 8."
                ),
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{level_field(code)}__lte": models.F("max_level")}),
                    name=f"pix_{level_field(code)}_within_max",
                    violation_error_message=_(
                        "Le niveau de la compétence %(code)s dépasse le niveau maximal."
                    )
                    % {"code": code},
                )
                for code in CRCN_CODES
            ],
            models.CheckConstraint(
                condition=Q(status=PixStatus.REJECTED) | Q(rejection_reason=""),
                name="pix_reason_only_when_rejected",
            ),
        ]

    def __str__(self):
        return f"PIX {self.score} pix — {self.taken_on:%d/%m/%Y} ({self.verification_code})"

    @property
    def levels(self):
        """[(code, level)] in the CRCN's order."""
        return [(code, getattr(self, level_field(code))) for code in CRCN_CODES]

    @property
    def expires_on(self):
        years = settings.PIX_VALIDITY_YEARS
        if not years:
            return None
        return self.taken_on + relativedelta(years=years)

    @property
    def is_current(self):
        expires = self.expires_on
        return self.status != PixStatus.REJECTED and (
            expires is None or expires > timezone.localdate()
        )


class PixPlusEduResult(models.Model):
    """The Pix+ Édu complementary certification taken with a PIX certification.

    Its automated part is known with the certificate; the jury part comes later. Until the jury
    rules, there is no final level ("en attente du volet jury"); then the final level is the
    lower of the two, stored so that indicators count it without recomputing.
    """

    certification = models.OneToOneField(
        PixCertification,
        on_delete=models.CASCADE,
        related_name="pix_plus_edu",
        verbose_name=_("certification PIX"),
    )
    scope = models.CharField(_("volet"), max_length=3, choices=PixPlusEduScope.choices)
    automated_level = models.PositiveSmallIntegerField(
        _("niveau du volet automatisé"), choices=PixPlusEduLevel.choices
    )
    jury_level = models.PositiveSmallIntegerField(
        _("niveau du volet jury"), choices=PixPlusEduLevel.choices, null=True, blank=True
    )
    jury_on = models.DateField(_("date du jury"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(
        _("niveau obtenu"), choices=PixPlusEduLevel.choices, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("résultat Pix+ Édu")
        verbose_name_plural = _("résultats Pix+ Édu")
        indexes = [models.Index(fields=["scope", "level"], name="pixplusedu_scope_level")]
        constraints = [
            models.CheckConstraint(
                condition=Q(jury_level__isnull=True, level__isnull=True)
                | Q(jury_level__isnull=False, level=Least("automated_level", "jury_level")),
                name="pixplusedu_level_is_lower_part",
                violation_error_message=_(
                    "Le niveau obtenu est le plus bas des volets automatisé et jury."
                ),
            ),
        ]

    def __str__(self):
        return f"Pix+ Édu {self.get_scope_display()} — {self.status_label}"

    @staticmethod
    def final_level(automated_level, jury_level):
        return None if jury_level is None else min(automated_level, jury_level)

    @property
    def awaiting_jury(self):
        return self.jury_level is None

    @property
    def status_label(self):
        if self.awaiting_jury:
            return _("en attente du volet jury")
        return PixPlusEduLevel(self.level).label


class PixImportQuerySet(models.QuerySet):
    def stalled(self, *, since):
        """Imports pending or under way that have not moved since then (their task was lost)."""
        return self.filter(
            status__in=[
                PixImport.Status.PENDING,
                PixImport.Status.VALIDATING,
                PixImport.Status.WRITING,
            ],
            moved_at__lt=since,
        )


class PixImport(models.Model):
    """One Pix Orga export imported by staff: validated whole, then written (or nothing).

    Small files are handled in the request; large ones by a Celery job that reports its
    progress here. The uploaded file is kept privately until the job is done.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        VALIDATING = "validating", _("Vérification des lignes")
        WRITING = "writing", _("Enregistrement")
        DONE = "done", _("Importé")
        REJECTED = "rejected", _("Refusé (rien n'a été écrit)")
        FAILED = "failed", _("Échec (rien n'a été écrit)")

    filename = models.CharField(_("fichier"), max_length=255)
    file = models.FileField(
        _("fichier déposé"), storage=private_storage, upload_to="pix-imports/", blank=True
    )
    status = models.CharField(
        _("statut"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    lines = models.PositiveIntegerField(_("lignes"), default=0)
    processed = models.PositiveIntegerField(_("lignes traitées"), default=0)
    created = models.PositiveIntegerField(_("créées"), default=0)
    updated = models.PositiveIntegerField(_("mises à jour"), default=0)
    unchanged = models.PositiveIntegerField(_("inchangées"), default=0)
    error_count = models.PositiveIntegerField(_("erreurs"), default=0)
    # [[line, message]]: the first errors; error_count is the full number. The downloadable
    # report lists these.
    errors = models.JSONField(_("erreurs"), default=list, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    # When the import last moved (recorded, started, a progress step, writing): one pending or
    # under way that has not moved for PIX_IMPORT_STALLED_MINUTES lost its task and is queued
    # again (badges.services.pix_import.resume_stalled_pix_imports).
    moved_at = models.DateTimeField(_("dernier mouvement"), default=timezone.now, db_index=True)
    # When it was last queued again for that reason.
    requeued_at = models.DateTimeField(_("relancé le"), null=True, blank=True)

    objects = PixImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("import PIX")
        verbose_name_plural = _("imports PIX")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED)

    @property
    def percent(self):
        return round(100 * self.processed / self.lines) if self.lines else 0
