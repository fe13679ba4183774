"""Open Badges 2.0: issuers, badge classes (with their published versions) and assertions.

Every assertion points at the version of its badge class it was issued against: editing a badge
class publishes a new version and leaves earlier assertions verifiable, with the criteria they
were awarded for (the complaint about Moodle and Badgr: criteria frozen after the first award).
"""

import hashlib
import secrets
import uuid

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cotraining.models import Academie, Competence, WorkshopPage
from cotraining.origin import public_url

from ..constants import AwardRights, BadgeKind, ExpiryRule, PixPlusEduLevel, PixPlusEduScope
from ..validators import sanitize_svg, validate_badge_image


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
