"""Black-box probe of a running console: repeats the findings of the console-hardening review
(broken pages, raw errors, CSRF, throttling, body limits, tokens, headers, access to internal data)
over HTTP and prints one line per finding with what the server now does.

    greensword serve &                      # on a demo province (password greensword-demo)
    python benchmarks/probe.py --base http://127.0.0.1:8000

It writes only what an attacker's probe would: failed logins (the demo's ``officer`` account and,
past 30 failures, this address are then locked for 15 minutes, so run it once per quarter hour or
on a fresh copy), one API token (revoked), three study answers of one enterprise, refused uploads. Exit status 1 if any check fails. Loopback only."""

import argparse
import re
import socket
import statistics
import sys
import time
from urllib.parse import urlsplit

import httpx

PASSWORD = "greensword-demo"
results: list[tuple[str, bool, str]] = []


def check(finding: str, ok: bool, now: str) -> None:
    results.append((finding, bool(ok), now))


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    return m.group(1) if m else ""


def session(base: str, username: str, password: str = PASSWORD) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"csrf_token": token, "username": username, "password": password})
    if r.status_code != 303:
        raise SystemExit(f"sign-in as {username} failed: HTTP {r.status_code}")
    return c


def is_html_page(r: httpx.Response) -> bool:
    return r.headers.get("content-type", "").startswith("text/html") and "<html" in r.text[:400].lower()


