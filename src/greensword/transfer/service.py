"""Transfer follow-up (行刑衔接). A case records that it transferred a matter (cases.service
measures of kind criminal_transfer / detention_transfer, or a transfer to another department);
this domain follows each transfer to its outcome: receipt, acceptance or refusal with reasons, the
agency's reconsideration request within 3 days and its result, a request for procuratorate
supervision, persons under measures, joint supervision (挂牌督办) and meetings, prosecution and
court outcome. Clocks per 国务院令第310号 and 公治〔2014〕853号 (rules/transfer/clocks.yaml)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..cases import service as cases
from ..core import audit
from ..core.auth import Actor, check_agency, require_role, scope
from ..core.calendar import add_days
from ..core.errors import Conflict, IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from ..core.pagination import (
    Page,
    PageParams,
    Sort,
    iter_all,
    matches,
    page_list,
    page_of,
    where_choice,
    where_search,
)
from ..core.rules import Dated, Version, load
from ..core.timeutil import now, today
from ..registry.models import Agency, Enterprise
from .models import Transfer, TransferEvent, TransferPerson

KINDS = {"criminal": "移送涉嫌犯罪案件", "detention": "移送适用行政拘留", "department": "移送其他部门"}
MEASURE_KINDS = {"criminal_transfer": "criminal", "detention_transfer": "detention"}
STATUSES = {"sent": "已移送待签收", "received": "已签收待审查", "accepted": "已受理/立案", "refused": "不予受理/立案",
            "reconsidering": "复议中", "refused_final": "复议维持不予立案", "supervising": "检察监督中",
            "closed": "已办结"}
PERSON_MEASURES = {
    "criminal": {"criminal_detention": "刑事拘留", "arrest": "逮捕", "bail": "取保候审", "surveillance": "监视居住"},
    "detention": {"admin_detention": "行政拘留"},
    "department": {},
}
PERSON_ROLES = ("直接负责的主管人员", "其他直接责任人员")
OUTCOMES = {"prosecuted": "提起公诉", "convicted": "法院判决有罪", "not_prosecuted": "不起诉", "detained": "行政拘留执行完毕",
            "not_filed": "检察监督后仍不立案", "handled": "接收部门已处理", "withdrawn": "撤回移送"}
_ID = re.compile(r"\d{17}[\dX]")


class ClockVersion(Version):
    send_days: int
    police_review_days: int
    reconsideration_request_days: int
    reconsideration_decision_days: int
    supervision_request_days: int
    #: days to hand exhibits over after the police file the case (0: not applicable)
    handover_days: int = 0


class Rules(BaseModel):
    criminal: Dated[ClockVersion]
    detention: Dated[ClockVersion]
    department: Dated[ClockVersion]
    receivers: dict[str, str]


def rules() -> Rules:
    return load("transfer/clocks.yaml", Rules)


def clock(kind: str, on: date) -> ClockVersion:
    return getattr(rules(), kind).on(on)


@dataclass
class Due:
    label: str
    due: date
    done_on: date | None
    #: a window the agency may use (提请复议 is optional), never counted as overdue
    optional: bool = False

    def overdue(self, day: date) -> bool:
        return not self.optional and (self.done_on or day) > self.due


def dues(t: Transfer) -> list[Due]:
    c = clock(t.kind, t.approved_on)
    out = [Due("移送", add_days(t.approved_on, c.send_days), t.sent_on)]
    if c.police_review_days and t.received_on:
        out.append(Due("公安机关审查决定", add_days(t.received_on, c.police_review_days),
                       t.refused_on or t.accepted_on))    # the first decision, not a later one after 复议
    if c.reconsideration_request_days and t.refused_on:
        out.append(Due("提请复议", add_days(t.refused_on, c.reconsideration_request_days),
                       t.reconsideration_on, optional=True))
    if t.reconsideration_on:
        done = t.reconsideration_decided_on
        out.append(Due("公安机关复议决定", add_days(t.reconsideration_on, c.reconsideration_decision_days), done))
    if c.handover_days and t.accepted_on:
        out.append(Due("移交涉案物品和材料", add_days(t.accepted_on, c.handover_days), t.handover_on))
    if t.status in ("refused_final", "supervising") or t.supervision_on:
        if t.reconsideration_decided_on:
            out.append(Due("建议检察院立案监督", add_days(t.reconsideration_decided_on, c.supervision_request_days),
                           t.supervision_on, optional=True))
    return out


def state(t: Transfer) -> dict:
    return {"case_id": t.case_id, "measure_id": t.measure_id, "kind": t.kind, "receiver": t.receiver,
            "status": t.status, "approved_on": t.approved_on, "sent_on": t.sent_on, "received_on": t.received_on,
            "accepted_on": t.accepted_on, "refused_on": t.refused_on, "reconsideration_on": t.reconsideration_on,
            "reconsideration_decided_on": t.reconsideration_decided_on, "supervision_on": t.supervision_on,
            "handover_on": t.handover_on, "joint_supervision": t.joint_supervision, "outcome": t.outcome, "outcome_on": t.outcome_on}


def _event(session: Session, actor, t: Transfer, action: str, on: date, note: str = "") -> None:
    session.add(TransferEvent(transfer_id=t.id, action=action, on=on, by=audit.actor_name(actor), note=note,
                              at=now()))
    session.flush()
    audit.record(session, actor, f"transfer.{action}", "transfer", t.id, state(t), note=note[:200])


def events(session: Session, t: Transfer) -> list[TransferEvent]:
    return list(session.execute(select(TransferEvent).where(TransferEvent.transfer_id == t.id)
                                .order_by(TransferEvent.id)).scalars())


def _need(t: Transfer, allowed: tuple[str, ...], what: str) -> None:
    if t.status not in allowed:
        names = "、".join(STATUSES[s] for s in allowed)
        raise IllegalTransition(f"移送当前状态为“{STATUSES[t.status]}”，只有“{names}”时才能{what}",
                                code="transfer.illegal_state")


def _not_before(on: date, earlier: date | None, what: str) -> None:
    if earlier and on < earlier:
        raise ValidationFailed(f"{what}日期 {on} 不能早于 {earlier}", code="transfer.date_order")
    if on > today():
        raise ValidationFailed(f"{what}日期不能晚于今天", code="transfer.future_date")


def _text(value: str, what: str, required: bool = True, limit: int = 1000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"请填写{what}", code="transfer.required")
    if len(value) > limit:
        raise ValidationFailed(f"{what}不得超过 {limit} 字", code="transfer.too_long")
    return value


# --- reading -------------------------------------------------------------------------------------

def get(session: Session, actor: Actor, transfer_id: int) -> Transfer:
    if actor.is_enterprise:
        raise PermissionDenied("企业用户不能查看移送案件", code="transfer.forbidden")
    t = session.get(Transfer, transfer_id)
    if t is None:
        raise NotFound(f"移送 {transfer_id} 不存在", code="transfer.not_found")
    check_agency(actor, t.agency.path, "该移送")
    return t


#: Sort keys of the transfer list (latest approval first by default).
TRANSFER_SORT = Sort(
    keys={"approved": [Transfer.approved_on], "sent": [Transfer.sent_on], "case": [Transfer.case_number],
          "enterprise": [Enterprise.name], "kind": [Transfer.kind], "receiver": [Transfer.receiver],
          "status": [Transfer.status], "agency": [Agency.division_code]},
    default="-approved", tiebreak=[Transfer.id.desc()],
    labels={"approved": "批准日期", "sent": "移送日期", "case": "案件", "enterprise": "企业", "kind": "类型",
            "receiver": "接收机关", "status": "状态", "agency": "移送单位"})


def _transfers_query(session: Session, actor: Actor, *, status: str | None = None, kind: str | None = None,
                     year: int | None = None, q: str = "", agency_id: int | None = None, outcome: str = ""):
    """The transfers the actor may see (never an enterprise's), narrowed by the list's filters; an
    unknown status, kind or outcome is a 422 naming it."""
    from ..registry import service as registry

    if actor.is_enterprise:
        raise PermissionDenied("企业用户不能查看移送案件", code="transfer.forbidden")
    stmt = scope(select(Transfer).join(Agency, Transfer.agency_id == Agency.id)
                 .join(Enterprise, Transfer.enterprise_id == Enterprise.id), actor, Agency.path)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    stmt = where_choice(stmt, Transfer.status, status, STATUSES, "移送状态", "transfer.bad_status")
    stmt = where_choice(stmt, Transfer.kind, kind, KINDS, "移送类型", "transfer.bad_kind")
    stmt = where_choice(stmt, Transfer.outcome, outcome, OUTCOMES, "办理结果", "transfer.bad_outcome")
    if year:
        stmt = stmt.where(Transfer.approved_on >= date(year, 1, 1), Transfer.approved_on <= date(year, 12, 31))
    stmt = where_search(stmt, q, Transfer.case_number, Enterprise.name, Enterprise.uscc, Transfer.receiver)
    return stmt


def page_transfers(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
                   **filters) -> Page[Transfer]:
    """One page of the transfers the actor may see (latest approval first unless ``sort``), with the total."""
    return page_of(session, _transfers_query(session, actor, **filters), page, sort=TRANSFER_SORT, sort_value=sort)


def iter_transfers(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[Transfer]:
    """Every transfer of the list's filters in the list's order, read in batches (exports, statistics)."""
    return iter_all(session, _transfers_query(session, actor, **filters), sort=TRANSFER_SORT, sort_value=sort)


def list_transfers(session: Session, actor: Actor, **filters) -> list[Transfer]:
    """Every transfer of the filters (an enterprise user sees none)."""
    if actor.is_enterprise:
        return []
    return list(iter_transfers(session, actor, **filters))


#: Sort keys of the untracked list (the oldest transfer decision first: the most urgent).
UNTRACKED_SORT = Sort(
    keys={"started": [lambda u: u["started_on"]], "case": [lambda u: u["case_number"]],
          "enterprise": [lambda u: u["enterprise"]], "kind": [lambda u: u["kind"]],
          "receiver": [lambda u: u["receiver"]]},
    default="started",
    labels={"started": "日期", "case": "案件", "enterprise": "企业", "kind": "类型", "receiver": "接收机关"})


def untracked(session: Session, actor: Actor, *, q: str = "", kind: str = "", limit: int | None = None) -> list[dict]:
    """Transfer measures recorded in cases with no follow-up yet (cases.service.list_transfers), in
    the order they were recorded; transfers the head did not approve are left out. ``q`` searches
    case number, enterprise and receiver (literally), ``kind`` is one of ``KINDS``."""
    if actor.is_enterprise:
        raise PermissionDenied("企业用户不能查看移送案件", code="transfer.forbidden")
    if kind and kind not in MEASURE_KINDS.values():
        raise ValidationFailed(f"未知的移送类型“{kind[:20]}”", code="transfer.bad_kind")
    followed = set(session.execute(select(Transfer.measure_id).where(Transfer.measure_id.is_not(None))).scalars())
    out = []
    for x in cases.list_transfers(session, actor, limit=10_000_000):
        if x.id in followed or x.status in ("not_approved",) or (kind and MEASURE_KINDS[x.kind] != kind):
            continue
        if not matches(q, x.case_number, x.enterprise_name, x.receiver):
            continue
        out.append({"case_id": x.case_id, "case_number": x.case_number, "enterprise": x.enterprise_name,
                    "measure_id": x.id, "kind": MEASURE_KINDS[x.kind], "receiver": x.receiver,
                    "started_on": x.started_on})
        if limit is not None and len(out) >= limit:
            break
    return out


def page_untracked(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
                   **filters) -> Page[dict]:
    """One page of the untracked transfers (oldest first unless ``sort``), with the total."""
    return page_list(untracked(session, actor, **filters), page, sort=UNTRACKED_SORT, sort_value=sort)


def can_see_persons(actor: Actor) -> bool:
    return actor.has("leader", "admin")


def persons(session: Session, actor: Actor, t: Transfer) -> list[dict]:
    """Persons under measures: full name and ID number to leaders only; others see a masked name."""
    full = can_see_persons(actor)
    rows = session.execute(select(TransferPerson).where(TransferPerson.transfer_id == t.id)
                           .order_by(TransferPerson.id)).scalars()
    out = []
    for p in rows:
        out.append({"id": p.id, "name": p.name if full else p.name[:1] + "*" * (len(p.name) - 1),
                    "id_number": (p.id_number if full else (p.id_number[:6] + "********" + p.id_number[-4:]
                                                          if p.id_number else "")),
                    "role": p.role, "measure": PERSON_MEASURES[t.kind].get(p.measure, p.measure),
                    "measure_on": p.measure_on, "days": p.days})
    return out


# --- writes --------------------------------------------------------------------------------------

def open_followup(session: Session, actor: Actor, *, case_id: int, measure_id: int | None = None,
                  kind: str | None = None, receiver: str = "", approved_on: date | None = None,
                  sent_on: date | None = None) -> Transfer:
    """Start following a transfer. From a case's transfer measure (kind, receiver and date come from
    it), or a transfer to another department named here."""
    require_role(actor, "leader", "admin", "officer")
    c = cases.get_case(session, actor, case_id)
    if measure_id is not None:
        m = next((m for m in cases.measures(session, c) if m.id == measure_id), None)
        if m is None or m.kind not in MEASURE_KINDS:
            raise NotFound(f"案件 {c.number} 没有编号为 {measure_id} 的移送措施", code="transfer.measure_not_found")
        if session.execute(select(Transfer.id).where(Transfer.measure_id == m.id)).first():
            raise Conflict("该移送已在跟踪中", code="transfer.already_followed")
        kind, receiver = MEASURE_KINDS[m.kind], m.data.get("receiver", "")
        approved_on = approved_on or m.started_on
        sent_on = sent_on or m.started_on
    else:
        if kind != "department":
            raise ValidationFailed("移送公安机关须从案件的移送措施开始跟踪；其他部门请选择“移送其他部门”",
                                   code="transfer.bad_kind")
        receiver = _text(receiver, "接收部门", limit=200)
        if approved_on is None or sent_on is None:
            raise ValidationFailed("请填写批准移送日期和移送日期", code="transfer.required")
    if sent_on < approved_on:
        raise ValidationFailed("移送日期不能早于批准移送日期", code="transfer.date_order")
    t = Transfer(case_id=c.id, case_number=c.number, measure_id=measure_id, agency_id=c.agency_id,
                 enterprise_id=c.enterprise_id, kind=kind, receiver=receiver, status="sent", approved_on=approved_on,
                 sent_on=sent_on, created_at=now())
    session.add(t)
    session.flush()
    session.refresh(t)
    late = add_days(approved_on, clock(kind, approved_on).send_days)
    _event(session, actor, t, "open", sent_on, f"超过移送期限（{late}）" if sent_on > late else "")
    return t


def receipt(session: Session, actor: Actor, transfer_id: int, *, on: date) -> Transfer:
    require_role(actor, "leader", "admin", "officer")
    t = get(session, actor, transfer_id)
    _need(t, ("sent",), "登记回执")
    _not_before(on, t.sent_on, "签收")
    t.received_on, t.status = on, "received"
    _event(session, actor, t, "receipt", on)
    return t


def decide(session: Session, actor: Actor, transfer_id: int, *, accepted: bool, on: date, reason: str = "") -> Transfer:
    """The receiving authority's decision: 立案/受理, or 不予立案 with its reasons (notified on ``on``)."""
    require_role(actor, "leader", "admin", "officer")
    t = get(session, actor, transfer_id)
    _need(t, ("received",), "登记审查决定")
    _not_before(on, t.received_on, "审查决定")
    if accepted:
        t.accepted_on, t.status = on, "accepted"
        _event(session, actor, t, "accept", on, reason)
    else:
        t.refusal_reason = _text(reason, "不予立案理由")
        t.refused_on, t.status = on, "refused"
        _event(session, actor, t, "refuse", on, t.refusal_reason)
    return t


