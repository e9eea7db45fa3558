"""One test (at least) per security finding of issue 18; each fails on the old behaviour."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from greensword.core.auth import login
from greensword.core.errors import NotAuthenticated, TooManyRequests
from greensword.core.models import AuthToken
from greensword.web import security
from tests.conftest import csrf_client, login_as

PW = "secret-pass-1"


def _raw_login(c: TestClient, username: str) -> None:
    """Sign in like a browser: GET the form (cookie + token), POST it back with the token."""
    page = c.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post("/login", data={"csrf_token": token, "username": username, "password": PW}, follow_redirects=False)
    assert r.status_code == 303, r.text


# --- CSRF ---------------------------------------------------------------------------------------


def test_state_change_without_token_is_refused_and_nothing_changes(app, world):
    with TestClient(app) as c:
        _raw_login(c, "admin-330000")
        before = c.get("/api/v1/auth/tokens").status_code
        assert before == 200
        # a form post carrying the cookies but no token (a forged cross-site request)
        r = c.post("/logout", follow_redirects=False)
        assert r.status_code == 403 and r.json()["code"] == "auth.csrf_token"
        assert c.get("/", follow_redirects=False).status_code == 200      # still signed in
        # a wrong token is refused too
        r = c.post("/logout", data={"csrf_token": "0" * 64}, follow_redirects=False)
        assert r.status_code == 403
        # the page's token works, as a form field and as a header
        token = c.get("/").text.split('name="csrf-token" content="')[1].split('"')[0]
        r = c.post("/audit/verify", headers={"X-CSRF-Token": token})
        assert r.status_code == 200 and "审计链" in r.text
        r = c.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303


def test_cross_origin_post_is_refused_even_with_a_token(app, world):
    """A page on another port of the same host is same-site: SameSite=Lax sends the cookies."""
    with TestClient(app) as c:
        _raw_login(c, "admin-330000")
        token = c.get("/").text.split('name="csrf-token" content="')[1].split('"')[0]
        for headers in ({"Origin": "http://testserver:9999"}, {"Sec-Fetch-Site": "same-site"},
                        {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
            r = c.post("/logout", data={"csrf_token": token}, headers=headers, follow_redirects=False)
            assert r.status_code == 403, headers
        r = c.post("/logout", data={"csrf_token": token}, follow_redirects=False,
                   headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
        assert r.status_code == 303


def test_login_csrf_is_refused(app, world):
    with TestClient(app) as c:
        r = c.post("/login", data={"username": "admin-330000", "password": PW}, follow_redirects=False,
                   headers={"Origin": "http://testserver:8081", "Sec-Fetch-Site": "same-site"})
        assert r.status_code == 403
        assert "gs_session" not in c.cookies
        # a browser form post from our own page without the token is refused too
        c.get("/login")
        r = c.post("/login", data={"username": "admin-330000", "password": PW}, follow_redirects=False)
        assert r.status_code == 403


def test_token_is_bound_to_the_session_so_cookie_tossing_does_not_help(app, world):
    """An attacker who plants their own gs_csrf cookie still cannot forge the victim's token."""
    with TestClient(app) as attacker:
        attacker.get("/login")
        planted = attacker.cookies.get(security.CSRF_COOKIE)
        attacker_token = security.csrf_token(planted, None)
    with TestClient(app) as victim:
        _raw_login(victim, "admin-330000")
        victim.cookies.set(security.CSRF_COOKIE, planted)
        r = victim.post("/logout", data={"csrf_token": attacker_token}, follow_redirects=False)
        assert r.status_code == 403


def test_multipart_token_read_from_the_first_part(app, world):
    with TestClient(app) as c:
        _raw_login(c, "admin-330000")
        token = c.get("/registry/import").text.split('name="csrf-token" content="')[1].split('"')[0]
        data = "统一社会信用代码,企业名称,所属区县代码,行业代码\n123,甲,330102,C2614\n".encode()
        files = {"file": ("e.csv", data, "text/csv")}
        r = c.post("/registry/import", data={"entity": "enterprises"}, files=files)
        assert r.status_code == 403
        r = c.post("/registry/import", data={"csrf_token": token, "entity": "enterprises"}, files=files)
        assert r.status_code == 422 and "长度应为18位" in r.text


def test_bearer_clients_are_not_subject_to_csrf(client, world):
    r = client.post("/api/v1/auth/token", json={"username": "admin-330000", "password": PW, "scope": "write"})
    assert r.status_code == 200
    with TestClient(client.app) as bare:
        r = bare.post("/audit/verify", headers={"Authorization": f"Bearer {r.json()['access_token']}",
                                                 "Accept": "application/json"})
        assert r.status_code == 200


