"""电子送达: consent recorded and withdrawable; the firm's first opening is the service date the
case's clocks use; without consent the case refuses electronic service and the usual methods stay."""

from datetime import date

import pytest
from sqlalchemy import select

from greensword.cases import deadlines
from greensword.cases import service as cases
from greensword.core.audit import AuditEntry
from greensword.core.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from greensword.portal import delivery
from tests.factories import actor
from tests.portal.conftest import decide

pytestmark = pytest.mark.db
DOCS = ["decision", "non_penalty", "correction", "guidance", "credit_repair"]


def test_first_opening_sets_service_date_and_payment_deadline(db, world, flow, firm_admin):
    c = decide(flow)
    with pytest.raises(ValidationFailed, match="第六十一条第二款"):
        delivery.send(db, flow.officer, c.id, on=date(2026, 3, 24))          # no consent yet
    consent = delivery.give_consent(db, firm_admin, signer_name="王五", signer_role="法定代表人", documents=DOCS,
                                    on=date(2026, 3, 1))
    d = delivery.send(db, flow.officer, c.id, on=date(2026, 3, 24))
    assert {x["kind"] for x in d.documents} == {"decision", "correction", "guidance", "credit_repair"}
    assert c.stage == "decided" and c.served_on is None                    # posting alone does not serve
    clerk = actor(db, world, "ent-330102-key")
    with pytest.raises(ValidationFailed, match="先查阅"):
        delivery.confirm(db, clerk, d.id)
    decision = next(x for x in d.documents if x["kind"] == "decision")
    _, meta, data = delivery.open_document(db, clerk, d.id, decision["id"], on=date(2026, 3, 27))
    assert "行政处罚决定书" in delivery.document_text(data)
    assert c.stage == "served" and c.served_on == date(2026, 3, 27) and d.served_on == date(2026, 3, 27)
    # a second opening later changes nothing
    delivery.open_document(db, clerk, d.id, decision["id"], on=date(2026, 4, 2))
    assert c.served_on == date(2026, 3, 27)
    delivery.confirm(db, clerk, d.id)
    assert d.confirmed_at is not None and d.confirmed_by == "ent-330102-key"
    dues = {x.kind: x for x in cases.due_list(db, c, date(2026, 4, 1))}
    assert dues["payment"].due == deadlines.period_end("payment", date(2026, 3, 27)) == date(2026, 4, 13)
    assert dues["reconsideration"].due == deadlines.period_end("reconsideration", date(2026, 3, 27))
    ev = cases.served_electronically(db, c)
    assert ev["method"] == "electronic" and ev["consent"]["id"] == consent.id and ev["delivery"] == d.id
    actions = set(db.execute(select(AuditEntry.action)).scalars())
    assert {"portal.consent.give", "portal.delivery.send", "portal.delivery.open", "portal.delivery.confirm",
            "cases.serve_electronic"} <= actions


def test_cases_refuses_electronic_service_without_consent(db, world, flow, firm_admin):
    c = decide(flow)
    with pytest.raises(ValidationFailed, match="第六十一条第二款"):
        cases.record_electronic_service(db, flow.officer, c.id, on=date(2026, 3, 24), consent=None, delivery={})
    # the generic action route cannot take the step either
    with pytest.raises(IllegalTransition, match="专门功能"):
        cases.act(db, flow.officer, c.id, "serve_electronic", on=date(2026, 3, 24))
    consent = delivery.give_consent(db, firm_admin, signer_name="王五", signer_role="法定代表人",
                                    documents=["non_penalty"], on=date(2026, 3, 1))
    with pytest.raises(IllegalTransition, match="文书范围"):
        cases.record_electronic_service(db, flow.officer, c.id, on=date(2026, 3, 24),
                                        consent=delivery.consent_ref(consent), delivery={})
    other = world.enterprises["330102-small"]
    ref = delivery.consent_ref(consent).model_copy(update={"documents": DOCS, "enterprise_id": other.id})
    with pytest.raises(IllegalTransition, match="不是本案当事人"):
        cases.record_electronic_service(db, flow.officer, c.id, on=date(2026, 3, 24), consent=ref, delivery={})
    assert c.stage == "decided" and c.served_on is None
    # the usual method stays
    flow.act(c, "serve", date(2026, 3, 25), flow.officer)
    assert c.served_on == date(2026, 3, 25)


def test_withdrawn_consent_voids_unopened_delivery(db, world, flow, firm_admin):
    c = decide(flow)
    delivery.give_consent(db, firm_admin, signer_name="王五", signer_role="授权委托人", documents=DOCS,
                          on=date(2026, 3, 1))
    with pytest.raises(Conflict, match="已有有效"):
        delivery.give_consent(db, firm_admin, signer_name="王五", signer_role="法定代表人", documents=DOCS,
                              on=date(2026, 3, 2))
    d = delivery.send(db, flow.officer, c.id, on=date(2026, 3, 24))
    with pytest.raises(ValidationFailed, match="理由"):
        delivery.withdraw_consent(db, firm_admin, reason=" ", on=date(2026, 3, 25))
    delivery.withdraw_consent(db, firm_admin, reason="改用纸质送达", on=date(2026, 3, 25))
    assert d.status == "void"
    decision = next(x for x in d.documents if x["kind"] == "decision")
    delivery.open_document(db, actor(db, world, "ent-330102-key"), d.id, decision["id"], on=date(2026, 3, 26))
    assert c.stage == "decided" and c.served_on is None                    # not served by the opening
    with pytest.raises(ValidationFailed, match="第六十一条第二款"):
        delivery.send(db, flow.officer, c.id, on=date(2026, 3, 26))


def test_consent_only_by_the_firms_administrator_and_only_own_deliveries(db, world, flow, firm_admin):
    clerk = actor(db, world, "ent-330102-key")
    with pytest.raises(PermissionDenied, match="企业管理员"):
        delivery.give_consent(db, clerk, signer_name="张三", signer_role="法定代表人", documents=DOCS)
    with pytest.raises(ValidationFailed, match="签订人身份"):
        delivery.give_consent(db, firm_admin, signer_name="张三", signer_role="门卫", documents=DOCS)
    with pytest.raises(ValidationFailed, match="手机号码"):
        delivery.give_consent(db, firm_admin, signer_name="张三", signer_role="法定代表人", documents=DOCS,
                              notify_mobile="12ab")
    c = decide(flow)
    delivery.give_consent(db, firm_admin, signer_name="张三", signer_role="法定代表人", documents=DOCS,
                          on=date(2026, 3, 1))
    d = delivery.send(db, flow.officer, c.id, on=date(2026, 3, 24))
    stranger = actor(db, world, "ent-330106-key")
    from greensword.core.errors import NotFound

    with pytest.raises(NotFound):
        delivery.open_document(db, stranger, d.id, d.documents[0]["id"])
    with pytest.raises(NotFound):
        delivery.confirm(db, stranger, d.id)
    assert delivery.deliveries(db, stranger) == []
