"""Case services: open cases (by hand or from an on-site record's violation), discretion,
workflow actions with their effects, documents, coercive measures and transfers, study points."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from functools import cached_property

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from ..core import audit
from ..core.auth import Actor, get_in_scope, require_role, scope
from ..core.errors import Conflict, IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from ..core.locks import lock_row, relock
from ..core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ..core.rules import held as held_rules
from ..core.storage import ContentStore
from ..core.timeutil import now
from ..inspection.schemas import SOURCES as TASK_SOURCES
from ..registry.models import Agency, Enterprise, Officer
from . import deadlines, discretion, documents, procedure, schemas, workflow
from .models import Case, CaseDocument, CaseEvent, Measure, Pause, Payment, Recusal, StudyAnswer, StudyPoints

#: special enforcement actions (专项行动) a case can be tagged with; statistics filter by them
SPECIAL_ACTIONS = ["清水蓝天", "打击第三方环保服务机构弄虚作假", "重点排污单位自动监测数据专项检查"]
#: Case sources: an on-site inspection, or the origins shared with inspection tasks (their labels).
SOURCES = {"inspection": "现场检查", **{k: TASK_SOURCES[k] for k in ("lead", "complaint", "transfer")},
           "manual": "其他"}
MEASURES = {"evidence_kept": "先行登记保存证据", "seizure": "查封、扣押", "restriction": "限制生产",
            "suspension": "停产整治",
            "daily_penalty": "按日连续处罚", "detention_transfer": "移送行政拘留", "criminal_transfer": "移送涉嫌犯罪"}
_MEASURE_PERIOD = {"evidence_kept": "evidence_preservation", "seizure": "seizure", "restriction": "restriction", "daily_penalty": "reinspection",
                   "detention_transfer": "detention_transfer", "criminal_transfer": "criminal_transfer_decision"}
TRANSFERS = ("detention_transfer", "criminal_transfer")


def _number(session: Session, agency: Agency, on: date) -> str:
    n = session.execute(select(func.count()).select_from(Case).where(Case.agency_id == agency.id)).scalar_one()
    return f"{agency.division_code}环罚〔{on.year}〕{n + 1}号"


def get_case(session: Session, actor: Actor, case_id: int, *, lock: bool = False) -> Case:
    """``lock=True`` before a state change: the case row is locked until the commit and read after
    the lock (core.locks), so two officers acting at once are served one after the other."""
    return get_in_scope(session, actor, Case, case_id, what="案件", code="cases.not_found",
                        enterprise=lambda c: c.enterprise_id, lock=lock)


def _locked_measure(session: Session, m: Measure) -> tuple[Measure, Case]:
    """A measure and its case, locked in one order (case, then measure) and read after the locks."""
    c = lock_row(session, Case, m.case_id)
    return relock(session, m), c


def open_case(session: Session, actor: Actor, *, enterprise_id: int, title: str, facts: str, source: str,
              source_ref: str = "", discovered_on: date, record_id: int | None = None,
              officer_ids: list[int] | None = None, violation_code: str | None = None,
              tags: list[str] | None = None, offence_ended_on: date | None = None,
              limitation_extended: bool = False, party_kind: str = "organisation",
              lead_id: int | None = None) -> Case:
    require_role(actor, "officer", "leader", "admin")
    if party_kind not in ("organisation", "citizen"):
        raise ValidationFailed("当事人类型应为 organisation（法人或其他组织）或 citizen（公民）", code="cases.bad_party")
    if offence_ended_on and offence_ended_on > discovered_on:
        raise ValidationFailed("违法行为终了日期不能晚于发现日期", code="cases.bad_offence_date")
    if source not in SOURCES:
        raise ValidationFailed(f"案件来源应为 {'、'.join(SOURCES)}", code="cases.bad_source")
    e = get_in_scope(session, actor, Enterprise, enterprise_id, what="企业", code="cases.enterprise_not_found")
    if violation_code:
        discretion.rules().violation(violation_code)
    lock_row(session, Agency, e.agency_id)    # case numbers count the agency's cases: one at a time
    c = Case(number=_number(session, e.agency, discovered_on), agency_id=e.agency_id, enterprise_id=e.id,
             title=title, source=source, source_ref=source_ref, record_id=record_id, violation_code=violation_code,
             facts=facts, stage="clue", officer_ids=list(officer_ids or []), tags=list(tags or []), discretion={},
             discovered_on=discovered_on, paused_days=0, extension_days=0, offset_points=0, offset_yuan=0,
             paid_yuan=0, appeal={}, departure_reason="", created_at=now(), offence_ended_on=offence_ended_on,
             limitation_extended=limitation_extended, party_kind=party_kind, summary=False, extensions=[],
             payment_plan={}, appeals=[], lead_id=lead_id)
    session.add(c)
    session.flush()
    for attr in HISTORY:                     # a new case has no history yet: nothing to read back
        set_committed_value(c, attr, [])
    set_committed_value(c, "agency", e.agency)           # and its agency and party are those just read
    set_committed_value(c, "enterprise", e)
    _event(session, actor, c, "open", discovered_on, None, "clue", {"source": source, "source_ref": source_ref})
    return c


def open_from_referral(session: Session, actor: Actor, referral_id: int, *, on: date | None = None) -> Case:
    """A violation found on site becomes a case draft with the record's evidence and officers."""
    from ..inspection import queries as inspection_queries
    from ..inspection import service as inspection

    ref = inspection_queries.referral(session, referral_id, lock=True)
    if ref is None:
        raise NotFound(f"移交记录 {referral_id} 不存在", code="cases.referral_not_found")
    if ref.status != "pending":
        raise Conflict("该检查发现已立为案件", code="cases.referral_used")
    from ..complaint import service as complaints
    from ..offsite import queries as offsite_queries

    # the chain back to where the check came from: an off-site lead's or a complaint's task
    lead_id = offsite_queries.lead_for_task(session, ref.task_id)
    complaint_id = complaints.complaint_for_task(session, ref.task_id)
    if complaint_id is not None:
        complaints.hold_for_case(session, complaint_id)     # its lock before the case's writes (core.locks)
    c = open_case(session, actor, enterprise_id=ref.enterprise_id, title="现场检查发现的环境违法行为",
                  facts=ref.findings, source="inspection", source_ref=f"检查记录 {ref.record_id}（任务 {ref.task_id}）",
                  discovered_on=on or (ref.checked_at or ref.submitted_at).date(), record_id=ref.record_id,
                  officer_ids=list(ref.officer_ids), lead_id=lead_id)
    inspection.mark_referral_opened(session, actor, referral_id, case_id=c.id)
    if complaint_id is not None:
        complaints.link_case(session, actor, complaint_id, c.number)
    return c


#: the case's history lists (models.Case) the step checks read
HISTORY = ("events", "documents", "pauses", "payments", "recusals")


def _add_row(session: Session, c: Case, attr: str, row) -> None:
    """Add a history row of the case (``attr``: one of HISTORY): to the session, and to the case's
    list when that is loaded (else the list reads it from the database when first asked)."""
    session.add(row)
    if attr in c.__dict__:
        getattr(c, attr).append(row)


def _event(session, actor, c: Case, action: str, on: date, frm, to, data: dict) -> None:
    _add_row(session, c, "events", CaseEvent(case_id=c.id, action=action, on=on, by=actor.username, from_stage=frm,
                                             to_stage=to, data=data, at=now()))
    audit.record(session, actor, f"cases.{action}", "penalty_case", c.id,
                 {"stage": c.stage, "on": on.isoformat(), **{k: v for k, v in data.items() if k != "bytes"}})


#: timeline actions that are not workflow transitions → zh-CN
EVENT_NAMES = {"open": "登记案源", "update": "修改案件事实/承办人", "discretion": "适用裁量基准",
               "payment_plan": "批准延期/分期缴纳罚款", "summary_decision": "当场作出简易程序处罚决定",
               "summary_report": "简易程序决定报备案", "publish": "公开处罚决定",
               "recusal.apply": "登记回避申请", "recusal.decide": "作出回避决定"}