# --- login throttling and user enumeration -------------------------------------------------------


def test_lockout_per_user_after_repeated_failures(db, world):
    for _ in range(5):
        try:
            login(db, "officer-330102", "wrong-password", address="10.0.0.1")
        except NotAuthenticated:
            pass
    try:
        login(db, "officer-330102", PW, address="10.0.0.2")
    except TooManyRequests as exc:
        assert exc.status == 429 and "分钟后再试" in exc.message
    else:
        raise AssertionError("the right password was accepted during a lockout")
    # another user from the same address is not locked (address limit is looser)
    secret, _ = login(db, "officer-330106", PW, address="10.0.0.1")
    assert secret


def test_lockout_per_address_across_user_names(db, world, monkeypatch):
    monkeypatch.setenv("GREENSWORD_LOGIN_ADDR_FAILURES", "4")
    from greensword.settings import get_settings

    get_settings.cache_clear()
    for i in range(4):
        try:
            login(db, f"nobody-{i}", "wrong-password", address="10.9.9.9")
        except NotAuthenticated:
            pass
    try:
        login(db, "officer-330102", PW, address="10.9.9.9")
    except TooManyRequests:
        pass
    else:
        raise AssertionError("an address spraying many user names was not throttled")
    assert login(db, "officer-330102", PW, address="10.9.9.10")[0]


def test_lockout_applies_to_unknown_names_too_and_is_shown_on_the_page(client, world):
    for _ in range(5):
        r = client.post("/login", data={"username": "no-such-user", "password": "x" * 10})
        assert r.status_code == 401
    r = client.post("/login", data={"username": "no-such-user", "password": "x" * 10})
    assert r.status_code == 429 and "分钟后再试" in r.text


def test_failures_survive_the_refused_request(client, world, db):
    """The API refusal rolls the request back; the failure count must still be stored."""
    from greensword.core.models import LoginThrottle

    r = client.post("/api/v1/auth/token", json={"username": "leader-330100", "password": "wrong-pass"})
    assert r.status_code == 401
    row = db.get(LoginThrottle, "user:leader-330100")
    assert row is not None and row.failures == 1


def test_unknown_user_costs_the_same_argon2_time(db, world, monkeypatch):
    """A wrong password for an existing user and any password for an unknown one each cost one
    argon2 verification with the same parameters — the same time, so a name cannot be told to
    exist from the answer's delay (benchmarks/probe.py measures the times themselves)."""
    from argon2 import extract_parameters

    from greensword.core import auth

    verified = []
    real = auth.verify_password

    def spy(password_hash, password):
        verified.append(extract_parameters(password_hash))
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", spy)

    def attempt(name):
        verified.clear()
        try:
            login(db, name, "wrong-password-x", address=None)
        except (NotAuthenticated, TooManyRequests):
            pass
        return list(verified)

    known, unknown = attempt("admin-330100"), attempt("nobody-else")
    assert len(known) == len(unknown) == 1, (known, unknown)
    assert unknown[0] == known[0] == extract_parameters(auth.hash_password("any-password-1")), (known, unknown)


# --- API tokens ----------------------------------------------------------------------------------


def test_api_token_is_not_accepted_as_the_session_cookie(app, world):
    with csrf_client(app) as c:
        tok = c.post("/api/v1/auth/token", json={"username": "leader-330100", "password": PW}).json()["access_token"]
        assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {tok}"}).status_code == 200
        c.cookies.set("gs_session", tok)
        r = c.get("/api/v1/me")
        assert r.status_code == 401


def test_session_cookie_is_not_accepted_as_a_bearer_token(app, world):
    with csrf_client(app) as c:
        login_as(c, "leader-330100")
        secret = c.cookies.get("gs_session")
    with TestClient(app) as bare:
        assert bare.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_api_tokens_expire_have_scope_and_can_be_revoked(client, world, db):
    r = client.post("/api/v1/auth/token", json={"username": "admin-330000", "password": PW, "days": 7})
    body = r.json()
    assert body["scope"] == "read"                             # least privilege by default
    tok = body["access_token"]
    h = {"Authorization": f"Bearer {tok}"}
    with TestClient(client.app) as bare:
        assert bare.get("/api/v1/me", headers=h).status_code == 200
        r = bare.post("/audit/verify", headers={**h, "Accept": "application/json"})
        assert r.status_code == 403 and r.json()["code"] == "auth.token_read_only"
        listed = bare.get("/api/v1/auth/tokens", headers=h).json()
        assert listed[0]["scope"] == "read" and "access_token" not in listed[0]
        row = db.execute(select(AuthToken).where(AuthToken.id == listed[0]["id"])).scalar_one()
        assert timedelta(days=6) < row.expires_at - row.created_at <= timedelta(days=7)
        # revoke with a write token; the read token stops working
        w = client.post("/api/v1/auth/token", json={"username": "admin-330000", "password": PW,
                                                    "scope": "write"}).json()["access_token"]
        r = bare.delete(f"/api/v1/auth/tokens/{listed[0]['id']}", headers={"Authorization": f"Bearer {w}"})
        assert r.status_code == 200 and r.json()["revoked"]
        assert bare.get("/api/v1/me", headers=h).status_code == 401
        # too long a lifetime is refused
        r = client.post("/api/v1/auth/token", json={"username": "admin-330000", "password": PW, "days": 3000})
        assert r.status_code == 422


