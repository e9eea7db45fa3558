"""Case services: open cases (by hand or from an on-site record's violation), discretion,
workflow actions with their effects, documents, coercive measures and transfers, study points."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.auth import Actor, check_agency, require_role
from ..core.errors import Conflict, IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from ..core.timeutil import now
from ..registry.models import Agency, Enterprise, Officer
from . import deadlines, discretion, documents, workflow
from .models import Case, CaseDocument, CaseEvent, Measure, StudyPoints

#: special enforcement actions (专项行动) a case can be tagged with; statistics filter by them
SPECIAL_ACTIONS = ["清水蓝天", "打击第三方环保服务机构弄虚作假", "重点排污单位自动监测数据专项检查"]
SOURCES = {"inspection": "现场检查", "lead": "非现场监管线索", "complaint": "信访投诉", "transfer": "移送交办",
           "manual": "其他"}
MEASURES = {"seizure": "查封、扣押", "restriction": "限制生产", "suspension": "停产整治",
            "daily_penalty": "按日连续处罚", "detention_transfer": "移送行政拘留", "criminal_transfer": "移送涉嫌犯罪"}
_MEASURE_PERIOD = {"seizure": "seizure", "restriction": "restriction", "daily_penalty": "reinspection",
                   "detention_transfer": "detention_transfer", "criminal_transfer": "criminal_transfer"}


def _number(session: Session, agency: Agency, on: date) -> str:
    n = session.execute(select(func.count()).select_from(Case).where(Case.agency_id == agency.id)).scalar_one()
    return f"{agency.division_code}环罚〔{on.year}〕{n + 1}号"


def get_case(session: Session, actor: Actor, case_id: int) -> Case:
    c = session.get(Case, case_id)
    if c is None:
        raise NotFound(f"案件 {case_id} 不存在", code="cases.not_found")
    if actor.is_enterprise:
        if actor.enterprise_id != c.enterprise_id:
            raise PermissionDenied("只能查看本企业的案件", code="cases.forbidden")
    else:
        check_agency(actor, c.agency.path, "该案件")
    return c


def open_case(session: Session, actor: Actor, *, enterprise_id: int, title: str, facts: str, source: str,
              source_ref: str = "", discovered_on: date, record_id: int | None = None,
              officer_ids: list[int] | None = None, violation_code: str | None = None,
              tags: list[str] | None = None) -> Case:
    require_role(actor, "officer", "leader", "admin")
    if source not in SOURCES:
        raise ValidationFailed(f"案件来源应为 {'、'.join(SOURCES)}", code="cases.bad_source")
    e = session.get(Enterprise, enterprise_id)
    if e is None:
        raise NotFound(f"企业 {enterprise_id} 不存在", code="cases.enterprise_not_found")
    check_agency(actor, e.agency.path, "该企业")
    if violation_code:
        discretion.rules().violation(violation_code)
    c = Case(number=_number(session, e.agency, discovered_on), agency_id=e.agency_id, enterprise_id=e.id,
             title=title, source=source, source_ref=source_ref, record_id=record_id, violation_code=violation_code,
             facts=facts, stage="clue", officer_ids=list(officer_ids or []), tags=list(tags or []), discretion={},
             discovered_on=discovered_on, paused_days=0, extension_days=0, offset_points=0, offset_yuan=0,
             paid_yuan=0, appeal={}, departure_reason="", created_at=now())
    session.add(c)
    session.flush()
    _event(session, actor, c, "open", discovered_on, None, "clue", {"source": source, "source_ref": source_ref})
    return c


def open_from_referral(session: Session, actor: Actor, referral_id: int, *, on: date | None = None) -> Case:
    """A violation found on site becomes a case draft with the record's evidence and officers."""
    from ..inspection import queries as inspection_queries
    from ..inspection import service as inspection

    ref = inspection_queries.referral(session, referral_id)
    if ref is None:
        raise NotFound(f"移交记录 {referral_id} 不存在", code="cases.referral_not_found")
    if ref.status != "pending":
        raise Conflict("该检查发现已立为案件", code="cases.referral_used")
    c = open_case(session, actor, enterprise_id=ref.enterprise_id, title="现场检查发现的环境违法行为",
                  facts=ref.findings, source="inspection", source_ref=f"检查记录 {ref.record_id}（任务 {ref.task_id}）",
                  discovered_on=on or (ref.checked_at or ref.submitted_at).date(), record_id=ref.record_id,
                  officer_ids=list(ref.officer_ids))
    inspection.mark_referral_opened(session, actor, referral_id, case_id=c.id)
    return c