_MEASURE_STEPS = {"": "采取", "extend": "延长", "receipt": "登记回执", "approve": "审批", "send": "移送",
                  "police": "登记公安机关决定"}


def action_label(action: str) -> str:
    """The zh-CN name of a case timeline action (``file`` → 立案, ``measure.seizure.extend`` →
    延长查封、扣押); an unknown code is shown as it is."""
    if action in workflow.TRANSITIONS:
        return workflow.TRANSITIONS[action].label
    if action in EVENT_NAMES:
        return EVENT_NAMES[action]
    parts = action.split(".")
    if parts[0] == "measure" and len(parts) in (2, 3) and parts[1] in MEASURES:
        step = _MEASURE_STEPS.get(parts[2] if len(parts) == 3 else "")
        if parts[1].endswith("_transfer"):
            step = {"": "报请", "send": "完成"}.get(parts[2] if len(parts) == 3 else "", step)
        if step:
            return f"{step}{MEASURES[parts[1]]}"
    return action


def events(session: Session, c: Case) -> list[CaseEvent]:
    return list(session.execute(select(CaseEvent).where(CaseEvent.case_id == c.id).order_by(CaseEvent.id)).scalars())


def update_facts(session: Session, actor: Actor, c: Case, *, facts: str | None = None,
                 violation_code: str | None = None, officer_ids: list[int] | None = None,
                 major: bool | None = None, tags: list[str] | None = None) -> Case:
    require_role(actor, "officer", "leader", "admin")
    c = relock(session, c)
    if c.stage not in ("clue", "filed", "investigating"):
        raise IllegalTransition("案件已提交审查，事实、定性和承办人不能再修改（请退回补充调查）",
                                code="cases.locked")
    if violation_code is not None:
        discretion.rules().violation(violation_code)
        c.violation_code = violation_code
    if facts is not None:
        c.facts = facts
    if officer_ids is not None:
        officers = [session.get(Officer, i) for i in officer_ids]
        if any(o is None or not o.cert_no for o in officers):
            raise ValidationFailed("承办人须为持有执法证的执法人员", code="cases.uncertified")
        c.officer_ids = list(officer_ids)
    if major is not None:
        c.major = major
    if tags is not None:
        c.tags = list(tags)
    _event(session, actor, c, "update", now().date(), c.stage, c.stage,
           {"violation_code": c.violation_code, "officers": c.officer_ids, "major": c.major})
    return c


def apply_discretion(session: Session, actor: Actor, c: Case, *, answers: dict[str, str],
                     modifiers: list[str] | None = None, facts: dict[str, bool] | None = None,
                     fine: int | None = None, departure_reason: str = "", other_penalties: list[str] | None = None,
                     mitigation_ground: str | None = None, non_penalty_ground: str | None = None) -> Case:
    """Compute the benchmark's proposal; the officer may set a different fine with a reason;
    a case on the non-penalty list (or with a statutory non-penalty ground) is proposed for
    non-penalty. Going below the statutory minimum (减轻) needs a 行政处罚法第三十二条 ground."""
    require_role(actor, "officer", "leader", "admin")
    c = relock(session, c)
    if c.stage not in ("filed", "investigating"):
        raise IllegalTransition("裁量只能在调查取证阶段确定", code="cases.locked")
    if not c.violation_code:
        raise ValidationFailed("须先认定违法行为类型", code="cases.no_violation")
    pr = procedure.rules()
    on = c.filed_on or c.discovered_on
    measures = list(other_penalties or [])
    bad = [m for m in measures if m not in procedure.hearing(on).measures]
    if bad:
        raise ValidationFailed(f"未知的处罚种类：{'、'.join(bad)}", code="cases.bad_penalty_kind")
    if mitigation_ground is not None and mitigation_ground not in pr.mitigation_grounds:
        raise ValidationFailed(f"减轻处罚情形应为{procedure.cite(pr.mitigation_source)}所列："
                               f"{'、'.join(pr.mitigation_grounds.values())}", code="cases.bad_mitigation")
    if "mitigated" in (modifiers or []) and not mitigation_ground:
        raise ValidationFailed(f"减轻处罚（低于法定下限）须记录{procedure.cite(pr.mitigation_source)}规定的情形",
                               code="cases.mitigation_ground")
    ground = None
    if non_penalty_ground is not None:
        ground = pr.non_penalty_grounds.get(non_penalty_ground)
        if ground is None:
            raise ValidationFailed(f"不予处罚情形应为：{'、'.join(g.text for g in pr.non_penalty_grounds.values())}",
                                   code="cases.bad_non_penalty_ground")
        if ground.natural_person_only and c.party_kind != "citizen":
            raise ValidationFailed(f"“{ground.text}”只适用于公民（{procedure.cite(ground.source)}）",
                                   code="cases.ground_not_applicable")
    v = discretion.rules().violation(c.violation_code)
    p = discretion.propose(c.violation_code, answers, modifiers)
    np_text = discretion.non_penalty_match(c.violation_code, facts or {})
    chosen = p.amount if fine is None else int(fine)
    floor, ceiling = v.range
    if not ("mitigated" in (modifiers or []) or floor <= chosen <= ceiling):
        raise ValidationFailed(f"罚款 {chosen:,} 元超出法定幅度 {floor:,}–{ceiling:,} 元（低于下限须有减轻处罚情形，"
                               f"{procedure.cite(pr.mitigation_source)}）", code="cases.out_of_range")
    if chosen != p.amount and not departure_reason.strip():
        raise ValidationFailed("偏离裁量基准建议金额须书面说明理由", code="cases.departure_reason")
    c.discretion = {"answers": answers, "modifiers": modifiers or [], "facts": facts or {},
                    "proposal": p.as_dict(), "non_penalty_text": np_text or (ground.text if ground else None),
                    "non_penalty_ground": non_penalty_ground, "mitigation_ground": mitigation_ground,
                    "hearing_measures": measures,
                    "violation": {"code": v.code, "name": v.name, "breach": v.breach, "penalty": v.penalty,
                                  "range": list(v.range), "also": v.also}}
    c.fine_proposed = chosen
    c.departure_reason = departure_reason.strip()
    c.major = c.major or "mitigated" in (modifiers or []) or workflow.hearing_eligible(c, c.agency.division_code)
    _event(session, actor, c, "discretion", now().date(), c.stage, c.stage,
           {"proposal": p.amount, "chosen": chosen, "non_penalty": bool(np_text or ground),
            "departure": c.departure_reason})
    return c


def evidence_list(session: Session, c: Case, docs: list[CaseDocument] | None = None) -> list[str]:
    """The case's evidence: its on-site record's (record, files) and the evidence documents added
    (``docs``: the case's documents when the caller holds them, else read here)."""
    out = []
    if c.record_id:
        from ..inspection import queries as inspection_queries

        # the on-site record and its files are the inspection domain's, written and flushed by its
        # services before a case is opened from them: the pending writes of a case step cannot
        # change them, so reading them need not flush those writes first (a flush per step)
        with session.no_autoflush:
            rec = inspection_queries.record_evidence(session, c.record_id)
        if rec is not None:
            out.append(f"现场检查笔录（{rec.checked_at.date() if rec.checked_at else ''}，记录哈希 {(rec.record_hash or '')[:16]}）")
            for filename, digest in rec.files:
                out.append(f"{filename}（SHA-256 {digest[:16]}）")
    if docs is None:
        docs = list(session.execute(select(CaseDocument).where(CaseDocument.case_id == c.id,
                                                               CaseDocument.kind == "evidence")
                                    .order_by(CaseDocument.id)).scalars())
    for d in docs:
        if d.kind != "evidence":
            continue
        out.append(f"{d.title}（SHA-256 {d.sha256[:16]}）")
    return out


INVESTIGATIVE = ("open", "investigate", "discretion", "update", "submit_review", "evidence")


