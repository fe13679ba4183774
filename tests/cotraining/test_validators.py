import pytest
from django.core.exceptions import ValidationError

from cotraining.validators import normalize_uai, uai_check_letter, validate_uai


@pytest.mark.parametrize("uai", ["0750654D", "0752524L", "0920131T", "0750654d", " 0860034V "])
def test_known_uais_are_valid(uai):
    validate_uai(uai)  # raises on an invalid UAI
    normalized = normalize_uai(uai)
    assert normalized[7] == uai_check_letter(normalized[:7])


@pytest.mark.parametrize(
    ("uai", "code"),
    [
        ("0750654E", "uai_check_letter"),
        ("075065D", "uai_format"),
        ("A750654D", "uai_format"),
        ("", "uai_format"),
        ("07506541", "uai_format"),
    ],
)
def test_invalid_uais_are_rejected_with_a_reason(uai, code):
    with pytest.raises(ValidationError) as info:
        validate_uai(uai)
    assert info.value.code == code


def test_check_letter_skips_i_o_q():
    letters = {uai_check_letter(f"{n:07d}") for n in range(23)}
    assert letters.isdisjoint({"I", "O", "Q"})
    assert len(letters) == 23