def test_someone_elses_token_cannot_be_revoked(client, world):
    mine = client.post("/api/v1/auth/token", json={"username": "leader-330100", "password": PW,
                                                   "scope": "write"}).json()["access_token"]
    other = client.post("/api/v1/auth/token", json={"username": "officer-330102", "password": PW}).json()
    with TestClient(client.app) as bare:
        ids = bare.get("/api/v1/auth/tokens", headers={"Authorization": f"Bearer {other['access_token']}"}).json()
        r = bare.delete(f"/api/v1/auth/tokens/{ids[0]['id']}", headers={"Authorization": f"Bearer {mine}"})
        assert r.status_code == 404


# --- sessions ------------------------------------------------------------------------------------


def test_idle_session_times_out(client, world, db):
    login_as(client, "leader-330100")
    assert client.get("/", follow_redirects=False).status_code == 200
    row = db.execute(select(AuthToken).where(AuthToken.kind == "session")).scalars().all()[-1]
    row.last_used_at = row.last_used_at - timedelta(minutes=31)
    db.commit()
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_active_session_is_kept_alive(client, world, db):
    login_as(client, "leader-330100")
    row = db.execute(select(AuthToken).where(AuthToken.kind == "session")).scalars().all()[-1]
    row.last_used_at = row.last_used_at - timedelta(minutes=20)
    db.commit()
    assert client.get("/", follow_redirects=False).status_code == 200
    db.expire_all()
    row = db.get(AuthToken, row.id)
    from greensword.core.timeutil import now

    assert now() - row.last_used_at < timedelta(minutes=1)


# --- request size ----------------------------------------------------------------------------


def _asgi_put(app, headers: list[tuple[bytes, bytes]], chunks: int, chunk: int) -> tuple[int, int]:
    """Drive the ASGI app directly, counting how many body chunks it pulled: (status, pulled)."""
    import asyncio

    pulled = 0
    status = None

    async def receive():
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * chunk, "more_body": pulled < chunks}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "method": "PUT", "path": "/api/v1/inspection/uploads/" + "a" * 32,
             "raw_path": b"", "query_string": b"offset=0", "headers": [(b"host", b"testserver"), *headers],
             "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 1), "root_path": "",
             "http_version": "1.1", "asgi": {"version": "3.0"}}
    asyncio.run(app(scope, receive, send))
    return status, pulled


def test_declared_oversize_body_is_refused_before_reading(app, world):
    """Declared 400 MB: refused from the header alone, not one chunk read."""
    status, pulled = _asgi_put(app, [(b"content-length", str(400 << 20).encode()),
                                     (b"authorization", b"Bearer whatever")], 1600, 256 << 10)
    assert status == 413 and pulled == 0


def test_understated_body_is_cut_off_while_streaming(app, world, db):
    """Declared 1 MB, sent 400 MB: the stream is cut past the declared size, not buffered to the end;
    undeclared (chunked) bodies are cut past the limit."""
    secret, _ = login(db, "admin-330000", PW, kind="api", scope="write")
    db.commit()
    auth = (b"authorization", f"Bearer {secret}".encode())
    status, pulled = _asgi_put(app, [(b"content-length", str(1 << 20).encode()), auth], 1600, 256 << 10)
    assert status == 413 and pulled <= 5, (status, pulled)       # 1 MB / 256 KB = 4
    status, pulled = _asgi_put(app, [auth], 1600, 256 << 10)
    assert status == 413 and pulled <= 9, (status, pulled)       # 2 MB limit / 256 KB = 8


def test_negative_upload_offset_is_refused(client, world):
    login_as(client, "admin-330000")
    r = client.put("/api/v1/inspection/uploads/" + "a" * 32 + "?offset=-5", content=b"abc")
    assert r.status_code == 422


# --- headers ---------------------------------------------------------------------------------


def test_security_headers(client, world):
    login_as(client, "leader-330100")
    r = client.get("/")
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["cache-control"] == "no-store"
    assert client.get("/api/v1/me").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/console.css").headers.get("cache-control", "")