def request_reconsideration(session: Session, actor: Actor, transfer_id: int, *, on: date) -> Transfer:
    require_role(actor, "leader", "admin")
    t = get(session, actor, transfer_id)
    _need(t, ("refused",), "提请复议")
    if t.kind == "department":
        raise IllegalTransition("移送其他部门不适用提请复议", code="transfer.no_reconsideration")
    _not_before(on, t.refused_on, "提请复议")
    due = add_days(t.refused_on, clock(t.kind, t.approved_on).reconsideration_request_days)
    if on > due:
        raise ValidationFailed(f"已超过提请复议期限：应在接到不予立案通知书之日起3日内（{due} 前）提请",
                               code="transfer.reconsideration_late")
    t.reconsideration_on, t.status = on, "reconsidering"
    _event(session, actor, t, "reconsider", on)
    return t


def reconsideration_result(session: Session, actor: Actor, transfer_id: int, *, accepted: bool, on: date,
                           reason: str = "") -> Transfer:
    require_role(actor, "leader", "admin", "officer")
    t = get(session, actor, transfer_id)
    _need(t, ("reconsidering",), "登记复议决定")
    _not_before(on, t.reconsideration_on, "复议决定")
    t.reconsideration_decided_on = on
    if accepted:
        t.accepted_on, t.status = on, "accepted"
    else:
        t.status = "refused_final"
        reason = _text(reason, "复议维持不予立案的理由")
    _event(session, actor, t, "reconsidered", on, "复议后立案" if accepted else reason)
    return t


