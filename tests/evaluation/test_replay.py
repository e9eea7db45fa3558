"""Replay: a county world built through the public services reproduces the published figures of
seed 002 (永康, 2021): 165 cases, 131 penalty decisions, 14 non-penalty decisions, fines 12.33
million yuan, 45 配套办法 cases (27 seizures, 2 production limits, 11 criminal transfers, 5
detention transfers); a year-on-year rise of 23.8 % (as in "air-pollution cases up 23.8 %");
and the ministry's 2023 provincial ranking with its tie for third (seed 003)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from greensword.cases import service as cases
from greensword.evaluation import statistics
from greensword.evaluation.service import rank_label
from greensword.registry.models import Agency
from tests.factories import SYSTEM, actor

pytestmark = [pytest.mark.slow, pytest.mark.db]


def _case(db, world, who, code, start, i):
    ent = world.enterprises["330102-key" if i % 2 else "330102-small"]
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    c = cases.open_case(db, who["officer"], enterprise_id=ent.id, title=f"案件{i}", facts=f"违法事实{i}",
                        source="lead" if i % 5 == 0 else "inspection", discovered_on=start, officer_ids=offs,
                        violation_code=code)
    cases.add_evidence_document(db, who["officer"], c, "证据", f"e{i}".encode())
    cases.act(db, who["leader"], c.id, "file", on=start + timedelta(days=1), documents_on=False)
    return c


def _decide(db, who, c, start, *, fine=None, answers, facts=None, non_penalty=False, reason=""):
    cases.act(db, who["officer"], c.id, "investigate", on=start + timedelta(days=2), documents_on=False)
    cases.apply_discretion(db, who["officer"], c, answers=answers, facts=facts, fine=fine, departure_reason=reason)
    cases.act(db, who["officer"], c.id, "submit_review", on=start + timedelta(days=5), documents_on=False)
    cases.act(db, who["reviewer"], c.id, "approve_review", on=start + timedelta(days=6), documents_on=False)
    cases.act(db, who["officer"], c.id, "notify", on=start + timedelta(days=7), documents_on=False)
    # in 2021 the 2010 hearing rule (50,000 yuan) puts these fines in the hearing scope: 法制审核 and
    # 集体讨论 come before the decision
    cases.act(db, who["reviewer"], c.id, "legal_review", on=start + timedelta(days=15), documents_on=False,
              data={"qualification": "A20203301000123", "opinion": "approve", "defence_received": True,
                    "hearing_waived": True})
    cases.act(db, who["leader"], c.id, "discuss", on=start + timedelta(days=18), documents_on=False,
              data={"participants": ["局长", "副局长", "法规科长"], "conclusion": "同意"})
    action = "decide_non_penalty" if non_penalty else "decide"
    cases.act(db, who["leader"], c.id, action, on=start + timedelta(days=20), documents_on=False,
              data={"fine": fine} if fine else {})


def test_replay_yongkang_2021_and_ministry_ranking(db, world):
    who = {r: actor(db, world, f"{r}-330102") for r in ("officer", "leader", "reviewer")}
    air_low = {"kind": "未联网/数据缺失<=72h", "duration": "<=1个月"}
    air_99 = {"ratio": "<0.5倍", "duration": "单次", "area": "一般区域", "pollutant": "颗粒物/SO2/NOx"}
    i = 0
    # 2020: 21 air cases (AIR-99-2) filed
    for k in range(21):
        _case(db, world, who, "AIR-99-2", date(2020, 3, 2) + timedelta(days=7 * k), i)
        i += 1
    decided = []
    start = date(2021, 2, 1)
    for k in range(125):                      # 125 × 93,840
        d = start + timedelta(days=2 * k)
        c = _case(db, world, who, "AIR-100-3", d, i)
        _decide(db, who, c, d, fine=93_840, answers=air_low, reason="依据本地区同类案件裁量实践")
        decided.append(c)
        i += 1
    for k in range(6):                        # 6 air-emission cases at the statutory floor
        d = start + timedelta(days=3 * k + 1)
        c = _case(db, world, who, "AIR-99-2", d, i)
        _decide(db, who, c, d, fine=100_000, answers=air_99, reason="当事人主动减轻危害后果，按下限处罚")
        decided.append(c)
        i += 1
    for k in range(14):                       # 14 non-penalty decisions (首违不罚)
        d = start + timedelta(days=5 * k + 2)
        c = _case(db, world, who, "SW-112-1", d, i)
        _decide(db, who, c, d, answers={"extent": "个别场所"}, non_penalty=True,
                facts={"first_offence": True, "minor_harm": True, "corrected_in_time": True})
        i += 1
    for k in range(20):                       # 20 air cases still under investigation
        _case(db, world, who, "AIR-99-2", date(2021, 9, 1) + timedelta(days=k), i)
        i += 1
    plan = [("seizure", 27), ("restriction", 2), ("criminal_transfer", 11), ("detention_transfer", 5)]
    n = 0
    for kind, count in plan:
        for _ in range(count):
            c = decided[n]
            data = {"receiver": "永康市公安局", "reason": "涉嫌环境违法犯罪"} if "transfer" in kind else {}
            c.stage, saved = "reviewing", c.stage            # measures are taken during the case
            cases.add_measure(db, who["leader"], c, kind, started_on=c.filed_on + timedelta(days=1), data=data)
            c.stage = saved
            n += 1
    db.flush()

    f = statistics.Filters(date(2021, 1, 1), date(2021, 12, 31))
    county = world.agencies["330102"]
    rep = statistics.report(db, county, f)["unit"]
    assert rep["cases_filed"] == 165
    assert rep["decisions"] == 131
    assert rep["non_penalty"] == 14
    assert rep["fines_yuan"] == 12_330_000
    assert (rep["seizure"], rep["restriction"], rep["criminal_transfer"], rep["detention_transfer"]) == (27, 2, 11, 5)
    assert rep["supporting_measures"] == 45
    # roll-up: the province says the same, as the sum of its cities
    figs = statistics.compute(db, f)
    prov, cities = world.agencies["330000"], [world.agencies["330100"], world.agencies["330200"]]
    for key in ("cases_filed", "decisions", "fines_yuan", "non_penalty", "supporting_measures", "seizure"):
        assert figs[prov.id].get(key) == sum(figs[c.id].get(key) for c in cities) == rep[key]
    # year on year: air-emission cases (AIR-99-2) 21 → 26, up 23.8 %
    air = statistics.report(db, county, statistics.Filters(date(2021, 1, 1), date(2021, 12, 31),
                                                           violation_code="AIR-99-2"))["unit"]
    assert air["cases_filed"] == 26 and air["last_year"]["cases_filed"] == 21
    assert f"{air['yoy']['cases_filed'] * 100:.1f}" == "23.8"

    # the ministry's 2023 provincial list (seed 003), ranked by evaluate() from recorded indicator
    # values: 江苏 tied for third with 浙江. Values are entered in reverse order so neither the
    # insertion order nor the division codes give the answer.
    from greensword.evaluation import service as ev
    from greensword.registry import service as registry
    from greensword.registry.schemas import AgencyIn

    codes = {"山东": "370000", "福建": "350000", "浙江": "330000", "江苏": "320000", "上海": "310000",
             "重庆": "500000", "天津": "120000", "安徽": "340000", "辽宁": "210000", "内蒙古": "150000",
             "广西": "450000"}
    for name, code in codes.items():
        if code != "330000":
            registry.create_agency(db, SYSTEM, AgencyIn(
                division_code=code, name=f"{name}生态环境厅", level="province", parent_code="100000"))
    values = {  # organisation, team, training, special (each of 10), air-quality points
        "山东": (10, 10, 10, 10, 3), "福建": (10, 10, 10, 10, 1), "浙江": (10, 9, 10, 10, 0),
        "江苏": (9, 10, 10, 10, 0), "上海": (9, 9, 10, 10, 0), "重庆": (9, 9, 10, 5, 0), "天津": (9, 9, 5, 10, 0),
        "安徽": (8, 9, 5, 10, 0), "辽宁": (8, 8, 5, 10, 0), "内蒙古": (8, 8, 5, 10, -1), "广西": (8, 8, 5, 10, -2)}
    evaluator = actor(db, world, "evaluator-100000")
    by_code = {a.division_code: a for a in db.execute(select(Agency)).scalars()}
    for name in reversed(list(values)):
        for ind, v in zip(("organisation", "team", "training", "special", "air_quality"), values[name], strict=True):
            ev.enter(db, evaluator, year=2025, agency_id=by_code[codes[name]].id, indicator=ind, value=v,
                     evidence="表扬函及省级自评材料")
    cards = ev.evaluate(db, year=2025, level="province")
    rank = {name: next(c for c in cards if c.agency_id == by_code[code].id) for name, code in codes.items()}
    published = list(values)
    assert [n for n in sorted(published, key=lambda n: rank[n].rank)] in (published, [
        *published[:2], "江苏", "浙江", *published[4:]])
    assert rank["山东"].total == 38.0 and rank["山东"].rank == 1 and rank["福建"].rank == 2
    assert rank["浙江"].rank == rank["江苏"].rank == 3 and rank["浙江"].tied and rank["江苏"].tied
    assert rank["上海"].rank == 5 and not rank["上海"].tied and rank["广西"].rank == 11
    assert rank_label(rank["江苏"]) == "第3名（并列）" and rank_label(rank["上海"]) == "第5名"
