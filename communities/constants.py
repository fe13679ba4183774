from django.db import models
from django.utils.translation import gettext_lazy as _


class CommunityKind(models.TextChoices):
    DISCIPLINE = "discipline", _("Groupe disciplinaire")
    THEMATIC = "thematic", _("Groupe thématique")
    SCHOOL_TEAM = "school_team", _("Équipe d'établissement")


class TerritoryLevel(models.TextChoices):
    ESTABLISHMENT = "establishment", _("Établissement")
    BASSIN = "bassin", _("Bassin ou circonscription")
    DEPARTEMENT = "departement", _("Département")
    ACADEMIE = "academie", _("Académie")
    NATIONAL = "national", _("National")


class Access(models.TextChoices):
    OPEN = "open", _("Ouverte : on la rejoint aussitôt")
    CLOSED = "closed", _("Fermée : un animateur accepte les demandes")


class MembershipStatus(models.TextChoices):
    REQUESTED = "requested", _("Demande en attente")
    ACTIVE = "active", _("Membre")
    REFUSED = "refused", _("Demande refusée")


class QuestionState(models.TextChoices):
    OPEN = "open", _("En attente de réponse acceptée")
    RESOLVED = "resolved", _("Résolue")
    CLOSED = "closed", _("Close")


class EscalationCategory(models.TextChoices):
    PROGRAMME = "programme", _("Programmes")
    EVALUATION = "evaluation", _("Évaluation, livrets")
    TOOL = "tool", _("Outils")
    ORGANISATION = "organisation", _("Organisation")
    OTHER = "other", _("Autre")


class EscalationStatus(models.TextChoices):
    OPEN = "open", _("À traiter")
    ANSWERED = "answered", _("Répondue")
    CLOSED = "closed", _("Close")


class DigestStatus(models.TextChoices):
    PENDING = "pending", _("À envoyer")
    SENT = "sent", _("Envoyée")
    EMPTY = "empty", _("Rien de neuf")
    FAILED = "failed", _("Échec d'envoi")


class PostKind(models.TextChoices):
    """What an animator may hide or a member report."""

    QUESTION = "question", _("Question")
    ANSWER = "answer", _("Réponse")
    COMMENT = "comment", _("Commentaire")


class AuditAction:
    """Audit-log action types (Wagtail's log registry), registered in wagtail_hooks.py."""

    JOIN = "entrepairs.community_join"
    REQUEST_MEMBERSHIP = "entrepairs.community_request"
    APPROVE_MEMBERSHIP = "entrepairs.community_approve"
    REFUSE_MEMBERSHIP = "entrepairs.community_refuse"
    LEAVE = "entrepairs.community_leave"
    ASK = "entrepairs.community_ask"
    ANSWER = "entrepairs.community_answer"
    COMMENT = "entrepairs.community_comment"
    ACCEPT_ANSWER = "entrepairs.community_accept_answer"
    CLOSE_QUESTION = "entrepairs.community_close_question"
    HIDE_POST = "entrepairs.community_hide_post"
    ESCALATE = "entrepairs.community_escalate"
    ANSWER_ESCALATION = "entrepairs.community_answer_escalation"
    CLOSE_ESCALATION = "entrepairs.community_close_escalation"
    SCHEDULE_MEETING = "entrepairs.community_schedule_meeting"
