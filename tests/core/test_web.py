from tests.conftest import login_as


def test_login_required_redirects_pages_and_401s_api(client, world):
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "auth.login_required"


def test_bad_password_is_refused_in_chinese(client, world):
    r = client.post("/login", data={"username": "admin-330000", "password": "wrong-password"})
    assert r.status_code == 401 and "用户名或密码错误" in r.text


def test_console_pages_render_for_an_admin(client, world):
    login_as(client, "admin-330000")
    for path in ("/", "/registry/enterprises", "/registry/officers", "/registry/points", "/registry/agencies",
                 "/registry/import", f"/registry/enterprises/{world.enterprises['330102-key'].id}",
                 f"/registry/points/{world.points['330102-gas'].id}", "/audit", "/registry/enterprises/new"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert 'lang="zh-CN"' in r.text
    assert "测试330102化工有限公司" in client.get("/registry/enterprises").text


def test_api_token_and_openapi(client, world):
    r = client.post("/api/v1/auth/token", json={"username": "leader-330100", "password": "secret-pass-1"})
    token = r.json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "leader-330100" and me["roles"] == ["leader"]
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/registry/enterprises" in spec["paths"]


def test_validation_error_is_problem_json_and_nothing_changes(client, world):
    login_as(client, "admin-330000")
    e = world.enterprises["330102-key"]
    body = {"uscc": "91330102MA27XXXXX1", "name": "x", "agency_code": "330102", "industry_code": "C2614"}
    r = client.put(f"/api/v1/registry/enterprises/{e.id}", json=body)
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "registry.invalid" and problem["errors"][0]["column"] == "uscc"
    assert client.get(f"/api/v1/registry/enterprises/{e.id}").json()["uscc"] == e.uscc


def test_import_page_shows_every_bad_row(client, world):
    login_as(client, "admin-330000")
    data = "统一社会信用代码,企业名称,所属区县代码,行业代码\n123,甲,330102,C2614\n".encode()
    r = client.post("/registry/import", data={"entity": "enterprises"}, files={"file": ("e.csv", data, "text/csv")})
    assert r.status_code == 422 and "长度应为18位" in r.text and "<td>2</td>" in r.text


def test_audit_verify_page(client, world):
    login_as(client, "admin-330000")
    r = client.post("/audit/verify")
    assert "审计链完整" in r.text


def test_audit_log_is_for_provincial_admins_only(client, world):
    login_as(client, "admin-330102")
    assert client.get("/audit").status_code == 403
    assert client.get("/api/v1/audit/verify").status_code == 403
    login_as(client, "leader-330000")
    assert client.get("/api/v1/audit/verify").json()["ok"] is True


def test_enterprise_home_shows_own_enterprise_only(client, world):
    login_as(client, "ent-330102-key")
    r = client.get("/")
    assert r.status_code == 200 and world.enterprises["330102-key"].uscc in r.text
    assert world.enterprises["330106-key"].name not in r.text
