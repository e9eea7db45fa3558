"""Complaints and transfers page like every other console list: a total and a pager instead of
the old cut at 300/500 rows, whitelisted sorts, search with % and _ taken literally, the filters
an officer expects (status, unit, channel/kind, period, overdue), exports of every row of the
filter, 422 pages for bad arguments — and the same through the JSON API."""

from datetime import date, datetime, timedelta

import pytest

from greensword.core.timeutil import TZ
from tests.conftest import login_as
from tests.web import test_lists
from tests.web.test_lists import _bad_params, _csv_rows, _ids, _xlsx_rows

leads = test_lists.leads                        # the off-site leads fixture
T0 = datetime(2026, 3, 2, 8, tzinfo=TZ)


@pytest.fixture
def complaints(db, world):
    from greensword.complaint.models import Complaint

    made = []
    for i in range(320):                               # more than the old cut of 300
        county = "330106" if i % 8 == 0 else "330102"
        ent = world.enterprises[f"{county}-{'key' if i % 2 else 'small'}"] if i % 5 else None
        received = date(2025, 11, 1) + timedelta(days=i // 2)
        x = Complaint(code=f"TS{i:010d}", channel=["web", "hotline", "letter"][i % 3], received_on=received,
                      agency_id=world.agencies[county].id, enterprise_id=ent.id if ent else None,
                      enterprise_name="" if ent else ("100%_污水厂" if i == 10 else f"无名作坊{i}"),
                      address="上城路", matter=["water", "air", "noise"][i % 3],
                      content="=HYPERLINK(\"http://x\")" if i == 1 else "夜间偷排污水，河水发黑发臭",
                      status="replied" if i % 4 == 0 else "accepted", accept_due=received + timedelta(days=15),
                      decided_on=received + timedelta(days=3), reply_due=received + timedelta(days=60),
                      replied_on=received + timedelta(days=30) if i % 4 == 0 else None,
                      handlers=[], attachments=[], created_by="t", created_at=T0)
        db.add(x)
        made.append(x)
    db.commit()
    return made


def test_complaints_page_past_the_old_cut_with_total_and_pager(client, world, complaints):
    mine = [x for x in complaints if x.agency_id == world.agencies["330102"].id]
    assert len(mine) == 280
    login_as(client, "leader-330102")
    seen = []
    for page in range(1, 4):
        r = client.get(f"/complaint?size=100&page={page}")
        assert f"共 {len(mine)} 条，第 {page}/3 页" in r.text
        seen += _ids(r.text, "/complaint/")
    assert len(seen) == len(set(seen)) == len(mine)
    by_id = {x.id: x for x in complaints}
    days = [by_id[i].received_on for i in seen]
    assert days == sorted(days, reverse=True)                          # newest first by default
    asc = _ids(client.get("/complaint?sort=code&size=500").text, "/complaint/")
    assert [by_id[i].code for i in asc] == sorted(by_id[i].code for i in asc)


def test_complaints_search_and_filters(client, world, complaints):
    login_as(client, "leader-330000")
    by_id = {x.id: x for x in complaints}
    literal = _ids(client.get("/complaint?q=100%25_&size=500").text, "/complaint/")
    assert [by_id[i].enterprise_name for i in literal] == ["100%_污水厂"]   # % and _ are not wildcards
    assert _ids(client.get("/complaint?q=%25&size=500").text, "/complaint/") == literal
    county = world.agencies["330106"]
    r = client.get(f"/complaint?agency_id={county.id}&size=500")
    assert {by_id[i].agency_id for i in _ids(r.text, "/complaint/")} == {county.id}
    assert f"共 {sum(1 for x in complaints if x.agency_id == county.id)} 条" in r.text
    hot = _ids(client.get("/complaint?channel=hotline&matter=air&size=500").text, "/complaint/")
    assert hot and all(by_id[i].channel == "hotline" and by_id[i].matter == "air" for i in hot)
    assert len(hot) == sum(1 for x in complaints if x.channel == "hotline" and x.matter == "air")
    dec = _ids(client.get("/complaint?year=2025&month=12&size=500").text, "/complaint/")
    assert len(dec) == sum(1 for x in complaints if (x.received_on.year, x.received_on.month) == (2025, 12))
    assert all(by_id[i].received_on.month == 12 for i in dec)
    late = _ids(client.get("/complaint?overdue=1&size=500").text, "/complaint/")
    today = date.today()
    want = {x.id for x in complaints if x.replied_on is None and x.reply_due < today}
    assert set(late) == want
    r = client.get("/complaint?status=replied&agency_id=&channel=&month=")      # 全部 = no filter
    assert r.status_code == 200 and f"共 {sum(1 for x in complaints if x.status == 'replied')} 条" in r.text


def test_complaints_export_every_row_without_identity(client, world, complaints):
    login_as(client, "leader-330102")
    mine = [x for x in complaints if x.agency_id == world.agencies["330102"].id]
    r = client.get("/complaint.csv")
    rows = _csv_rows(r)
    assert rows[0][0] == "查询码" and len(rows) - 1 == len(mine) == int(r.headers["x-total-count"])
    assert {x[0] for x in rows[1:]} == {x.code for x in mine}
    assert [x for x in rows[1:] if x[0] == complaints[1].code][0][8].startswith("'=")
    assert {x[2] for x in rows[1:]} == {"网上举报（12369网络平台）", "12369 热线电话", "来信"}   # words, not codes
    x = _xlsx_rows(client.get("/complaint.xlsx?status=replied"))
    assert len(x) - 1 == sum(1 for y in mine if y.status == "replied")


def test_complaints_bad_arguments_are_422_pages(client, complaints):
    login_as(client, "leader-330102")
    _bad_params(client, "/complaint", "sort=content", "page=0", "size=100000", "status=nonsense", "channel=x",
                "matter=smell", "year=99999999999", "month=13", "month=3")
    assert client.get("/complaint.pdf").status_code == 422


# --- transfers -----------------------------------------------------------------------------------

@pytest.fixture
def transfers(db, world):
    from greensword.transfer.models import Transfer

    made = []
    for i in range(530):                                # more than the old cut of 500
        county = "330106" if i % 10 == 0 else "330102"
        ent = world.enterprises[f"{county}-{'key' if i % 2 else 'small'}"]
        approved = date(2025, 1, 1) + timedelta(days=i)
        x = Transfer(case_id=10_000 + i, case_number=f"杭环罚〔2025〕{i}号" if i != 9 else "杭环罚_100%号",
                     agency_id=world.agencies[county].id, enterprise_id=ent.id,
                     kind=["criminal", "detention", "department"][i % 3],
                     receiver="=cmd|' /C calc'!A0" if i == 1 else "杭州市公安局", status="sent" if i % 3 else "closed",
                     approved_on=approved, sent_on=approved + timedelta(days=1), created_at=T0)
        db.add(x)
        made.append(x)
    db.commit()
    return made


def test_transfers_page_filters_sort_and_export(client, world, transfers):
    mine = [x for x in transfers if x.agency_id == world.agencies["330102"].id]
    login_as(client, "leader-330102")
    r = client.get("/transfer")
    assert f"共 {len(mine)} 条，第 1/{-(-len(mine) // 50)} 页" in r.text
    by_id = {x.id: x for x in transfers}
    every = []
    for page in range(1, 3):
        every += _ids(client.get(f"/transfer?size=500&page={page}").text, "/transfer/")
    assert len(every) == len(set(every)) == len(mine) > 470
    crim = _ids(client.get("/transfer?kind=criminal&year=2025&size=500").text, "/transfer/")
    assert crim and all(by_id[i].kind == "criminal" and by_id[i].approved_on.year == 2025 for i in crim)
    assert len(crim) == sum(1 for x in mine if x.kind == "criminal" and x.approved_on.year == 2025)
    assert [by_id[i].case_number for i in _ids(client.get("/transfer?q=_100%25").text, "/transfer/")] == \
        ["杭环罚_100%号"]
    sent = _ids(client.get("/transfer?sort=sent&size=500").text, "/transfer/")
    assert [by_id[i].sent_on for i in sent] == sorted(by_id[i].sent_on for i in sent)
    r = client.get("/transfer.csv?status=sent")
    rows = _csv_rows(r)
    assert len(rows) - 1 == sum(1 for x in mine if x.status == "sent") == int(r.headers["x-total-count"])
    assert [x for x in rows[1:] if x[0] == transfers[1].case_number][0][5].startswith("'=")
    assert len(_xlsx_rows(client.get("/transfer.xlsx"))) - 1 == len(mine)
    _bad_params(client, "/transfer", "sort=receiver;", "status=x", "kind=x", "outcome=x", "year=0", "size=0")


# --- the JSON API --------------------------------------------------------------------------------

def test_api_lists_page_with_total(client, world, complaints, transfers):
    login_as(client, "leader-330102")
    mine = [x for x in complaints if x.agency_id == world.agencies["330102"].id]
    r = client.get("/api/v1/complaint?page=2&page_size=100")
    body = r.json()
    assert r.status_code == 200 and body["total"] == len(mine) == int(r.headers["x-total-count"])
    assert (body["page"], body["page_size"], body["pages"], len(body["items"])) == (2, 100, 3, 100)
    last = client.get("/api/v1/complaint?page=3&page_size=100").json()["items"]
    assert len(last) == 80
    codes = [x["code"] for x in client.get("/api/v1/complaint?sort=code&page_size=500").json()["items"]]
    assert codes == sorted(codes) and len(codes) == len(mine)
    t = client.get("/api/v1/transfer?kind=department&page_size=7").json()
    want = sum(1 for x in transfers if x.kind == "department" and x.agency_id == world.agencies["330102"].id)
    assert t["total"] == want and len(t["items"]) == 7
    assert client.get("/api/v1/transfer?page=2").json()["page"] == 2


@pytest.mark.parametrize("path", ["/api/v1/complaint", "/api/v1/transfer", "/api/v1/cases", "/api/v1/offsite/leads"])
@pytest.mark.parametrize("query", ["page=0", "page=x", "page_size=0", "page_size=501", "sort=password"])
def test_api_lists_refuse_bad_paging_with_problem_json(client, world, path, query):
    login_as(client, "leader-330102")
    r = client.get(f"{path}?{query}")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] in ("request.invalid", "list.bad_sort")


