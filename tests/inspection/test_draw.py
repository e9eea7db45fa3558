import copy
import math
import random
from datetime import date

import pytest

from greensword.inspection.draw import DrawError, run_draw
from greensword.inspection.service import sampling


def population(n=2000, seed=1):
    rng = random.Random(seed)
    ents = []
    for i in range(n):
        ents.append({"id": i + 1, "uscc": f"91330102MA{i:08d}", "key_polluter": "air" if rng.random() < 0.1 else "",
                     "credit_class": rng.choices(["green", "blue", "yellow", "red"], [20, 60, 15, 5])[0],
                     "positive_list": rng.random() < 0.05, "industry_code": "C2614"})
    return ents


def officers(n=12):
    return [{"id": 100 + i, "certified": i % 6 != 5, "department": "生态环境", "agency_code": "330102"}
            for i in range(n)]


def params(**over):
    r = sampling(date(2026, 1, 1))
    p = {"strata": [s.model_dump() for s in r.strata], "credit_multiplier": r.credit_multiplier,
         "exclude_positive_list": True, "team_size": 2, "teams": 4, "partner_departments": [],
         "conflicts": [], "previous": []}
    p.update(over)
    return p


def test_same_inputs_same_result_and_any_change_changes_it():
    ents, offs, p = population(), officers(), params()
    a = run_draw("2026-Q1 公开摇号 83921", ents, offs, p)
    assert run_draw("2026-Q1 公开摇号 83921", copy.deepcopy(ents), copy.deepcopy(offs), copy.deepcopy(p)).hash == a.hash
    changed_ent = copy.deepcopy(ents)
    changed_ent[7]["credit_class"] = "red" if changed_ent[7]["credit_class"] != "red" else "green"
    variants = [
        run_draw("2026-Q1 公开摇号 83922", ents, offs, p),
        run_draw("2026-Q1 公开摇号 83921", changed_ent, offs, p),
        run_draw("2026-Q1 公开摇号 83921", ents, offs[:-1], p),
        run_draw("2026-Q1 公开摇号 83921", ents, offs, params(teams=3)),
    ]
    for v in variants:
        assert v.hash != a.hash
        assert v.digest != a.digest


def test_strata_ratios_met_and_positive_list_excluded():
    ents = population()
    r = run_draw("s", ents, officers(), params())
    pool = [e for e in ents if not e["positive_list"]]
    key = [e for e in pool if e["key_polluter"]]
    special = [e for e in pool if not e["key_polluter"] and e["credit_class"] in ("yellow", "red")]
    general = [e for e in pool if e not in key and e not in special]
    want = {"key": math.ceil(0.25 * len(key)), "special": math.ceil(0.15 * len(special)),
            "general": math.ceil(0.05 * len(general))}
    got = {}
    for it in r.items:
        got[it["stratum"]] = got.get(it["stratum"], 0) + 1
    assert got == want
    assert {k: v["population"] for k, v in r.strata.items()} == {"key": len(key), "special": len(special),
                                                                  "general": len(general)}
    positive = {e["id"] for e in ents if e["positive_list"]}
    assert not positive & {it["enterprise_id"] for it in r.items}


def test_teams_certified_conflicts_and_previous_avoided_load_balanced():
    ents, offs = population(600), officers()
    base = run_draw("seed", ents, offs, params())
    certified = {o["id"] for o in offs if o["certified"]}
    for t in base.teams:
        assert len(t) >= 2 and set(t) <= certified
    # declare a conflict for a drawn pair and avoid the previous draw's pairs
    it = base.items[0]
    conflicts = [[it["officers"][0], it["enterprise_id"]]]
    previous = [[o, x["enterprise_id"]] for x in base.items[1:20] for o in x["officers"]]
    r = run_draw("seed", ents, offs, params(conflicts=conflicts, previous=previous))
    pairs = {(o, x["enterprise_id"]) for x in r.items for o in x["officers"]}
    assert not pairs & {tuple(c) for c in conflicts}
    assert not pairs & {tuple(p) for p in previous}
    loads = [sum(1 for x in r.items if x["team"] == i) for i in range(len(r.teams))]
    assert max(loads) - min(loads) <= 1 + len(previous) // len(r.teams)


def test_poor_credit_drawn_more_often_than_good_credit():
    ents = [{"id": i, "uscc": f"U{i:06d}", "key_polluter": "", "credit_class": "red" if i % 2 else "green",
             "positive_list": False} for i in range(400)]
    p = params(strata=[{"code": "general", "name": "一般", "match": {}, "ratio": 0.1}])
    red = green = 0
    for s in range(30):
        for it in run_draw(f"s{s}", ents, officers(), p).items:
            if it["enterprise_id"] % 2:
                red += 1
            else:
                green += 1
    assert red > 2 * green


def test_joint_plan_teams_include_another_department_and_too_few_officers_refused():
    offs = officers() + [{"id": 900 + i, "certified": True, "department": "自然资源", "agency_code": "330102"}
                         for i in range(4)]
    r = run_draw("j", population(300), offs, params(partner_departments=["自然资源"]))
    for t in r.teams:
        assert any(o >= 900 for o in t) and sum(1 for o in t if o < 900) >= 2
    with pytest.raises(DrawError):
        run_draw("x", population(50), officers(1), params())


def test_rotating_stratum_covers_everyone_within_four_quarters():
    ents = population(800)
    key = {e["id"] for e in ents if e["key_polluter"] and not e["positive_list"]}
    drawn: set[int] = set()
    for q in range(4):
        r = run_draw(f"q{q}", ents, officers(), params(rotate=["key"], already_drawn=sorted(drawn)))
        drawn |= {it["enterprise_id"] for it in r.items if it["stratum"] == "key"}
    assert drawn == key


def test_cross_region_teams_come_from_the_other_county():
    offs = [{"id": 500 + i, "certified": True, "department": "生态环境", "agency_code": "330203"} for i in range(6)]
    r = run_draw("cross", population(200), offs, params(teams=3))
    assert {o for t in r.teams for o in t} <= {o["id"] for o in offs}


def test_the_service_hashes_its_inputs_once_as_the_draw_would():
    """The draw service hashes the snapshots it publishes once and hands the hashes to the draw;
    the result is the one the draw gets hashing them itself (what verification does)."""
    from greensword.core.canonical import sha256_hex
    from greensword.inspection.service.draws import _canonical

    ents, offs, p = population(300), officers(), params()
    hashes = tuple(_canonical(x)[1] for x in (ents, offs)) + (sha256_hex(p),)
    assert hashes[:2] == (sha256_hex(ents), sha256_hex(offs))
    given = run_draw("2026-Q2 公开摇号 10001", ents, offs, p, input_hashes=hashes)
    assert given.as_dict() == run_draw("2026-Q2 公开摇号 10001", ents, offs, p).as_dict()
