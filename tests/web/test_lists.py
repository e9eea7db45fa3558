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


# --- inspection plans, tasks and public results ----------------------------------------------------

@pytest.fixture
def plans(db, world):
    from datetime import date

    from greensword.inspection.models import Plan

    t0 = datetime(2026, 1, 1, tzinfo=TZ)
    made = []
    for i in range(57):
        code = "330106" if i % 5 == 0 else "330102"
        made.append(Plan(agency_id=world.agencies[code].id, name=f"{2025 + i % 2}年双随机{i:02d}号",
                         period_start=date(2025 + i % 2, 1 + i % 12, 1), period_end=date(2025 + i % 2, 1 + i % 12, 28),
                         mode="joint" if i % 4 == 0 else "routine", params={}, status="drawn" if i % 3 else "draft",
                         redraws=[], created_at=t0))
    db.add_all(made)
    db.commit()
    return made


def test_plans_page_sort_search_filter_export(client, world, plans):
    login_as(client, "leader-330100")                              # the city covers both counties
    first = client.get("/inspection/plans")
    assert first.status_code == 200 and f"共 {len(plans)} 条，第 1/2 页" in first.text
    a = _ids(first.text, "/inspection/plans/")
    b = _ids(client.get("/inspection/plans?page=2").text, "/inspection/plans/")
    assert len(a) == 50 and len(a) + len(b) == len(plans) and not set(a) & set(b)
    by_id = {x.id: x for x in plans}
    starts = [by_id[i].period_start for i in a + b]
    assert starts == sorted(starts, reverse=True)                 # newest period first
    names = [by_id[i].name for i in _ids(client.get("/inspection/plans?sort=name&size=500").text, "/inspection/plans/")]
    assert names == sorted(names)
    found = _ids(client.get("/inspection/plans?q=双随机07号").text, "/inspection/plans/")
    assert [by_id[i].name for i in found] == ["2026年双随机07号"]
    y2026 = _ids(client.get("/inspection/plans?year=2026&mode=routine&size=500").text, "/inspection/plans/")
    assert y2026 and all(by_id[i].period_start.year == 2026 and by_id[i].mode == "routine" for i in y2026)
    assert len(y2026) == sum(1 for x in plans if x.period_start.year == 2026 and x.mode == "routine")
    rows = _csv_rows(client.get("/inspection/plans.csv?status=draft"))
    assert len(rows) - 1 == sum(1 for x in plans if x.status == "draft") and {r[6] for r in rows[1:]} == {"待抽取"}
    x = _xlsx_rows(client.get("/inspection/plans.xlsx"))
    assert len(x) - 1 == len(plans)
    _bad_params(client, "/inspection/plans", "sort=seed", "page=0", "status=x", "mode=x", "year=99999")
    login_as(client, "leader-330102")                              # a county sees only its own plans
    assert f"共 {sum(1 for x in plans if x.agency_id == world.agencies['330102'].id)} 条" in \
        client.get("/inspection/plans").text


@pytest.fixture
def tasks(db, world):
    from datetime import date

    from greensword.inspection.models import Record, Task

    made = []
    t0 = datetime(2026, 3, 1, tzinfo=TZ)
    for i in range(70):
        code = "330106" if i % 6 == 0 else "330102"
        ent = world.enterprises[f"{code}-{'key' if i % 2 else 'small'}"]
        made.append(Task(agency_id=ent.agency_id, enterprise_id=ent.id, source=["routine", "lead", "complaint"][i % 3],
                         source_ref=f"来源{i}", officer_ids=[world.officers[f"{code}-0"].id],
                         due_date=date(2026, 1, 1) + timedelta(days=i * 5), status="submitted" if i % 4 == 0 else "open",
                         created_at=t0))
    db.add_all(made)
    db.flush()
    for i, t in enumerate(made):
        if t.status == "submitted":
            db.add(Record(task_id=t.id, checklist={}, findings="", violation=i % 8 == 0, signatures=[],
                          status="submitted", checked_at=t0 + timedelta(days=i), submitted_at=t0 + timedelta(days=i)))
    db.commit()
    return made


