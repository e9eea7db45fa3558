"""No broken page for any role: enterprise users get a zh-CN 403 page on agency pages, internal
review and ranking data stays with the agencies that own it, bad parameters are 4xx, not 500."""

from datetime import date

import pytest
from sqlalchemy import select

from greensword.review import service as review
from greensword.review.models import ReviewFile
from tests.conftest import login_as
from tests.evaluation.test_review_and_ranking import _closed_cases
from tests.factories import actor

AGENCY_PAGES = ["/cases", "/offsite/leads", "/inspection/plans", "/inspection/tasks", "/review",
                "/inspection/stats", "/statistics", "/evaluation", "/evaluation/notice.docx", "/dashboard",
                "/monitoring", "/registry/enterprises", "/review/rounds/1", "/review/files/1",
                "/evaluation/units/1", "/cases/1"]


@pytest.mark.parametrize("path", AGENCY_PAGES)
def test_enterprise_gets_a_chinese_403_page_not_500(app, world, path):
    from tests.conftest import csrf_client

    with csrf_client(app, raise_server_exceptions=False) as c:
        login_as(c, "ent-330102-key")
        r = c.get(path)
        assert r.status_code == 403, (path, r.status_code)
        assert 'lang="zh-CN"' in r.text and "仅限生态环境部门工作人员" in r.text
        assert 'class="topbar"' in r.text                         # the console's own layout


def test_enterprise_api_ranking_is_refused_but_own_pages_work(client, world):
    login_as(client, "ent-330102-key")
    r = client.get("/api/v1/evaluation/ranking")
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get("/").status_code == 200
    assert client.get("/portal/study").status_code == 200
    e = world.enterprises["330102-key"]
    assert client.get(f"/api/v1/registry/enterprises/{e.id}").status_code == 200
    other = world.enterprises["330106-key"]
    assert client.get(f"/api/v1/registry/enterprises/{other.id}").status_code == 403


@pytest.fixture
def round_(db, world):
    _closed_cases(db, world, "330102", 3)
    _closed_cases(db, world, "330203", 3)
    rnd = review.create_round(db, actor(db, world, "admin-330100"), agency_id=world.agencies["330100"].id,
                              name="杭州市2026年案卷评查", start=date(2026, 1, 1), end=date(2026, 12, 31), seed="s")
    db.commit()
    return rnd


def test_review_round_only_for_the_reviewing_agency(client, db, world, round_):
    login_as(client, "leader-330100")
    assert client.get(f"/review/rounds/{round_.id}").status_code == 200
    assert "杭州市2026年案卷评查" in client.get("/review").text
    client.post("/logout")
    login_as(client, "leader-330200")                         # another city
    assert client.get(f"/review/rounds/{round_.id}").status_code == 403
    assert "杭州市2026年案卷评查" not in client.get("/review").text
    client.post("/logout")
    login_as(client, "ent-330102-key")
    assert client.get(f"/review/rounds/{round_.id}").status_code == 403


def test_review_file_for_owner_reviewer_and_reviewed_unit_only(client, db, world, round_):
    f = db.execute(select(ReviewFile).where(ReviewFile.round_id == round_.id)).scalars().first()
    unit_code = {a.id: code for code, a in world.agencies.items()}[f.unit_id]
    login_as(client, f"leader-{unit_code}")
    assert client.get(f"/review/files/{f.id}").status_code == 200
    client.post("/logout")
    stranger = "leader-330106" if unit_code != "330106" else "leader-330102"
    if stranger.removeprefix("leader-") not in f.reviewer:
        login_as(client, stranger)
        assert client.get(f"/review/files/{f.id}").status_code == 403


def test_ranking_api_and_page_show_only_the_actors_units(client, db, world):
    _closed_cases(db, world, "330102", 2, year=date.today().year)
    db.commit()
    login_as(client, "leader-330100")                          # a city leader
    names = {c["name"] for c in client.get("/api/v1/evaluation/ranking?level=county").json()["items"]}
    assert names and all("杭州" in n for n in names), names
    page = client.get("/evaluation?level=county")
    assert page.status_code == 200
    import re

    for href in set(re.findall(r'href="(/evaluation/units/\d+[^"]*)"', page.text)):
        assert client.get(href.replace("&amp;", "&")).status_code == 200, href
    assert client.get("/evaluation/notice.docx").status_code == 403          # provincial notice
    client.post("/logout")
    login_as(client, "officer-330102")                           # a county officer
    rows = client.get("/api/v1/evaluation/ranking?level=county").json()["items"]
    assert [r["name"] for r in rows] == ["杭州市生态环境局上城分局"] or rows == []
    assert all(r["agency_id"] == world.agencies["330102"].id for r in rows)
    client.post("/logout")
    login_as(client, "leader-330000")
    assert client.get("/evaluation/notice.docx").content[:2] == b"PK"


# --- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize("path,status", [
    ("/evaluation?year=99999999999", 422), ("/inspection/stats?year=-1", 422), ("/statistics?year=0", 422),
    ("/cases/99999999999999999999", 404), ("/registry/enterprises/99999999999999", 404),
    ("/evaluation?level=planet", 422), ("/no/such/page", 404),
])
def test_bad_parameters_are_4xx_html_pages(app, world, path, status):
    from tests.conftest import csrf_client

    with csrf_client(app, raise_server_exceptions=False) as c:
        login_as(c, "admin-330000")
        r = c.get(path)
        assert r.status_code == status, (path, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("text/html")
        assert 'lang="zh-CN"' in r.text and 'class="topbar"' in r.text


def test_api_errors_are_problem_json(client, world):
    login_as(client, "admin-330000")
    for path, status in (("/api/v1/nope", 404), ("/api/v1/evaluation/ranking?year=123456789", 422),
                         ("/api/v1/registry/enterprises/99999999999999", 404)):
        r = client.get(path)
        assert r.status_code == status and r.headers["content-type"].startswith("application/problem+json"), path
        assert r.json()["status"] == status


def test_empty_filters_mean_all(client, world):
    login_as(client, "admin-330000")
    for path in ("/offsite/leads?status=&detector=&agency_id=", "/registry/enterprises?q=&page=",
                 "/registry/officers?q=&page=", "/cases?stage=&q=", "/statistics?year=&agency_id="):
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)


def test_percent_and_underscore_are_literal_in_search(client, world):
    login_as(client, "admin-330000")
    assert client.get("/api/v1/registry/enterprises", params={"q": "%"}).json()["total"] == 0
    assert client.get("/api/v1/registry/enterprises", params={"q": "_"}).json()["total"] == 0
    assert client.get("/api/v1/registry/enterprises", params={"q": "化工"}).json()["total"] == 3


def test_favicon(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and b"<svg" in r.content


def test_login_next_cannot_leave_the_site(client, world):
    r = client.post("/login", data={"username": "admin-330000", "password": "secret-pass-1",
                                    "next": "/\\evil.example"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_error_text_from_the_url_is_shown_only_when_signed(app):
    from greensword.webkit.flash import error_query, verified

    q = error_query("须至少 2 名执法人员")
    msg = "须至少 2 名执法人员"
    sig = q.split("sig=")[1]
    assert verified(msg, sig) == msg
    assert verified("请拨打 400-xxx 缴纳罚款", sig) == ""
    assert verified("请拨打 400-xxx 缴纳罚款", "") == ""
