"""The five indicator groups of issue 7, aggregated in the database.

Each function takes Criteria (a period, a territory and the other filters) and returns plain
numbers: one aggregate query per table, whatever the number of rows (conditional
`Count(filter=…)`, `Sum`, `Avg`, a median, `TruncMonth` for the monthly series). Every query reads
the period and the same period one year earlier at once, so the change against the previous
year costs no extra query.

Where a fact takes place (what the territory filters narrow):
- training actions and participation happen where the session is held: its host establishment,
  or, for a session without one (remote), the workshop's académie as a whole;
- PIX certifications, badges and hours of training belong to people: the establishment of the
  person (their "établissement d'exercice").
Degree and discipline describe the workshop's public for training actions (a workshop open to
both degrees counts for each), and the person everywhere else. Theme, modality and plan describe
the training: they narrow training actions, participation and hours, and badges through the
workshop they were awarded for; they do not apply to PIX.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Avg, Case, Count, Exists, OuterRef, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from badges.constants import CRCN_CODES, PIX_TOP_LEVEL, BadgeKind, PixStatus, level_field
from badges.models import Assertion, PixCertification, PixPlusEduResult
from cotraining import school_year
from cotraining.constants import Attendance, EnrollmentStatus, SessionStatus
from cotraining.models import (
    Enrollment,
    Establishment,
    Session,
    User,
    WorkshopPage,
)

from .aggregates import Median

ATTENDED = (Attendance.PRESENT, Attendance.PARTIAL)
# Hours of training per teacher over the period: the distribution's brackets, lower bounds.
HOUR_BRACKETS = (0, 3, 6, 12, 18, 36)


def hours_threshold():
    """The N of "share of teachers with at least N hours" (18 h: the 1er degré's yearly due)."""
    return getattr(settings, "INDICATORS_HOURS_THRESHOLD", 18)


# --- Period -----------------------------------------------------------------------------------


def school_year_start(day):
    """The calendar year a school year (September to August) starts in."""
    return school_year.first_year(day)


def school_year_period(first_year):
    return Period(*school_year.bounds(first_year))


def _year_earlier(day):
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    @property
    def last_day(self):
        return self.end - timedelta(days=1)

    def previous(self):
        """The same dates one year earlier."""
        return Period(_year_earlier(self.start), _year_earlier(self.end))

    def until(self, today):
        """Up to today at most: a year in progress compares with the same weeks a year ago."""
        return Period(self.start, max(self.start, min(self.end, today + timedelta(days=1))))

    def aware(self):
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end, time.min, tzinfo=tz),
        )

    def months(self):
        """The first day of each month the period touches."""
        months, day = [], self.start.replace(day=1)
        while day < self.end:
            months.append(day)
            day = (day + timedelta(days=calendar.monthrange(day.year, day.month)[1])).replace(day=1)
        return months


