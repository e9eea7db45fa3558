"""电子送达 in the portal: the firm's consent (送达地址确认书: who signed, when, which documents,
withdrawable), the officer posting a decided case's documents (五书同达) to the firm's portal, and
the receipt — first opening and explicit confirmation. The receipt date is recorded on the case
through ``cases.service.record_electronic_service`` and becomes the service date the case's clocks
count from; without consent the usual methods of service stay (rules/portal/delivery.yaml)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases import schemas as case_schemas
from ..cases import service as cases
from ..cases.documents import text_of
from ..core import audit
from ..core.auth import Actor, require_role
from ..core.calendar import add_days
from ..core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from ..core.rules import Source, load, register
from ..core.timeutil import now
from .models.delivery import Delivery, ServiceConsent


class ConsentRules(BaseModel):
    source: Source
    documents: dict[str, str]
    signer_roles: list[str]


class ServiceDate(BaseModel):
    basis: Literal["first_opened", "arrival"]
    source: Source
    basis_source: Source


class FollowUp(BaseModel):
    working_days: int
    source: Source


class DeliveryRules(BaseModel):
    consent: ConsentRules
    service_date: ServiceDate
    follow_up: FollowUp


register("portal/delivery.yaml", DeliveryRules)

STATUS = {"sent": "待签收", "served": "已送达", "served_other": "已以其他方式送达", "void": "同意已撤回，未送达"}


def rules() -> DeliveryRules:
    return load("portal/delivery.yaml", DeliveryRules)


def _state(x) -> dict:
    out = {}
    for col in x.__table__.columns:
        v = getattr(x, col.name)
        out[col.name] = v.isoformat() if hasattr(v, "isoformat") else v
    return out


def _own_enterprise(actor: Actor) -> int:
    if not actor.is_enterprise or actor.enterprise_id is None:
        raise PermissionDenied("仅限企业用户办理", code="portal.enterprise_only")
    return actor.enterprise_id


# --- consent ---------------------------------------------------------------------------------------

def active_consent(session: Session, enterprise_id: int, on: date | None = None) -> ServiceConsent | None:
    """The consent in force for the firm on ``on`` (default today), if any."""
    on = on or now().date()
    for c in session.execute(select(ServiceConsent).where(ServiceConsent.enterprise_id == enterprise_id)
                             .order_by(ServiceConsent.id.desc())).scalars():
        if c.given_on <= on and (c.withdrawn_on is None or c.withdrawn_on > on):
            return c
    return None


def consents(session: Session, enterprise_id: int) -> list[ServiceConsent]:
    return list(session.execute(select(ServiceConsent).where(ServiceConsent.enterprise_id == enterprise_id)
                                .order_by(ServiceConsent.id.desc())).scalars())


def give_consent(session: Session, actor: Actor, *, signer_name: str, signer_role: str, documents: list[str],
                 notify_mobile: str = "", on: date | None = None) -> ServiceConsent:
    """The firm signs the 送达地址确认书 in the portal (its administrator, for the firm)."""
    eid = _own_enterprise(actor)
    if not actor.has("enterprise_admin"):
        raise PermissionDenied("送达地址确认书须由企业管理员代表企业签订", code="portal.enterprise_admin_required")
    r = rules().consent
    art = f"{r.source.title}{r.source.article}"
    on = on or now().date()
    if not signer_name.strip():
        raise ValidationFailed(f"须填写签订确认书的人员姓名（{art}）", code="portal.no_signer")
    if signer_role not in r.signer_roles:
        raise ValidationFailed(f"签订人身份应为：{'、'.join(r.signer_roles)}", code="portal.bad_signer_role")
    unknown = [d for d in documents if d not in r.documents]
    if unknown:
        raise ValidationFailed(f"未知的文书类型：{'、'.join(unknown)}", code="portal.bad_documents")
    if not ({"decision", "non_penalty"} & set(documents)):
        raise ValidationFailed("同意电子送达的文书须至少包括行政处罚决定书或不予行政处罚决定书", code="portal.bad_documents")
    mobile = notify_mobile.strip()
    if mobile and not (mobile.isdigit() and len(mobile) == 11 and mobile.startswith("1")):
        raise ValidationFailed(f"手机号码“{mobile[:20]}”格式不正确（11位数字）", code="portal.bad_mobile")
    if active_consent(session, eid, on) is not None:
        raise Conflict("已有有效的电子送达确认书；如需变更，请先撤回", code="portal.consent_exists")
    c = ServiceConsent(enterprise_id=eid, documents=[d for d in r.documents if d in documents],
                       signer_name=signer_name.strip()[:64], signer_role=signer_role, notify_mobile=mobile,
                       given_by=actor.username, given_on=on, given_at=now(), withdrawal_reason="")
    session.add(c)
    session.flush()
    audit.record(session, actor, "portal.consent.give", "portal_service_consent", c.id, _state(c))
    return c


def withdraw_consent(session: Session, actor: Actor, *, reason: str, on: date | None = None) -> ServiceConsent:
    """Withdrawn from ``on``: documents posted and not yet opened are no longer served this way
    (the officer serves them by the usual methods)."""
    eid = _own_enterprise(actor)
    if not actor.has("enterprise_admin"):
        raise PermissionDenied("撤回电子送达同意须由企业管理员办理", code="portal.enterprise_admin_required")
    on = on or now().date()
    c = active_consent(session, eid, on)
    if c is None:
        raise Conflict("没有有效的电子送达确认书", code="portal.no_consent")
    if not reason.strip():
        raise ValidationFailed("撤回电子送达同意须说明理由", code="portal.no_reason")
    c.withdrawn_on, c.withdrawn_by, c.withdrawal_reason = on, actor.username, reason.strip()
    for d in session.execute(select(Delivery).where(Delivery.consent_id == c.id, Delivery.status == "sent")).scalars():
        d.status = "void"
        audit.record(session, actor, "portal.delivery.void", "portal_delivery", d.id, _state(d))
    audit.record(session, actor, "portal.consent.withdraw", "portal_service_consent", c.id, _state(c))
    return c


def consent_ref(c: ServiceConsent) -> case_schemas.ServiceConsent:
    return case_schemas.ServiceConsent(id=c.id, enterprise_id=c.enterprise_id, given_on=c.given_on,
                                       withdrawn_on=c.withdrawn_on, documents=list(c.documents),
                                       signer=f"{c.signer_role} {c.signer_name}")


# --- deliveries ------------------------------------------------------------------------------------

def deliveries_of_case(session: Session, case_id: int) -> list[Delivery]:
    return list(session.execute(select(Delivery).where(Delivery.case_id == case_id).order_by(Delivery.id)).scalars())


def follow_up_by(d: Delivery) -> date:
    """The day after which an unopened delivery needs the usual methods (7 working days)."""
    return add_days(d.sent_at.date(), rules().follow_up.working_days, "working")


def servable(session: Session, actor: Actor, *, limit: int = 200) -> list[dict]:
    """Decided cases awaiting service in the officer's jurisdiction, each with the firm's consent
    (if any) and its deliveries."""
    require_role(actor, "officer", "leader")
    out = []
    for c in cases.list_cases(session, actor, stage="decided", limit=limit):
        out.append({"case": c, "consent": active_consent(session, c.enterprise_id),
                    "deliveries": deliveries_of_case(session, c.id)})
    return out


def send(session: Session, actor: Actor, case_id: int, *, on: date | None = None) -> Delivery:
    """Post the case's decision documents (五书同达, the kinds the consent covers) to the firm's
    portal. Needs the firm's consent in force; with ``basis: arrival`` the posting itself serves."""
    require_role(actor, "officer", "leader")
    c = cases.get_case(session, actor, case_id)
    on = on or now().date()
    if c.stage != "decided":
        raise Conflict("只有已作出决定、尚未送达的案件可以电子送达", code="portal.not_decided")
    consent = active_consent(session, c.enterprise_id, on)
    if consent is None:
        raise ValidationFailed("当事人未同意并签订送达地址确认书，不能电子送达，请采用直接送达、邮寄送达等方式"
                               "（行政处罚法第六十一条第二款）", code="portal.no_consent")
    if any(d.status == "sent" for d in deliveries_of_case(session, c.id)):
        raise Conflict("本案文书已在企业端待签收", code="portal.delivery_pending")
    latest: dict[str, object] = {}
    for doc in cases.case_documents(session, c):
        if doc.kind in consent.documents:
            latest[doc.kind] = doc                       # ordered by id: the last version wins
    principal = "non_penalty" if c.outcome == "non_penalty" else "decision"
    if principal not in latest:
        raise ValidationFailed("案件没有可送达的决定书（或当事人同意的文书范围不包括决定书）", code="portal.no_document")
    docs = [{"id": d.id, "kind": d.kind, "title": d.title, "sha256": d.sha256, "version": d.version}
            for d in latest.values()]
    d = Delivery(case_id=c.id, enterprise_id=c.enterprise_id, consent_id=consent.id, documents=docs, status="sent",
                 sent_by=actor.username, sent_at=now(), opened_documents=[], views=0)
    session.add(d)
    session.flush()
    audit.record(session, actor, "portal.delivery.send", "portal_delivery", d.id, _state(d))
    if rules().service_date.basis == "arrival":
        _serve(session, actor, d, consent, on)
    return d