def last_enterprise_codes(leader: httpx.Client, n: int) -> list[str]:
    """The directory's last enterprises (the old login worked only for the first ≈3,700)."""
    r = leader.get("/api/v1/registry/enterprises", params={"size": 1})
    total = r.json()["total"]
    r = leader.get("/api/v1/registry/enterprises", params={"size": n, "page": max(1, total // n)})
    return [e["uscc"] for e in r.json()["items"]][:n]


def probe(base: str) -> None:
    leader = session(base, "leader")
    # the API token first: the throttling checks below lock this address out of sign-ins for 15 minutes
    tok = httpx.post(f"{base}/api/v1/auth/token", json={"username": "admin", "password": PASSWORD,
                                                        "scope": "write", "days": 1})
    if tok.status_code != 200:
        raise SystemExit(f"API token: HTTP {tok.status_code} {tok.text[:200]} (sign-ins from this address are "
                         "locked for 15 minutes after a probe: wait, or probe a fresh copy)")
    secret = tok.json()["access_token"]
    officer_county = "officer-330102"
    county = session(base, officer_county)

    # --- broken pages for enterprises / login for every enterprise ---------------------------
    codes = last_enterprise_codes(leader, 3)
    ent = session(base, f"ent-{codes[-1]}")
    check("企业账号：目录末尾企业 ent-<USCC> 能登录", True, f"ent-{codes[-1]} 登录 303 → 门户")
    statuses = {p: ent.get(p).status_code for p in ("/cases", "/offsite/leads", "/inspection/plans",
                                                    "/inspection/tasks", "/review", "/inspection/stats")}
    check("企业用户访问机构页面返回 500", all(s == 403 for s in statuses.values()),
          "、".join(f"{p} {s}" for p, s in statuses.items()))
    r = ent.get("/portal")
    check("企业门户首页可用", r.status_code == 200, f"/portal {r.status_code}")

    # --- study points farmed by re-posting the same answers --------------------------------------
    quiz = ent.get("/portal/study").text
    balance = lambda html: int(re.search(r'id="balance">(-?\d+)<', html).group(1))  # noqa: E731
    before = balance(quiz)
    answers = {f"q-{q}": "A" for q in re.findall(r'<fieldset id="q-([^"]+)"', quiz)[:3]}
    for letter in "ABCD":                       # whatever is right, each question is tried with every option
        answers = {k: letter for k in answers}
        for _ in range(5):
            r = ent.post("/portal/study", data={"csrf_token": csrf_of(quiz), "round": "0", **answers})
    after = balance(ent.get("/portal/study").text)
    check("同一答卷重复提交刷学法积分", after - before <= 3 * 3,
          f"3 题各以 4 种答案共提交 20 次：积分 {before} → {after}（每题至多计一次）")

    # --- raw 422 / bare 500 / raw JSON 404 -----------------------------------------------------
    r1 = leader.get("/offsite/leads", params={"status": "", "detector": ""})
    r2 = leader.get("/registry/enterprises", params={"q": "", "page": 2})
    r3 = leader.get("/registry/officers", params={"q": "", "page": 2})
    check("筛选“全部”/查询/下一页返回原始 422 JSON", all(r.status_code == 200 for r in (r1, r2, r3)),
          f"leads {r1.status_code}, enterprises p2 {r2.status_code}, officers p2 {r3.status_code}")
    bad = {"/evaluation?year=99999999999": leader.get("/evaluation", params={"year": "99999999999"}),
           "/inspection/stats?year=-1": leader.get("/inspection/stats", params={"year": "-1"}),
           "/cases/99999999999999999999": leader.get("/cases/99999999999999999999"),
           "/no/such/page": leader.get("/no/such/page")}
    check("越界参数与未知地址返回裸 500 / 原始 JSON",
          all(400 <= r.status_code < 500 and is_html_page(r) for r in bad.values()),
          "、".join(f"{p} {r.status_code} {'HTML' if is_html_page(r) else r.headers.get('content-type')}"
                   for p, r in bad.items()))
    api404 = leader.get("/api/v1/cases/99999999999999999999")
    check("API 错误为 problem JSON", api404.headers.get("content-type", "").startswith("application/problem+json")
          or "code" in api404.text, f"/api/v1/cases/<huge> {api404.status_code} {api404.headers.get('content-type')}")
    fav = leader.get("/favicon.ico")
    check("favicon 404", fav.status_code == 200, f"/favicon.ico {fav.status_code}")

    # --- CSRF ----------------------------------------------------------------------------------
    page = county.get("/inspection/tasks")
    token = csrf_of(page.text)
    r = county.post("/logout", data={"csrf_token": token}, headers={"Origin": "http://127.0.0.1:1"})
    check("跨端口同站页面借官员浏览器提交（CSRF）", r.status_code == 403,
          f"Origin 另一端口的 POST → {r.status_code}")
    r = county.post("/logout", data={})
    check("缺少 CSRF 令牌的提交", r.status_code == 403, f"无令牌 POST → {r.status_code}")
    # a browser always sends Origin with a form POST; a client with no Origin, no Sec-Fetch-Site and no
    # cookies is a script (curl), which a forged page cannot make a victim's browser be
    anon = httpx.Client(base_url=base, timeout=30)
    r1 = anon.post("/login", data={"username": "leader", "password": PASSWORD},
                   headers={"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"})
    r2 = anon.post("/login", data={"username": "leader", "password": PASSWORD}, headers={"Origin": base})
    check("登录 CSRF", r1.status_code == 403 and r2.status_code == 403,
          f"另一端口页面代提交登录 → {r1.status_code}；本站来源但无令牌 → {r2.status_code}")

    # --- throttling and timing -------------------------------------------------------------------
    def attempt(user: str, pw: str) -> tuple[int, float]:
        c = httpx.Client(base_url=base, timeout=30)
        tok = csrf_of(c.get("/login").text)
        t = time.perf_counter()
        r = c.post("/login", data={"csrf_token": tok, "username": user, "password": pw})
        return r.status_code, (time.perf_counter() - t) * 1000

    known, unknown = [], []
    for i, who in enumerate(("leader-330100", "reviewer-330100", "evaluator-330100", "officer-330100") * 2):
        known.append(attempt(who, f"wrong-{i}")[1])      # two failures each: below the lockout
        unknown.append(attempt(f"nobody-{i}-{int(time.time())}", "wrong")[1])
    check("错误密码耗时泄露用户是否存在", abs(statistics.median(known) - statistics.median(unknown)) < 60,
          f"已有用户 {statistics.median(known):.0f} ms，未知用户 {statistics.median(unknown):.0f} ms（中位数，各 8 次交替）")
    victim = "officer"
    codes_seen = [attempt(victim, f"guess-{i}")[0] for i in range(7)]
    check("无登录限流", codes_seen[-1] == 429, f"连续 7 次错误密码：{codes_seen}")

    # --- body limits and upload offsets -----------------------------------------------------------
    u = urlsplit(base)

    def oversized(declared: int) -> tuple[float, str]:
        """PUT 400 MB of evidence declaring ``declared`` bytes; how much went out before the answer."""
        with socket.create_connection((u.hostname, u.port or 80), timeout=30) as s:
            s.sendall((f"PUT /api/v1/inspection/uploads/{'a' * 32}?offset=0 HTTP/1.1\r\nHost: {u.netloc}\r\n"
                       f"Authorization: Bearer {secret}\r\nContent-Length: {declared}\r\n\r\n").encode())
            sent, t, chunk = 0, time.perf_counter(), b"x" * (64 << 10)
            s.setblocking(False)
            head = b""
            while sent < 400 << 20 and time.perf_counter() - t < 20 and not head:
                try:
                    head = s.recv(200)
                except BlockingIOError:
                    pass
                try:
                    sent += s.send(chunk)
                except BlockingIOError:
                    time.sleep(0.01)
                except OSError:
                    break
            s.setblocking(True)
            s.settimeout(10)
            try:
                head = head or s.recv(200)
            except OSError as exc:
                head = f"connection closed ({type(exc).__name__})".encode()
        return sent / 2**20, head.decode("latin-1").split("\r\n")[0]

    big_mb, big_head = oversized(400 << 20)
    small_mb, small_head = oversized(1 << 20)
    check("声明 1 MB 实发 400 MB 全部读入内存", "413" in big_head and small_mb < 400,
          f"声明 400 MB：发出 {big_mb:.1f} MB 时答复 {big_head}；声明 1 MB：只读声明的 1 MB，"
          f"发出 {small_mb:.1f} MB 时答复 {small_head}（其余字节不作为请求体读取）")
    r = httpx.put(f"{base}/api/v1/inspection/uploads/{'a' * 32}", params={"offset": -5}, content=b"abc",
                  headers={"Authorization": f"Bearer {secret}"})
    check("负的上传偏移量", r.status_code == 422, f"offset=-5 → {r.status_code}")

    # --- tokens --------------------------------------------------------------------------------------
    body = tok.json() if tok.status_code == 200 else {}
    check("API 令牌无期限、无范围", bool(body.get("expires_at")) and body.get("scope") == "write",
          f"令牌 scope={body.get('scope')}，到期 {body.get('expires_at')}")
    as_cookie = httpx.get(f"{base}/cases", cookies={"gs_session": secret})
    check("API 令牌可当会话 Cookie 用", as_cookie.status_code in (303, 401, 403),
          f"令牌作 Cookie 访问 /cases → {as_cookie.status_code}")
    mine = httpx.get(f"{base}/api/v1/auth/tokens", headers={"Authorization": f"Bearer {secret}"}).json()
    newest = max(mine, key=lambda t: t["id"])["id"]
    d = httpx.delete(f"{base}/api/v1/auth/tokens/{newest}", headers={"Authorization": f"Bearer {secret}"})
    after = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    check("API 令牌不能吊销", d.status_code == 200 and after.status_code == 401,
          f"吊销 {d.status_code}，之后 /api/v1/me → {after.status_code}")

    # --- internal data ---------------------------------------------------------------------------------
    seen = {p: ent.get(p).status_code for p in ("/review/rounds/1", "/evaluation", "/api/v1/evaluation/ranking")}
    check("企业用户可读评查打分、评估与排名", all(s in (403, 404) for s in seen.values()),
          "、".join(f"{p} {s}" for p, s in seen.items()))
    rk = county.get("/api/v1/evaluation/ranking")
    rows = rk.json() if rk.status_code == 200 else []
    rows = rows if isinstance(rows, list) else rows.get("items", [])
    whole = leader.get("/api/v1/evaluation/ranking").json()
    n_whole = whole["total"] if isinstance(whole, dict) else len(whole)   # paged since issue 18
    check("县级官员从排名 API 取得全部单位明细", rk.status_code in (403, 404) or len(rows) <= 1,
          f"/api/v1/evaluation/ranking → {rk.status_code}，县级官员可见 {len(rows)} 个单位"
          f"（{'、'.join(r['name'] for r in rows[:2])}），省厅领导可见 {n_whole} 个")

    # --- headers, alert injection, search ---------------------------------------------------------------
    h = leader.get("/").headers
    check("缺少 X-Frame-Options/CSP/no-store",
          h.get("x-frame-options") == "DENY" and "frame-ancestors" in h.get("content-security-policy", "")
          and h.get("cache-control") == "no-store",
          f"X-Frame-Options {h.get('x-frame-options')}；Cache-Control {h.get('cache-control')}")
    r = leader.get("/", params={"error": "请立即转账到 6222 0000"})
    check("?error= 向提示框注入文字", "6222" not in r.text, "未签名的提示文字" + ("被显示" if "6222" in r.text else "不显示"))
    everything = leader.get("/api/v1/registry/enterprises", params={"size": 1}).json()["total"]
    pct = leader.get("/api/v1/registry/enterprises", params={"q": "%", "size": 1}).json()["total"]
    check("搜索“%”匹配全部", pct < everything, f"q=% 命中 {pct} / 共 {everything}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    args = ap.parse_args()
    if urlsplit(args.base).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback only")
    probe(args.base)
    width = max(len(f) for f, _, _ in results)
    for finding, ok, now in results:
        print(f"{'通过' if ok else '失败'}  {finding:<{width}}  {now}")
    failed = sum(not ok for _, ok, _ in results)
    print(f"{len(results) - failed}/{len(results)} 通过")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