def _event(session, actor, c: Case, action: str, on: date, frm, to, data: dict) -> None:
    session.add(CaseEvent(case_id=c.id, action=action, on=on, by=actor.username, from_stage=frm, to_stage=to,
                          data=data, at=now()))
    audit.record(session, actor, f"cases.{action}", "penalty_case", c.id,
                 {"stage": c.stage, "on": on.isoformat(), **{k: v for k, v in data.items() if k != "bytes"}})


def events(session: Session, c: Case) -> list[CaseEvent]:
    return list(session.execute(select(CaseEvent).where(CaseEvent.case_id == c.id).order_by(CaseEvent.id)).scalars())


def update_facts(session: Session, actor: Actor, c: Case, *, facts: str | None = None,
                 violation_code: str | None = None, officer_ids: list[int] | None = None,
                 major: bool | None = None, tags: list[str] | None = None) -> Case:
    require_role(actor, "officer", "leader", "admin")
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
                     fine: int | None = None, departure_reason: str = "") -> Case:
    """Compute the benchmark's proposal; the officer may set a different fine with a reason;
    a case on the non-penalty list is proposed for non-penalty."""
    require_role(actor, "officer", "leader", "admin")
    if c.stage not in ("filed", "investigating"):
        raise IllegalTransition("裁量只能在调查取证阶段确定", code="cases.locked")
    if not c.violation_code:
        raise ValidationFailed("须先认定违法行为类型", code="cases.no_violation")
    v = discretion.rules().violation(c.violation_code)
    p = discretion.propose(c.violation_code, answers, modifiers)
    np_text = discretion.non_penalty_match(c.violation_code, facts or {})
    chosen = p.amount if fine is None else int(fine)
    floor, ceiling = v.range
    if not ("mitigated" in (modifiers or []) or floor <= chosen <= ceiling):
        raise ValidationFailed(f"罚款 {chosen:,} 元超出法定幅度 {floor:,}–{ceiling:,} 元", code="cases.out_of_range")
    if chosen != p.amount and not departure_reason.strip():
        raise ValidationFailed("偏离裁量基准建议金额须书面说明理由", code="cases.departure_reason")
    c.discretion = {"answers": answers, "modifiers": modifiers or [], "facts": facts or {},
                    "proposal": p.as_dict(), "non_penalty_text": np_text,
                    "violation": {"code": v.code, "name": v.name, "breach": v.breach, "penalty": v.penalty,
                                  "range": list(v.range), "also": v.also}}
    c.fine_proposed = chosen
    c.departure_reason = departure_reason.strip()
    c.major = c.major or "mitigated" in (modifiers or []) or chosen > deadlines.rules().hearing_threshold.default
    _event(session, actor, c, "discretion", now().date(), c.stage, c.stage,
           {"proposal": p.amount, "chosen": chosen, "non_penalty": bool(np_text), "departure": c.departure_reason})
    return c


def evidence_list(session: Session, c: Case) -> list[str]:
    out = []
    if c.record_id:
        from ..inspection import queries as inspection_queries

        rec = inspection_queries.record_evidence(session, c.record_id)
        if rec is not None:
            out.append(f"现场检查笔录（{rec.checked_at.date() if rec.checked_at else ''}，记录哈希 {(rec.record_hash or '')[:16]}）")
            for filename, digest in rec.files:
                out.append(f"{filename}（SHA-256 {digest[:16]}）")
    for d in session.execute(select(CaseDocument).where(CaseDocument.case_id == c.id,
                                                        CaseDocument.kind == "evidence")).scalars():
        out.append(f"{d.title}（SHA-256 {d.sha256[:16]}）")
    return out


def act(session: Session, actor: Actor, case_id: int, action: str, *, on: date | None = None,
        data: dict | None = None, documents_on: bool = True) -> Case:
    """Take one workflow step: checked by the state machine, then its effects, an event, the
    audit entry and the step's documents."""
    c = get_case(session, actor, case_id)
    on = on or now().date()
    data = dict(data or {})
    signed = frozenset(session.execute(select(CaseDocument.kind).where(
        CaseDocument.case_id == c.id, CaseDocument.signed.is_(True))).scalars())
    ctx = workflow.Ctx(on=on, data=data, evidence_count=len(evidence_list(session, c)), signed_kinds=signed)
    try:
        t = workflow.check(c, action, actor.roles, ctx)
    except workflow.Refused as exc:
        raise IllegalTransition(exc.message, code=exc.code) from exc
    frm = c.stage
    _effects(session, actor, c, action, on, data, documents_on)
    if t.target is not None:
        c.stage = t.target
    _event(session, actor, c, action, on, frm, c.stage, data)
    session.flush()
    return c


