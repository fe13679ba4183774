"""Open Badges 2.0: issuers, badge classes (with their published versions) and assertions.

Every assertion points at the version of its badge class it was issued against: editing a badge
class publishes a new version and leaves earlier assertions verifiable, with the criteria they
were awarded for (the complaint about Moodle and Badgr: criteria frozen after the first award).
"""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Least
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cotraining.models import Academie, Competence, WorkshopPage
from cotraining.origin import public_url

from .constants import (
    CRCN_CODES,
    PIX_CODE_REGEX,
    PIX_MAX_SCORE,
    PIX_TOP_LEVEL,
    AwardRights,
    BadgeKind,
    ExpiryRule,
    PixPlusEduLevel,
    PixPlusEduScope,
    PixSource,
    PixStatus,
    level_field,
)
from .validators import sanitize_svg, validate_attestation_pdf, validate_badge_image


def site_url(path):
    """Absolute URL on the site's public origin: Open Badges ids must never change."""
    return public_url(path)


class SanitizedImageFieldFile(models.fields.files.FieldFile):
    """Stores an SVG only once sanitised, whichever way it arrives (a form, the admin, the
    shell or a seed calling `.save()`): the original never reaches the storage."""

    def save(self, name, content, save=True):
        if name.lower().endswith(".svg"):
            content.seek(0)
            content = ContentFile(sanitize_svg(content.read()), name=name)
        super().save(name, content, save)


class BadgeImageField(models.FileField):
    """A badge or issuer image (PNG or SVG): validated, and an SVG sanitised before storage."""

    attr_class = SanitizedImageFieldFile


