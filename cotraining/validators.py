import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The check letter alphabet has no I, O or Q (DOMAIN.md; verified on 0750654D, 0752524L, 0920131T).
UAI_CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
UAI_RE = re.compile(r"^(\d{7})([A-Z])$")
SCHOOL_YEAR_RE = re.compile(r"^(\d{4})-(\d{4})$")


def uai_check_letter(first7: str) -> str:
    return UAI_CHECK_LETTERS[int(first7) % 23]


def normalize_uai(value: str) -> str:
    return (value or "").strip().upper()


def validate_uai(value: str) -> None:
    """Reject anything that is not 7 digits and the right check letter."""
    uai = normalize_uai(value)
    match = UAI_RE.match(uai)
    if not match:
        raise ValidationError(
            _("« %(value)s » n'est pas un code UAI : 7 chiffres suivis d'une lettre attendus."),
            code="uai_format",
            params={"value": value},
        )
    expected = uai_check_letter(match.group(1))
    if match.group(2) != expected:
        raise ValidationError(
            _("Code UAI « %(value)s » invalide : la lettre de contrôle devrait être %(letter)s."),
            code="uai_check_letter",
            params={"value": value, "letter": expected},
        )


def validate_school_year(value):
    """A school year written as training plans write it: 2026-2027 (two consecutive years)."""
    match = SCHOOL_YEAR_RE.match(value or "")
    if not match or int(match[2]) != int(match[1]) + 1:
        raise ValidationError(
            _("Indiquez l'année scolaire sous la forme 2026-2027."), code="school_year"
        )
