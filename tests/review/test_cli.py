from datetime import date

from greensword.review import service as review
from tests.evaluation.test_review_and_ranking import _closed_cases
from tests.factories import actor


def test_review_cli_rounds_show_and_verify(cli, db, world):
    _closed_cases(db, world, "330102", 3)
    _closed_cases(db, world, "330203", 2)
    admin = actor(db, world, "admin-330000")
    rnd = review.create_round(db, admin, agency_id=world.agencies["330000"].id, name="年度评查",
                              start=date(2026, 1, 1), end=date(2026, 12, 31), seed="种子-CLI")
    for f in review.round_files(db, rnd):
        review.score_file(db, actor(db, world, f.reviewer), f.id, deductions={"record": 4}, vetoes=[],
                          reasons={"record": "笔录缺签名页"})
    db.commit()
    r = cli("review", "rounds")
    assert r.exit_code == 0 and "年度评查" in r.output and "未公布" in r.output, r.output
    r = cli("review", "show", rnd.id)
    assert r.exit_code == 0 and r.output.count("96.00") == 2, r.output
    r = cli("review", "verify")
    assert r.exit_code == 0 and f"批次 {rnd.id}：复算一致" in r.output
    rnd.seed = "种子-CLI（改）"                    # a stored input changed after the draw
    db.commit()
    r = cli("review", "verify", rnd.id)
    assert r.exit_code == 1 and "1 个不一致" in r.output