def _serve(session: Session, actor: Actor, d: Delivery, consent: ServiceConsent, on: date) -> None:
    cases.record_electronic_service(session, actor, d.case_id, on=on, consent=consent_ref(consent), delivery={
        "delivery": d.id, "sent_at": d.sent_at.isoformat(),
        "opened_at": d.first_opened_at.isoformat() if d.first_opened_at else None,
        "basis": rules().service_date.basis, "documents": [x["title"] for x in d.documents]})
    d.status, d.served_on = "served", on
    audit.record(session, actor, "portal.delivery.served", "portal_delivery", d.id, _state(d))


def deliveries(session: Session, actor: Actor) -> list[Delivery]:
    """The firm's deliveries, newest first."""
    eid = _own_enterprise(actor)
    return list(session.execute(select(Delivery).where(Delivery.enterprise_id == eid)
                                .order_by(Delivery.id.desc())).scalars())


def unconfirmed(session: Session, enterprise_id: int) -> int:
    """Deliveries the firm has not confirmed yet (home page badge)."""
    return sum(1 for d in session.execute(select(Delivery).where(Delivery.enterprise_id == enterprise_id,
                                                                 Delivery.confirmed_at.is_(None))).scalars()
               if d.status in ("sent", "served"))


def get_delivery(session: Session, actor: Actor, delivery_id: int) -> Delivery:
    d = session.get(Delivery, delivery_id)
    if d is None:
        raise NotFound(f"送达记录 {delivery_id} 不存在", code="portal.delivery_not_found")
    if actor.is_enterprise:
        if actor.enterprise_id != d.enterprise_id:
            raise NotFound(f"送达记录 {delivery_id} 不存在", code="portal.delivery_not_found")
    else:
        cases.get_case(session, actor, d.case_id)        # jurisdiction
    return d


