"""JSON lists that used to answer a bare list of every row page in the one envelope
({items, total, page, page_size, pages} + X-Total-Count; bad values 422 problem JSON): the
ranking, the per-unit statistics (complaints, transfers, oversight and its flows), a reviewer's
waiting files, qualification reminders and the registry's agencies — and keep their scope: an
enterprise is refused, a county sees only itself, a city only its counties."""

from datetime import date, timedelta

import pytest

from greensword.evaluation import service as evaluation
from tests.conftest import login_as
from tests.evaluation.test_review_and_ranking import _closed_cases
from tests.factories import actor
from tests.web.test_access import round_  # noqa: F401
from tests.web.test_lists_intake import complaints, transfers  # noqa: F401


def _walk(client, url: str, size: int) -> tuple[list[dict], int]:
    """Every item of a paged JSON list, page by page, checking the envelope on each."""
    got, page = [], 1
    sep = "&" if "?" in url else "?"
    while True:
        r = client.get(f"{url}{sep}page={page}&page_size={size}")
        assert r.status_code == 200, (url, r.text[:300])
        body = r.json()
        assert {"items", "total", "page", "page_size", "pages"} <= set(body), url
        assert int(r.headers["x-total-count"]) == body["total"] and body["page"] == page
        assert body["pages"] == max(1, -(-body["total"] // size)) and len(body["items"]) <= size
        got += body["items"]
        if page >= body["pages"]:
            return got, body["total"]
        page += 1


def _refused(client, url: str, status: int = 422) -> None:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("application/problem+json")


def test_ranking_pages_and_keeps_each_actors_units(client, db, world):
    _closed_cases(db, world, "330102", 2, year=date.today().year)
    db.commit()
    counties = [c for c in evaluation.evaluate(db, year=date.today().year, level="county")]
    login_as(client, "leader-330000")
    rows, total = _walk(client, "/api/v1/evaluation/ranking?level=county", 2)
    assert total == len(counties) > 2 and [r["agency_id"] for r in rows] == [c.agency_id for c in counties]
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    names = [r["name"] for r in client.get("/api/v1/evaluation/ranking?level=county&sort=name").json()["items"]]
    assert names == sorted(names)
    hit = client.get("/api/v1/evaluation/ranking?level=county&q=上城").json()
    assert hit["total"] == 1 and hit["items"][0]["agency_id"] == world.agencies["330102"].id
    _refused(client, "/api/v1/evaluation/ranking?sort=password")
    _refused(client, "/api/v1/evaluation/ranking?page_size=501")
    login_as(client, "leader-330100")                           # a city: its own counties, on every page
    rows, total = _walk(client, "/api/v1/evaluation/ranking?level=county", 1)
    hz = world.agencies["330100"].path
    mine = {a.id for a in world.agencies.values() if a.path.startswith(hz)}
    assert total == len(rows) >= 1 and {r["agency_id"] for r in rows} <= mine
    login_as(client, "officer-330102")                           # a county: itself only
    rows, total = _walk(client, "/api/v1/evaluation/ranking?level=county", 50)
    assert total <= 1 and all(r["agency_id"] == world.agencies["330102"].id for r in rows)
    login_as(client, "ent-330102-key")
    _refused(client, "/api/v1/evaluation/ranking", 403)


def test_per_unit_statistics_page_and_keep_the_jurisdiction(client, world, complaints, transfers):  # noqa: F811
    year = 2025
    login_as(client, "leader-330000")
    for path, unit_key in (("complaint/stats", "agency_id"), ("transfer/stats", "agency_id"),
                           ("oversight/flows", "agency_id")):
        rows, total = _walk(client, f"/api/v1/{path}?year={year}", 1)
        assert total == 2 and {r[unit_key] for r in rows} == {world.agencies["330102"].id,
                                                               world.agencies["330106"].id}, path
        hit = client.get(f"/api/v1/{path}?year={year}&q=上城").json()
        assert [r[unit_key] for r in hit["items"]] == [world.agencies["330102"].id], path
        _refused(client, f"/api/v1/{path}?year={year}&sort=agency")        # no sorts: refused, not ignored
        _refused(client, f"/api/v1/{path}?year={year}&page=0")
        _refused(client, f"/api/v1/{path}?year=99999")
    received = client.get(f"/api/v1/complaint/stats?year={year}&page_size=500").json()["items"]
    assert sum(r["received"] for r in received) == sum(1 for x in complaints if x.received_on.year == year)
    assert client.get(f"/api/v1/oversight/stats?year={year}").json()["total"] == 0
    login_as(client, "leader-330102")                               # a county sees itself only
    for path in ("complaint/stats", "transfer/stats", "oversight/flows"):
        rows, total = _walk(client, f"/api/v1/{path}?year={year}", 5)
        assert total == 1 and rows[0]["agency_id"] == world.agencies["330102"].id, path
    login_as(client, "ent-330102-key")
    for path in ("complaint/stats", "transfer/stats"):
        _refused(client, f"/api/v1/{path}?year={year}", 403)


def test_a_reviewers_waiting_files_page(client, db, world, round_):  # noqa: F811
    from sqlalchemy import select

    from greensword.review.models import ReviewFile

    files = list(db.execute(select(ReviewFile).where(ReviewFile.round_id == round_.id)).scalars())
    reviewer = max({f.reviewer for f in files}, key=lambda u: sum(f.reviewer == u for f in files))
    mine = sorted(f.id for f in files if f.reviewer == reviewer and f.status == "assigned")
    login_as(client, reviewer)
    rows, total = _walk(client, "/api/v1/review/files/mine", 1)
    assert total == len(mine) >= 1 and [r["id"] for r in rows] == mine
    assert client.get("/api/v1/review/files/mine?status=appealed").json()["total"] == 0
    _refused(client, "/api/v1/review/files/mine?status=scored")
    _refused(client, "/api/v1/review/files/mine?sort=score")
    stranger = "reviewer-330000" if reviewer != "reviewer-330000" else "reviewer-330102"
    login_as(client, stranger)                                     # another reviewer sees none of them
    assert not {r["id"] for r in _walk(client, "/api/v1/review/files/mine", 50)[0]} & set(mine)


@pytest.fixture
def expiring(db, world):
    """45 officers of 330102, each with one enforcement certificate expiring within the 90-day window."""
    from datetime import datetime, timedelta

    from greensword.registry.models import Officer
    from greensword.training.models import Qualification

    today = date.today()
    for i in range(45):
        o = Officer(name=f"执法员{i:02d}", agency_id=world.agencies["330102"].id, updated_at=datetime.now().astimezone())
        db.add(o)
        db.flush()
        expires = today + timedelta(days=(i * 7) % 80 - 10)
        db.add(Qualification(officer_id=o.id, kind="enforcement", number=f"ZF{i:06d}", issuer="省司法厅",
                             issued_on=expires - timedelta(days=1800), expires_on=expires,
                             created_at=datetime.now().astimezone()))
    db.commit()


def test_qualification_reminders_page(client, db, world, expiring):
    from greensword.training import quals

    want = quals.reminders(db, actor(db, world, "leader-330102"), date.today())
    login_as(client, "leader-330102")
    rows, total = _walk(client, "/api/v1/training/reminders", 40)
    assert total == len(want) > 40 and [r["qualification_id"] for r in rows] == [x.qualification_id for x in want]
    assert [r["expires_on"] for r in rows] == sorted(r["expires_on"] for r in rows)
    hit = client.get("/api/v1/training/reminders?q=ZF000003").json()
    assert {r["number"] for r in hit["items"]} <= {"ZF000003"} and hit["total"] == sum(x.number == "ZF000003" for x in want)
    _refused(client, "/api/v1/training/reminders?sort=issuer")
    login_as(client, "leader-330106")                              # another county: none of 330102's
    assert client.get("/api/v1/training/reminders").json()["total"] == 0


def test_registry_agencies_api_and_page(client, world):
    login_as(client, "leader-330100")                              # a city: its own subtree
    hz = world.agencies["330100"].path
    mine = [a for a in world.agencies.values() if a.path.startswith(hz)]
    rows, total = _walk(client, "/api/v1/registry/agencies", 1)
    assert total == len(mine) and {r["id"] for r in rows} == {a.id for a in mine}
    codes = [r["division_code"] for r in rows]
    assert codes == sorted(codes)
    counties = client.get("/api/v1/registry/agencies?level=county").json()
    assert counties["total"] == sum(a.level == "county" for a in mine)
    assert [r["id"] for r in client.get("/api/v1/registry/agencies?q=上城").json()["items"]] == \
        [world.agencies["330102"].id]
    _refused(client, "/api/v1/registry/agencies?level=planet")
    _refused(client, "/api/v1/registry/agencies?page_size=501")
    r = client.get("/registry/agencies?size=1")
    assert f"共 {len(mine)} 条，第 1/{len(mine)} 页" in r.text
    assert f"共 {sum(a.level == 'county' for a in mine)} 条" in client.get("/registry/agencies?level=county").text
    assert client.get("/registry/agencies?level=planet").status_code == 422


@pytest.mark.parametrize("path", ["/api/v1/evaluation/ranking", "/api/v1/complaint/stats?year=2025",
                                  "/api/v1/transfer/stats?year=2025", "/api/v1/oversight/stats?year=2025",
                                  "/api/v1/oversight/flows?year=2025", "/api/v1/review/files/mine",
                                  "/api/v1/training/reminders"])
def test_openapi_shows_the_envelope(client, path):
    spec = client.get("/api/v1/openapi.json").json()
    op = spec["paths"][path.split("?")[0]]["get"]
    assert {"page", "page_size", "q"} <= {p["name"] for p in op["parameters"]}, path
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"items", "total", "page", "page_size", "pages"} <= set(spec["components"]["schemas"][ref]["properties"])


def test_overdue_cases_api_pages_with_the_total(client, db, world):
    """/api/v1/cases/overdue answered a bare list cut at ``limit`` (50 by default)."""
    from tests.cases.conftest import Flow

    flow = Flow(db, world)
    made = [flow.open(discovered=date(2026, 3, 2) - timedelta(days=i)) for i in range(13)]
    db.commit()
    login_as(client, "leader-330102")
    rows, total = _walk(client, "/api/v1/cases/overdue", 4)
    assert total == 13 and len({r["case"]["id"] for r in rows}) == 13
    assert {r["case"]["id"] for r in rows} == {c.id for c in made}
    assert [r["case"]["discovered_on"] for r in rows] == sorted((r["case"]["discovered_on"] for r in rows), reverse=True)
    assert all(r["due"]["label"] and r["due"]["due"] for r in rows)
    asc = client.get("/api/v1/cases/overdue?sort=discovered&page_size=100").json()["items"]
    assert [r["case"]["id"] for r in asc] == [r["case"]["id"] for r in reversed(rows)]
    hit = client.get(f"/api/v1/cases/overdue?q={made[5].number}").json()
    assert hit["total"] == 1 and hit["items"][0]["case"]["id"] == made[5].id
    _refused(client, "/api/v1/cases/overdue?limit=10")                 # the old argument: refused, not ignored
    _refused(client, "/api/v1/cases/overdue?page_size=501")
    _refused(client, "/api/v1/cases/overdue?sort=facts")
    login_as(client, "officer-330106")                                 # another county: none
    assert client.get("/api/v1/cases/overdue").json()["total"] == 0
    login_as(client, "ent-330102-key")                                 # a firm, even the party: refused
    _refused(client, "/api/v1/cases/overdue", 403)
