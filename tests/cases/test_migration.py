"""The cases procedure migration keeps an existing case's deadline: its extension and its
counted-out days move into the new extension list and pause intervals (SQLite)."""

import json
from datetime import date

import sqlalchemy as sa
from alembic import command

from greensword.core.migrate import alembic_config


def test_backfill_keeps_old_deadlines(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0004_cases")
    engine = sa.create_engine(url)
    with engine.begin() as cx:
        cx.execute(sa.text("insert into agency (id, division_code, name, level, path, updated_at) values"
                           " (1, '330102', '上城分局', 'county', '/1/', '2026-01-01 00:00:00+08:00')"))
        cx.execute(sa.text("insert into enterprise (id, uscc, name, address, agency_id, industry_code, key_polluter,"
                           " credit_class, positive_list, updated_at) values (1, '91330102MA0000000X', '企业', '地址',"
                           " 1, 'C2614', '', 'blue', 0, '2026-01-01 00:00:00+08:00')"))
        cx.execute(sa.text(
            "insert into penalty_case (id, number, agency_id, enterprise_id, title, source, source_ref, facts, stage,"
            " officer_ids, tags, major, discretion, departure_reason, offset_points, offset_yuan, paid_yuan,"
            " discovered_on, filed_on, hearing_on, paused_days, extension_days, appeal, created_at) values"
            " (1, 'N1', 1, 1, 't', 'manual', '', 'f', 'heard', '[]', '[]', 1, '{}', '', 0, 0, 0,"
            " '2026-03-02', '2026-03-03', '2026-03-20', 8, 30, :appeal, '2026-03-02 00:00:00+08:00')"),
            {"appeal": json.dumps({"kind": "reconsideration", "outcome": "upheld", "on": "2026-05-10"})})
        cx.execute(sa.text("insert into penalty_case_event (case_id, action, \"on\", by, data, at) values"
                           " (1, 'open', '2026-03-02', 'u', '{}', '2026-03-02 00:00:00+08:00')"))   # a child row
    command.upgrade(cfg, "heads")
    with engine.begin() as cx:
        ext, appeals = cx.execute(sa.text("select extensions, appeals from penalty_case where id = 1")).one()
        pauses = cx.execute(sa.text("select kind, started_on, ended_on from penalty_case_pause")).all()
    assert json.loads(ext)[0]["days"] == 30
    assert json.loads(appeals)[0]["decided_on"] == "2026-05-10"
    assert [(k, str(s), str(e)) for k, s, e in pauses] == [("hearing", "2026-03-03", "2026-03-11")]
    from types import SimpleNamespace

    from greensword.cases import deadlines

    case = SimpleNamespace(filed_on=date(2026, 3, 3), extensions=json.loads(ext))
    p = [SimpleNamespace(kind="hearing", started_on=date(2026, 3, 3), ended_on=date(2026, 3, 11))]
    assert deadlines.decision_deadline(case, p) == date(2026, 7, 9)     # 03-03 + 90 + 8 + 30
    command.downgrade(cfg, "0004_cases")
