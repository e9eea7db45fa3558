import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from greensword.core.errors import IllegalTransition, PermissionDenied, ValidationFailed
from greensword.hj212.codec import build
from greensword.inspection import service as inspection
from greensword.inspection.models import Task
from greensword.offsite import engine, service
from greensword.offsite.models import Lead
from tests.conftest import login_as
from tests.factories import actor
from tests.offsite.conftest import make


def _packets(mn, pw, day: datetime, hours=24, over=range(10, 14), limit=35.0, every=1, cn="2051", factor="a21026"):
    """Data packets for one SO2 point every ``every`` minutes (CN 2051), or hourly (CN 2061) when
    ``every`` is 60; hours in ``over`` exceed the limit."""
    out = []
    for m in range(0, hours * 60, every):
        t = day + timedelta(minutes=m)
        v = limit * (1.6 if t.hour in over else 0.4) * (1 + 0.03 * ((m * 7919) % 13 - 6) / 6)
        out.append(build(st="31", cn=cn, pw=pw, mn=mn, qn=t.strftime("%Y%m%d%H%M%S") + "000", flag=4,
                         cp={"DataTime": t.strftime("%Y%m%d%H%M%S"), f"{factor}-Avg": f"{v:.3f}",
                             f"{factor}-Flag": "N"}))
    return out


MN1 = "010000A8900016F000169DC0"


def _run(tmp_path, lines, limits_csv):
    f = tmp_path / "dump.txt"
    f.write_bytes(b"".join(lines))
    lim = tmp_path / "limits.csv"
    lim.write_text(limits_csv, encoding="utf-8")
    out = tmp_path / "leads.jsonl"
    r = subprocess.run([sys.executable, "-m", "greensword.cli", "offsite", "screen", str(f), "--limits", str(lim),
                        "--out", str(out)], capture_output=True, text=True, env=os.environ)
    leads = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return r, leads


LIMITS = f"mn,factor,limit,unit,ref_o2\n{MN1},a21026,35,mg/m3,\n"


def test_screen_cli_packets_to_jsonl(tmp_path):
    r, leads = _run(tmp_path, _packets(MN1, "123456", datetime(2026, 3, 2)) + [b"##garbage\r\n"], LIMITS)
    assert r.returncode == 0, r.stderr
    assert [(x["detector"], x["start"], x["end"]) for x in leads] == [
        ("exceedance", "2026-03-02T10:00:00+08:00", "2026-03-02T14:00:00+08:00")]
    x = leads[0]
    assert set(x) >= {"mn", "factor", "detector", "start", "end", "score", "evidence"}
    assert x["evidence"]["query"].startswith("SELECT") and len(x["evidence"]["rows"]) == 4
    assert "超过限值 35" in x["evidence"]["explanation"] and x["evidence"]["rule"]["source"]["title"]
    assert "无法解析的报文 1 条" in r.stderr


@pytest.mark.parametrize("every", [5, 10, 15])
def test_ten_minute_dump_with_hourly_data_has_no_missing_data_leads(tmp_path, every):
    """The interval most loggers use: each hour has 6 (or 4, 12) samples — valid by time covered."""
    day = datetime(2026, 3, 2)
    lines = _packets(MN1, "123456", day, every=every) + _packets(MN1, "123456", day, every=60, cn="2061")
    r, leads = _run(tmp_path, lines, LIMITS)
    assert r.returncode == 0, r.stderr
    assert [(x["detector"], x["start"][11:16], x["end"][11:16]) for x in leads] == [("exceedance", "10:00", "14:00")]


def test_hourly_only_point_is_screened_on_hourly_data(tmp_path):
    day = datetime(2026, 3, 2)
    r, leads = _run(tmp_path, _packets(MN1, "123456", day, every=60, cn="2061"), LIMITS)
    assert r.returncode == 0, r.stderr
    assert [(x["detector"], x["start"][11:16], x["end"][11:16]) for x in leads] == [("exceedance", "10:00", "14:00")]
    assert leads[0]["evidence"]["rows"][0]["source"] == "hour"