def test_tasks_page_sort_filter_overdue_export(client, world, tasks, monkeypatch):
    from datetime import date

    from greensword.inspection import pages

    monkeypatch.setattr(pages, "now", lambda: datetime(2026, 6, 1, 12, tzinfo=TZ))
    today = date(2026, 6, 1)
    mine = [t for t in tasks if t.agency_id == world.agencies["330102"].id]
    open_ = [t for t in mine if t.status == "open"]
    login_as(client, "officer-330102")
    first = client.get("/inspection/tasks")
    assert f"共 {len(open_)} 条" in first.text
    a = _ids(first.text, "/inspection/tasks/")
    b = _ids(client.get("/inspection/tasks?page=2").text, "/inspection/tasks/")
    assert len(a) + len(b) == len(open_) and not set(a) & set(b)
    by_id = {t.id: t for t in tasks}
    assert [by_id[i].due_date for i in a + b] == sorted(t.due_date for t in open_)
    desc = _ids(client.get("/inspection/tasks?sort=-due&size=500").text, "/inspection/tasks/")
    assert desc == (a + b)[::-1]
    r = client.get("/inspection/tasks?status=all&size=500")
    assert f"共 {len(mine)} 条" in r.text
    # overdue: only open tasks past their due date; submitted ones are done, never overdue
    late = _ids(client.get("/inspection/tasks?status=all&overdue=1&size=500").text, "/inspection/tasks/")
    assert sorted(late) == sorted(t.id for t in mine if t.status == "open" and t.due_date < today)
    done = client.get("/inspection/tasks?status=submitted&size=500").text
    assert "已逾期" not in done.split("<tbody>")[1]
    assert client.get("/inspection/tasks?size=500").text.split("<tbody>")[1].count("已逾期") == \
        sum(1 for t in open_ if t.due_date < today)
    lead = _ids(client.get("/inspection/tasks?source=lead&size=500").text, "/inspection/tasks/")
    assert lead and all(by_id[i].source == "lead" for i in lead)
    rows = _csv_rows(client.get("/inspection/tasks.csv?status=all"))
    assert len(rows) - 1 == len(mine)
    assert sum(1 for r in rows[1:] if r[8] == "是") == len(late)
    _bad_params(client, "/inspection/tasks", "sort=officer_ids", "status=x", "source=x", "page=-1", "size=0")


def test_public_results_page_filter_export(client, world, tasks):
    done = [t for t in tasks if t.status == "submitted" and t.source == "routine"]
    r = client.get("/public/inspections?size=5")                   # no login: the public page
    assert r.status_code == 200 and f"共 {len(done)} 条" in r.text
    rows = _csv_rows(client.get("/public/inspections.csv"))
    assert len(rows) - 1 == len(done)
    dates = [x[4] for x in rows[1:]]
    assert dates == sorted(dates, reverse=True)
    bad = _csv_rows(client.get("/public/inspections.csv?result=1"))
    assert 0 < len(bad) - 1 < len(done) and {x[6] for x in bad[1:]} == {"发现环境违法问题，依法处理"}
    ent = world.enterprises["330106-small"]
    found = _csv_rows(client.get(f"/public/inspections.csv?q={ent.uscc}"))
    assert len(found) - 1 == sum(1 for t in done if t.enterprise_id == ent.id) and {x[1] for x in found[1:]} == {ent.uscc}
    county = _csv_rows(client.get(f"/public/inspections.csv?agency_id={world.agencies['330102'].id}"))
    assert len(county) - 1 == sum(1 for t in done if t.agency_id == world.agencies["330102"].id)
    _bad_params(client, "/public/inspections", "sort=findings", "result=2", "page=0")


# --- the statistics workbook: every figure with 同比 and 环比 ----------------------------------------

def test_statistics_workbook_has_yoy_and_chain_for_every_figure(client, db, world):
    from datetime import date

    from openpyxl import load_workbook

    from greensword.evaluation import statistics
    from tests.evaluation.test_figures import _filed

    _filed(db, world, [date(2025, 3, 10)] * 6 + [date(2026, 2, 10)] * 8 + [date(2026, 3, 10)] * 9)
    db.commit()
    login_as(client, "leader-330102")
    county = world.agencies["330102"]
    r = client.get(f"/statistics.xlsx?agency_id={county.id}&start=2026-03-01&end=2026-03-31")
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[3]]
    labels = list(statistics.LABELS.values())
    assert len(header) == 1 + 3 * len(labels)
    for label in labels:
        assert f"{label}同比" in header and f"{label}环比" in header, label
    total = [row for row in ws.iter_rows(min_row=4, values_only=True) if row[0] and "合计" in str(row[0])][0]
    col = header.index("立案数")
    assert total[col] == 9 and total[col + 1] == 0.5 and total[col + 2] == 0.125      # 9 vs 6 a year ago, vs 8 in Feb
    rate = header.index(statistics.LABELS["plan_completion"])
    assert total[rate + 1] == "—" and total[rate + 2] == "—"                          # no denominator: not given
    notes = " ".join(str(c.value) for c in ws["A"] if c.value)
    assert "计划完成率" in notes and "个百分点" in notes


