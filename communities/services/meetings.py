"""Community meetings: a session of the community's meeting workshop, so the existing
enrolment, convocation, visio link, attendance and hours apply to it."""

from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cotraining.exceptions import ServiceError
from cotraining.services import save_session

from ..constants import AuditAction
from ..models import Meeting
from ..permissions import animated_communities


def schedule_meeting(*, community, by, **session_fields):
    """An animator schedules a meeting: a new session of the community's meeting workshop
    (start, end, modality, capacity, visio_url, address… as cotraining's save_session takes
    them, and checks them). Members enrol in it as in any session."""
    if not animated_communities(by).filter(pk=community.pk).exists():
        raise ServiceError(
            "not_animator", _("Seuls les animateurs de la communauté programment ses réunions.")
        )
    if community.meeting_workshop_id is None:
        raise ServiceError(
            "no_meeting_workshop",
            _(
                "Cette communauté n'a pas encore d'atelier pour ses réunions : la coordination "
                "de l'académie le crée dans le catalogue."
            ),
        )
    with transaction.atomic():
        session = save_session(by=by, workshop=community.meeting_workshop, **session_fields)
        meeting = Meeting.objects.create(community=community, session=session)
        log(meeting, AuditAction.SCHEDULE_MEETING, user=by, data={"session": session.pk})
    return meeting
