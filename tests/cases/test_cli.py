from datetime import date

from greensword.core.errors import NotFound


def test_cases_cli_lists_shows_and_reports_overdue(cli, db, world, flow):
    c = flow.open(discovered=date(2026, 3, 2))
    other = flow.open(discovered=date(2026, 3, 5))
    flow.act(c, "file", date(2026, 3, 3))
    db.commit()
    r = cli("cases", "list")
    assert r.exit_code == 0 and "共 2 件" in r.output, r.output
    r = cli("cases", "list", "--stage", "filed")
    assert r.exit_code == 0 and "共 1 件" in r.output and f"│ {c.id} " in r.output and f"│ {other.id} " not in r.output
    r = cli("cases", "show", c.number)
    assert r.exit_code == 0 and "阶段：已立案" in r.output and "file" in r.output and "待办：" in r.output, r.output
    assert cli("cases", "show", str(other.id)).output.count("阶段：") == 1
    r = cli("cases", "show", "no-such-case")
    assert isinstance(r.exception, NotFound)
    r = cli("cases", "overdue")                     # discovered in March 2026, never decided: overdue steps
    assert r.exit_code == 0 and "逾期环节 0 个" not in r.output