def request_supervision(session: Session, actor: Actor, transfer_id: int, *, on: date) -> Transfer:
    require_role(actor, "leader", "admin")
    t = get(session, actor, transfer_id)
    _need(t, ("refused_final",), "建议检察院立案监督")
    _not_before(on, t.reconsideration_decided_on, "建议立案监督")
    due = add_days(t.reconsideration_decided_on, clock(t.kind, t.approved_on).supervision_request_days)
    if on > due:
        raise ValidationFailed(f"已超过建议立案监督期限（{due}）", code="transfer.supervision_late")
    t.supervision_on, t.status = on, "supervising"
    _event(session, actor, t, "supervise", on)
    return t


def supervision_result(session: Session, actor: Actor, transfer_id: int, *, filed: bool, on: date,
                       note: str = "") -> Transfer:
    require_role(actor, "leader", "admin")
    t = get(session, actor, transfer_id)
    _need(t, ("supervising",), "登记检察监督结果")
    _not_before(on, t.supervision_on, "检察监督结果")
    if filed:
        t.accepted_on, t.status = on, "accepted"
    else:
        t.status, t.outcome, t.outcome_on, t.outcome_note = "closed", "not_filed", on, _text(note, "说明", False)
    _event(session, actor, t, "supervised", on, "检察院监督后立案" if filed else "仍不立案")
    return t


