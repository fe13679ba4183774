from django.db import models
from django.utils.translation import gettext_lazy as _


class Degree(models.TextChoices):
    FIRST = "1", _("1er degré")
    SECOND = "2", _("2nd degré")


class EstablishmentType(models.TextChoices):
    ECOLE = "ecole", _("École")
    COLLEGE = "college", _("Collège")
    LYCEE = "lycee", _("Lycée")
    EREA = "erea", _("EREA")
    SERVICE = "service", _("Service administratif")
    OTHER = "autre", _("Autre")


class SectorKind(models.TextChoices):
    CIRCONSCRIPTION = "circonscription", _("Circonscription (1er degré)")
    BASSIN = "bassin", _("Bassin (2nd degré)")


class Role(models.TextChoices):
    TEACHER = "teacher", _("Enseignant")
    TRAINER = "trainer", _("Formateur")
    COORDINATOR = "coordinator", _("Coordination")
    INDICATOR_READER = "indicator_reader", _("Lecteur d'indicateurs")
    SCHOOL_HEAD = "school_head", _("Direction d'établissement")
    PLATFORM_ADMIN = "platform_admin", _("Administration de la plateforme")


class AuditAction:
    """Audit-log action types (Wagtail's log registry), registered in wagtail_hooks.py."""

    IMPORT_ESTABLISHMENTS = "entrepairs.import_establishments"
    GRANT_ROLE = "entrepairs.grant_role"
    REVOKE_ROLE = "entrepairs.revoke_role"
    UPDATE_PROFILE = "entrepairs.update_profile"
    CREATE_SESSION = "entrepairs.create_session"
    UPDATE_SESSION = "entrepairs.update_session"
    CANCEL_SESSION = "entrepairs.cancel_session"
    DELETE_SESSION = "entrepairs.delete_session"
    PROVISION_ACADEMIE = "entrepairs.provision_academie"


class Framework(models.TextChoices):
    CRCN = "crcn", _("CRCN (Pix)")
    PIX_PLUS_EDU = "pix-plus-edu", _("Pix+ Édu")


class Theme(models.TextChoices):
    """The five themes of the États généraux du numérique pour l'éducation."""

    EQUAL_ACCESS = "acces", _("Égal accès de tous au numérique")
    TEACHING = "enseigner", _("Enseigner et apprendre avec le numérique")
    COLLABORATION = "collaborer", _("Travailler ensemble autrement")
    RESPONSIBLE = "responsable", _("Numérique responsable et souverain")
    GOVERNANCE = "pilotage", _("Gouvernance et outils d'anticipation")


class Modality(models.TextChoices):
    IN_PERSON = "presentiel", _("Présentiel")
    REMOTE = "distanciel", _("Distanciel")
    HYBRID = "hybride", _("Hybride")


class TrainingPlan(models.TextChoices):
    PAF = "paf", _("PAF (plan académique de formation)")
    PDF = "pdf", _("PDF (plan départemental de formation)")


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Programmée")
    CANCELLED = "cancelled", _("Annulée")


class EnrollmentStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmée")
    WAITLISTED = "waitlisted", _("En liste d'attente")
    CANCELLED = "cancelled", _("Annulée")