# --- Criteria ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    """What to count. `establishments` and `academies` are id querysets (subqueries): None means
    no restriction (the whole country), an empty one means nothing."""

    period: Period
    establishments: object = None
    academies: object = None
    degree: str = ""
    discipline: str = ""
    theme: str = ""
    modality: str = ""
    plan: str = ""
    # What statistical secrecy needs to decide whether these figures may be served at all
    # (secrecy.py): the reader's Scope and the territory filters chosen, as (name, value) pairs.
    scope: object = None
    territory: tuple = ()
    # The whole country's figures count people attached to no school (secrecy.py decides).
    schoolless: bool = True

    @classmethod
    def empty(cls, period):
        return cls(
            period=period,
            establishments=Establishment.objects.none().values("pk"),
            academies=Establishment.objects.none().values("pk"),
        )

    @property
    def previous(self):
        return self.period.previous()


def _between(field, period, *, moment):
    start, end = period.aware() if moment else (period.start, period.end)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _current_and_previous(field, criteria, *, moment=True):
    current = _between(field, criteria.period, moment=moment)
    previous = _between(field, criteria.previous, moment=moment)
    return current, previous


def _person_q(c, prefix):
    """The people counted: their school in the territory, their degree and discipline."""
    q = Q()
    if c.establishments is not None:
        q &= Q(**{f"{prefix}establishment__in": c.establishments})
    elif not c.schoolless:
        q &= Q(**{f"{prefix}establishment__isnull": False})
    if c.degree:
        # Their own degree, or their school's when they did not give one.
        q &= Q(**{f"{prefix}degree": c.degree}) | Q(
            **{f"{prefix}degree": "", f"{prefix}establishment__degree": c.degree}
        )
    if c.discipline:
        teaches = User.disciplines.through.objects.filter(
            user_id=OuterRef(f"{prefix}pk"), discipline__code=c.discipline
        )
        q &= Q(Exists(teaches))
    return q


def _activity_q(c, prefix):
    """The training counted: a session not cancelled, of the theme, modality and plan chosen."""
    q = ~Q(**{f"{prefix}status": SessionStatus.CANCELLED})
    if c.theme:
        q &= Q(**{f"{prefix}workshop__theme": c.theme})
    if c.plan:
        q &= Q(**{f"{prefix}workshop__training_plan": c.plan})
    if c.modality:
        q &= Q(**{f"{prefix}modality": c.modality})
    return q


def _held_in_q(c, prefix):
    """Sessions held in the territory: at a host school in it, or without one in its académies."""
    if c.establishments is None:
        return Q()
    return Q(**{f"{prefix}establishment__in": c.establishments}) | Q(
        **{f"{prefix}establishment__isnull": True, f"{prefix}workshop__academie__in": c.academies}
    )


def _workshop_public_q(c, prefix):
    q = Q()
    if c.degree:
        q &= Q(**{f"{prefix}workshop__degree__in": [c.degree, ""]})
    if c.discipline:
        for_discipline = WorkshopPage.disciplines.through.objects.filter(
            workshoppage_id=OuterRef(f"{prefix}workshop_id"), discipline__code=c.discipline
        )
        q &= Q(Exists(for_discipline))
    return q


def _monthly(queryset, field, current, previous, aggregates):
    """Rows {month, <name>_cur, <name>_prev…} over both periods, grouped by month in the
    database; the previous year's months are moved one year on to sit beside the current ones."""
    months = TruncMonth(field)
    named = {}
    for name, aggregate in aggregates.items():
        named[f"{name}_cur"] = aggregate(current)
        named[f"{name}_prev"] = aggregate(previous)
    rows = (
        queryset.filter(current | previous)
        .annotate(month=months)
        .values("month")
        .annotate(**named)
        .order_by("month")
    )
    return list(rows)


# --- 1. Training actions (PAF / PDF) ----------------------------------------------------------


def held_sessions(c):
    return Session.objects.filter(_held_in_q(c, ""), _activity_q(c, ""), _workshop_public_q(c, ""))


def training_actions(c):
    current, previous = _current_and_previous("start", c)
    sessions = held_sessions(c).filter(current | previous)
    plans = {"paf": "paf", "pdf": "pdf", "none": ""}
    aggregates = {}
    for key, plan in plans.items():
        in_plan = Q(workshop__training_plan=plan)
        for when, period_q in (("cur", current), ("prev", previous)):
            aggregates[f"sessions_{key}_{when}"] = Count("pk", filter=period_q & in_plan)
            aggregates[f"workshops_{key}_{when}"] = Count(
                "workshop", distinct=True, filter=period_q & in_plan
            )
    for when, period_q in (("cur", current), ("prev", previous)):
        aggregates[f"sessions_{when}"] = Count("pk", filter=period_q)
        aggregates[f"workshops_{when}"] = Count("workshop", distinct=True, filter=period_q)
    totals = sessions.aggregate(**aggregates)
    capacity = {
        row["modality"]: row
        for row in sessions.values("modality")
        .annotate(
            capacity_cur=Sum("capacity", filter=current),
            capacity_prev=Sum("capacity", filter=previous),
        )
        .order_by()
    }
    monthly = _monthly(
        held_sessions(c),
        "start",
        current,
        previous,
        {
            "sessions": lambda q: Count("pk", filter=q),
            "workshops": lambda q: Count("workshop", distinct=True, filter=q),
        },
    )
    return {"totals": totals, "capacity": capacity, "monthly": monthly}


# --- 5. Participation -------------------------------------------------------------------------