# --- the case list ----------------------------------------------------------------------------------

def test_case_list_sort_filter_export_and_violation_names(client, db, world):
    from datetime import date

    from greensword.cases import discretion
    from greensword.cases import service as cases
    from tests.factories import actor

    officer = actor(db, world, "officer-330102")
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    v = discretion.rules().violations[0]
    made = []
    for i in range(12):
        ent = world.enterprises["330102-key" if i % 2 else "330102-small"]
        made.append(cases.open_case(db, officer, enterprise_id=ent.id, title=f"排序案件{i}", facts="事实",
                                    source="lead" if i % 3 == 0 else "manual", discovered_on=date(2026, 1, 1 + i),
                                    officer_ids=offs, violation_code=v.code if i % 4 == 0 else None))
    db.commit()
    login_as(client, "officer-330102")
    r = client.get("/cases?sort=discovered&size=5")
    assert "共 12 条，第 1/3 页" in r.text
    ids = _ids(r.text, "/cases/")
    assert ids == [c.id for c in sorted(made, key=lambda c: c.discovered_on)][:5]
    assert v.name[:20] in r.text and v.code not in r.text.split("<tbody>")[-1]       # the name, not the code
    src = _ids(client.get("/cases?source=lead&size=100").text, "/cases/")
    assert sorted(src) == sorted(c.id for c in made if c.source == "lead")
    rows = _csv_rows(client.get("/cases.csv?sort=-discovered"))
    assert len(rows) - 1 == len(made) and rows[1][0] == made[-1].number
    assert {x[4] for x in rows[1:]} == {v.name, "未认定"}
    x = _xlsx_rows(client.get(f"/cases.xlsx?violation={v.code}"))
    assert len(x) - 1 == sum(1 for c in made if c.violation_code)
    _bad_params(client, "/cases", "sort=facts", "stage=nope", "source=nope", "page=0")


# --- registry: enterprises and officers ---------------------------------------------------------------

def test_registry_lists_sort_filter_and_streamed_exports(client, db, world, county):
    login_as(client, "admin-330100")
    r = client.get("/registry/enterprises?sort=-name&size=10")
    assert r.status_code == 200
    names = re.findall(r'<td><a href="/registry/enterprises/\d+">([^<]+)</a>', r.text)
    total = int(re.search(r"共 (\d+) 条", r.text).group(1))
    assert total == 40 + 4 and len(names) == 10 and names == sorted(names, reverse=True)
    assert "page=2" in r.text.split('class="pager"')[1] and "sort=-name" in r.text.split('class="pager"')[1]
    red = client.get("/registry/enterprises?credit_class=red&size=500").text
    assert "共 10 条" in red
    x = _xlsx_rows(client.get("/api/v1/registry/export/enterprises.xlsx?credit_class=red"))
    assert len(x) - 1 == 10 and x[0][0] == "统一社会信用代码"
    c = client.get("/api/v1/registry/export/enterprises.csv")
    rows = _csv_rows(c)
    assert len(rows) - 1 == total == int(c.headers["x-total-count"])
    q = _csv_rows(client.get("/api/v1/registry/export/enterprises.csv?q=上城测试企业1"))
    assert len(q) - 1 == 11                                        # 1 and 10–19
    off = client.get("/registry/officers?sort=name&certified=1")
    assert off.status_code == 200 and "执法人员" in off.text.split("<tbody>")[1]       # roles in words
    assert ">officer<" not in off.text
    orows = _csv_rows(client.get("/api/v1/registry/export/officers.csv?certified=1"))
    assert len(orows) - 1 == int(re.search(r"共 (\d+) 条", off.text).group(1))
    _bad_params(client, "/registry/enterprises", "sort=password", "page=0", "size=501")
    _bad_params(client, "/registry/officers", "sort=roles", "page=0")
    assert client.get("/api/v1/registry/export/nothing.csv").status_code == 422