def add_person(session: Session, actor: Actor, transfer_id: int, *, name: str, role: str, measure: str,
               measure_on: date, id_number: str = "", days: int | None = None) -> TransferPerson:
    require_role(actor, "leader", "admin")
    t = get(session, actor, transfer_id)
    _need(t, ("accepted", "closed"), "登记涉案人员措施")
    name = _text(name, "姓名", limit=60)
    if role not in PERSON_ROLES:
        raise ValidationFailed(f"人员类别应为：{'、'.join(PERSON_ROLES)}", code="transfer.bad_role")
    allowed = PERSON_MEASURES[t.kind]
    if measure not in allowed:
        raise ValidationFailed(f"{KINDS[t.kind]}的措施应为：{'、'.join(allowed.values()) or '无'}",
                               code="transfer.bad_measure")
    id_number = (id_number or "").strip().upper()
    if id_number and not _ID.fullmatch(id_number):
        raise ValidationFailed("身份证号码应为18位", code="transfer.bad_id_number")
    if measure == "admin_detention" and not (days and 1 <= days <= 15):
        raise ValidationFailed("行政拘留天数应为1–15日（环境保护法第六十三条）", code="transfer.bad_days")
    _not_before(measure_on, t.accepted_on, "采取措施")
    p = TransferPerson(transfer_id=t.id, name=name, id_number=id_number, role=role, measure=measure,
                       measure_on=measure_on, days=days)
    session.add(p)
    session.flush()
    _event(session, actor, t, "person", measure_on, f"{role}：{allowed[measure]}")
    return p