def investigators(session: Session, c: Case) -> frozenset[str]:
    """Who investigated the case: its assigned officers (ids as text) and every user who took an
    investigative step (opened it, investigated, set discretion, added evidence, submitted it)."""
    names = {str(i) for i in (c.officer_ids or [])}
    names |= set(session.execute(
        select(CaseEvent.by).where(CaseEvent.case_id == c.id, CaseEvent.action.in_(INVESTIGATIVE))
        .union(select(CaseDocument.created_by).where(CaseDocument.case_id == c.id, CaseDocument.kind == "evidence"))
    ).scalars())
    return frozenset(names)


def pauses(session: Session, c: Case) -> list[Pause]:
    return list(session.execute(select(Pause).where(Pause.case_id == c.id).order_by(Pause.id)).scalars())


def payments(session: Session, c: Case) -> list[Payment]:
    return list(session.execute(select(Payment).where(Payment.case_id == c.id)
                                .order_by(Payment.paid_on, Payment.id)).scalars())


def recusals(session: Session, c: Case) -> list[Recusal]:
    return list(session.execute(select(Recusal).where(Recusal.case_id == c.id).order_by(Recusal.id)).scalars())


class _StepCtx(workflow.Ctx):
    """A step's context as the state machine sees it, each part worked out the first time a check
    asks for it (a step's checks need one or two of them), from the case's history lists
    (models.Case: read from the database once per transaction, after the case's lock; kept whole
    by the services). The checks run before the step's effects, so every part shows the case as
    it was."""

    def __init__(self, session: Session, actor: Actor, c: Case, on: date, data: dict):
        self.on, self.data, self.username, self.officer_id = on, data, actor.username, actor.officer_id
        self.division_code = c.agency.division_code if c.agency else ""
        self._session, self._case = session, c

    @cached_property
    def evidence(self) -> list[str]:
        """The case's evidence as its documents list it (the step's documents use it too)."""
        return evidence_list(self._session, self._case, self._case.documents)

    @cached_property
    def evidence_count(self) -> int:
        return len(self.evidence)

    @cached_property
    def signed_kinds(self) -> frozenset[str]:
        return frozenset(d.kind for d in self._case.documents if d.signed)

    @cached_property
    def investigators(self) -> frozenset[str]:
        c = self._case
        return frozenset({str(i) for i in (c.officer_ids or [])}
                         | {e.by for e in c.events if e.action in INVESTIGATIVE}
                         | {d.created_by for d in c.documents if d.kind == "evidence"})

    @cached_property
    def _recusals(self) -> list[Recusal]:
        return list(self._case.recusals)

    @cached_property
    def recused(self) -> frozenset[str]:
        return frozenset(r.person for r in self._recusals if r.status == "granted")

    @cached_property
    def recusal_pending(self) -> frozenset[str]:
        return frozenset(r.person for r in self._recusals if r.status == "pending")

    @cached_property
    def pauses(self) -> list[Pause]:
        return list(self._case.pauses)

    @cached_property
    def payments(self) -> list[Payment]:
        return _payments_of(self._case)


def _payments_of(c: Case) -> list[Payment]:
    """The case's payments by date (then as entered: the list is in id order, new ones last)."""
    return sorted(c.payments, key=lambda p: p.paid_on)


def _ctx(session: Session, actor: Actor, c: Case, on: date, data: dict) -> workflow.Ctx:
    return _StepCtx(session, actor, c, on, data)


def due_list(session: Session, c: Case, today: date) -> list[deadlines.Due]:
    return deadlines.dues(c, today, pauses(session, c))


def decision_deadline(session: Session, c: Case, today: date | None = None) -> date:
    return deadlines.decision_deadline(c, pauses(session, c), today)


def open_dues(session: Session, c: Case, today: date, pauses_of: dict | None = None) -> list[deadlines.Due]:
    ps = pauses_of.get(c.id, []) if pauses_of is not None else pauses(session, c)
    return deadlines.open_dues(c, today, ps)


def pauses_by_case(session: Session, case_ids: list[int]) -> dict[int, list[Pause]]:
    """Pause intervals of many cases in one query (lists and dashboards)."""
    out: dict[int, list[Pause]] = {}
    for i in range(0, len(case_ids), 900):
        for p in session.execute(select(Pause).where(Pause.case_id.in_(case_ids[i:i + 900]))
                                 .order_by(Pause.id)).scalars():
            out.setdefault(p.case_id, []).append(p)
    return out


def surcharge(session: Session, c: Case, today: date) -> int:
    return deadlines.surcharge(c, today, payments(session, c))


def act(session: Session, actor: Actor, case_id: int, action: str, *, on: date | None = None,
        data: dict | None = None, documents_on: bool = True, _own_step: bool = False) -> Case:
    """Take one workflow step: checked by the state machine (order, roles, 查处分离, the step's
    legal conditions), then its effects, an event, the audit entry and the step's documents.
    A refusal changes nothing."""
    if action in workflow.SERVICE_ONLY and not _own_step:
        raise IllegalTransition(f"“{workflow.TRANSITIONS[action].label}”须通过其专门功能办理（电子送达由企业端签收记录）",
                                code="cases.service_only")
    c = get_case(session, actor, case_id, lock=True)
    on = on or now().date()
    data = dict(data or {})
    ctx = _ctx(session, actor, c, on, data)
    try:
        t = workflow.check(c, action, actor.roles, ctx)
    except workflow.Refused as exc:
        raise IllegalTransition(exc.message, code=exc.code) from exc
    frm = c.stage
    _effects(session, actor, c, action, on, data, documents_on, ctx)
    if t.target is not None:
        c.stage = t.target
    _event(session, actor, c, action, on, frm, c.stage, {k: (v.isoformat() if isinstance(v, date) else v)
                                                        for k, v in data.items()})
    return c                                 # written at the next flush (a query's, the commit's)


def _close_pause(session: Session, c: Case, kind: str, on: date) -> None:
    for p in c.pauses:
        if p.kind == kind and p.ended_on is None:
            p.ended_on = on


