"""Request-level defences for the console and the API, as one ASGI middleware:

- body size limits enforced before the body is read: a declared ``Content-Length`` over the limit
  is refused at once (413), a chunked body as soon as the stream passes it, never buffered whole;
- CSRF (ASVS 4.2.2 / 50.4): every state-changing request that a browser could send with the
  console's cookies must (1) come from our own origin when the browser says where it comes from
  (``Origin``, ``Sec-Fetch-Site``: a page on another port of the same host is *same-site* but not
  *same-origin*, which SameSite cookies do not cover) and (2) carry a synchronizer token: an HMAC,
  under a server key, of the pre-session cookie and the session cookie, sent as the
  ``X-CSRF-Token`` header (htmx) or the ``csrf_token`` form field (the page's script puts it first
  in every POST form; the middleware reads only that first part of a multipart body). A token
  planted by cookie tossing is useless: it is bound to the victim's session secret, which is
  HttpOnly. Requests with an ``Authorization`` header, and cookie-less non-browser clients, carry
  no ambient authority and are exempt;
- security headers on every response (frame-ancestors/X-Frame-Options, nosniff, Referrer-Policy,
  CSP, Permissions-Policy) and ``Cache-Control: no-store`` on every dynamic response.
"""

import hashlib
import hmac
import json
import re
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException

from ..settings import get_settings
from ..webkit.flash import server_key

SESSION_COOKIE = "gs_session"
CSRF_COOKIE = "gs_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: How much of a multipart body is read to find the token (it is the form's first field).
MULTIPART_PREFIX = 64 * 1024
_FIELD_RE = re.compile(rb'name="csrf_token"\r\n(?:[^\r\n]+\r\n)*\r\n([A-Za-z0-9_\-]{1,128})\r\n')

CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
# The OpenAPI explorer loads its assets from a CDN; it gets the framing rules only.
CSP_DOCS = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

def csrf_token(csrf_cookie: str, session_cookie: str | None) -> str:
    msg = f"{csrf_cookie}|{session_cookie or ''}".encode()
    return hmac.new(server_key(), msg, hashlib.sha256).hexdigest()


def _cookies(scope) -> dict[str, str]:
    raw = "; ".join(v.decode("latin-1") for k, v in scope["headers"] if k == b"cookie")
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed cookie header is treated as no cookies
        return {}
    return {k: m.value for k, m in jar.items()}


def _header(scope, name: bytes) -> str | None:
    for k, v in scope["headers"]:
        if k == name:
            return v.decode("latin-1")
    return None


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"请求内容过大（上限 {limit // 1024 // 1024 or 1} MB）")


def _own_origin(scope) -> str:
    host = _header(scope, b"host") or ""
    return f"{scope.get('scheme', 'http')}://{host}"


def _json_error(status: int, code: str, message: str) -> bytes:
    return json.dumps({"type": f"urn:greensword:error:{code}", "title": message, "status": status,
                       "code": code, "detail": message}, ensure_ascii=False).encode()


def _html_error(status: int, message: str) -> bytes:
    from html import escape

    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>无法完成操作 · 绿剑</title>'
            f'<link rel="stylesheet" href="/static/console.css"></head><body><main class="content">'
            f'<section class="card"><h1>无法完成操作</h1><p class="error" role="alert">{escape(message)}</p>'
            f'<p class="muted">HTTP {status}</p><p><a href="/">返回首页</a></p></section></main></body></html>'
            ).encode()


class SecurityMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        settings = get_settings()
        path = scope.get("path", "")
        static = path.startswith(("/static/", "/vendor/")) or path == "/favicon.ico"
        cookies = _cookies(scope)
        state = scope.setdefault("state", {})
        new_cookie = None
        csrf_cookie = cookies.get(CSRF_COOKIE)
        if not csrf_cookie or not re.fullmatch(r"[A-Za-z0-9_\-]{20,64}", csrf_cookie):
            csrf_cookie = new_cookie = secrets.token_urlsafe(24)
        expected = csrf_token(csrf_cookie, cookies.get(SESSION_COOKIE))
        state["csrf_token"] = expected

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for k, v in HEADERS:
                    if k not in present:
                        headers.append((k, v))
                if b"content-security-policy" not in present:
                    docs = path.startswith("/api/v1/docs")
                    headers.append((b"content-security-policy", (CSP_DOCS if docs else CSP).encode()))
                since = state.get("figures_stale_since")
                if since is not None:        # some figures predate the latest write (core.cache)
                    headers.append((b"x-figures-stale-since", since.isoformat(timespec="seconds").encode()))
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if new_cookie and not static:
                    secure = "; Secure" if settings.cookie_secure else ""
                    headers.append((b"set-cookie", f"{CSRF_COOKIE}={new_cookie}; Path=/; HttpOnly; "
                                                   f"SameSite=Strict{secure}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        async def refuse(status: int, code: str, msg: str):
            accept = _header(scope, b"accept") or ""
            if path.startswith("/api/") or _header(scope, b"hx-request") or "text/html" not in accept:
                ctype_out, body = b"application/problem+json", _json_error(status, code, msg)
            else:
                ctype_out, body = b"text/html; charset=utf-8", _html_error(status, msg)
            await send_with_headers({"type": "http.response.start", "status": status,
                                     "headers": [(b"content-type", ctype_out)]})
            await send({"type": "http.response.body", "body": body})

        # --- body size, before anything reads the body --------------------------------------
        ctype = (_header(scope, b"content-type") or "").lower()
        limit = settings.max_upload_bytes if ctype.startswith("multipart/") else settings.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                n = int(declared)
            except ValueError:
                return await refuse(400, "request.bad_length", "Content-Length 不正确")
            if n > limit:
                return await refuse(413, "request.too_large", f"请求内容过大（上限 {max(1, limit >> 20)} MB）")
            limit = n          # more than declared is refused too
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        app_receive = limited_receive

        # --- CSRF ----------------------------------------------------------------------------
        if scope["method"] in UNSAFE and not _header(scope, b"authorization"):
            origin = _header(scope, b"origin")
            site = _header(scope, b"sec-fetch-site")
            browser = origin is not None or site is not None or bool(cookies)
            if origin is not None and origin != "null" and origin != _own_origin(scope):
                return await refuse(403, "auth.csrf_origin", "请求来源不是本站，已拒绝（跨站请求）")
            if origin == "null" or (site is not None and site not in ("same-origin", "none")):
                return await refuse(403, "auth.csrf_origin", "请求来源不是本站，已拒绝（跨站请求）")
            if browser:
                token = _header(scope, CSRF_HEADER.encode())
                buffered: list[dict] = []
                if token is None and (ctype.startswith("application/x-www-form-urlencoded")
                                      or ctype.startswith("multipart/form-data")):
                    multipart = ctype.startswith("multipart/")
                    data = b""
                    more = True
                    while more and (not multipart or len(data) < MULTIPART_PREFIX):
                        message = await receive()
                        if message["type"] != "http.request":
                            buffered.append(message)
                            break
                        buffered.append(message)
                        data += message.get("body", b"")
                        received = len(data)
                        if received > limit:
                            return await refuse(413, "request.too_large",
                                                f"请求内容过大（上限 {max(1, limit >> 20)} MB）")
                        more = message.get("more_body", False)
                    if multipart:
                        m = _FIELD_RE.search(data)
                        token = m.group(1).decode() if m else None
                    else:
                        token = (parse_qs(data.decode("latin-1")).get(CSRF_FIELD) or [None])[0]
                if not token or not hmac.compare_digest(token, expected):
                    return await refuse(403, "auth.csrf_token", "页面已过期或请求缺少安全令牌，请刷新页面后重试")
                if buffered:
                    pending = list(buffered)

                    async def replay():
                        if pending:
                            return pending.pop(0)
                        return await limited_receive()

                    app_receive = replay

        await self.app(scope, app_receive, send_with_headers)
