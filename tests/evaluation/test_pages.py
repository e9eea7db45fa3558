import io
from datetime import date

import pytest
from openpyxl import load_workbook

from greensword.evaluation import service as ev
from tests.browser import browser_page, live_server, login
from tests.conftest import login_as
from tests.evaluation.test_review_and_ranking import _closed_cases
from tests.factories import actor


def test_statistics_excel_api_ranking_card_pages(client, db, world):
    _closed_cases(db, world, "330102", 2, year=date.today().year)
    db.commit()
    login_as(client, "leader-330000")
    r = client.get("/statistics")
    assert r.status_code == 200 and "立案数" in r.text and "杭州市生态环境局" in r.text
    x = client.get("/statistics.xlsx")
    ws = load_workbook(io.BytesIO(x.content)).active
    assert "执法统计报表" in ws["A1"].value
    rows = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=2).value for i in range(4, ws.max_row + 1)}
    assert rows["浙江省生态环境厅（合计）"] == 2 == rows["杭州市生态环境局"] + rows["宁波市生态环境局"]
    api = client.get("/api/v1/evaluation/statistics").json()
    assert api["unit"]["cases_filed"] == 2
    assert client.get("/evaluation?level=county").status_code == 200
    a = world.agencies["330102"]
    r = client.get(f"/evaluation/units/{a.id}")
    assert r.status_code == 200 and "计分方法" in r.text
    assert client.get("/evaluation/notice.docx").content[:2] == b"PK"
    assert client.get("/dashboard").status_code == 200


@pytest.mark.browser
def test_leader_dashboard_and_ranking_in_browser(app, db, world):
    _closed_cases(db, world, "330102", 2, year=date.today().year)
    evaluator = actor(db, world, "evaluator-330000")
    for code in ("330106", "330203"):
        ev.enter(db, evaluator, year=date.today().year, agency_id=world.agencies[code].id, indicator="team",
                 value=7, evidence="材料")
    db.commit()
    with live_server(app) as base, browser_page(viewport={"width": 1280, "height": 900}) as page:
        login(page, base, "leader-330000")
        page.goto(f"{base}/dashboard")
        assert "立案数" in page.locator("#kpis").inner_text()
        page.wait_for_function("document.querySelector('#months canvas') !== null")    # ECharts drew
        page.goto(f"{base}/evaluation?level=county")
        text = page.locator("#ranking").inner_text()
        assert "第2名（并列）" in text and "第1名" in text
