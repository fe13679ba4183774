from django.db import models
from django.utils.translation import gettext_lazy as _


class BadgeKind(models.TextChoices):
    PARTICIPANT = "participant", _("Participants ayant validé l'atelier")
    TRAINER = "trainer", _("Formateurs ayant animé une séance")


class ExpiryRule(models.TextChoices):
    NONE = "none", _("N'expire pas")
    DATE = "date", _("À une date fixe")
    MONTHS = "months", _("N mois après sa délivrance")


class AuditAction:
    AWARD_BADGE = "entrepairs.award_badge"
    REVOKE_ASSERTION = "entrepairs.revoke_assertion"
    PUBLISH_BADGE_VERSION = "entrepairs.publish_badge_version"
