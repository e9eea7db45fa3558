from datetime import date

from openpyxl import load_workbook

from greensword.core.errors import NotFound
from tests.evaluation.test_review_and_ranking import _closed_cases


def test_evaluation_cli_ranking_and_statistics_export(cli, db, world, tmp_path):
    year = date.today().year
    _closed_cases(db, world, "330102", 2, year=year)
    _closed_cases(db, world, "330203", 1, year=year)
    db.commit()
    r = cli("evaluation", "ranking", "--year", year)
    assert r.exit_code == 0 and "名次" in r.output, r.output
    r = cli("evaluation", "statistics", "--agency", "330100")
    assert r.exit_code == 0 and "立案数" in r.output and "│ 2 " in r.output, r.output
    out = tmp_path / "report.xlsx"
    r = cli("evaluation", "statistics", "--out", out)
    assert r.exit_code == 0, r.output
    ws = load_workbook(out).active
    rows = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=2).value for i in range(4, ws.max_row + 1)}
    assert rows["浙江省生态环境厅（合计）"] == 3 == rows["杭州市生态环境局"] + rows["宁波市生态环境局"]
    assert isinstance(cli("evaluation", "statistics", "--agency", "999999").exception, NotFound)
