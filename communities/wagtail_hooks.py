from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .constants import AuditAction


@hooks.register("register_log_actions")
def register_audit_actions(actions):
    for action, label in (
        (AuditAction.JOIN, _("Communauté rejointe")),
        (AuditAction.REQUEST_MEMBERSHIP, _("Communauté : demande d'adhésion")),
        (AuditAction.APPROVE_MEMBERSHIP, _("Communauté : adhésion acceptée")),
        (AuditAction.REFUSE_MEMBERSHIP, _("Communauté : adhésion refusée")),
        (AuditAction.LEAVE, _("Communauté quittée")),
        (AuditAction.ASK, _("Question posée")),
        (AuditAction.ANSWER, _("Réponse publiée")),
        (AuditAction.COMMENT, _("Commentaire publié")),
        (AuditAction.ACCEPT_ANSWER, _("Réponse acceptée")),
        (AuditAction.CLOSE_QUESTION, _("Question close")),
        (AuditAction.HIDE_POST, _("Message masqué par un animateur")),
        (AuditAction.ESCALATE, _("Difficulté remontée")),
        (AuditAction.ANSWER_ESCALATION, _("Remontée : réponse de l'inspection")),
        (AuditAction.CLOSE_ESCALATION, _("Remontée close")),
        (AuditAction.SCHEDULE_MEETING, _("Réunion de communauté programmée")),
    ):
        actions.register_action(action, label, label)
