"""Validators for identifiers the registry and every domain share.

Each returns the normalised value or raises ValidationFailed with a zh-CN reason.
"""

import re

from stdnum import exceptions as stdnum_exc
from stdnum.cn import uscc as _uscc

from .errors import ValidationFailed

_DIVISION = re.compile(r"^\d{6}$")
_MN = re.compile(r"^[0-9A-Za-z]{1,24}$")
_INDUSTRY = re.compile(r"^[A-T](\d{2,4})?$")


#: GB 32100-2015's character set (no I, O, S, V, Z) and the check character's weights
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_COMPACT = re.compile(r"[0-9]{8}[0-9A-HJ-NP-RTUWXY]{10}")


def uscc(value: str) -> str:
    """Unified social credit code, GB 32100-2015: 18 characters with the check character."""
    raw = (value or "").strip().upper()
    if _USCC_COMPACT.fullmatch(raw):     # the usual, already compact form: python-stdnum's check, minus its clean-up
        index = _USCC_ALPHABET.index
        if raw[-1] == _USCC_ALPHABET[(31 - sum(index(c) * w for c, w in zip(raw[:17], _USCC_WEIGHTS, strict=True))) % 31]:
            return raw
    try:
        return _uscc.validate(raw)
    except stdnum_exc.InvalidLength:
        raise ValidationFailed(f"统一社会信用代码“{value}”长度应为18位", code="uscc.length") from None
    except stdnum_exc.InvalidChecksum:
        raise ValidationFailed(f"统一社会信用代码“{value}”校验位错误", code="uscc.checksum") from None
    except stdnum_exc.ValidationError:
        raise ValidationFailed(f"统一社会信用代码“{value}”格式不正确", code="uscc.format") from None


def uscc_with_check(first17: str) -> str:
    """Complete 17 characters with the GB 32100-2015 check character (used by the demo)."""
    return first17 + _uscc.calc_check_digit(first17)


def division_code(value: str) -> str:
    """6-digit administrative division code (GB/T 2260)."""
    v = (value or "").strip()
    if not _DIVISION.match(v):
        raise ValidationFailed(f"行政区划代码“{value}”应为6位数字", code="division_code.format")
    return v


def mn(value: str) -> str:
    """HJ 212 device identifier. 2017 devices use 24 characters but real ones send 14 or fewer,
    so only the alphabet and the maximum length are enforced (../shared/domain/hj212.md §3)."""
    v = (value or "").strip()
    if not _MN.match(v):
        raise ValidationFailed(f"监测点编码MN“{value}”应为1至24位字母或数字", code="mn.format")
    return v


def industry_code(value: str) -> str:
    """GB/T 4754-2017 code: a section letter optionally followed by 2–4 digits (e.g. C2611)."""
    v = (value or "").strip().upper()
    if not _INDUSTRY.match(v):
        raise ValidationFailed(f"行业代码“{value}”不符合GB/T 4754格式（如C2611）", code="industry_code.format")
    return v
