"""Request parameters checked once for every route, so no page answers 500 to a hand-edited URL:

- empty query values (a filter left at 全部) mean "no filter" and are dropped before validation;
- numeric ids (``*_id``/``id`` path or query values) beyond a 32-bit key cannot exist: 404;
- ``year`` outside 1949–2100 and negative ``page``/``limit``/``offset`` are refused with 422.
"""

from urllib.parse import parse_qsl, urlencode

from fastapi import Request

from ..core.errors import NotFound, ValidationFailed

MAX_ID = 2**31 - 1
YEAR_MIN, YEAR_MAX = 1949, 2100


class DropEmptyQuery:
    """ASGI: remove ``name=`` pairs from the query string before anything parses it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("query_string"):
            qs = scope["query_string"].decode("latin-1")
            pairs = parse_qsl(qs, keep_blank_values=True)
            if any(v.strip() == "" for _, v in pairs):
                kept = [(k, v) for k, v in pairs if v.strip() != ""]
                scope = {**scope, "query_string": urlencode(kept).encode("latin-1")}
        await self.app(scope, receive, send)


def check_params(request: Request) -> None:
    for name, value in (request.scope.get("path_params") or {}).items():
        v = str(value)
        # only keys: an MN, a credit code or a hash may be all digits and longer than any id
        if (name == "id" or name.endswith("_id")) and v.isdigit() and int(v) > MAX_ID:
            raise NotFound("记录不存在", code="request.id_out_of_range")
    for name, value in request.query_params.multi_items():
        v = value.strip()
        if name == "year" or name.endswith("_year"):
            try:
                y = int(v)
            except ValueError:
                raise ValidationFailed("年份须为整数", code="request.invalid",
                                       details=[{"column": name, "reason": "须为整数"}]) from None
            if not YEAR_MIN <= y <= YEAR_MAX:
                raise ValidationFailed(f"年份须在 {YEAR_MIN}–{YEAR_MAX} 之间", code="request.invalid",
                                       details=[{"column": name, "reason": "超出允许范围"}])
        elif name in ("id", "page", "limit", "offset", "per_page") or name.endswith("_id"):
            if v.lstrip("-").isdigit() and (int(v) < 0 or int(v) > MAX_ID):
                raise ValidationFailed("参数超出允许范围", code="request.invalid",
                                       details=[{"column": name, "reason": "超出允许范围"}])