def open_document(session: Session, actor: Actor, delivery_id: int, document_id: int, *,
                  on: date | None = None) -> tuple[Delivery, dict, bytes]:
    """The firm opens a served document: the first opening is the receipt; with ``basis:
    first_opened`` its date is recorded on the case as the service date."""
    d = get_delivery(session, actor, delivery_id)
    meta = next((x for x in d.documents if x["id"] == document_id), None)
    if meta is None:
        raise NotFound("该文书不在本次送达中", code="portal.document_not_found")
    c = cases.get_case(session, actor, d.case_id)
    doc = next((x for x in cases.case_documents(session, c) if x.id == document_id), None)
    if doc is None or doc.sha256 != meta["sha256"]:
        raise Conflict("文书与送达时的版本不一致", code="portal.document_changed")
    data = cases.document_bytes(doc)
    if not actor.is_enterprise:
        return d, meta, data                          # officers may look; only the firm's opening counts
    on = on or now().date()
    first = d.first_opened_at is None
    if first:
        d.first_opened_at, d.opened_by = now(), actor.username
    if document_id not in (d.opened_documents or []):
        d.opened_documents = [*(d.opened_documents or []), document_id]
    d.views = (d.views or 0) + 1
    if first:
        audit.record(session, actor, "portal.delivery.open", "portal_delivery", d.id, _state(d))
    if d.status == "sent" and rules().service_date.basis == "first_opened":
        if c.stage != "decided":
            d.status = "served_other"
            audit.record(session, actor, "portal.delivery.served_other", "portal_delivery", d.id, _state(d))
        else:
            consent = session.get(ServiceConsent, d.consent_id)
            try:
                _serve(session, actor, d, consent, on)
            except DomainError:
                d.status = "void"            # consent no longer in force: the usual methods stay
                audit.record(session, actor, "portal.delivery.void", "portal_delivery", d.id, _state(d))
    return d, meta, data


def document_text(data: bytes) -> str:
    return text_of(data)


def confirm(session: Session, actor: Actor, delivery_id: int) -> Delivery:
    """The firm's explicit confirmation of receipt (签收), after opening the documents."""
    _own_enterprise(actor)
    d = get_delivery(session, actor, delivery_id)
    if d.confirmed_at is not None:
        raise Conflict("已确认签收", code="portal.confirmed")
    if d.status == "void":
        raise Conflict("电子送达同意已撤回，本次送达无效", code="portal.delivery_void")
    principal = [x["id"] for x in d.documents if x["kind"] in ("decision", "non_penalty")]
    if not set(principal) <= set(d.opened_documents or []):
        raise ValidationFailed("请先查阅决定书，再确认签收", code="portal.not_opened")
    d.confirmed_at, d.confirmed_by = now(), actor.username
    audit.record(session, actor, "portal.delivery.confirm", "portal_delivery", d.id, _state(d))
    return d
