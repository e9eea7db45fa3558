"""Every console list pages on the server with its total, sorts by whitelisted columns, searches
and filters, and exports all rows of its filters (CSV with a BOM, formula-safe; xlsx); bad list
arguments answer a 422 page, never a 500."""

import csv
import io
import re
from datetime import datetime, timedelta

import pytest

from greensword.core.timeutil import TZ
from tests.conftest import login_as


def _csv_rows(r) -> list[list[str]]:
    assert r.status_code == 200, r.text[:300]
    assert r.content.startswith(b"\xef\xbb\xbf"), "CSV must start with a BOM for Excel"
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def _xlsx_rows(r) -> list[tuple]:
    from openpyxl import load_workbook

    assert r.status_code == 200, r.text[:300]
    return list(load_workbook(io.BytesIO(r.content), read_only=True).active.iter_rows(values_only=True))


def _ids(html: str, prefix: str) -> list[int]:
    return [int(x) for x in re.findall(rf'<td><a href="{re.escape(prefix)}(\d+)">', html)]


def _bad_params(client, path: str, *queries: str) -> None:
    for q in queries:
        r = client.get(f"{path}?{q}")
        assert r.status_code == 422, (q, r.status_code)
        assert "text/html" in r.headers["content-type"] and "<html" in r.text.lower(), q


# --- off-site leads ------------------------------------------------------------------------------

@pytest.fixture
def leads(db, world):
    from greensword.offsite.models import Lead

    t0 = datetime(2026, 3, 2, 8, tzinfo=TZ)
    made = []
    for i in range(63):
        county = "330106" if i % 7 == 0 else "330102"          # 9 leads outside 330102
        ent = world.enterprises[f"{county}-{'key' if i % 2 else 'small'}"]
        x = Lead(mn=f"MN{i:022d}", enterprise_id=ent.id, agency_id=ent.agency_id, factor="a21026",
                 detector=["exceedance", "flatline", "missing_data"][i % 3], start=t0 + timedelta(hours=i),
                 end=t0 + timedelta(hours=i + 2), score=1.0, rank_score=float((i * 37) % 101) + 0.5,
                 status="closed" if i % 10 == 3 else "new", evidence={}, repeats=0,
                 due_at=t0 + timedelta(days=1), created_at=t0, updated_at=t0,
                 reason="=HYPERLINK(\"http://x\")" if i == 1 else "", outcome="")
        db.add(x)
        made.append(x)
    db.commit()
    return made


def test_leads_page_with_total_and_disjoint_pages(client, world, leads):
    mine = [x for x in leads if x.agency_id == world.agencies["330102"].id]
    login_as(client, "officer-330102")
    first = client.get("/offsite/leads")
    assert f"共 {len(mine)} 条，第 1/2 页" in first.text and "下一页" in first.text
    second = client.get("/offsite/leads?page=2")
    assert f"共 {len(mine)} 条，第 2/2 页" in second.text
    a, b = _ids(first.text, "/offsite/leads/"), _ids(second.text, "/offsite/leads/")
    assert len(a) == 50 and len(b) == len(mine) - 50 and not set(a) & set(b)
    assert set(a) | set(b) == {x.id for x in mine}
    # open leads first, by rank (the default order)
    by_id = {x.id: x for x in leads}
    shown = [by_id[i] for i in a + b]
    key = [(x.status == "closed", -x.rank_score) for x in shown]
    assert key == sorted(key)
    # a filter kept across pages: the pager links carry it
    r = client.get("/offsite/leads?detector=flatline&size=5")
    assert "detector=flatline" in r.text.split('class="pager"')[1]


def test_leads_sort_search_filter(client, world, leads):
    login_as(client, "officer-330102")
    by_id = {x.id: x for x in leads}
    asc = _ids(client.get("/offsite/leads?sort=start&size=500").text, "/offsite/leads/")
    assert [by_id[i].start for i in asc] == sorted(by_id[i].start for i in asc)
    desc = _ids(client.get("/offsite/leads?sort=-start&size=500").text, "/offsite/leads/")
    assert desc == asc[::-1]
    r = client.get("/offsite/leads?sort=-start")
    assert 'aria-sort="descending"' in r.text and "sort=start" in r.text      # header toggles the direction
    small = world.enterprises["330102-small"]
    found = _ids(client.get(f"/offsite/leads?q={small.name}&size=500").text, "/offsite/leads/")
    assert found and all(by_id[i].enterprise_id == small.id for i in found)
    assert len(found) == sum(1 for x in leads if x.enterprise_id == small.id)
    closed = _ids(client.get("/offsite/leads?status=closed&size=500").text, "/offsite/leads/")
    assert closed and all(by_id[i].status == "closed" for i in closed)
    assert len(closed) == sum(1 for x in leads if x.status == "closed" and x.agency_id == small.agency_id)
    r = client.get("/offsite/leads?detector=flatline&agency_id=&status=")        # 全部 = no filter
    assert r.status_code == 200 and "共 18 条" in r.text


def test_leads_export_every_row_of_the_filter(client, world, leads):
    mine = [x for x in leads if x.agency_id == world.agencies["330102"].id]
    login_as(client, "officer-330102")
    r = client.get("/offsite/leads.csv")
    rows = _csv_rows(r)
    assert rows[0][0] == "线索编号" and len(rows) - 1 == len(mine) == int(r.headers["x-total-count"])
    assert "attachment" in r.headers["content-disposition"]
    assert {int(x[0]) for x in rows[1:]} == {x.id for x in mine}
    formula = [x for x in rows[1:] if int(x[0]) == leads[1].id][0]
    assert formula[13].startswith("'="), "a cell starting with = must not run as a formula in Excel"
    assert "超标" in {x[4] for x in rows[1:]} or all(not x[4].isascii() for x in rows[1:])
    flat = _csv_rows(client.get("/offsite/leads.csv?detector=flatline&sort=-start"))
    assert len(flat) - 1 == sum(1 for x in mine if x.detector == "flatline")
    starts = [x[6] for x in flat[1:]]
    assert starts == sorted(starts, reverse=True)
    x = _xlsx_rows(client.get("/offsite/leads.xlsx?status=new"))
    assert x[0][0] == "线索编号" and len(x) - 1 == sum(1 for y in mine if y.status == "new")


def test_leads_bad_list_arguments_are_422_pages(client, leads):
    login_as(client, "officer-330102")
    _bad_params(client, "/offsite/leads", "sort=password", "sort=-rank;drop", "page=0", "page=abc", "size=100000",
                "status=nonsense", "detector=x")
    assert client.get("/offsite/leads.pdf").status_code == 422
    assert client.get("/offsite/leads.csv?sort=nope").status_code == 422