def participation(c, *, now=None):
    now = now or timezone.now()
    current, previous = _current_and_previous("session__start", c)
    enrolments = Enrollment.objects.filter(
        _held_in_q(c, "session__"), _activity_q(c, "session__"), _person_q(c, "user__")
    )
    confirmed = Q(status=EnrollmentStatus.CONFIRMED)
    attended = confirmed & Q(attendance__in=ATTENDED)
    absent = confirmed & Q(attendance=Attendance.ABSENT)
    # Unmet demand: still on the waiting list when the session started (never promoted).
    unmet = Q(status=EnrollmentStatus.WAITLISTED, session__start__lt=now)
    named = {}
    for when, period_q in (("cur", current), ("prev", previous)):
        named[f"enrolments_{when}"] = Count("pk", filter=period_q & confirmed)
        named[f"attendances_{when}"] = Count("pk", filter=period_q & attended)
        named[f"absences_{when}"] = Count("pk", filter=period_q & absent)
        named[f"unmet_{when}"] = Count("pk", filter=period_q & unmet)
        named[f"people_{when}"] = Count("user", distinct=True, filter=period_q & attended)
    by_modality = list(
        enrolments.filter(current | previous)
        .values("session__modality")
        .annotate(**named)
        .order_by("session__modality")
    )
    monthly = _monthly(
        enrolments,
        "session__start",
        current,
        previous,
        {"attendances": lambda q: Count("pk", filter=q & attended)},
    )
    return {"by_modality": by_modality, "monthly": monthly}


# --- 2. PIX and Pix+ Édu ----------------------------------------------------------------------


def pix(c):
    current, previous = _current_and_previous("taken_on", c, moment=False)
    certifications = PixCertification.objects.filter(_person_q(c, "user__")).exclude(
        status=PixStatus.REJECTED
    )
    named = {}
    for when, period_q in (("cur", current), ("prev", previous)):
        named[f"declared_{when}"] = Count("pk", filter=period_q & Q(status=PixStatus.DECLARED))
        named[f"verified_{when}"] = Count("pk", filter=period_q & Q(status=PixStatus.VERIFIED))
        named[f"people_{when}"] = Count("user", distinct=True, filter=period_q)
        named[f"mean_{when}"] = Avg("score", filter=period_q)
        named[f"median_{when}"] = Median("score", filter=period_q)
    # The distribution of levels per competence, current period: 16 × 9 counts in the same pass.
    for code in CRCN_CODES:
        column = level_field(code)
        for level in range(PIX_TOP_LEVEL + 1):
            named[f"{column}__{level}"] = Count("pk", filter=current & Q(**{column: level}))
    totals = certifications.filter(current | previous).aggregate(**named)
    levels = {
        code: [totals.pop(f"{level_field(code)}__{level}") for level in range(PIX_TOP_LEVEL + 1)]
        for code in CRCN_CODES
    }
    plus_current, plus_previous = (
        Q(certification__taken_on__gte=p.start, certification__taken_on__lt=p.end)
        for p in (c.period, c.previous)
    )
    plus_edu = list(
        PixPlusEduResult.objects.filter(_person_q(c, "certification__user__"))
        .exclude(certification__status=PixStatus.REJECTED)
        .filter(plus_current | plus_previous)
        .values("scope", "level")
        .annotate(cur=Count("pk", filter=plus_current), prev=Count("pk", filter=plus_previous))
        .order_by("scope", "level")
    )
    monthly = _monthly(
        certifications,
        "taken_on",
        current,
        previous,
        {"certifications": lambda q: Count("pk", filter=q)},
    )
    return {"totals": totals, "levels": levels, "plus_edu": plus_edu, "monthly": monthly}


# --- 3. Open Badges ---------------------------------------------------------------------------


def assertions(c):
    q = Q(revoked=False) & _person_q(c, "recipient__")
    if c.theme:
        q &= Q(badge_class__workshop__theme=c.theme)
    if c.plan:
        q &= Q(badge_class__workshop__training_plan=c.plan)
    return Assertion.objects.filter(q)


