"""Numbers as people write them in zh-CN text: the one formatter the console filters (webkit
``num``) and stored explanations (off-site detectors) share."""

import math


def fmt_num(value, digits: int = 2) -> str:
    """A number as people write it: thousands separators, at most ``digits`` decimals (trailing
    zeros dropped), never an exponent (915600.0 → 915,600; 0.000123 → 0.000123)."""
    if value is None or value == "":
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v:                                  # NaN
        return "—"
    if v != 0 and abs(v) < 10 ** -digits:       # tiny values keep three significant digits
        return f"{v:.{2 - math.floor(math.log10(abs(v)))}f}".rstrip("0")
    text = f"{v:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
