"""Faire remonter: a member reports a difficulty (programmes, evaluation, tools, organisation)
to the inspector who animates the community, who answers and closes it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cotraining.exceptions import ServiceError

from ..constants import AuditAction, EscalationCategory, EscalationStatus
from ..models import Escalation
from ..permissions import animated_communities, postable_communities, visible_escalations
from .questions import TEXT_MAX, TITLE_MAX, _clean_text


def escalate(*, community, by, category, title, text):
    """A member flags a difficulty to the community's inspector."""
    if not postable_communities(by).filter(pk=community.pk).exists():
        raise ServiceError(
            "not_member", _("Rejoignez la communauté pour faire remonter une difficulté.")
        )
    try:
        category = EscalationCategory(category)
    except ValueError:
        raise ServiceError("category", _("Choisissez la catégorie de la difficulté.")) from None
    title = _clean_text(title, field=_("Objet"), limit=TITLE_MAX)
    text = _clean_text(text, field=_("Description"), limit=TEXT_MAX)
    with transaction.atomic():
        escalation = Escalation.objects.create(
            community=community, author=by, category=category, title=title, text=text
        )
        log(escalation, AuditAction.ESCALATE, user=by, data={"category": category.value})
    return escalation


def _animated_escalation(escalation, by):
    found = (
        Escalation.objects.select_for_update()
        .filter(pk=escalation.pk, community__in=animated_communities(by).values("pk"))
        .first()
    )
    if found is None:
        raise ServiceError(
            "not_animator", _("Seule l'inspection qui anime la communauté répond aux remontées.")
        )
    return found


def answer_escalation(*, escalation, by, response):
    """The inspector answers; the same answer again changes nothing, a new one replaces it."""
    response = _clean_text(response, field=_("Réponse"), limit=TEXT_MAX)
    with transaction.atomic():
        escalation = _animated_escalation(escalation, by)
        if escalation.status == EscalationStatus.CLOSED:
            raise ServiceError("escalation_closed", _("Cette remontée est close."))
        if escalation.status == EscalationStatus.ANSWERED and escalation.response == response:
            return escalation
        escalation.status = EscalationStatus.ANSWERED
        escalation.response = response
        escalation.answered_by = by
        escalation.answered_at = timezone.now()
        escalation.save(update_fields=["status", "response", "answered_by", "answered_at"])
        log(escalation, AuditAction.ANSWER_ESCALATION, user=by)
    return escalation


def close_escalation(*, escalation, by):
    """The inspector or the author closes an escalation. Idempotent."""
    with transaction.atomic():
        escalation = visible_escalations(by).select_for_update().filter(pk=escalation.pk).first()
        if escalation is None:
            raise ServiceError("escalation_not_found", _("Cette remontée n'existe pas ou plus."))
        if escalation.status == EscalationStatus.CLOSED:
            return escalation
        escalation.status = EscalationStatus.CLOSED
        escalation.closed_at = timezone.now()
        escalation.save(update_fields=["status", "closed_at"])
        log(escalation, AuditAction.CLOSE_ESCALATION, user=by)
    return escalation
