"""The French school year: from 1 September to 31 August. The one place that says so."""

import datetime

from django.utils import timezone

FIRST_MONTH = 9  # September
FIRST_DAY = 1


def first_year(day):
    """The calendar year the school year of `day` (a date or an aware datetime) starts in."""
    if isinstance(day, datetime.datetime):
        day = timezone.localtime(day).date()
    return day.year if day.month >= FIRST_MONTH else day.year - 1


def first_day(year):
    """The first day of the school year starting in `year`."""
    return datetime.date(year, FIRST_MONTH, FIRST_DAY)


def bounds(year):
    """[first day, first day of the next year) of the school year starting in `year`."""
    return first_day(year), first_day(year + 1)


def label(day):
    """'2026-2027' for any day of that school year."""
    year = first_year(day)
    return f"{year}-{year + 1}"