def handover(session: Session, actor: Actor, transfer_id: int, *, on: date) -> Transfer:
    """Exhibits and case materials handed over to the police after the filing notice."""
    require_role(actor, "leader", "admin", "officer")
    t = get(session, actor, transfer_id)
    _need(t, ("accepted", "closed"), "登记移交涉案物品")
    if t.handover_on:
        raise IllegalTransition(f"已于 {t.handover_on} 移交涉案物品", code="transfer.handed_over")
    _not_before(on, t.accepted_on, "移交")
    t.handover_on = on
    _event(session, actor, t, "handover", on)
    return t


def joint_supervise(session: Session, actor: Actor, transfer_id: int, *, by: str, on: date) -> Transfer:
    """挂牌督办 by the agencies named (e.g. 省生态环境厅、省公安厅、省人民检察院)."""
    require_role(actor, "leader", "admin")
    t = get(session, actor, transfer_id)
    if t.status == "closed":
        raise IllegalTransition("已办结的移送不能挂牌督办", code="transfer.closed")
    t.joint_supervision = _text(by, "督办单位", limit=200)
    _event(session, actor, t, "joint_supervision", on, t.joint_supervision)
    return t


def meeting(session: Session, actor: Actor, transfer_id: int, *, on: date, note: str) -> Transfer:
    """A joint meeting (联席会议/会商) on the transfer."""
    require_role(actor, "leader", "admin", "officer")
    t = get(session, actor, transfer_id)
    _event(session, actor, t, "meeting", on, _text(note, "会商情况"))
    return t


