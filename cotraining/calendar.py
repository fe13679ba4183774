"""iCalendar for sessions: the invitation attached to an email, and each person's private feed.

Both describe a session with the same UID and SEQUENCE, so a calendar app that received the
invitation recognises the session in the feed (and the other way round), and a change or a
cancellation replaces the event instead of adding a second one. The `icalendar` library writes
the text: escaping, line folding and UTC stamps are easy to get subtly wrong by hand.
"""

from datetime import UTC
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .constants import EnrollmentStatus, Modality
from .models import Enrollment

# The right-hand side of every UID: stable across deployments, so a UID never changes meaning.
ICAL_DOMAIN = "entrepairs.education.fr"
PRODID = "-//Entrepairs//Co-formation entre pairs//FR"

METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"
METHOD_PUBLISH = "PUBLISH"


def session_uid(session):
    """The session's UID: derived from its primary key only, so every message about it matches."""
    return f"session-{session.pk}@{ICAL_DOMAIN}"


def session_invitation(session, *, method, attendee=None):
    """An invitation (REQUEST) or a cancellation (CANCEL) for one session, as .ics bytes.

    A cancelled session always yields CANCEL, whatever the caller asked: an invitation must
    never put back into someone's calendar a session that will not take place.
    """
    if method not in (METHOD_REQUEST, METHOD_CANCEL):
        raise ValueError(f"Unsupported iTIP method: {method!r}")
    if session.is_cancelled:
        method = METHOD_CANCEL
    cancelled = method == METHOD_CANCEL
    event = _session_event(session, cancelled=cancelled)
    event.organizer = _organizer()
    if attendee is not None:
        event.attendees = [_attendee(attendee, accepted=not cancelled)]
    return _calendar(method, [event]).to_ical()


def calendar_feed(user):
    """The person's private feed (PUBLISH): every session they hold a confirmed seat on.

    Cancelled sessions stay in with STATUS:CANCELLED, which is how a subscribed calendar learns
    to strike them out. The feed is only reachable with the person's secret token, so the visio
    link is included. Two queries whatever the number of sessions.
    """
    enrollments = (
        Enrollment.objects.filter(user=user, status=EnrollmentStatus.CONFIRMED)
        .select_related("session__workshop", "session__establishment")
        .prefetch_related("session__workshop__trainers")
        .order_by("session__start", "session_id")
    )
    events = [_session_event(e.session, cancelled=e.session.is_cancelled) for e in enrollments]
    calendar = _calendar(METHOD_PUBLISH, events)
    name = _("Entrepairs — mes séances")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    return calendar.to_ical()


def _calendar(method, events):
    """The VCALENDAR wrapper shared by invitations and feeds."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    for event in events:
        calendar.add_component(event)
    return calendar


def _session_event(session, *, cancelled):
    """The VEVENT of a session; times in UTC so no VTIMEZONE block is needed."""
    return icalendar.Event.new(
        uid=session_uid(session),
        sequence=session.ical_sequence,
        stamp=timezone.now().astimezone(UTC),
        start=session.start.astimezone(UTC),
        end=session.end.astimezone(UTC),
        summary=session.workshop.title,
        location=_location(session) or None,
        description=_description(session),
        status=icalendar.STATUS.CANCELLED if cancelled else icalendar.STATUS.CONFIRMED,
        url=session.visio_url or None,
    )


def _location(session):
    """Where to go: the venue, or the visio link for a session held entirely at a distance."""
    if session.modality == Modality.REMOTE:
        return session.visio_url
    return session.venue or session.visio_url


def _description(session):
    """Everything a participant needs when opening the event, one item per line."""
    workshop = session.workshop
    lines = []
    if session.is_cancelled:
        lines.append(_("Séance annulée."))
        if session.cancellation_reason:
            lines.append(_("Motif : %(reason)s") % {"reason": session.cancellation_reason})
    if session.venue:
        lines.append(_("Lieu : %(venue)s") % {"venue": session.venue})
    if session.visio_url:
        lines.append(_("Lien de visioconférence : %(url)s") % {"url": session.visio_url})
    if plan := _plan_label(workshop):
        lines.append(_("Plan de formation : %(plan)s") % {"plan": plan})
    trainers = ", ".join(t.get_full_name() or t.email for t in workshop.trainers.all())
    if trainers:
        lines.append(_("Formateurs : %(names)s") % {"names": trainers})
    return "\n".join(lines)


def _plan_label(workshop):
    """The plan, identifier and year on one line ("" outside any plan): GAIA's way to find it."""
    if not workshop.training_plan:
        return ""
    label = " ".join(filter(None, [workshop.get_training_plan_display(), workshop.plan_identifier]))
    return f"{label} — {workshop.school_year}" if workshop.school_year else label


def _organizer():
    """The platform's sending address: replies to an invitation go nowhere a person reads."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return icalendar.vCalAddress.new(address, cn="Entrepairs")


def _attendee(user, *, accepted):
    """The person invited; ACCEPTED because enrolling already was their answer."""
    return icalendar.vCalAddress.new(
        user.email,
        cn=user.get_full_name() or user.email,
        role="REQ-PARTICIPANT",
        partstat="ACCEPTED" if accepted else None,
    )