def _effects(session: Session, actor: Actor, c: Case, action: str, on: date, data: dict,
             documents_on: bool = True, ctx: workflow.Ctx | None = None) -> None:
    def gen(kind: str) -> None:
        if documents_on:                     # the evidence read once for all of the step's documents
            generate_document(session, actor, c, kind, on=on,
                              evidence=ctx.evidence if isinstance(ctx, _StepCtx) else None)

    if action == "file":
        c.filed_on = on
    elif action == "notify":
        c.notified_on = on
        gen("notice")
    elif action == "request_hearing":
        c.hearing_requested_on = on
        # 听证期间不计入办案期限: from the request to the hearing
        _add_row(session, c, "pauses", Pause(case_id=c.id, kind="hearing", started_on=on, ended_on=None,
                                             document=f"听证申请书（{on}）", by=actor.username, created_at=now()))
    elif action == "notice_hearing":
        hd = data["hearing_date"]
        hd = hd if isinstance(hd, date) else date.fromisoformat(str(hd))
        c.hearing_noticed_on = on
        c.hearing_chair = str(data.get("chair") or actor.username)
        c.discretion = {**(c.discretion or {}), "hearing": {"date": hd.isoformat(), "chair": c.hearing_chair,
                                                            "noticed_on": on.isoformat()}}
        gen("hearing_notice")
    elif action == "hold_hearing":
        c.hearing_on = on
        c.discretion = {**(c.discretion or {}), "hearing": {**(c.discretion or {}).get("hearing", {}),
                                                            "held_on": on.isoformat(),
                                                            "record": str(data.get("record", "")),
                                                            "attendees": data.get("attendees", [])}}
        _close_pause(session, c, "hearing", on)
        gen("hearing_record")
    elif action == "legal_review":
        c.legal_reviewed_on = on
        c.discretion = {**(c.discretion or {}), "legal_review": {
            "by": actor.username, "qualification": str(data["qualification"]), "opinion": data["opinion"],
            "on": on.isoformat(), "notes": str(data.get("notes", ""))}}
    elif action == "discuss":
        c.discussed_on = on
        c.discretion = {**(c.discretion or {}), "discussion": {
            "participants": list(data["participants"]), "conclusion": str(data["conclusion"]), "on": on.isoformat()}}
        gen("discussion_record")
    elif action == "decide":
        fine = int(data.get("fine", c.fine_proposed))
        if data.get("departure_reason"):
            c.departure_reason = str(data["departure_reason"])
        c.fine = fine
        c.outcome = "penalty"
        c.decided_on = on
        if data.get("use_points"):
            lock_row(session, Enterprise, c.enterprise_id)   # the points balance: one spender at a time
            bal = points_balance(session, c.enterprise_id)
            floor = discretion.rules().violation(c.violation_code).range[0] if c.violation_code else 0
            yuan, pts = discretion.study_offset(c.violation_code, fine, bal, major=c.major, floor=floor,
                                                mitigation=(c.discretion or {}).get("mitigation_ground"))
            if pts:
                c.offset_yuan, c.offset_points = yuan, pts
                session.add(StudyPoints(enterprise_id=c.enterprise_id, points=-pts,
                                        reason=f"抵扣案件 {c.number} 罚款 {yuan} 元", case_id=c.id, at=now()))
        for kind in documents.BUNDLE:                 # 五书同达
            gen(kind)
    elif action == "decide_non_penalty":
        c.fine = 0
        c.outcome = "non_penalty"
        c.decided_on = on
        gen("non_penalty")
        gen("correction")
    elif action in ("serve", "serve_electronic"):
        c.served_on = on
        _close_pause(session, c, "service", on)
        for d in c.documents:
            if d.kind in ("decision", "non_penalty"):
                d.signed = True                      # served documents are final
    elif action == "record_payment":
        amount = int(data["amount"])
        _add_row(session, c, "payments", Payment(case_id=c.id, paid_on=on, amount=amount,
                                                 receipt=str(data.get("receipt", "")), by=actor.username,
                                                 created_at=now()))
        c.paid_yuan += amount
        made = _payments_of(c)
        paid = sum(p.amount for p in made)
        owed = (c.fine or 0) - c.offset_yuan + deadlines.surcharge(c, on, made)
        if paid >= owed:
            c.paid_on = on
    elif action == "close":
        c.closed_on = on
        if data.get("court_enforced"):
            data["note"] = "申请人民法院强制执行"
    elif action == "archive":
        c.archived_on = on
    elif action == "suspend":
        c.resume_stage = c.stage
        c.suspended_on = on
        _add_row(session, c, "pauses", Pause(case_id=c.id, kind="suspension", started_on=on, ended_on=None,
                                             document=str(data["document"]), by=actor.username, created_at=now()))
    elif action == "resume":
        c.paused_days += (on - c.suspended_on).days     # kept for the statistics; the limit reads pauses
        _close_pause(session, c, "suspension", on)
        c.stage = c.resume_stage
        c.resume_stage = None
        c.suspended_on = None
    elif action == "pause":
        _add_row(session, c, "pauses", Pause(case_id=c.id, kind=data["kind"], started_on=on, ended_on=None,
                                             document=str(data["document"]), by=actor.username, created_at=now()))
    elif action == "end_pause":
        _close_pause(session, c, data["kind"], on)
    elif action == "withdraw":
        c.outcome = "withdrawn"
        c.closed_on = on
    elif action == "extend":
        v = deadlines.version("decision", c.filed_on)
        kind = data.get("kind", "approved")
        days = int(data.get("days", v.extension if kind == "approved" else 0))
        c.extensions = [*(c.extensions or []), {"kind": kind, "days": days, "on": on.isoformat(),
                                                "reason": str(data["reason"]), "record": str(data.get("record", ""))}]
        c.extension_days = deadlines.extension_total(c)
    elif action == "record_appeal":
        outcome = data.get("outcome", "pending")
        if outcome == "pending":
            c.appeals = [*(c.appeals or []), {"kind": data["kind"], "applied_on": on.isoformat(), "decided_on": None,
                                              "outcome": "pending"}]
        else:
            c.appeals = [({**a, "decided_on": on.isoformat(), "outcome": outcome}
                          if a["kind"] == data["kind"] and not a.get("decided_on") else a) for a in c.appeals]
            if outcome == "revoked":
                c.outcome = "revoked"
        c.appeal = {"kind": data["kind"], "outcome": outcome, "on": on.isoformat()}


def record_electronic_service(session: Session, actor: Actor, case_id: int, *, on: date,
                              consent: schemas.ServiceConsent | None, delivery: dict) -> Case:
    """电子送达: the decision (with the 五书同达 documents) served in the enterprise portal; ``on``
    is the receipt date the portal records (the firm's first opening), which becomes the service
    date every later clock counts from (payment 15 days, 复议 60 days, 诉讼 6 months). Refused
    without the party's consent in force that day covering the decision (行政处罚法第六十一条第二款);
    then the usual methods of service stay (``serve``)."""
    if consent is None:
        raise ValidationFailed("当事人未同意并签订确认书，不能电子送达，请采用直接送达、邮寄送达等方式"
                               "（行政处罚法第六十一条第二款）", code="cases.no_service_consent")
    data = {"method": "electronic", "consent": consent.model_dump(mode="json"),
            **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in delivery.items()}}
    return act(session, actor, case_id, "serve_electronic", on=on, data=data, _own_step=True)


def served_electronically(session: Session, c: Case) -> dict | None:
    """The electronic-service event's data (method, consent, delivery) when the case was served
    in the portal, else None."""
    ev = session.execute(select(CaseEvent).where(CaseEvent.case_id == c.id, CaseEvent.action == "serve_electronic")
                         .order_by(CaseEvent.id.desc())).scalars().first()
    return dict(ev.data) if ev is not None else None


# --- documents -------------------------------------------------------------------------------

DOCUMENTS = ContentStore("documents", ".docx")      # generated .docx documents
EVIDENCE_FILES = ContentStore("documents", ".bin")  # evidence files added to a case


def generate_document(session: Session, actor: Actor, c: Case, kind: str, *, on: date | None = None,
                      evidence: list[str] | None = None) -> CaseDocument:
    """The document ``kind`` of the case as it stands, a new version unless a signed one exists;
    ``evidence``: the case's evidence list when the caller has just read it (else read here)."""
    if kind not in documents.TITLES:
        raise ValidationFailed(f"未知的文书类型 {kind}", code="cases.bad_document")
    prev = max((d for d in c.documents if d.kind == kind), key=lambda d: d.version, default=None)
    if prev is not None and prev.signed:
        raise Conflict(f"{documents.TITLES[kind]}已签发定稿，不能重新生成", code="cases.document_signed")
    data = documents.render(kind, c, on=on or now().date(),
                            evidence=evidence if evidence is not None else evidence_list(session, c, c.documents))
    sha = DOCUMENTS.put(data)
    doc = CaseDocument(case_id=c.id, kind=kind, version=(prev.version + 1) if prev else 1,
                       title=documents.TITLES[kind], sha256=sha, size=len(data), signed=False,
                       created_by=actor.username, created_at=now())
    _add_row(session, c, "documents", doc)
    audit.record(session, actor, "cases.document", "penalty_case", c.id, {"kind": kind, "sha256": sha})
    return doc


def document_bytes(doc: CaseDocument) -> bytes:
    store = EVIDENCE_FILES if doc.kind == "evidence" else DOCUMENTS
    return store.read(doc.sha256, code="cases.document_tampered", what="文书文件")


def case_documents(session: Session, c: Case) -> list[CaseDocument]:
    return list(session.execute(select(CaseDocument).where(CaseDocument.case_id == c.id)
                                .order_by(CaseDocument.id)).scalars())