def test_leads_api_pages_with_total(client, world, leads):
    mine = {x.id for x in leads if x.agency_id == world.agencies["330102"].id}
    login_as(client, "officer-330102")
    got, page = [], 1
    while True:
        r = client.get(f"/api/v1/offsite/leads?page={page}&page_size=20")
        body = r.json()
        assert body["total"] == len(mine) == int(r.headers["x-total-count"]) and body["pages"] == 3
        got += [x["id"] for x in body["items"]]
        if page == body["pages"]:
            break
        page += 1
    assert len(got) == len(set(got)) and set(got) == mine
    body = client.get("/api/v1/offsite/leads?status=closed&sort=-start&page_size=500").json()
    starts = [x["start"] for x in body["items"]]
    assert body["total"] == sum(1 for x in leads if x.status == "closed" and x.id in mine)
    assert starts == sorted(starts, reverse=True)


def test_openapi_shows_the_page_schemas(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/complaint", "/api/v1/transfer", "/api/v1/cases", "/api/v1/offsite/leads",
                 "/api/v1/review/rounds", "/api/v1/oversight/recommendations", "/api/v1/disclosure/draws"):
        op = spec["paths"][path]["get"]
        names = {p["name"] for p in op["parameters"]}
        assert {"page", "page_size"} <= names, path
        assert "draws" in path or {"sort", "q"} <= names, path
        ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        props = spec["components"]["schemas"][ref]["properties"]
        assert {"items", "total", "page", "page_size", "pages"} <= set(props), path


def test_registry_api_lists_take_page_size_and_give_the_total(client, world):
    login_as(client, "leader-330000")
    r = client.get("/api/v1/registry/enterprises?page_size=2&page=2")
    body = r.json()
    assert int(r.headers["x-total-count"]) == body["total"] == len(world.enterprises)
    assert (body["page"], body["page_size"], len(body["items"])) == (2, 2, 2)
    for path in ("officers", "points"):
        r = client.get(f"/api/v1/registry/{path}")
        assert int(r.headers["x-total-count"]) == r.json()["total"] > 0
    r = client.get("/api/v1/registry/officers?page_size=501")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
