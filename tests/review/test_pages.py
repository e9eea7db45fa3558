"""The review file page: the reviewer scores with a reason for every deduction, and everyone who
may see the file reads the scoring sheet — items, points, deductions, reasons — not just the total."""

import re
from datetime import date

import pytest

from greensword.review import service as review
from tests.conftest import login_as
from tests.evaluation.test_review_and_ranking import _closed_cases
from tests.factories import actor

pytestmark = pytest.mark.db


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_reviewer_scores_with_reasons_and_the_sheet_is_shown(client, db, world):
    _closed_cases(db, world, "330102", 2)
    _closed_cases(db, world, "330203", 2)
    rnd = review.create_round(db, actor(db, world, "admin-330000"), agency_id=world.agencies["330000"].id,
                              name="年度评查", start=date(2026, 1, 1), end=date(2026, 12, 31), seed="页面评查")
    db.commit()
    f = review.round_files(db, rnd)[0]
    login_as(client, f.reviewer)
    page = client.get(f"/review/files/{f.id}")
    assert page.status_code == 200 and 'name="why-record"' in page.text and 'id="sheet"' not in page.text
    # a deduction without a reason is refused, nothing is stored, what was typed stays on the page
    r = client.post(f"/review/files/{f.id}/score", data={"ded-record": "5", "ded-remedy": "2",
                                                          "why-record": "笔录缺当事人签名页", "comment": "意见"})
    assert r.status_code == 422
    assert "载明复议、诉讼途径和期限”扣 2 分，须写明扣分理由" in r.text
    assert 'value="笔录缺当事人签名页"' in r.text and 'value="5"' in r.text
    db.expire_all()
    assert review.get_file(db, f.id).score is None
    r = client.post(f"/review/files/{f.id}/score", data={"ded-record": "abc"})
    assert r.status_code == 422 and "不是数字" in r.text
    r = client.post(f"/review/files/{f.id}/score", data={"ded-record": "5", "ded-remedy": "2",
                                                          "why-record": "笔录缺当事人签名页",
                                                          "why-remedy": "决定书未写明复议机关", "comment": "意见"})
    assert r.status_code == 200 and 'id="sheet"' in r.text
    sheet = _text(r.text[r.text.index('id="sheet"'):r.text.index("</table>", r.text.index('id="sheet"'))])
    assert "现场检查（勘察）笔录完整并经签名 15 −5 笔录缺当事人签名页 10" in sheet
    assert "载明复议、诉讼途径和期限 4 −2 决定书未写明复议机关 2" in sheet
    assert "合计 −7 93" in sheet
    # the reviewed unit's leader (who may appeal) reads the same sheet, without the scoring form
    login_as(client, "leader-" + db.get(type(world.agencies["330102"]), f.unit_id).division_code)
    page = client.get(f"/review/files/{f.id}")
    assert page.status_code == 200 and "笔录缺当事人签名页" in page.text and 'name="why-record"' not in page.text
    # appeal → the second reviewer's sheet (final) is shown next to the first one
    page = client.post(f"/review/files/{f.id}/appeal", data={"reason": "签名页在卷宗第12页"})
    db.expire_all()
    f = review.get_file(db, f.id)
    login_as(client, f.second_reviewer)
    r = client.post(f"/review/files/{f.id}/decide", data={"ded-remedy": "2", "why-remedy": "复核维持"})
    assert r.status_code == 200 and 'id="sheet-final"' in r.text
    final = _text(r.text[r.text.index('id="sheet-final"'):])
    assert "载明复议、诉讼途径和期限 4 −2 复核维持 2" in final and "合计 −2 98" in final
