"""Days the demo may put a training session on: never a weekend nor a French public holiday.

Only the demo needs this, so eleven fixed rules and Easter are computed here rather than
adding a calendar dependency. Metropolitan France (Alsace-Moselle's two extra days aside).
"""

from datetime import date, timedelta


def easter_sunday(year):
    """Gregorian Easter (the anonymous algorithm, valid for every Gregorian year)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * leap) // 433
    month = (h + leap - 7 * m + 90) // 25
    day = (h + leap - 7 * m + 33 * month + 19) % 32
    return date(year, month, day)


def french_public_holidays(year):
    """The eleven jours fériés of metropolitan France (Code du travail, art. L3133-1)."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1),  # Jour de l'an
        easter + timedelta(days=1),  # Lundi de Pâques
        date(year, 5, 1),  # Fête du travail
        date(year, 5, 8),  # Victoire 1945
        easter + timedelta(days=39),  # Ascension
        easter + timedelta(days=50),  # Lundi de Pentecôte
        date(year, 7, 14),  # Fête nationale
        date(year, 8, 15),  # Assomption
        date(year, 11, 1),  # Toussaint
        date(year, 11, 11),  # Armistice 1918
        date(year, 12, 25),  # Noël
    }


def is_training_day(day):
    return day.weekday() < 5 and day not in french_public_holidays(day.year)


def training_day(day, *, step=1):
    """`day`, or the nearest training day after it (step=1) or before it (step=-1): a session
    planned "in 10 days" that falls on Christmas Day moves to the 26th, a past one back."""
    while not is_training_day(day):
        day += timedelta(days=step)
    return day
