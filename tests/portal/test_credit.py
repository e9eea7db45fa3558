"""Credit record and 信用修复: a penalty on the record, classed and published for the minimum period;
a repair application only after that period with the fine paid and the case closed, with
evidence and a commitment; reviewed by the deciding agency; disclosure shows 已信用修复."""

from datetime import date

import pytest

from greensword.core.errors import NotFound, PermissionDenied, ValidationFailed
from greensword.disclosure import sources
from greensword.evaluation import statistics
from greensword.portal import credit, rectify
from greensword.portal.uploads import Upload
from tests.factories import actor
from tests.portal.conftest import decide

pytestmark = pytest.mark.db
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100 + b"IEND\xaeB`\x82"
PDF = b"%PDF-1.4 receipt\n%%EOF"


def closed_case(flow, *, rectified: bool = True):
    """A penalty case served, paid and closed; its correction order (a rectification item in the
    portal) reported by the firm and closed by the officer unless ``rectified`` is False."""
    c = decide(flow)
    flow.act(c, "serve", date(2026, 3, 25), flow.officer)
    flow.act(c, "record_payment", date(2026, 3, 30), flow.officer, amount=c.fine - c.offset_yuan, receipt="R1")
    flow.act(c, "close", date(2026, 3, 31))
    if rectified:
        firm = actor(flow.db, flow.world, "ent-330102-key")
        rectify.sync_orders(flow.db, "system", [c.enterprise_id])
        for item in rectify.list_items(flow.db, firm):
            rectify.report(flow.db, firm, item.id, "已更换布袋除尘器", [Upload("after.png", PNG)])
            rectify.verify(flow.db, flow.officer, item.id, close=True, note="现场核查属实")
    return c


def test_repair_after_minimum_period_paid_and_closed_then_approved(db, world, flow):
    c = closed_case(flow)
    firm = actor(db, world, "ent-330102-key")
    [e] = credit.record(db, firm, today=date(2026, 5, 1))
    assert e.severity == "general" and e.label == "一般" and e.published
    assert e.min_end == date(2026, 6, 23) and e.max_end == date(2027, 3, 23)     # 3 months / 1 year (2026 rules)
    assert not e.can_apply and "最短公示期" in "".join(e.missing)
    with pytest.raises(ValidationFailed, match="最短公示期至 2026-06-23"):
        credit.apply(db, firm, c.id, explanation="已缴清罚款并完成整改", commitment=True,
                     uploads=[Upload("receipt.pdf", PDF)], on=date(2026, 6, 22))
    with pytest.raises(ValidationFailed, match="信用承诺"):
        credit.apply(db, firm, c.id, explanation="已缴清罚款并完成整改", commitment=False,
                     uploads=[Upload("receipt.pdf", PDF)], on=date(2026, 6, 23))
    with pytest.raises(ValidationFailed, match="不是允许的类型"):
        credit.apply(db, firm, c.id, explanation="已整改", commitment=True,
                     uploads=[Upload("a.png", PNG), Upload("x.pdf", b"not a pdf")],
                     on=date(2026, 6, 23))
    r = credit.apply(db, firm, c.id, explanation="已缴清罚款并完成整改", commitment=True,
                     uploads=[Upload("receipt.pdf", PDF), Upload("photo.png", PNG)],
                     on=date(2026, 6, 23))
    assert r.status == "pending" and r.review_due == date(2026, 7, 7) and len(r.evidence) == 2   # 10 working days
    with pytest.raises(ValidationFailed, match="已申请"):
        credit.apply(db, firm, c.id, explanation="再次", commitment=True,
                     uploads=[Upload("receipt.pdf", PDF)], on=date(2026, 6, 24))
    with pytest.raises(PermissionDenied):
        credit.review(db, firm, r.id, approve=True, reason="同意")
    with pytest.raises(PermissionDenied, match="谁认定"):
        credit.review(db, actor(db, world, "leader-330100"), r.id, approve=True, reason="同意")
    with pytest.raises(ValidationFailed, match="审核意见"):
        credit.review(db, flow.leader, r.id, approve=True, reason="")
    credit.review(db, flow.leader, r.id, approve=True, reason="已履行处罚决定并完成整改", on=date(2026, 6, 30))
    [e] = credit.record(db, firm, today=date(2026, 7, 1))
    assert e.status == "已信用修复"
    [d] = sources.decisions(db, enterprise_id=c.enterprise_id)
    assert d["status"] == "已信用修复" and "2026-06-30" in d["note"]
    assert credit.counts(db, date(2026, 1, 1), date(2026, 12, 31))[c.agency_id] == {
        "applied": 1, "approved": 1, "rejected": 0, "late": 0}
    figures = statistics.compute(db, statistics.Filters(date(2026, 1, 1), date(2026, 12, 31)))
    for unit in ("330102", "330100", "330000"):                       # rolled up the agency tree
        v = figures[world.agencies[unit].id].values
        assert v["credit_repairs_applied"] == 1 and v["credit_repairs_approved"] == 1


def test_open_rectification_blocks_the_repair(db, world, flow):
    c = closed_case(flow, rectified=False)
    firm = actor(db, world, "ent-330102-key")
    [e] = credit.record(db, firm, today=date(2026, 7, 1))
    assert e.paid and e.closed and e.missing == ["尚有 1 项整改未经核查销号"]
    with pytest.raises(ValidationFailed, match="整改未经核查销号"):
        credit.apply(db, firm, c.id, explanation="x", commitment=True, uploads=[Upload("r.pdf", PDF)],
                     on=date(2026, 7, 1))


def test_unpaid_or_open_case_cannot_apply_and_firms_see_only_their_own(db, world, flow):
    c = decide(flow)
    flow.act(c, "serve", date(2026, 3, 25), flow.officer)
    firm = actor(db, world, "ent-330102-key")
    [e] = credit.record(db, firm, today=date(2026, 7, 1))
    assert not e.paid and not e.closed and {"罚款尚未缴清", "案件尚未结案（整改、履行未完成）"} <= set(e.missing)
    with pytest.raises(ValidationFailed, match="罚款尚未缴清"):
        credit.apply(db, firm, c.id, explanation="x", commitment=True,
                     uploads=[Upload("receipt.pdf", PDF)], on=date(2026, 7, 1))
    other = actor(db, world, "ent-330106-key")
    assert credit.record(db, other) == []
    with pytest.raises(NotFound):
        credit.apply(db, other, c.id, explanation="x", commitment=True,
                     uploads=[Upload("receipt.pdf", PDF)], on=date(2026, 7, 1))


def test_severity_and_periods_follow_the_rules_in_force(db, world, flow):
    c = closed_case(flow)
    firm = actor(db, world, "ent-330102-key")
    [e] = credit.record(db, firm, today=date(2026, 3, 31))            # 2023 measures (令第58号): 3 months / 3 years
    assert e.max_end == date(2029, 3, 23)
    [e] = credit.record(db, firm, today=date(2026, 4, 1))             # 2026 measures: 一般 3 months / 1 year
    assert e.max_end == date(2027, 3, 23)
    assert c.fine < credit.rules().classification.serious_min_fine