def close(session: Session, actor: Actor, transfer_id: int, *, outcome: str, on: date, note: str = "") -> Transfer:
    require_role(actor, "leader", "admin")
    t = get(session, actor, transfer_id)
    if outcome not in OUTCOMES:
        raise ValidationFailed(f"结果应为：{'、'.join(OUTCOMES.values())}", code="transfer.bad_outcome")
    if outcome == "withdrawn":
        _need(t, ("sent", "received", "refused", "refused_final"), "撤回")
    else:
        _need(t, ("accepted",), "登记办理结果")
    _not_before(on, t.accepted_on or t.sent_on, "结果")
    t.status, t.outcome, t.outcome_on, t.outcome_note = "closed", outcome, on, _text(note, "说明", False)
    _event(session, actor, t, "close", on, OUTCOMES[outcome])
    return t


# --- statistics ----------------------------------------------------------------------------------

STAT_LABELS = {"criminal": "移送涉嫌犯罪（件）", "criminal_persons": "涉嫌犯罪（人）", "detention": "移送行政拘留（件）",
               "detention_persons": "行政拘留（人）", "department": "移送其他部门（件）", "accepted": "已立案/受理",
               "refused": "不予立案", "reconsidered": "提请复议", "reconsidered_filed": "复议后立案",
               "supervised": "检察监督", "joint": "挂牌督办", "prosecuted": "起诉/判决", "overdue": "超期环节"}


def statistics(session: Session, actor: Actor, *, year: int, on: date | None = None) -> list[dict]:
    """Per unit, as the seeds report: transfers (cases) and persons by kind, outcomes, overdue steps."""
    on = on or today()
    ts = list_transfers(session, actor, year=year)
    counts = dict(session.execute(select(TransferPerson.transfer_id, func.count()).where(
        TransferPerson.transfer_id.in_([t.id for t in ts] or [0])).group_by(TransferPerson.transfer_id)).all())
    rows: dict[int, dict] = {}
    for t in ts:
        r = rows.setdefault(t.agency_id, {"agency_id": t.agency_id, "agency": t.agency.name,
                                          **{k: 0 for k in STAT_LABELS}})
        r[t.kind] += 1
        if t.kind != "department":
            r[f"{t.kind}_persons"] += counts.get(t.id, 0)
        r["accepted"] += t.accepted_on is not None
        r["refused"] += t.refused_on is not None
        r["reconsidered"] += t.reconsideration_on is not None
        r["reconsidered_filed"] += bool(t.reconsideration_on and t.accepted_on)
        r["supervised"] += t.supervision_on is not None
        r["joint"] += bool(t.joint_supervision)
        r["prosecuted"] += t.outcome in ("prosecuted", "convicted")
        r["overdue"] += sum(1 for d in dues(t) if d.overdue(on))
    return sorted(rows.values(), key=lambda r: r["agency"])