def test_interval_changing_mid_dump_and_a_real_gap(tmp_path):
    day = datetime(2026, 3, 2)
    lines = [p for p in _packets(MN1, "123456", day, hours=12, over=()) ]
    later = _packets(MN1, "123456", day + timedelta(hours=16), hours=8, over=(), every=10)
    r, leads = _run(tmp_path, lines + later, LIMITS)       # 1-minute, then 4 h silent, then 10-minute
    assert r.returncode == 0, r.stderr
    assert [(x["detector"], x["start"][11:16], x["end"][11:16]) for x in leads] == [("missing_data", "12:00", "16:00")]


def test_bad_input_is_skipped_and_said(tmp_path):
    day = datetime(2026, 3, 2)
    other = "020000A8900016F000169DC1"
    lines = (_packets(MN1, "123456", day, every=10) + _packets(other, "123456", day, every=10)
             + _packets(MN1, "123456", day, every=10, factor="a21002", over=())
             + [b"##0010QN=broken\r\n", b"not a packet\r\n"])
    r, leads = _run(tmp_path, lines, LIMITS)
    assert r.returncode == 0, r.stderr
    assert {x["mn"] for x in leads} == {MN1} and [x["detector"] for x in leads] == ["exceedance"]
    assert "无法解析的报文 2 条" in r.stderr
    assert "1 个监测点不在限值表中" in r.stderr and other in r.stderr
    assert "无限值" in r.stderr and "a21002" in r.stderr


@pytest.mark.parametrize("csv,needle", [("mn,limit\nx,1\n", "factor"),
                                        (f"mn,factor,limit,unit,ref_o2\n{MN1},a21026,35,mg/m3,\n{MN1},a21002,abc,,\n",
                                         "第 3 行"),
                                        (f"mn,factor,limit,unit,ref_o2\n{MN1},a21026,-5,mg/m3,\n", "第 2 行")])
def test_a_bad_limits_row_is_an_error_naming_the_line(tmp_path, csv, needle):
    r, _ = _run(tmp_path, _packets(MN1, "123456", datetime(2026, 3, 2), hours=2), csv)
    assert r.returncode == 2 and needle in r.stderr, r.stderr


@pytest.mark.db
def test_lead_lifecycle_folding_and_inspection_request(db, world, tmp_path):
    gas = world.points["330102-gas"]
    root, labels, limits, s, e = make(tmp_path, {"exceedance": 2}, seed=4, points=4, days=3)
    found = engine.screen(root, limits, s, e)
    for f in found:            # pretend the findings are about a registered point
        f.mn = gas.mn
    sys_actor = actor(db, world, "admin-330102")
    created, folded = service.ingest(db, sys_actor, found[:1], str(root))
    assert (created, folded) == (1, 0)
    again = service.ingest(db, sys_actor, found[:1], str(root))          # the same finding next run
    assert again == (0, 1)
    lead = db.execute(select(Lead)).scalar_one()
    assert lead.repeats == 1 and lead.enterprise_id == gas.enterprise_id
    assert lead.due_at - lead.created_at == timedelta(hours=4)          # key polluter: 4 h
    off = actor(db, world, "officer-330102")
    with pytest.raises(IllegalTransition):
        inspection.task_from_lead(db, off, lead.id, officer_ids=[])
    with pytest.raises(ValidationFailed):
        service.act(db, off, lead.id, "dismiss")
    service.act(db, off, lead.id, "confirm", reason="数据与工况不符，确认异常")
    assert lead in service.confirmed_for_planning(db, off)
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    with pytest.raises(ValidationFailed):           # the inspection domain opens the task, not offsite
        service.act(db, off, lead.id, "request_inspection")
    inspection.task_from_lead(db, off, lead.id, officer_ids=offs, due_date=date(2026, 3, 6))
    task = db.get(Task, lead.task_id)
    assert task.source == "lead" and f"线索 {lead.id}" in task.source_ref
    service.act(db, off, lead.id, "close", reason="现场核查属实，已立案")
    assert lead.status == "closed"
    with pytest.raises(IllegalTransition):
        service.act(db, off, lead.id, "confirm")
    # another county cannot see it
    with pytest.raises(PermissionDenied):
        service.get_lead(db, actor(db, world, "officer-330203"), lead.id)