def add_evidence_document(session: Session, actor: Actor, c: Case, title: str, data: bytes) -> CaseDocument:
    require_role(actor, "officer", "leader", "admin")
    c = relock(session, c)
    if c.stage not in ("clue", "filed", "investigating"):
        raise IllegalTransition("证据只能在调查取证阶段补充", code="cases.locked")
    sha = EVIDENCE_FILES.put(data)
    n = sum(1 for d in c.documents if d.kind == "evidence")
    doc = CaseDocument(case_id=c.id, kind="evidence", version=n + 1, title=title, sha256=sha, size=len(data),
                       signed=True, created_by=actor.username, created_at=now())
    _add_row(session, c, "documents", doc)
    session.flush()
    audit.record(session, actor, "cases.evidence", "penalty_case", c.id, {"title": title, "sha256": sha})
    return doc


# --- coercive measures and transfers -------------------------------------------------------

def add_measure(session: Session, actor: Actor, c: Case, kind: str, *, started_on: date, data: dict | None = None
                ) -> Measure:
    require_role(actor, "leader", "admin")
    c = relock(session, c)
    if kind not in MEASURES:
        raise ValidationFailed(f"措施类型应为 {'、'.join(MEASURES)}", code="cases.bad_measure")
    if c.stage in ("clue", "closed", "archived"):
        raise IllegalTransition(f"案件处于“{workflow.STAGES[c.stage]}”阶段，不能采取{MEASURES[kind]}",
                                code="cases.measure_stage")
    if kind in TRANSFERS:
        tr = procedure.rules().transfers[kind]
        if c.stage not in tr.stages:
            raise IllegalTransition(
                f"案件处于“{workflow.STAGES[c.stage]}”阶段，不能{tr.label}（可移送阶段："
                f"{'、'.join(workflow.STAGES[x] for x in tr.stages)}；{procedure.cite(tr.source)}）",
                code="cases.transfer_stage")
        if any(m.kind == kind and m.data.get("status") != "rejected" for m in measures(session, c)):
            raise Conflict(f"本案已{tr.label}", code="cases.transfer_exists")
    data = dict(data or {})
    if kind in TRANSFERS and not data.get("receiver"):
        raise ValidationFailed("移送须写明接收的公安机关", code="cases.no_receiver")
    period = _MEASURE_PERIOD.get(kind)
    ends = deadlines.period_end(period, started_on) if period else None
    if kind in ("restriction", "suspension"):
        # the party files its rectification plan within 15 working days (环境保护部令第30号)
        data.setdefault("plan_due", deadlines.period_end("rectification_plan", started_on).isoformat())
    if kind in TRANSFERS:
        data.setdefault("status", "reported" if kind == "criminal_transfer" else "decided")
    m = Measure(case_id=c.id, kind=kind, started_on=started_on, ends_on=ends, extended=False, data=data,
                created_at=now())
    session.add(m)
    session.flush()
    if kind in ("detention_transfer", "criminal_transfer"):
        c.discretion = {**(c.discretion or {}), "transfer": {"to": data["receiver"], "reason": data.get("reason", "")}}
        generate_document(session, actor, c, "transfer", on=started_on)
    _event(session, actor, c, f"measure.{kind}", started_on, c.stage, c.stage, {"measure": m.id, **data})
    return m


def extend_measure(session: Session, actor: Actor, m: Measure, reason: str) -> Measure:
    require_role(actor, "leader", "admin")
    m, c = _locked_measure(session, m)
    if m.extended:
        raise Conflict(f"{MEASURES[m.kind]}已延长过一次", code="cases.measure_extended")
    period = _MEASURE_PERIOD.get(m.kind)
    p = deadlines.version(period, m.started_on) if period else None
    if p is None or not p.extension:
        raise ValidationFailed(f"{MEASURES[m.kind]}没有法定延长期限", code="cases.measure_no_extension")
    if not reason.strip():
        raise ValidationFailed("延长须说明理由", code="cases.no_reason")
    m.ends_on = deadlines.period_end(period, m.started_on, extended=True)
    m.extended = True
    m.data = {**m.data, "extension_reason": reason}
    _event(session, actor, c, f"measure.{m.kind}.extend", now().date(), c.stage, c.stage, {"measure": m.id})
    return m


def record_receipt(session: Session, actor: Actor, m: Measure, receipt_no: str, on: date) -> Measure:
    """The public security organ's receipt of a transfer (回执)."""
    m, c = _locked_measure(session, m)
    if m.kind not in TRANSFERS:
        raise ValidationFailed("只有移送需要登记回执", code="cases.not_transfer")
    m.data = {**m.data, "receipt_no": receipt_no, "received_on": on.isoformat()}
    _event(session, actor, c, f"measure.{m.kind}.receipt", on, c.stage, c.stage, {"receipt_no": receipt_no})
    return m


def daily_penalty_total(c: Case, m: Measure) -> int:
    """按日连续处罚: original fine × days from the day after the correction order was served to
    the re-inspection that found the discharge continuing."""
    if m.kind != "daily_penalty" or not m.data.get("reinspected_on") or not c.fine:
        return 0
    days = (date.fromisoformat(m.data["reinspected_on"]) - m.started_on).days
    return max(0, days) * c.fine


def measures(session: Session, c: Case) -> list[Measure]:
    return list(session.execute(select(Measure).where(Measure.case_id == c.id).order_by(Measure.id)).scalars())


# --- study points ------------------------------------------------------------------------------

def points_balance(session: Session, enterprise_id: int) -> int:
    return int(session.execute(select(func.coalesce(func.sum(StudyPoints.points), 0)).where(
        StudyPoints.enterprise_id == enterprise_id)).scalar_one())


def record_study(session: Session, actor: Actor, enterprise_id: int, earned: dict[str, int], reason: str) -> dict[str, int]:
    """Credit study questions an enterprise answered correctly (the portal's question bank decides
    which and how many points): each question earns once per enterprise, ever — a question already
    credited earns nothing. Returns the questions credited now with their points."""
    if not actor.is_enterprise or actor.enterprise_id != enterprise_id:
        raise PermissionDenied("学法积分仅限本企业用户答题获得", code="cases.forbidden")
    if any(p <= 0 for p in earned.values()):
        raise ValidationFailed("积分须为正数", code="cases.bad_points")
    lock_row(session, Enterprise, enterprise_id)   # the enterprise's points: one answer sheet at a time
    done = set(session.execute(select(StudyAnswer.question).where(
        StudyAnswer.enterprise_id == enterprise_id, StudyAnswer.question.in_(list(earned)))).scalars())
    new = {q: p for q, p in earned.items() if q not in done}
    for q, p in new.items():
        session.add(StudyAnswer(enterprise_id=enterprise_id, question=q, points=p, at=now()))
    if new:
        session.flush()
        earn_points(session, actor, enterprise_id, sum(new.values()), reason)
    return new


def studied(session: Session, enterprise_id: int) -> dict[str, int]:
    """Questions credited to the enterprise, with their points."""
    return dict(session.execute(select(StudyAnswer.question, StudyAnswer.points).where(
        StudyAnswer.enterprise_id == enterprise_id)).all())


def earn_points(session: Session, actor: Actor, enterprise_id: int, points: int, reason: str) -> StudyPoints:
    if actor.is_enterprise and actor.enterprise_id != enterprise_id:
        raise PermissionDenied("只能为本企业积分", code="cases.forbidden")
    if points <= 0:
        raise ValidationFailed("积分须为正数", code="cases.bad_points")
    sp = StudyPoints(enterprise_id=enterprise_id, points=points, reason=reason, at=now())
    session.add(sp)
    session.flush()
    audit.record(session, actor, "cases.points.earn", "enterprise", enterprise_id, {"points": points, "reason": reason})
    return sp


# --- lists ---------------------------------------------------------------------------------------

def _cases_query(actor: Actor, stage: str | None, q: str | None, source: str | None = None,
                 violation: str | None = None, ids: list[int] | None = None):
    stmt = scope(select(Case).join(Agency, Case.agency_id == Agency.id).join(
        Enterprise, Case.enterprise_id == Enterprise.id), actor, Agency.path, Case.enterprise_id)
    stmt = where_choice(stmt, Case.stage, stage, workflow.STAGES, "案件阶段", "cases.bad_stage")
    stmt = where_choice(stmt, Case.source, source, SOURCES, "案件来源", "cases.bad_source")
    if violation:
        stmt = stmt.where(Case.violation_code == violation)
    if ids is not None:
        stmt = stmt.where(Case.id.in_(ids))
    stmt = where_search(stmt, q, Enterprise.name, Case.number, Enterprise.uscc, Case.title)
    return stmt


