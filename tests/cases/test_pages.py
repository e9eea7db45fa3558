from datetime import date

from sqlalchemy import select

from greensword.cases.models import Case, CaseDocument
from tests.conftest import login_as


def test_case_pages_act_and_refusal_message(client, db, world, flow):
    c = flow.open(discovered=date.today())
    db.commit()
    login_as(client, "officer-330102")
    r = client.get("/cases")
    assert r.status_code == 200 and c.number in r.text
    r = client.get(f"/cases/{c.id}")
    assert "法定期限" in r.text and "立案审查期限" in r.text
    # an officer cannot file; the page says why and nothing changes
    r = client.post(f"/cases/{c.id}/act/file", data={"on": date.today().isoformat()})
    assert r.status_code == 409 and "须由以下角色办理" in r.text
    db.expire_all()
    assert db.get(Case, c.id).stage == "clue"
    login_as(client, "leader-330102")
    r = client.post(f"/cases/{c.id}/act/file", data={"on": date.today().isoformat()})
    assert r.status_code == 200 and "已立案" in r.text


def test_enterprise_sees_own_case_documents_only(client, db, world, flow):
    c = flow.to_reviewed(flow.open())
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    db.commit()
    doc = db.execute(select(CaseDocument).where(CaseDocument.case_id == c.id, CaseDocument.kind == "notice")
                     ).scalar_one()
    login_as(client, "ent-330102-key")
    r = client.get(f"/cases/{c.id}/documents/{doc.id}")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    login_as(client, "ent-330102-small")
    assert client.get(f"/cases/{c.id}/documents/{doc.id}").status_code == 403