def test_lead_pages(client, db, world, tmp_path, monkeypatch):
    from greensword.settings import get_settings

    gas = world.points["330102-gas"]
    root = get_settings().lake_path
    lim = tmp_path / "l.csv"
    lim.write_text(f"mn,factor,limit,unit,ref_o2\n{gas.mn},a21026,35,mg/m3,\n", encoding="utf-8")
    from greensword.offsite.screen import packets_to_lake, read_limits

    packets_to_lake(_packets(gas.mn, gas.pw, datetime(2026, 3, 2)), root)
    found = engine.screen(root, read_limits(lim), datetime(2026, 3, 2), datetime(2026, 3, 3))
    service.ingest(db, actor(db, world, "admin-330102"), found, str(root))
    db.commit()
    login_as(client, "officer-330102")
    r = client.get("/offsite/leads")
    assert r.status_code == 200 and "超标排放" in r.text
    lead = db.execute(select(Lead)).scalars().first()
    r = client.get(f"/offsite/leads/{lead.id}")
    assert r.status_code == 200 and "复现查询" in r.text and "2026-03-02 10:00" in r.text
    # words, not codes: the factor by name and unit, the explanation without codes or exponents
    assert '<dd id="factor">二氧化硫（mg/m³）</dd>' in r.text
    explanation = r.text.split('id="explanation">')[1].split("</dd>")[0]
    assert "二氧化硫" in explanation and "a21026" not in explanation and "e+" not in explanation
    lead.evidence = {**lead.evidence, "explanation": "a21026 小时均值 9.156e+05 远超 w21003 限值"}
    db.commit()
    explanation = client.get(f"/offsite/leads/{lead.id}").text.split('id="explanation">')[1].split("</dd>")[0]
    assert explanation == "二氧化硫 小时均值 915,600 远超 氨氮 限值"
    assert "<td>二氧化硫</td>" in client.get("/offsite/leads").text
    r = client.post(f"/offsite/leads/{lead.id}/act/confirm", data={"reason": "确认"})
    assert r.status_code == 200 and "已甄别" in r.text
    # “转现场核查” posts to the inspection domain, which owns that step
    assert f'action="/inspection/leads/{lead.id}/task"' in r.text
    r = client.post(f"/inspection/leads/{lead.id}/task", data={"officer": [str(world.officers["330102-0"].id)]})
    assert r.status_code == 200 and "执法人员" in r.text and "已甄别" in r.text     # one officer is too few
    offs = [str(world.officers["330102-0"].id), str(world.officers["330102-1"].id)]
    r = client.post(f"/inspection/leads/{lead.id}/task", data={"officer": offs})
    db.expire_all()
    lead = db.get(Lead, lead.id)
    assert r.status_code == 200 and lead.status == "inspection" and lead.task_id
    assert f'href="/inspection/tasks/{lead.task_id}"' in r.text


def test_numbers_and_money_as_people_write_them():
    from greensword.hj212 import queries as hj212
    from greensword.webkit.templating import fmt_money, fmt_num

    assert fmt_num(9.156e+05) == "915,600" and fmt_num(1234567.891) == "1,234,567.89"
    assert fmt_num(12.0) == "12" and fmt_num(0.000123) == "0.000123" and fmt_num(None) == "—"
    assert fmt_money(915_600) == "91.56 万元" and fmt_money(9_999) == "9,999 元"
    assert hj212.factor_label("w01018") == "化学需氧量（mg/L）" and hj212.factor_name("w21003") == "氨氮"
    assert hj212.factor_name("x99999") == "x99999"