def _within(session: Session, actor: Actor, stmt, agency_id: int | None):
    """``stmt`` narrowed to the cases of unit ``agency_id`` and the units under it (the list's 办案单位
    filter), on top of the actor's own scope; a unit outside the jurisdiction is refused (403/404)."""
    if agency_id is None:
        return stmt
    from ..registry import service as registry

    unit = registry.get_agency(session, actor, agency_id)
    return stmt.where(Agency.path.startswith(unit.path, autoescape=True))


def _overdue_filter(session: Session, actor: Actor, overdue_on: date | None) -> list[int] | None:
    return None if overdue_on is None else [i for i, _ in overdue_ids(session, actor, overdue_on)]


#: Sort keys of the case list (newest discovery first by default).
CASE_SORT = Sort(
    keys={"discovered": [Case.discovered_on], "number": [Case.number], "enterprise": [Enterprise.name],
          "stage": [Case.stage], "filed": [Case.filed_on], "fine": [func.coalesce(Case.fine, Case.fine_proposed)]},
    default="-discovered", tiebreak=[Case.id.desc()],
    labels={"discovered": "发现日期", "number": "案号", "enterprise": "当事人", "stage": "阶段", "filed": "立案日期",
            "fine": "罚款"})


def list_cases(session: Session, actor: Actor, *, stage: str | None = None, q: str | None = None,
               limit: int = 200) -> list[Case]:
    stmt = _cases_query(actor, stage, q)
    return list(session.execute(stmt.order_by(*CASE_SORT.order_by(None)).limit(limit)).scalars())


def page_cases(session: Session, actor: Actor, *, stage: str | None = None, q: str | None = None,
               source: str | None = None, violation: str | None = None, overdue_on: date | None = None,
               agency_id: int | None = None, sort: str = "", page: PageParams | None = None) -> Page[Case]:
    """One page of the cases the actor may see (newest first unless ``sort``), with the total;
    ``overdue_on``: only the open cases with a statutory step past due on that day (``overdue``);
    ``agency_id``: only the cases of that unit and the units under it."""
    stmt = _cases_query(actor, stage, q, source, violation, _overdue_filter(session, actor, overdue_on))
    stmt = _within(session, actor, stmt, agency_id)
    return page_of(session, stmt.options(*_LIST_DEFER), page, sort=CASE_SORT, sort_value=sort)


def iter_cases(session: Session, actor: Actor, *, stage: str | None = None, q: str | None = None,
               source: str | None = None, violation: str | None = None, overdue_on: date | None = None,
               agency_id: int | None = None, sort: str = "") -> Iterator[Case]:
    """Every case of the list's filters in its order, read in batches (exports)."""
    stmt = _cases_query(actor, stage, q, source, violation, _overdue_filter(session, actor, overdue_on))
    stmt = _within(session, actor, stmt, agency_id)
    return iter_all(session, stmt, sort=CASE_SORT, sort_value=sort)


def overdue_ids(session: Session, actor: Actor, today: date) -> list[tuple[int, deadlines.Due]]:
    """Every open case (of the 5,000 most recent) with a statutory step past due, newest discovery
    first, with its first overdue step: kept until the next audited write (core.cache), so the
    panels, their total and the full list (``page_cases(overdue_on=…)``) read one scan."""
    return _overdue_held(session, actor, today, fresh_copy=True)


def _overdue_held(session: Session, actor: Actor, today: date, *, fresh_copy: bool) -> list[tuple[int, deadlines.Due]]:
    """``overdue_ids``' list; ``fresh_copy=False`` for a caller that only counts or slices it (the
    cache's own list: copying a province's thousands of dues took longer than reading them)."""
    from ..core import cache

    return cache.cached(session, "cases.overdue", (actor.is_enterprise, actor.enterprise_id, actor.agency_path, today),
                        refresh=lambda s: _overdue(s, actor, today, None), fresh_copy=fresh_copy)


def overdue_count(session: Session, actor: Actor, today: date) -> int:
    """How many open cases have a statutory step past due (the length of ``overdue_ids``)."""
    return len(_overdue_held(session, actor, today, fresh_copy=False))


def overdue(session: Session, actor: Actor, today: date, limit: int = 50) -> list[tuple[Case, deadlines.Due]]:
    """The first ``limit`` open cases with a statutory step past due (officer's and leader's
    dashboards; ``overdue_ids`` has them all). The cases are read fresh."""
    found = [(i, dataclasses.replace(d)) for i, d in _overdue_held(session, actor, today, fresh_copy=False)[:limit]]
    by_id = {c.id: c for c in session.execute(select(Case).where(Case.id.in_([i for i, _ in found]))
                                              .options(*_LIST_DEFER)).scalars()}
    return [(by_id[i], d) for i, d in found if i in by_id]


def page_overdue(session: Session, actor: Actor, today: date, *, q: str | None = None, sort: str = "",
                 page: PageParams | None = None) -> Page[tuple[Case, deadlines.Due]]:
    """One page of the open cases with a statutory step past due on ``today`` (the list
    ``page_cases(overdue_on=…)`` shows: its search, sorts and total), each with its first overdue step."""
    due_of = dict(overdue_ids(session, actor, today))
    p = page_cases(session, actor, q=q, overdue_on=today, sort=sort, page=page)
    p.items = [(c, due_of[c.id]) for c in p.items if c.id in due_of]
    return p


#: what lists and deadline scans leave unread (loaded if a page does use it): the discretion
#: worksheet is 2.5 KB of JSON a case, and decoding it was most of /cases' time for a province
_LIST_DEFER = (defer(Case.discretion), defer(Case.facts), defer(Case.departure_reason))


def _overdue(session: Session, actor: Actor, today: date, limit: int | None) -> list[tuple[int, deadlines.Due]]:
    from sqlalchemy.orm import lazyload

    out = []
    stmt = (_cases_query(actor, None, None).where(Case.stage.not_in(("archived", "suspended")))
            .order_by(Case.discovered_on.desc(), Case.id.desc())
            .options(*_LIST_DEFER, lazyload(Case.agency), lazyload(Case.enterprise)))
    # the 5,000 most recent open cases, streamed 500 at a time until ``limit`` overdue ones are
    # found, or all of them (the deadlines read the case's own dates, not its agency or enterprise)
    result = session.execute(stmt.limit(5000).execution_options(yield_per=500)).scalars()
    with held_rules():             # the period rules looked up once for the whole scan
        try:
            for found in result.partitions():
                pauses_of = pauses_by_case(session, [c.id for c in found])
                for c in found:
                    for d in open_dues(session, c, today, pauses_of):
                        if d.overdue(today):
                            out.append((c.id, d))
                            break
                    if limit is not None and len(out) >= limit:
                        return out
        finally:
            result.close()
    return out



# --- transfers: clocks and reads (the transfer domain follows outcomes through these) ----------

def _as_dt(v):
    from datetime import datetime as _dt

    return _dt.fromisoformat(v) if isinstance(v, str) else v


