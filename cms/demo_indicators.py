"""Demo data for the indicator dashboards (/indicateurs/, account « indicateurs »).

Called by seed_demo after the rest of the demo: held sessions of the demo workshops this school
year and the previous one, at the demo schools, with the demo colleagues' attendance; and PIX
certifications (some with Pix+ Édu) for those colleagues. Idempotent: sessions are found by
workshop and start, enrolments are unique per person and session, certifications by their
verification code. Figures are drawn from a fixed seed so the demo reads the same every time.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from badges.constants import CRCN_CODES, PIX_CODE_ALPHABET, PixPlusEduScope, PixStatus, level_field
from badges.models import PixCertification, PixPlusEduResult
from cms.demo_calendar import training_day
from cotraining import school_year
from cotraining.constants import Attendance, EnrollmentStatus, Modality, SessionStatus
from cotraining.models import Enrollment, Session, User, WorkshopPage

# (months after 1 September, day, hours) of the held sessions, each school year.
SESSION_DATES = [(1, 8, 3), (2, 12, 3), (3, 10, 2), (4, 14, 6), (5, 11, 3), (6, 18, 3)]
PIX_PEOPLE = 60


def _months_after(start, months, day):
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, day)


def seed_indicator_demo(*, academie, domain):
    rng = random.Random(2026)  # noqa: S311 — made-up demo data
    colleagues = list(
        User.objects.filter(email__startswith="collegue", email__endswith=f"@{domain}")
        .select_related("establishment")
        .order_by("email")
    )
    if not colleagues:
        return
    workshops = list(WorkshopPage.objects.filter(academie=academie, live=True).order_by("pk")[:6])
    today = timezone.localdate()
    first = school_year.first_year(today)
    tz = timezone.get_current_timezone()
    for year, share in ((first - 1, 0.55), (first, 0.75)):
        start_of_year = school_year.first_day(year)
        for number, (months, day, hours) in enumerate(SESSION_DATES):
            held = training_day(_months_after(start_of_year, months, day), step=-1)
            if held >= today:
                continue
            workshop = workshops[number % len(workshops)]
            host = colleagues[number * 7 % len(colleagues)].establishment
            start = datetime.combine(held, time(14), tzinfo=tz)
            session, _ = Session.objects.get_or_create(
                workshop=workshop,
                start=start,
                defaults={
                    "end": start + timedelta(hours=hours),
                    "modality": Modality.IN_PERSON,
                    "establishment": host,
                    "capacity": 24,
                    "status": SessionStatus.SCHEDULED,
                },
            )
            people = rng.sample(colleagues, round(24 * share * rng.uniform(0.8, 1.2)))
            rows = []
            for person in people:
                absent = rng.random() < 0.12
                rows.append(
                    Enrollment(
                        session=session,
                        user=person,
                        status=EnrollmentStatus.CONFIRMED,
                        confirmed_at=start - timedelta(days=10),
                        attendance=Attendance.ABSENT if absent else Attendance.PRESENT,
                        hours_attended=None if absent else Decimal(hours),
                        attendance_recorded_at=start + timedelta(hours=hours),
                    )
                )
            Enrollment.objects.bulk_create(rows, ignore_conflicts=True)
    _pix(rng, colleagues[:PIX_PEOPLE], first, today)


def _code(number):
    letters = PIX_CODE_ALPHABET
    digits = [letters[(number * 7 + 3) // len(letters) ** k % len(letters)] for k in range(7)]
    return "P-D" + "".join(digits)


def _pix(rng, people, first, today):
    for number, person in enumerate(people):
        year = first if number % 3 else first - 1
        taken_on = school_year.first_day(year) + timedelta(days=rng.randrange(0, 300))
        if taken_on >= today:
            taken_on = today - timedelta(days=rng.randrange(1, 30))
        levels = {level_field(code): rng.choice([1, 2, 2, 3, 3, 3, 4, 5]) for code in CRCN_CODES}
        status = PixStatus.DECLARED if number % 5 == 0 else PixStatus.VERIFIED
        certification, created = PixCertification.objects.get_or_create(
            verification_code=_code(number),
            defaults={
                "user": person,
                "taken_on": taken_on,
                "score": 8 * sum(levels.values()) + rng.randrange(0, 8),
                "max_level": 6,
                "status": status,
                **levels,
            },
        )
        if created and number % 6 == 0:
            automated = rng.choice([1, 2, 2, 3])
            jury = None if number % 12 == 0 else rng.choice([1, 2, 3])
            PixPlusEduResult.objects.create(
                certification=certification,
                scope=PixPlusEduScope.SECOND
                if (person.establishment and person.establishment.degree == "2")
                else PixPlusEduScope.FIRST,
                automated_level=automated,
                jury_level=jury,
                level=PixPlusEduResult.final_level(automated, jury),
            )
