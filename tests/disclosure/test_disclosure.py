"""Public disclosure: safe search with odd input, facility report and decision downloads without
personal data, rate limits, and published draws re-run by an independent script."""

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from greensword.disclosure import service
from greensword.registry import service as registry
from greensword.registry.schemas import EnterpriseIn
from tests.factories import SYSTEM, make_uscc

REDRAW = Path(__file__).with_name("redraw.py")


@pytest.fixture
def names(db, world):
    # look-alikes for wildcard input: a literal % and _ in names, and names that LIKE would match
    for i, name in enumerate(["百分之100%环保科技有限公司", "下划线_印染有限公司", "下划线X印染有限公司",
                              "普通化工有限公司"]):
        registry.save_enterprise(db, SYSTEM, EnterpriseIn(uscc=make_uscc("330106", 500 + i), name=name,
                                                          address="西湖路", agency_code="330106",
                                                          industry_code="C2614" if i != 1 else "C1713"))
    db.commit()


@pytest.mark.db
def test_odd_input_is_literal_and_capped(db, world, names):
    assert service.search(db, q="%")["total"] == 1                    # only the name with a literal %
    assert [e["name"] for e in service.search(db, q="下划线_")["items"]] == ["下划线_印染有限公司"]
    assert service.search(db, q="*")["total"] == 0
    assert service.search(db, q="' OR 1=1 --")["total"] == 0
    res = service.search(db, q="化" * 10_000)
    assert len(res["query"]["q"]) == 60 and res["total"] == 0
    assert service.search(db, q="\x00普通\u200b化工")["total"] in (0, 1)   # control characters dropped, no error
    assert service.search(db, q="普通化工")["total"] == 1
    assert service.search(db, q="印染", size=10_000)["size"] == 100


@pytest.mark.db
def test_search_by_credit_code_region_and_industry(db, world, names):
    e = world.enterprises["330203-key"]
    res = service.search(db, q=e.uscc.lower())
    assert [x["uscc"] for x in res["items"]] == [e.uscc]
    city = service.search(db, region="330100", industry="C17")
    assert city["total"] >= 1 and all(x["region_code"] in ("330102", "330106") for x in city["items"])
    assert all(x["industry_code"].startswith("C17") for x in city["items"])
    from greensword.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        service.search(db, region="999999")
    with pytest.raises(ValidationFailed):
        service.search(db, industry="%%")


def _decided_case(db, world):
    """A served penalty decision of 424,000 yuan, driven through the cases workflow as it stands
    (with or without the separate 法制审核 step and the hearing window)."""
    from greensword.cases import workflow
    from tests.cases.conftest import Flow

    flow = Flow(db, world)
    c = flow.open()
    flow.to_reviewed(c)
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    if "legal_review" in workflow.TRANSITIONS:
        flow.act(c, "legal_review", date(2026, 3, 20), flow.reviewer, opinion="approve", qualification="A2020330100")
    flow.act(c, "discuss", date(2026, 3, 20), participants=["局长", "副局长", "法规科长"], conclusion="同意")
    flow.act(c, "decide", date(2026, 3, 23), fine=424_000)
    flow.act(c, "serve", date(2026, 3, 24), flow.officer)
    db.commit()
    return c


@pytest.mark.db
def test_public_finds_facility_by_credit_code_and_downloads_decisions(db, world, client):
    c = _decided_case(db, world)
    ent = world.enterprises["330102-key"]
    r = client.get("/api/v1/disclosure/facilities", params={"q": ent.uscc})
    assert r.status_code == 200 and r.json()["items"][0]["name"] == ent.name
    page = client.get(f"/disclosure/facility/{ent.uscc}")
    assert page.status_code == 200 and c.number in page.text and "424,000" in page.text
    assert "大气污染防治法" in page.text
    for o in world.officers.values():                              # no officer appears
        assert o.name not in page.text and o.cert_no not in page.text
    dl = client.get(f"/disclosure/facility/{ent.uscc}/decisions.csv")
    assert dl.status_code == 200 and "attachment" in dl.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(dl.content.decode("utf-8-sig"))))
    assert [(x["case_number"], x["fine"], x["status"]) for x in rows] == [(c.number, "424000", "公开")]
    assert rows[0]["decided_on"] == "2026-03-23" and rows[0]["publish_by"] > rows[0]["decided_on"]
    pq = client.get("/disclosure/download/decisions.parquet")
    import pyarrow.parquet as papq

    assert papq.read_table(io.BytesIO(pq.content)).num_rows == 1
    other = client.get(f"/disclosure/facility/{world.enterprises['330106-key'].uscc}/decisions.csv")
    assert list(csv.DictReader(io.StringIO(other.content.decode("utf-8-sig")))) == []
    about = client.get("/disclosure/about")
    assert about.status_code == 200 and "7 个工作日" in about.text