def _transfer_out(m: Measure, c: Case, today: date | None = None) -> schemas.TransferOut:
    from datetime import timedelta

    today = today or now().date()
    d = m.data or {}
    out = schemas.TransferOut(
        id=m.id, case_id=c.id, case_number=c.number, agency_id=c.agency_id, enterprise_id=c.enterprise_id,
        enterprise_name=c.enterprise.name, kind=m.kind, label=MEASURES[m.kind], receiver=d.get("receiver", ""),
        reason=d.get("reason", ""), status=d.get("status", "decided"), started_on=m.started_on,
        approved_at=_as_dt(d.get("approved_at")), sent_at=_as_dt(d.get("sent_at")),
        received_on=date.fromisoformat(d["received_on"]) if d.get("received_on") else None,
        receipt_no=d.get("receipt_no", ""), police_decision=d.get("police_decision", ""),
        police_decided_on=date.fromisoformat(d["police_decided_on"]) if d.get("police_decided_on") else None)
    if m.kind == "criminal_transfer":
        out.decide_by = m.ends_on
        if out.approved_at:
            out.send_by = out.approved_at + timedelta(hours=deadlines.rules().criminal_transfer_hours.hours)
        if out.received_on:
            out.police_decide_by = deadlines.period_end("police_filing_decision", out.received_on)
        if out.status == "reported" and today > m.ends_on:
            out.overdue.append("负责人未在三日内作出是否移送的决定（国务院令第310号第五条）")
        if out.approved_at and out.sent_at and out.sent_at > out.send_by:
            out.overdue.append("批准后未在二十四小时内移送（国务院令第310号第五条）")
        if out.police_decide_by and not out.police_decided_on and today > out.police_decide_by:
            out.overdue.append("公安机关未在接受移送后三日内决定是否立案（国务院令第310号第八条）")
    else:
        out.send_by = m.ends_on
        sent = out.sent_at.date() if out.sent_at else None
        if (sent and sent > m.ends_on) or (not sent and today > m.ends_on):
            out.overdue.append("决定移送后未在三日内移送公安机关（公治〔2014〕853号）")
    return out


def approve_transfer(session: Session, actor: Actor, m: Measure, *, approved: bool, at, reason: str = "") -> Measure:
    """The head's decision on a criminal transfer report (310号第五条: within 3 days; a refusal
    records its reasons)."""
    require_role(actor, "leader")
    m, c = _locked_measure(session, m)
    if m.kind != "criminal_transfer":
        raise ValidationFailed("只有涉嫌犯罪案件移送需要负责人审批", code="cases.not_criminal_transfer")
    if m.data.get("status") != "reported":
        raise Conflict("该移送已审批", code="cases.transfer_decided")
    at = _as_dt(at)
    if at.date() < m.started_on:
        raise ValidationFailed("审批时间不能早于移送报告日期", code="cases.bad_date")
    if not approved and not reason.strip():
        raise ValidationFailed("决定不批准移送的，应当将不予批准的理由记录在案（国务院令第310号第五条）",
                               code="cases.no_reason")
    m.data = {**m.data, "status": "approved" if approved else "not_approved", "approved_at": at.isoformat(),
              "approval_reason": reason, "approved_by": actor.username}
    _event(session, actor, c, "measure.criminal_transfer.approve", at.date(), c.stage, c.stage,
           {"measure": m.id, "approved": approved, "reason": reason})
    return m


def send_transfer(session: Session, actor: Actor, m: Measure, *, at) -> Measure:
    """The case file handed to the police (criminal: within 24 hours of approval; detention:
    within 3 days of the decision). Late sending is recorded, and shows as overdue."""
    require_role(actor, "officer", "leader")
    m, c = _locked_measure(session, m)
    if m.kind not in TRANSFERS:
        raise ValidationFailed("不是移送措施", code="cases.not_transfer")
    at = _as_dt(at)
    if m.kind == "criminal_transfer" and m.data.get("status") != "approved":
        raise Conflict("涉嫌犯罪案件须经负责人批准后移送（国务院令第310号第五条）", code="cases.transfer_not_approved")
    if m.data.get("sent_at"):
        raise Conflict("该案件已移送", code="cases.transfer_sent")
    if at.date() < m.started_on:
        raise ValidationFailed("移送时间不能早于移送决定日期", code="cases.bad_date")
    m.data = {**m.data, "status": "sent", "sent_at": at.isoformat()}
    _event(session, actor, c, f"measure.{m.kind}.send", at.date(), c.stage, c.stage, {"measure": m.id})
    return m


def record_police_decision(session: Session, actor: Actor, m: Measure, *, decision: str, on: date) -> Measure:
    m, c = _locked_measure(session, m)
    if m.kind not in TRANSFERS:
        raise ValidationFailed("不是移送措施", code="cases.not_transfer")
    if decision not in ("filed", "not_filed", "detained", "returned"):
        raise ValidationFailed("公安机关处理结果应为 filed/not_filed/detained/returned", code="cases.bad_police_decision")
    if not m.data.get("received_on"):
        raise Conflict("须先登记公安机关接收回执", code="cases.no_receipt")
    m.data = {**m.data, "status": "decided", "police_decision": decision, "police_decided_on": on.isoformat()}
    _event(session, actor, c, f"measure.{m.kind}.police", on, c.stage, c.stage, {"decision": decision})
    return m


def list_transfers(session: Session, actor: Actor, *, kind: str | None = None, status: str | None = None,
                   today: date | None = None, limit: int = 500) -> list[schemas.TransferOut]:
    """Transfers within the actor's jurisdiction, with their clocks."""
    stmt = select(Measure, Case).join(Case, Measure.case_id == Case.id).join(Agency, Case.agency_id == Agency.id) \
        .where(Measure.kind.in_(TRANSFERS))
    if actor.is_enterprise:
        raise PermissionDenied("企业用户不能查看移送案件", code="cases.forbidden")
    stmt = scope(stmt, actor, Agency.path)
    if kind:
        stmt = stmt.where(Measure.kind == kind)
    out = [_transfer_out(m, c, today) for m, c in session.execute(stmt.order_by(Measure.id).limit(limit)).all()]
    return [t for t in out if status is None or t.status == status]


def get_transfer(session: Session, actor: Actor, transfer_id: int, today: date | None = None) -> schemas.TransferOut:
    m = session.get(Measure, transfer_id)
    if m is None or m.kind not in TRANSFERS:
        raise NotFound(f"移送 {transfer_id} 不存在", code="cases.transfer_not_found")
    c = get_case(session, actor, m.case_id)
    return _transfer_out(m, c, today)


# --- 回避 ---------------------------------------------------------------------------------------

def apply_recusal(session: Session, actor: Actor, c: Case, *, person: str, reason: str, on: date) -> Recusal:
    """A 回避 application (by the party or the person himself, 行政处罚法第四十三条)."""
    if not actor.is_enterprise:
        require_role(actor, "officer", "reviewer", "leader")
    elif actor.enterprise_id != c.enterprise_id:
        raise PermissionDenied("只能对本企业的案件申请回避", code="cases.forbidden")
    if not reason.strip():
        raise ValidationFailed("申请回避，应当说明理由（行政处罚法第四十三条；生态环境行政处罚办法第六条）",
                               code="cases.no_reason")
    if not person.strip():
        raise ValidationFailed("须写明申请回避的人员", code="cases.no_person")
    c = relock(session, c)
    if c.stage in ("closed", "archived"):
        raise IllegalTransition("案件已结案，不能申请回避", code="cases.locked")
    r = Recusal(case_id=c.id, person=person.strip(), applicant=actor.username, reason=reason.strip(), applied_on=on,
                status="pending", decision_reason="", created_at=now())
    _add_row(session, c, "recusals", r)
    session.flush()
    _event(session, actor, c, "recusal.apply", on, c.stage, c.stage, {"recusal": r.id, "person": r.person})
    return r


def decide_recusal(session: Session, actor: Actor, r: Recusal, *, granted: bool, reason: str, on: date) -> Recusal:
    """The head decides (行政处罚法第四十三条: 执法人员的回避，由行政机关负责人决定)."""
    require_role(actor, "leader")
    c = lock_row(session, Case, r.case_id)
    r = relock(session, r)
    if r.status != "pending":
        raise Conflict("该回避申请已决定", code="cases.recusal_decided")
    if actor.username == r.person:
        raise PermissionDenied("被申请回避的人员不能决定自己的回避", code="cases.recusal_self")
    if not reason.strip():
        raise ValidationFailed("回避决定须说明理由", code="cases.no_reason")
    r.status = "granted" if granted else "rejected"
    r.decided_by, r.decided_on, r.decision_reason = actor.username, on, reason.strip()
    if granted and r.person.isdigit() and int(r.person) in (c.officer_ids or []):
        c.officer_ids = [i for i in c.officer_ids if i != int(r.person)]
    _event(session, actor, c, "recusal.decide", on, c.stage, c.stage, {"recusal": r.id, "granted": granted})
    return r