def _effects(session: Session, actor: Actor, c: Case, action: str, on: date, data: dict,
             documents_on: bool = True) -> None:
    gen = (lambda kind: generate_document(session, actor, c, kind, on=on)) if documents_on else (lambda kind: None)
    if action == "file":
        c.filed_on = on
    elif action == "notify":
        c.notified_on = on
        gen("notice")
    elif action == "request_hearing":
        c.hearing_requested_on = on
    elif action == "hold_hearing":
        c.hearing_on = on
        c.paused_days += (on - c.hearing_requested_on).days      # 听证期间不计入办案期限
    elif action == "decide":
        fine = int(data.get("fine", c.fine_proposed))
        if data.get("departure_reason"):
            c.departure_reason = str(data["departure_reason"])
        c.fine = fine
        c.outcome = "penalty"
        c.decided_on = on
        if data.get("use_points"):
            bal = points_balance(session, c.enterprise_id)
            yuan, pts = discretion.study_offset(c.violation_code, fine, bal, major=c.major)
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
    elif action == "serve":
        c.served_on = on
        for d in session.execute(select(CaseDocument).where(CaseDocument.case_id == c.id,
                                                            CaseDocument.kind.in_(("decision", "non_penalty")))).scalars():
            d.signed = True                          # served documents are final
    elif action == "record_payment":
        c.paid_yuan += int(data["amount"])
    elif action == "close":
        c.closed_on = on
        if data.get("court_enforced"):
            data["note"] = "申请人民法院强制执行"
    elif action == "archive":
        c.archived_on = on
    elif action == "suspend":
        c.resume_stage = c.stage
        c.suspended_on = on
    elif action == "resume":
        c.paused_days += (on - c.suspended_on).days     # 中止期间不计入办案期限
        c.stage = c.resume_stage
        c.resume_stage = None
        c.suspended_on = None
    elif action == "withdraw":
        c.outcome = "withdrawn"
        c.closed_on = on
    elif action == "extend":
        c.extension_days += deadlines.rules().periods["decision"].extension_days
    elif action == "record_appeal":
        c.appeal = {"kind": data["kind"], "outcome": data["outcome"], "on": on.isoformat()}
        if data["outcome"] == "revoked":
            c.outcome = "revoked"


# --- documents -------------------------------------------------------------------------------

def _doc_path(sha: str):
    from ..settings import get_settings

    return get_settings().evidence_path / "documents" / sha[:2] / f"{sha}.docx"


def generate_document(session: Session, actor: Actor, c: Case, kind: str, *, on: date | None = None) -> CaseDocument:
    if kind not in documents.TITLES:
        raise ValidationFailed(f"未知的文书类型 {kind}", code="cases.bad_document")
    prev = session.execute(select(CaseDocument).where(CaseDocument.case_id == c.id, CaseDocument.kind == kind)
                           .order_by(CaseDocument.version.desc())).scalars().first()
    if prev is not None and prev.signed:
        raise Conflict(f"{documents.TITLES[kind]}已签发定稿，不能重新生成", code="cases.document_signed")
    data = documents.render(kind, c, on=on or now().date(), evidence=evidence_list(session, c))
    sha = documents.digest(data)
    path = _doc_path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    doc = CaseDocument(case_id=c.id, kind=kind, version=(prev.version + 1) if prev else 1,
                       title=documents.TITLES[kind], sha256=sha, size=len(data), signed=False,
                       created_by=actor.username, created_at=now())
    session.add(doc)
    session.flush()
    audit.record(session, actor, "cases.document", "penalty_case", c.id, {"kind": kind, "sha256": sha})
    return doc


def document_bytes(doc: CaseDocument) -> bytes:
    path = _doc_path(doc.sha256)
    data = (path.with_suffix(".bin") if doc.kind == "evidence" else path).read_bytes()
    if documents.digest(data) != doc.sha256:
        raise Conflict("文书文件与登记的哈希不符（被改动）", code="cases.document_tampered")
    return data


def case_documents(session: Session, c: Case) -> list[CaseDocument]:
    return list(session.execute(select(CaseDocument).where(CaseDocument.case_id == c.id)
                                .order_by(CaseDocument.id)).scalars())