def test_rate_limit(client, world, monkeypatch, engine):
    from greensword.core import ratelimit as shared
    from greensword.disclosure import ratelimit

    real = ratelimit.rules()
    lim = real.limits.model_copy(update={"requests_per_minute": 3})
    monkeypatch.setattr(ratelimit, "rules", lambda: real.model_copy(update={"limits": lim}))
    codes = [client.get("/api/v1/disclosure/facilities", params={"q": "x"}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    r = client.get("/api/v1/disclosure/coverage")
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 61
    assert r.json()["code"] == "disclosure.rate_limited" and "请求过于频繁" in r.json()["detail"]
    shared.reset(engine, "disclosure.requests")
    assert client.get("/api/v1/disclosure/coverage").status_code == 200


@pytest.mark.db
def test_published_draw_rerun_by_independent_script(db, county, client, tmp_path):
    from greensword.inspection import service as inspection
    plan = inspection.create_plan(db, SYSTEM, agency_id=county.id, name="2026年二季度", period_start=date(2026, 4, 1),
                                  period_end=date(2026, 6, 30), teams=3)
    inspection.draw(db, SYSTEM, plan.id, "2026-04-01 上证指数收盘 3210.55")
    db.commit()
    listed = client.get("/api/v1/disclosure/draws").json()["items"]
    assert [d["plan_id"] for d in listed] == [plan.id] and "name" not in json.dumps(listed[0]["seed"])
    folder = tmp_path / "draw"
    folder.mkdir()
    for name in service.DRAW_FILES:
        r = client.get(f"/api/v1/disclosure/draws/{plan.id}/{name}")
        assert r.status_code == 200
        (folder / name).write_bytes(r.content)
    officers = json.loads((folder / "officers.json").read_text("utf-8"))
    assert officers and set(officers[0]) == {"id", "certified", "department", "agency_code"}

    def rerun():
        out = subprocess.run([sys.executable, "-I", str(REDRAW), str(folder)], capture_output=True, text=True,
                             check=True, env={})
        return json.loads(out.stdout)

    got = rerun()
    assert got["ok"], got["messages"]
    assert len(got["result"]["items"]) == len(plan.result["items"]) > 0
    # the script checks, it does not trust: tamper with one enterprise's credit class
    ents = json.loads((folder / "enterprises.json").read_text("utf-8"))
    ents[0]["credit_class"] = "green" if ents[0]["credit_class"] != "green" else "red"
    (folder / "enterprises.json").write_bytes(service.canonical(ents))
    bad = rerun()
    assert not bad["ok"] and any("enterprises.json" in m for m in bad["messages"])


@pytest.mark.browser
def test_public_finds_facility_by_credit_code_and_downloads_decisions_in_browser(app, db, world):
    from tests.browser import browser_page, live_server

    c = _decided_case(db, world)
    ent = world.enterprises["330102-key"]
    with live_server(app) as base, browser_page(viewport={"width": 1280, "height": 900}, accept_downloads=True) as page:
        page.goto(f"{base}/disclosure")                         # no login
        page.fill("input[name=q]", ent.uscc)
        page.click("form.filters button[type=submit]")
        page.click(f"text={ent.name}")
        page.wait_for_selector("#decisions")
        assert c.number in page.locator("#decisions").inner_text()
        with page.expect_download() as info:
            page.click("#dl-decisions")
        body = Path(info.value.path()).read_text("utf-8-sig")
        assert c.number in body and "424000" in body


def test_publication_period_in_working_days():
    from greensword.disclosure import sources
    from greensword.disclosure.rules import rules

    assert rules().publication.on(date(2026, 3, 20)).working_days == 7
    assert sources._add_working_days(date(2026, 3, 20), 7) == date(2026, 3, 31)     # Friday + 7 → Tuesday
    assert sources._add_working_days(date(2026, 3, 21), 1) == date(2026, 3, 23)     # Saturday + 1 → Monday
