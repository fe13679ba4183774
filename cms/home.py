"""The home page as the start of each role's day.

A teacher sees their next sessions and open sessions near them; a trainer the sessions to run
and the attendance to take; a coordinator what waits for their decision (pages to moderate,
enrolment requests, content reports) and the sessions at risk; an indicator reader the key
figures of their territory; everyone the latest RETEX and resources. Every list reuses the
object-level querysets of the pages it links to, so it never shows what those would refuse.
"""

from django.db.models import Exists, OuterRef
from django.utils import timezone
from wagtail.models import TaskState

from cotraining import agenda
from cotraining.constants import Role
from cotraining.models import Session, WorkshopPage
from cotraining.permissions import approvable_enrollments, coordinated_academies
from indicators.filters import IndicatorFilterSet
from indicators.report import report_from_data
from indicators.scope import reader_scope
from indicators.snapshots import read_figures

from .models import ResourcePage, RetexPage
from .services import reports_visible_to

LIST_SIZE = 5


def _roles(user):
    return set(user.role_assignments.values_list("role", flat=True))


def teacher_day(user, now):
    return {
        "next": agenda.next_enrollments(user, now, limit=LIST_SIZE),
        "suggestions": agenda.suggested_sessions(user, now, limit=3),
    }


def trainer_day(user, now):
    trains = WorkshopPage.trainers.through.objects.filter(
        workshoppage_id=OuterRef("workshop_id"), user_id=user.pk
    )
    sessions = agenda.with_counts(Session.objects.filter(Exists(trains)))
    return {
        "to_run": agenda.upcoming(sessions, now, limit=LIST_SIZE),
        "to_record": agenda.to_record(sessions, now, limit=LIST_SIZE),
    }


def coordinator_day(user, now):
    scope = Session.objects.filter(workshop__academie__in=coordinated_academies(user))
    upcoming = agenda.upcoming(agenda.with_counts(scope), now, limit=200)
    to_moderate = (
        TaskState.objects.reviewable_by(user)
        .select_related("workflow_state", "revision")
        .order_by("started_at")
    )
    return {
        "to_moderate": list(to_moderate[:LIST_SIZE]),
        "to_moderate_count": to_moderate.count(),
        "approvals_count": approvable_enrollments(user).count(),
        "open_reports_count": reports_visible_to(user=user).filter(status="open").count(),
        "at_risk": agenda.at_risk(upcoming, now)[:LIST_SIZE],
    }


def reader_figures(user):
    """The first figure of each indicator group, for the reader's default dashboard (read from
    its snapshot when one is fresh, as /indicateurs/ does)."""
    scope = reader_scope(user)
    if not scope.readable:
        return None
    figures = read_figures(IndicatorFilterSet(None, scope=scope))
    report = report_from_data(
        figures.data, figures.period, generated_at=figures.computed_at, stale=figures.stale
    )
    return {
        "period": report.period,
        "figures": [group.figures[0] for group in report.groups if group.figures],
    }


def _public(pages):
    # live() and public(): never a draft, nor a page behind a login or a password.
    return pages.live().public().order_by("-first_published_at")


def latest_reading():
    return {
        "retex": list(_public(RetexPage.objects.all())[:3]),
        "resources": list(_public(ResourcePage.objects.all())[:3]),
    }


def home_context(request):
    """Everything the home page shows to the person asking."""
    user = request.user
    context = {"reading": latest_reading(), "day": None}
    if not user.is_authenticated:
        return context
    now = timezone.now()
    roles = _roles(user)
    day = {}
    if Role.TEACHER in roles or not roles:
        day["teacher"] = teacher_day(user, now)
    if Role.TRAINER in roles:
        day["trainer"] = trainer_day(user, now)
    if Role.COORDINATOR in roles:
        day["coordinator"] = coordinator_day(user, now)
    if roles & {Role.INDICATOR_READER, Role.SCHOOL_HEAD} or user.is_superuser:
        day["reader"] = reader_figures(user)
    context["day"] = day
    return context