def add_evidence_document(session: Session, actor: Actor, c: Case, title: str, data: bytes) -> CaseDocument:
    require_role(actor, "officer", "leader", "admin")
    if c.stage not in ("clue", "filed", "investigating"):
        raise IllegalTransition("证据只能在调查取证阶段补充", code="cases.locked")
    sha = documents.digest(data)
    path = _doc_path(sha).with_suffix(".bin")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    n = session.execute(select(func.count()).select_from(CaseDocument).where(
        CaseDocument.case_id == c.id, CaseDocument.kind == "evidence")).scalar_one()
    doc = CaseDocument(case_id=c.id, kind="evidence", version=n + 1, title=title, sha256=sha, size=len(data),
                       signed=True, created_by=actor.username, created_at=now())
    session.add(doc)
    session.flush()
    audit.record(session, actor, "cases.evidence", "penalty_case", c.id, {"title": title, "sha256": sha})
    return doc


# --- coercive measures and transfers -------------------------------------------------------

def add_measure(session: Session, actor: Actor, c: Case, kind: str, *, started_on: date, data: dict | None = None
                ) -> Measure:
    require_role(actor, "leader", "admin")
    if kind not in MEASURES:
        raise ValidationFailed(f"措施类型应为 {'、'.join(MEASURES)}", code="cases.bad_measure")
    if c.stage in ("clue", "closed", "archived"):
        raise IllegalTransition(f"案件处于“{workflow.STAGES[c.stage]}”阶段，不能采取{MEASURES[kind]}",
                                code="cases.measure_stage")
    data = dict(data or {})
    if kind in ("detention_transfer", "criminal_transfer") and not data.get("receiver"):
        raise ValidationFailed("移送须写明接收的公安机关", code="cases.no_receiver")
    period = _MEASURE_PERIOD.get(kind)
    ends = deadlines.period_end(period, started_on) if period else None
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
    if m.extended:
        raise Conflict(f"{MEASURES[m.kind]}已延长过一次", code="cases.measure_extended")
    period = _MEASURE_PERIOD.get(m.kind)
    p = deadlines.rules().periods.get(period) if period else None
    if p is None or not p.extension_days:
        raise ValidationFailed(f"{MEASURES[m.kind]}没有法定延长期限", code="cases.measure_no_extension")
    if not reason.strip():
        raise ValidationFailed("延长须说明理由", code="cases.no_reason")
    m.ends_on = deadlines.period_end(period, m.started_on, extended=True)
    m.extended = True
    m.data = {**m.data, "extension_reason": reason}
    c = session.get(Case, m.case_id)
    _event(session, actor, c, f"measure.{m.kind}.extend", now().date(), c.stage, c.stage, {"measure": m.id})
    return m


def record_receipt(session: Session, actor: Actor, m: Measure, receipt_no: str, on: date) -> Measure:
    """The public security organ's receipt of a transfer (回执)."""
    if m.kind not in ("detention_transfer", "criminal_transfer"):
        raise ValidationFailed("只有移送需要登记回执", code="cases.not_transfer")
    m.data = {**m.data, "receipt_no": receipt_no, "received_on": on.isoformat()}
    c = session.get(Case, m.case_id)
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

def list_cases(session: Session, actor: Actor, *, stage: str | None = None, q: str | None = None,
               limit: int = 200) -> list[Case]:
    stmt = select(Case).join(Agency, Case.agency_id == Agency.id)
    if actor.is_enterprise:
        stmt = stmt.where(Case.enterprise_id == actor.enterprise_id)
    elif actor.agency_path != "/":
        stmt = stmt.where(Agency.path.startswith(actor.agency_path, autoescape=True))
    if stage:
        stmt = stmt.where(Case.stage == stage)
    if q:
        stmt = stmt.join(Enterprise, Case.enterprise_id == Enterprise.id).where(
            Enterprise.name.contains(q, autoescape=True) | Case.number.contains(q, autoescape=True))
    return list(session.execute(stmt.order_by(Case.discovered_on.desc(), Case.id.desc()).limit(limit)).scalars())


def overdue(session: Session, actor: Actor, today: date, limit: int = 50) -> list[tuple[Case, deadlines.Due]]:
    """Open cases with a statutory step past due (officer's and leader's dashboards)."""
    out = []
    for c in list_cases(session, actor, limit=5000):
        if c.stage in ("archived",) or c.stage == "suspended":
            continue
        for d in deadlines.open_dues(c, today):
            if d.overdue(today):
                out.append((c, d))
                break
        if len(out) >= limit:
            break
    return out

