from django.db import models
from django.utils.translation import gettext_lazy as _


class BadgeKind(models.TextChoices):
    PARTICIPANT = "participant", _("Participants ayant validé l'atelier")
    TRAINER = "trainer", _("Formateurs ayant animé une séance")


class AwardRights(models.TextChoices):
    """Who may award a badge by hand (the award page and bulk files); automatic rules
    (completion, trainers' sessions, Pix+ Édu) award it whatever this says."""

    AUTOMATIC = (
        "automatic",
        _("Attribution automatique uniquement (personne ne le décerne à la main)"),
    )
    TRAINERS = "trainers", _("Formateurs de l'atelier et coordination de l'académie")
    COORDINATORS = "coordinators", _("Coordination de l'académie uniquement")


class ExpiryRule(models.TextChoices):
    NONE = "none", _("N'expire pas")
    DATE = "date", _("À une date fixe")
    MONTHS = "months", _("N mois après sa délivrance")


class AuditAction:
    AWARD_BADGE = "entrepairs.award_badge"
    REVOKE_ASSERTION = "entrepairs.revoke_assertion"
    PUBLISH_BADGE_VERSION = "entrepairs.publish_badge_version"
    MOVE_ORIGIN = "entrepairs.move_site_origin"
    VERIFY_PIX = "entrepairs.verify_pix"
    REJECT_PIX = "entrepairs.reject_pix"
    DECLARE_PIX = "entrepairs.declare_pix"
    DELETE_PIX = "entrepairs.delete_pix"
    IMPORT_PIX = "entrepairs.import_pix"
    PIX_CODE_CONFLICT = "entrepairs.pix_code_conflict"


# The 16 competences of the CRCN that a PIX certification scores, in the certificate's order.
CRCN_CODES = (
    "1.1", "1.2", "1.3",
    "2.1", "2.2", "2.3", "2.4",
    "3.1", "3.2", "3.3", "3.4",
    "4.1", "4.2", "4.3",
    "5.1", "5.2",
)  # fmt: skip
PIX_MAX_SCORE = 1024  # 16 competences × 8 levels × 8 pix
PIX_TOP_LEVEL = 8
PIX_CODE_ALPHABET = "2346789BCDFGHJKMPQRTVWXY"  # no 0, 1 or vowels
PIX_CODE_REGEX = rf"^P-[{PIX_CODE_ALPHABET}]{{8}}$"


def level_field(code):
    """The PixCertification column holding one competence's level: "1.1" → "level_1_1"."""
    return "level_" + code.replace(".", "_")


class PixStatus(models.TextChoices):
    DECLARED = "declared", _("Déclarée, à vérifier")
    VERIFIED = "verified", _("Vérifiée")
    REJECTED = "rejected", _("Refusée")


class PixSource(models.TextChoices):
    SELF = "self", _("Déclarée par l'enseignant")
    IMPORT = "import", _("Importée (export Pix Orga)")
    STAFF = "staff", _("Saisie par l'académie")


class PixPlusEduScope(models.TextChoices):
    FIRST = "1d", _("1er degré")
    SECOND = "2d", _("2nd degré")
    CPE = "cpe", _("CPE")


class PixPlusEduLevel(models.IntegerChoices):
    """Ordered: the final level is the lower of the automated and jury parts."""

    INITIE = 1, _("Initié (entrée dans le métier)")
    CONFIRME = 2, _("Confirmé")
    AVANCE = 3, _("Avancé")
    EXPERT = 4, _("Expert")