def badges(c):
    current, previous = _current_and_previous("issued_on", c)
    issued = assertions(c).filter(current | previous)
    trainer = Q(badge_class__kind=BadgeKind.TRAINER)
    named = {}
    for when, period_q in (("cur", current), ("prev", previous)):
        named[f"issued_{when}"] = Count("pk", filter=period_q)
        named[f"people_{when}"] = Count("recipient_email", distinct=True, filter=period_q)
        named[f"trainers_{when}"] = Count(
            "recipient_email", distinct=True, filter=period_q & trainer
        )
    totals = issued.aggregate(**named)
    by_class = list(
        issued.values("badge_class_id", "badge_class__name", "badge_class__issuer__name")
        .annotate(
            cur=Count("pk", filter=current),
            prev=Count("pk", filter=previous),
            people=Count("recipient_email", distinct=True, filter=current),
        )
        .order_by("-cur", "badge_class__name")
    )
    by_issuer = list(
        issued.values("badge_class__issuer_id", "badge_class__issuer__name")
        .annotate(
            cur=Count("pk", filter=current),
            prev=Count("pk", filter=previous),
            people=Count("recipient_email", distinct=True, filter=current),
        )
        .order_by("-cur", "badge_class__issuer__name")
    )
    monthly = _monthly(
        assertions(c), "issued_on", current, previous, {"issued": lambda q: Count("pk", filter=q)}
    )
    return {"totals": totals, "by_class": by_class, "by_issuer": by_issuer, "monthly": monthly}


# --- 4. Hours of training per teacher ---------------------------------------------------------
# From attended enrolments rather than completions: an enrolment marked present or partly present
# carries the hours actually followed (hours_attended, set by record_attendance and check-in) and
# the session's date, so any period and the monthly series add up exactly; a completion exists
# only once a whole workshop is validated and dates its hours by its last session.


def attended_enrolments(c):
    return Enrollment.objects.filter(
        _activity_q(c, "session__"),
        _person_q(c, "user__"),
        status=EnrollmentStatus.CONFIRMED,
        attendance__in=ATTENDED,
    )


def _per_teacher(c, current, previous):
    """Hours per teacher trained, for both periods in one SQL query: one row per person and
    period summed in the database (a subquery), reduced to the count, mean, median and
    brackets of each period by the outer query."""
    per_teacher = (
        attended_enrolments(c)
        .filter(current | previous)
        .annotate(cur=Case(When(current, then=Value(1)), default=Value(0)))
        .values("user", "cur")
        .annotate(h=Sum("hours_attended"))
        .order_by()
    )
    threshold = hours_threshold()
    bounds = [*HOUR_BRACKETS, None]
    named = {}
    for when, flag in (("cur", 1), ("prev", 0)):
        period_q = Q(cur=flag)
        named |= {
            f"teachers_{when}": Count("user", filter=period_q),
            f"total_{when}": Sum("h", filter=period_q),
            f"mean_{when}": Avg("h", filter=period_q),
            f"median_{when}": Median("h", filter=period_q),
            f"reached_{when}": Count("user", filter=period_q & Q(h__gte=threshold)),
        }
        for low, high in zip(bounds, bounds[1:], strict=False):
            bracket = Q(h__gte=low) if high is None else Q(h__gte=low, h__lt=high)
            named[f"bracket_{low}_{when}"] = Count("user", filter=period_q & bracket)
    both = per_teacher.aggregate(**named)
    return {
        when: {key.removesuffix(f"_{when}"): value for key, value in both.items()
               if key.endswith(f"_{when}")}
        for when in ("cur", "prev")
    }  # fmt: skip


def hours(c):
    current, previous = _current_and_previous("session__start", c)
    # The denominator of the share reaching N hours: the staff the platform knows in the
    # territory (people attached to one of its schools).
    teachers = User.objects.filter(_person_q(c, ""), establishment__isnull=False)
    monthly = _monthly(
        attended_enrolments(c),
        "session__start",
        current,
        previous,
        {
            "hours": lambda q: Sum("hours_attended", filter=q),
            "teachers": lambda q: Count("user", distinct=True, filter=q),
        },
    )
    return {
        **_per_teacher(c, current, previous),
        "registered": teachers.count(),
        "threshold": hours_threshold(),
        "monthly": monthly,
    }


def all_indicators(c, *, now=None):
    return {
        "training": training_actions(c),
        "pix": pix(c),
        "badges": badges(c),
        "hours": hours(c),
        "participation": participation(c, now=now),
    }
