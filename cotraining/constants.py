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
    ENROLL = "entrepairs.enroll"
    CANCEL_ENROLLMENT = "entrepairs.cancel_enrollment"
    REMOVE_PARTICIPANT = "entrepairs.remove_participant"
    PROMOTE = "entrepairs.promote_from_waitlist"
    APPROVE_ENROLLMENT = "entrepairs.approve_enrollment"
    REFUSE_ENROLLMENT = "entrepairs.refuse_enrollment"
    RECORD_ATTENDANCE = "entrepairs.record_attendance"
    CHECK_IN = "entrepairs.check_in"
    CHECK_IN_WRONG_CODE = "entrepairs.check_in_wrong_code"
    CHECK_IN_LOCKED = "entrepairs.check_in_locked"
    CHECK_IN_SESSION_LOCKED = "entrepairs.check_in_session_locked"
    COMPLETE_WORKSHOP = "entrepairs.complete_workshop"
    WITHDRAW_COMPLETION = "entrepairs.withdraw_completion"
    RESET_CALENDAR_FEED = "entrepairs.reset_calendar_feed"
    RESEND_NOTIFICATION = "entrepairs.resend_notification"
    CHANGE_EMAIL = "entrepairs.change_email"
    LINK_IDENTITY = "entrepairs.link_identity"


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
    PENDING_APPROVAL = "pending", _("En attente de l'accord hiérarchique")
    CONFIRMED = "confirmed", _("Confirmée")
    WAITLISTED = "waitlisted", _("En liste d'attente")
    REFUSED = "refused", _("Refusée par la hiérarchie")
    CANCELLED = "cancelled", _("Annulée")


# An enrolment still "in play": the person may yet attend (cancel, notify, list).
ACTIVE_ENROLLMENT_STATUSES = (
    EnrollmentStatus.PENDING_APPROVAL,
    EnrollmentStatus.CONFIRMED,
    EnrollmentStatus.WAITLISTED,
)


class EnrollmentMode(models.TextChoices):
    PER_SESSION = "session", _("Chaque séance est une occurrence : on s'inscrit à l'une d'elles")
    COURSE = "course", _("Un parcours en plusieurs dates : on s'inscrit à toutes les séances")


class Attendance(models.TextChoices):
    PRESENT = "present", _("Présent")
    PARTIAL = "partial", _("Présence partielle")
    ABSENT = "absent", _("Absent")


class NotificationKind(models.TextChoices):
    CONVOCATION = "convocation", _("Convocation")
    PROMOTED = "promoted", _("Place libérée : convocation")
    WAITLISTED = "waitlisted", _("Inscription en liste d'attente")
    PENDING_APPROVAL = "pending_approval", _("Inscription en attente d'accord")
    APPROVAL_REQUEST = "approval_request", _("Demande d'accord au supérieur hiérarchique")
    REFUSED = "refused", _("Inscription refusée par la hiérarchie")
    ENROLLMENT_CANCELLED = "enrollment_cancelled", _("Inscription annulée")
    SESSION_CANCELLED = "session_cancelled", _("Séance annulée")
    SESSION_UPDATED = "session_updated", _("Séance modifiée")
    REMINDER_DAYS = "reminder_days", _("Rappel quelques jours avant")
    REMINDER_HOUR = "reminder_hour", _("Rappel une heure avant (lien de visio)")
    COMPLETED = "completed", _("Atelier validé : attestation disponible")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("À envoyer")
    SENT = "sent", _("Envoyée")
    FAILED = "failed", _("Échec d'envoi")
    SKIPPED = "skipped", _("Sans objet (plus d'actualité)")
