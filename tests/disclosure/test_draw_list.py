"""Published draws page (console and API) with the total instead of the old cut at 500 draws — the
coverage count too — and the public API lists answer bad paging with problem JSON."""

import pytest

from greensword.disclosure import service
from tests.web import test_lists

plans = test_lists.plans                       # 57 plans, 38 of them drawn


def test_draws_page_with_total(client, db, world, plans, monkeypatch):
    drawn = [p for p in plans if p.status == "drawn"]
    r = client.get("/api/v1/disclosure/draws?page_size=10&page=4")
    body = r.json()
    assert body["total"] == len(drawn) == int(r.headers["x-total-count"]) and body["pages"] == 4
    assert len(body["items"]) == len(drawn) - 30
    seen = set()
    for page in range(1, 5):
        seen |= {d["plan_id"] for d in client.get(f"/api/v1/disclosure/draws?page_size=10&page={page}").json()["items"]}
    assert seen == {p.id for p in drawn}
    assert service.coverage(db)["draws"] == len(drawn)
    r = client.get("/disclosure/draws?size=20&page=2")
    assert f"共 {len(drawn)} 条，第 2/2 页" in r.text


@pytest.mark.parametrize("query", ["draws?page=0", "draws?page_size=501", "decisions?page=0", "decisions?size=101",
                                   "facilities?page=0", "facilities?page_size=1000"])
def test_public_lists_refuse_bad_paging(client, query):
    r = client.get(f"/api/v1/disclosure/{query}")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_public_lists_give_the_total_in_a_header(client, world):
    for path in ("facilities?q=测试", "decisions"):
        r = client.get(f"/api/v1/disclosure/{path}")
        assert r.status_code == 200 and int(r.headers["x-total-count"]) == r.json()["total"]