# --- payment plan: 暂缓 / 分期 (行政处罚法第六十六条) --------------------------------------------------

def approve_payment_plan(session: Session, actor: Actor, c: Case, *, kind: str, reason: str, on: date,
                         until: date | None = None, instalments: list[tuple[date, int]] | None = None) -> Case:
    require_role(actor, "leader")
    c = relock(session, c)
    art = "行政处罚法第六十六条第二款"
    if c.stage != "served" or c.outcome != "penalty":
        raise IllegalTransition(f"只有已送达的罚款决定可以批准暂缓或分期缴纳（{art}）", code="cases.plan_stage")
    if c.payment_plan:
        raise Conflict("已批准过暂缓或分期缴纳", code="cases.plan_exists")
    if not reason.strip():
        raise ValidationFailed(f"暂缓或分期缴纳须当事人确有经济困难并提出申请，须写明理由（{art}）", code="cases.no_reason")
    owed = (c.fine or 0) - c.offset_yuan
    if payments(session, c) and sum(p.amount for p in payments(session, c)) >= owed:
        raise Conflict("罚款已缴清", code="cases.paid")
    normal = deadlines.period_end("payment", c.served_on)
    if kind == "deferral":
        if until is None or until <= normal:
            raise ValidationFailed(f"暂缓缴纳的期限须晚于原缴款期限 {normal}", code="cases.bad_plan")
        c.payment_plan = {"kind": "deferral", "until": until.isoformat(), "approved_on": on.isoformat(), "reason": reason}
    elif kind == "instalments":
        items = sorted(instalments or [])
        if len(items) < 2:
            raise ValidationFailed("分期缴纳至少分两期", code="cases.bad_plan")
        if sum(a for _, a in items) != owed:
            raise ValidationFailed(f"各期金额合计应等于应缴罚款 {owed:,} 元", code="cases.bad_plan")
        if any(a <= 0 for _, a in items) or items[0][0] < on:
            raise ValidationFailed("每期金额须大于零，首期不能早于批准日期", code="cases.bad_plan")
        c.payment_plan = {"kind": "instalments", "approved_on": on.isoformat(), "reason": reason,
                          "instalments": [{"due": d.isoformat(), "amount": a} for d, a in items]}
    else:
        raise ValidationFailed("方式应为 deferral（暂缓）或 instalments（分期）", code="cases.bad_plan")
    _event(session, actor, c, "payment_plan", on, c.stage, c.stage, dict(c.payment_plan))
    return c


# --- 简易程序 --------------------------------------------------------------------------------------

def summary_decision(session: Session, actor: Actor, *, enterprise_id: int, facts: str, basis: str, fine: int,
                     on: date, place: str, officer_ids: list[int], party_kind: str = "organisation",
                     statement_heard: bool = True) -> Case:
    """An on-the-spot decision (当场处罚): facts certain, legal basis, a warning or a fine within
    the 行政处罚法第五十一条 amounts; two certified officers, the party heard; a short record."""
    require_role(actor, "officer", "leader")
    sv = procedure.summary(on)
    art = procedure.cite(sv.source)
    cap = sv.citizen_max if party_kind == "citizen" else sv.organisation_max
    if fine < 0 or fine > cap:
        raise ValidationFailed(f"当场处罚限于警告或{'公民' if party_kind == 'citizen' else '法人或者其他组织'}"
                               f"{cap:,}元以下罚款，{fine:,}元须适用普通程序（{art}）", code="cases.summary_amount")
    if not facts.strip() or not basis.strip():
        raise ValidationFailed(f"当场处罚须违法事实确凿并有法定依据（{art}）", code="cases.summary_facts")
    crew = procedure.officers(on)
    if len(set(officer_ids)) < crew.minimum:
        raise ValidationFailed(f"当场处罚须由{procedure.headcount(crew.minimum)}以上持证执法人员进行（{procedure.cite(crew.source)}）",
                               code="cases.summary_officers")
    if not statement_heard:
        raise ValidationFailed("当场作出决定前须听取当事人陈述申辩（行政处罚法第四十四条、第四十五条）",
                               code="cases.summary_statement")
    if not place.strip():
        raise ValidationFailed("当场处罚决定书须载明地点（行政处罚法第五十二条）", code="cases.summary_place")
    c = open_case(session, actor, enterprise_id=enterprise_id, title="当场处罚（简易程序）", facts=facts,
                  source="inspection", discovered_on=on, officer_ids=officer_ids, party_kind=party_kind)
    c.summary = True
    c.fine, c.fine_proposed, c.outcome = fine, fine, "penalty"
    c.decided_on = c.served_on = on
    c.stage = "served"
    names = [o.name for o in (session.get(Officer, i) for i in officer_ids) if o is not None]
    c.discretion = {"summary": {"basis": basis.strip(), "place": place.strip(), "officers": names}}
    doc = generate_document(session, actor, c, "summary_decision", on=on)
    doc.signed = True
    _event(session, actor, c, "summary_decision", on, "clue", "served", {"fine": fine, "basis": basis})
    return c


def report_summary(session: Session, actor: Actor, c: Case, on: date) -> Case:
    """The on-the-spot decision reported to the agency (备案)."""
    require_role(actor, "officer", "leader")
    c = relock(session, c)
    if not c.summary:
        raise ValidationFailed("不是简易程序案件", code="cases.not_summary")
    if c.filed_on:
        raise Conflict("已备案", code="cases.summary_reported")
    c.filed_on = on
    _event(session, actor, c, "summary_report", on, c.stage, c.stage, {})
    return c


# --- publication of decisions (行政处罚法第四十八条) ------------------------------------------------

def publishable_decisions(session: Session, actor: Actor, *, since: date | None = None,
                          today: date | None = None) -> list[schemas.PublishableDecision]:
    """Penalty decisions to be made public, each with the date by which it must be published
    (disclosure shows them; a decision revoked on 复议/诉讼 is withdrawn from the list)."""
    stmt = select(Case).join(Agency, Case.agency_id == Agency.id).where(
        Case.outcome == "penalty", Case.decided_on.is_not(None))
    stmt = scope(stmt, actor, Agency.path, Case.enterprise_id)
    if since:
        stmt = stmt.where(Case.decided_on >= since)
    out = []
    for c in session.execute(stmt.order_by(Case.decided_on, Case.id)).scalars():
        v = (c.discretion or {}).get("violation") or {}
        out.append(schemas.PublishableDecision(
            case_id=c.id, case_number=c.number, agency_id=c.agency_id, enterprise_id=c.enterprise_id,
            enterprise_name=c.enterprise.name, uscc=c.enterprise.uscc, violation=v.get("name", c.title),
            breach=v.get("breach", ""), penalty_basis=v.get("penalty", ""), fine=c.fine or 0,
            decided_on=c.decided_on, publish_by=deadlines.period_end("publication", c.decided_on),
            published_on=c.published_on, article=deadlines.article("publication", c.decided_on)))
    return out


def mark_published(session: Session, actor: Actor, c: Case, on: date) -> Case:
    require_role(actor, "officer", "leader")
    c = relock(session, c)
    if c.outcome != "penalty" or not c.decided_on:
        raise IllegalTransition("只有已作出的处罚决定可以公开", code="cases.not_publishable")
    if c.published_on:
        raise Conflict(f"该处罚决定已于 {c.published_on} 公开", code="cases.published")
    if on < c.decided_on:
        raise ValidationFailed("公开日期不能早于决定日期", code="cases.bad_date")
    c.published_on = on
    _event(session, actor, c, "publish", on, c.stage, c.stage, {})
    return c

