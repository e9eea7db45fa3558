import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greensword.core import validators
from greensword.core.errors import ValidationFailed

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z


@given(st.text(alphabet=string.digits, min_size=8, max_size=8), st.text(alphabet=ALPHABET, min_size=9, max_size=9))
def test_completed_codes_validate_and_any_single_change_fails(head, tail):
    code = validators.uscc_with_check(head + tail)
    assert validators.uscc(code.lower()) == code
    for i in range(18):
        for repl in ("0", "A"):
            if code[i] == repl or (i < 8 and not repl.isdigit()):
                continue
            mutated = code[:i] + repl + code[i + 1:]
            with pytest.raises(ValidationFailed):
                validators.uscc(mutated)


@pytest.mark.parametrize("value, code", [
    ("91330102MA27XXXX", "uscc.length"),
    ("91330102MA27XXXXXI", "uscc.format"),
    ("913301020000000011", "uscc.checksum"),
])
def test_uscc_errors_name_the_problem(value, code):
    with pytest.raises(ValidationFailed) as exc:
        validators.uscc(value)
    assert exc.value.code == code and value in exc.value.message


def test_known_real_format_code():
    # GB 32100-2015 example structure: 9 1 (enterprise) + 330102 + org code + check character.
    assert validators.uscc("91350100M000100Y43") == "91350100M000100Y43"


@pytest.mark.parametrize("value", ["010000A8900016F000169DC0", "88888880000001", "18AAH"])
def test_mn_accepts_real_device_ids(value):
    assert validators.mn(value) == value


@pytest.mark.parametrize("value", ["", "MN-001", "0" * 25, "汉字"])
def test_mn_rejects(value):
    with pytest.raises(ValidationFailed):
        validators.mn(value)


def test_division_and_industry_codes():
    assert validators.division_code("330102") == "330102"
    assert validators.industry_code("c2614") == "C2614"
    for bad in ("33010", "3301022", "abcdef"):
        with pytest.raises(ValidationFailed):
            validators.division_code(bad)
    with pytest.raises(ValidationFailed):
        validators.industry_code("2614")