class Issuer(models.Model):
    """Who vouches for the badges: an académie, its DANE or EAFC, a Canopé workshop."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("nom"), max_length=200)
    url = models.URLField(_("site web"))
    email = models.EmailField(_("adresse électronique"))
    description = models.TextField(_("description"), blank=True)
    image = BadgeImageField(
        _("logo"),
        upload_to="badges/issuers/",
        blank=True,
        validators=[validate_badge_image],
        help_text=_("PNG ou SVG carré, 512 Ko au plus."),
    )
    academie = models.ForeignKey(
        Academie,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="badge_issuers",
        verbose_name=_("académie"),
        help_text=_("Ses coordinateurs et formateurs décernent des badges en son nom."),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("émetteur de badges")
        verbose_name_plural = _("émetteurs de badges")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def public_url(self):
        return site_url(reverse("badges:issuer", kwargs={"uuid": self.uuid}))


class BadgeClass(models.Model):
    """A badge that can be earned: what it means, how it is earned, what it aligns to."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    issuer = models.ForeignKey(
        Issuer, on_delete=models.PROTECT, related_name="badge_classes", verbose_name=_("émetteur")
    )
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"))
    image = BadgeImageField(
        _("image"),
        upload_to="badges/classes/",
        validators=[validate_badge_image],
        help_text=_("PNG ou SVG carré, 512 Ko au plus."),
    )
    criteria_narrative = models.TextField(_("critères d'obtention"))
    criteria_url = models.URLField(_("page des critères"), blank=True)
    competences = models.ManyToManyField(
        Competence,
        blank=True,
        related_name="badge_classes",
        verbose_name=_("compétences (alignement CRCN / Pix+ Édu)"),
    )
    tags = models.CharField(
        _("mots-clés"), max_length=255, blank=True, help_text=_("Séparés par des virgules.")
    )
    kind = models.CharField(
        _("attribué à"), max_length=12, choices=BadgeKind.choices, default=BadgeKind.PARTICIPANT
    )
    workshop = models.ForeignKey(
        WorkshopPage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="badge_classes",
        verbose_name=_("atelier"),
        help_text=_(
            "Décerné automatiquement à la validation de cet atelier (participants) ou quand "
            "une séance animée est terminée (formateurs). Vide : attribution manuelle."
        ),
    )
    pix_plus_edu_scope = models.CharField(
        _("Pix+ Édu : volet"),
        max_length=3,
        choices=PixPlusEduScope.choices,
        blank=True,
        help_text=_(
            "Décerné automatiquement aux personnes dont la certification Pix+ Édu de ce volet "
            "est vérifiée au niveau ci-dessous ou au-delà. Vide : pas d'attribution Pix+ Édu."
        ),
    )
    pix_plus_edu_level = models.PositiveSmallIntegerField(
        _("Pix+ Édu : niveau minimal"), choices=PixPlusEduLevel.choices, null=True, blank=True
    )
    award_rights = models.CharField(
        _("qui peut le décerner à la main"),
        max_length=12,
        choices=AwardRights.choices,
        default=AwardRights.TRAINERS,
        help_text=_(
            "Un badge de certification (Pix+ Édu) n'est décerné qu'automatiquement, une fois la "
            "certification vérifiée."
        ),
    )
    expiry_rule = models.CharField(
        _("expiration"), max_length=10, choices=ExpiryRule.choices, default=ExpiryRule.NONE
    )
    expires_on = models.DateField(_("expire le"), null=True, blank=True)
    expires_after_months = models.PositiveSmallIntegerField(
        _("expire après (mois)"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expiry_rule=ExpiryRule.NONE)
                | Q(expiry_rule=ExpiryRule.DATE, expires_on__isnull=False)
                | Q(expiry_rule=ExpiryRule.MONTHS, expires_after_months__gt=0),
                name="badgeclass_expiry_complete",
                violation_error_message=_("Précisez la date ou le nombre de mois d'expiration."),
            ),
            models.CheckConstraint(
                condition=Q(pix_plus_edu_scope="", pix_plus_edu_level__isnull=True)
                | (~Q(pix_plus_edu_scope="") & Q(pix_plus_edu_level__isnull=False)),
                name="badgeclass_pix_plus_edu_complete",
                violation_error_message=_(
                    "Pour une attribution Pix+ Édu, indiquez le volet et le niveau."
                ),
            ),
            # Its criteria require a verified certification: nobody may award it by hand.
            models.CheckConstraint(
                condition=Q(pix_plus_edu_scope="") | Q(award_rights=AwardRights.AUTOMATIC),
                name="badgeclass_pix_plus_edu_automatic",
                violation_error_message=_(
                    "Un badge Pix+ Édu n'est décerné qu'automatiquement : choisissez "
                    "« Attribution automatique uniquement »."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def public_url(self):
        return site_url(reverse("badges:badge_class", kwargs={"uuid": self.uuid}))

    @property
    def tag_list(self):
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]

    def expiry_for(self, issued_on):
        if self.expiry_rule == ExpiryRule.DATE:
            return timezone.make_aware(
                timezone.datetime.combine(self.expires_on, timezone.datetime.max.time())
            )
        if self.expiry_rule == ExpiryRule.MONTHS:
            from dateutil.relativedelta import relativedelta

            return issued_on + relativedelta(months=self.expires_after_months)
        return None


class BadgeClassVersion(models.Model):
    """What a badge class said when assertions were issued against it (its hosted JSON)."""

    badge_class = models.ForeignKey(
        BadgeClass, on_delete=models.CASCADE, related_name="versions", verbose_name=_("badge")
    )
    number = models.PositiveIntegerField(_("version"))
    document = models.JSONField(_("BadgeClass Open Badges 2.0"))
    # The image is part of what a badge says: each version keeps its own copy (served at
    # /badges/classes/<uuid>/v<n>/image, its document's `image`), and remembers which stored
    # file of the badge class it was copied from — a new upload is a new file, hence a new
    # version. Versions published before images were kept show the badge class's image.
    image = models.FileField(_("image"), upload_to="badges/versions/", blank=True)
    image_source = models.CharField(_("image d'origine"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("publiée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("version d'un badge")
        verbose_name_plural = _("versions des badges")
        ordering = ["badge_class", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["badge_class", "number"], name="badge_version_once")
        ]

    def __str__(self):
        return f"{self.badge_class} v{self.number}"

    @property
    def public_url(self):
        return site_url(
            reverse(
                "badges:badge_class_version",
                kwargs={"uuid": self.badge_class.uuid, "number": self.number},
            )
        )

    @property
    def image_file(self):
        """The version's own image, or the badge class's for a version published before."""
        return self.image if self.image else self.badge_class.image


def hash_identity(email, salt):
    """Open Badges hashed recipient: sha256$ + hex(SHA-256(lower-cased email + salt))."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def new_salt():
    return secrets.token_hex(16)


class Assertion(models.Model):
    """One badge awarded to one person, for one reason (its source): verifiable, revocable."""

    # Not content that pages refer to: keep it out of Wagtail's reference index (a saving per
    # award, BENCHMARKS.md).
    wagtail_reference_index_ignore = True

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    badge_class = models.ForeignKey(
        BadgeClass, on_delete=models.PROTECT, related_name="assertions", verbose_name=_("badge")
    )
    version = models.ForeignKey(
        BadgeClassVersion,
        on_delete=models.PROTECT,
        related_name="assertions",
        verbose_name=_("version du badge"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="badge_assertions",
        verbose_name=_("titulaire"),
    )
    recipient_email = models.EmailField(_("adresse du titulaire"))
    salt = models.CharField(max_length=64, default=new_salt, editable=False)
    identity = models.CharField(_("identité hachée"), max_length=80, editable=False)
    # Why it was awarded: "completion:<id>", "session:<id>:<trainer id>", "manual:<uuid>"…
    source = models.CharField(_("origine"), max_length=80)
    issued_on = models.DateTimeField(_("délivré le"), default=timezone.now)
    expires = models.DateTimeField(_("expire le"), null=True, blank=True)
    evidence = models.JSONField(_("preuves"), default=list, blank=True)
    narrative = models.TextField(_("commentaire"), blank=True)
    image = models.FileField(_("image certifiée"), upload_to="badges/assertions/", blank=True)
    public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Le nom du titulaire apparaît sur la page publique du badge."),
    )
    revoked = models.BooleanField(_("révoqué"), default=False)
    revocation_reason = models.CharField(_("motif de révocation"), max_length=255, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    # When the award email left (set by the task that sent it): a retried or re-delivered
    # email task skips the assertions already told.
    emailed_at = models.DateTimeField(_("courriel envoyé le"), null=True, blank=True)
    # When a task claimed the award email, committed before it is sent: another delivery or
    # the catch-up leaves a claimed email alone until EMAIL_CLAIM_TIMEOUT has passed (it may
    # have left before the worker died), so each email goes at most once per crash window.
    emailing_started_at = models.DateTimeField(
        _("envoi du courriel commencé le"), null=True, blank=True
    )
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("décerné par"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("badge décerné")
        verbose_name_plural = _("badges décernés")
        ordering = ["-issued_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["badge_class", "recipient_email", "source"], name="assertion_once"
            ),
        ]
        indexes = [models.Index(fields=["recipient", "-issued_on"], name="assertion_recipient")]

    def __str__(self):
        return f"{self.badge_class} → {self.recipient_email}"

    def save(self, *args, **kwargs):
        self.recipient_email = self.recipient_email.strip().lower()
        self.identity = hash_identity(self.recipient_email, self.salt)
        super().save(*args, **kwargs)

    @property
    def public_url(self):
        return site_url(reverse("badges:assertion", kwargs={"uuid": self.uuid}))

    @property
    def image_url(self):
        return site_url(reverse("badges:assertion_image", kwargs={"uuid": self.uuid}))

    @property
    def source_label(self):
        """What earned it, in words (the stored source is a key such as "completion:12")."""
        labels = {
            "completion": _("Validation d'un atelier"),
            "workshop": _("Animation d'un atelier"),
            "manual": _("Attribution manuelle"),
            "bulk": _("Attribution par fichier"),
            "pix-plus-edu": _("Certification Pix+ Édu vérifiée"),
        }
        return labels.get(self.source.split(":", 1)[0], _("Autre"))

    @property
    def is_expired(self):
        return self.expires is not None and self.expires <= timezone.now()

    @property
    def status(self):
        if self.revoked:
            return "revoked"
        return "expired" if self.is_expired else "valid"


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


# --- PIX and Pix+ Édu ------------------------------------------------------------------------


def private_storage():
    from django.core.files.storage import storages

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
            from dateutil.relativedelta import relativedelta

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
        from dateutil.relativedelta import relativedelta

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


# The indicator dashboards' models (snapshots, API tokens) belong to the badges app.
from .indicators.models import IndicatorApiToken, IndicatorSnapshot  # noqa: E402, F401
