"""The penalty-case state machine, in the order of 《生态环境行政处罚办法》(生态环境部令第30号):
立案 → 调查取证 → 案件审查 → 告知 → (听证申请 → 听证通知 → 听证) → 法制审核 → 集体讨论 → 决定 →
送达 → 执行 → 结案 → 归档.

Every transition names the stages it leaves from, the stage it leads to, who may take it and its
precondition. 查处分离: whoever investigated the case cannot review it, chair its hearing, do its
法制审核 or decide it — whatever other roles he holds (admin included). ``check`` explains in
Chinese, with the article, why a transition is refused; services apply the effects after it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ..core.auth import ROLES
from . import procedure
from .deadlines import PAUSE_KINDS, decision_deadline, extension_total, period_end
from .deadlines import version as period_version

STAGES = {
    "clue": "线索",
    "filed": "已立案",
    "investigating": "调查取证",
    "reviewing": "案件审查",
    "reviewed": "审查通过",
    "notified": "已告知",
    "hearing": "听证申请",
    "heard": "已听证",
    "legal_reviewed": "法制审核通过",
    "discussed": "已集体讨论",
    "decided": "已决定",
    "served": "已送达（执行中）",
    "suspended": "中止调查",
    "closed": "已结案",
    "archived": "已归档",
}
PRE_DECISION = ("filed", "investigating", "reviewing", "reviewed", "notified", "hearing", "heard",
                "legal_reviewed", "discussed")
#: steps reserved to people who did not investigate the case (行政处罚法第五十八条、第六十四条(四)；令30)
SEPARATED = {"approve_review": "案件审查", "return": "案件审查", "hold_hearing": "主持听证", "legal_review": "法制审核", "decide": "作出决定",
             "decide_non_penalty": "作出决定"}

APL = "行政处罚法"


@dataclass
class Ctx:
    """What preconditions look at besides the case."""
    on: date
    data: dict
    evidence_count: int = 0
    signed_kinds: frozenset[str] = frozenset()
    username: str = ""
    officer_id: int | None = None
    #: usernames and officer ids (as text) of whoever investigated the case
    investigators: frozenset[str] = frozenset()
    #: persons withdrawn from the case (回避 granted) or with an undecided application
    recused: frozenset[str] = frozenset()
    recusal_pending: frozenset[str] = frozenset()
    pauses: list = field(default_factory=list)
    division_code: str = ""
    payments: list = field(default_factory=list)


Check = Callable[[object, Ctx], str | None]     # None = ok, else the refusal reason


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str | None            # None: stays (or decided by the effect: resume, appeal)
    roles: tuple[str, ...]
    check: Check


def _need(cond: bool, message: str) -> str | None:
    return None if cond else message


def _date_order(case, ctx: Ctx) -> str | None:
    last = max((d for d in (case.discovered_on, case.filed_on, case.notified_on, case.decided_on, case.served_on)
                if d), default=None)
    return _need(last is None or ctx.on >= last, f"日期 {ctx.on} 早于案件已记录的 {last}，不能倒签")


def hearing_eligible(case, division_code: str = "") -> bool:
    """听证范围: a large fine (local threshold where set) or one of the heavier penalties."""
    on = case.filed_on or case.discovered_on
    citizen = getattr(case, "party_kind", "organisation") == "citizen"
    measures = set((case.discretion or {}).get("hearing_measures") or [])
    return procedure.fine_in_hearing_scope(case.fine_proposed or 0, on, division_code, citizen=citizen) or bool(
        measures & set(procedure.hearing(on).measures))


def _required(case, ctx: Ctx, which: str) -> bool:
    r = getattr(procedure.rules(), which)
    flags = {"major": bool(case.major), "heard": bool(case.hearing_on),
             "hearing_eligible": hearing_eligible(case, ctx.division_code),
             "mitigated": "mitigated" in ((case.discretion or {}).get("modifiers") or [])}
    return any(flags.get(w) for w in r.required_when)


def _file(case, ctx):
    end = period_end("filing", case.discovered_on)
    late = ctx.on > end
    v = period_version("filing", case.discovered_on)
    if not case.facts.strip():
        return "立案须填写涉嫌违法事实"
    if late and not str(ctx.data.get("late_reason", "")).strip():
        return (f"已超过立案审查期限（{end} 届满，{v.source.title}{v.source.article}），"
                "须说明逾期理由并经负责人批准")
    ended = case.offence_ended_on or case.discovered_on
    last = procedure.limitation_end(ended, extended=bool(case.limitation_extended), on=case.discovered_on)
    if case.discovered_on > last:
        lim = procedure.limitation(case.discovered_on)
        return (f"违法行为自 {ended} 起至发现之日已超过"
                f"{lim.extended_years if case.limitation_extended else lim.years}年追责时效（{last} 届满），"
                f"不得立案处罚（{procedure.cite(lim.source)}）")
    return None


def _investigate(case, ctx):
    rule = procedure.officers(ctx.on)
    return _need(len(set(case.officer_ids)) >= rule.minimum,
                 f"调查取证须由{procedure.headcount(rule.minimum)}以上持证执法人员进行（{procedure.cite(rule.source)}）")


def _submit_review(case, ctx):
    d = case.discretion or {}
    if not case.violation_code:
        return "须先认定违法行为类型（行政处罚法第四十条：违法事实不清、证据不足的，不得给予行政处罚）"
    if ctx.evidence_count < 1:
        return "案卷中没有证据（现场检查记录或证据材料），违法事实不清、证据不足的不得处罚（行政处罚法第四十条）"
    if not d.get("proposal") and not d.get("non_penalty_text") and not d.get("non_penalty_ground"):
        return "须先按裁量基准计算建议罚款，或认定不予处罚的法定情形（行政处罚法第三十四条）"
    if case.fine_proposed is not None and d.get("proposal") and case.fine_proposed != d["proposal"]["amount"] \
            and not case.departure_reason.strip():
        return "拟罚款金额偏离裁量基准建议金额，须书面说明理由（行政处罚法第三十四条）"
    return None


def _return(case, ctx):
    return _need(bool(str(ctx.data.get("reason", "")).strip()),
                 "退回补充调查须写明需要补充的事实或证据（行政处罚法第四十条、第五十四条）")


def _withdraw(case, ctx):
    return _need(bool(str(ctx.data.get("reason", "")).strip()),
                 "撤销立案（终止调查）须写明理由并经负责人批准（生态环境行政处罚办法第三十六条）")


def _request_hearing(case, ctx):
    if not hearing_eligible(case, ctx.division_code):
        on = case.filed_on or case.discovered_on
        scope = procedure.hearing_scope_text(on, ctx.division_code, citizen=case.party_kind == "citizen")
        return (f"拟罚款 {case.fine_proposed or 0:,} 元，听证范围为{scope}或责令停产整治、停产停业、关闭、"
                f"吊销许可证件等较重处罚（{procedure.cite(procedure.hearing(on).source)}）")
    last = period_end("hearing_request", case.notified_on)
    return _need(ctx.on <= last, f"听证申请期限已于 {last} 届满（当事人应在告知后五个工作日内提出，行政处罚法第六十四条第（一）项、第八十五条）")


def _chair(ctx) -> str:
    return str(ctx.data.get("chair") or ctx.username)


def _notice_hearing(case, ctx):
    if case.hearing_noticed_on:
        return "听证通知已送达；改期须重新登记听证申请"
    raw = ctx.data.get("hearing_date")
    if not raw:
        return "听证通知须载明听证日期（行政处罚法第六十四条第（二）项）"
    hd = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    earliest = period_end("hearing_notice", ctx.on)
    if hd < earliest:
        return (f"听证通知应不迟于听证七个工作日前送达（行政处罚法第六十四条第（二）项、第八十五条）："
                f"{ctx.on} 送达的通知，听证最早 {earliest}")
    return _chair_ok(case, ctx, _chair(ctx))


def _chair_ok(case, ctx, chair: str) -> str | None:
    if chair in ctx.investigators:
        return f"听证由行政机关指定的非本案调查人员主持，{chair} 参与了本案调查（行政处罚法第六十四条第（四）项）"
    if chair in ctx.recused or chair in ctx.recusal_pending:
        return f"{chair} 已被申请回避（或已决定回避），不能主持听证（行政处罚法第四十三条、第六十四条第（四）项）"
    return None


def _hold_hearing(case, ctx):
    if not case.hearing_noticed_on:
        return "须先送达听证通知书（行政处罚法第六十四条第（二）项）"
    planned = date.fromisoformat(case.discretion.get("hearing", {}).get("date")) \
        if (case.discretion or {}).get("hearing", {}).get("date") else None
    earliest = period_end("hearing_notice", case.hearing_noticed_on)
    if ctx.on < earliest:
        return (f"听证通知应不迟于听证七个工作日前送达（行政处罚法第六十四条第（二）项、第八十五条）："
                f"通知于 {case.hearing_noticed_on} 送达，听证最早 {earliest}")
    if planned and ctx.on != planned and not str(ctx.data.get("reschedule_reason", "")).strip():
        return f"听证应在通知载明的 {planned} 举行；改期须说明理由"
    why = _chair_ok(case, ctx, case.hearing_chair or ctx.username)
    if why:
        return why
    if ctx.username != (case.hearing_chair or ctx.username):
        return f"听证由通知载明的主持人 {case.hearing_chair} 主持"
    return _need(bool(str(ctx.data.get("record", "")).strip()),
                 "听证应当制作笔录，须录入听证笔录要点（行政处罚法第六十四条第（八）项）")


def _statement_over(case, ctx) -> str | None:
    if case.stage != "notified":
        return None
    waived = bool(ctx.data.get("defence_received"))
    stmt = period_end("statement", case.notified_on)
    if ctx.on <= stmt and not waived:
        return f"陈述申辩期限至 {stmt} 届满，期满前或当事人提交陈述申辩前不能继续（行政处罚法第四十四条、第四十五条）"
    if hearing_eligible(case, ctx.division_code):
        hr = period_end("hearing_request", case.notified_on)
        if ctx.on <= hr and not ctx.data.get("hearing_waived"):
            return f"当事人可在 {hr} 前申请听证（行政处罚法第六十四条第（一）项），期满或书面放弃前不能继续"
    return None


def _legal_review(case, ctx):
    wait = _statement_over(case, ctx)
    if wait:
        return wait
    if case.hearing_requested_on and not case.hearing_on:
        return "当事人已申请听证，须先举行听证后再进行法制审核（生态环境行政处罚办法：告知、听证后法制审核）"
    if not str(ctx.data.get("qualification", "")).strip():
        return "法制审核须由具有法律职业资格的人员进行，须登记审核人员的法律职业资格证书编号（行政处罚法第五十八条第二款）"
    return _need(ctx.data.get("opinion") in ("approve", "approve_with_changes"),
                 "法制审核意见应为“同意”或“修改后同意”；未经法制审核或者审核未通过的，不得作出决定（行政处罚法第五十八条）")


def _discuss(case, ctx):
    wait = _statement_over(case, ctx)
    if wait:
        return wait
    if case.hearing_requested_on and not case.hearing_on:
        return "当事人已申请听证，须先举行听证"
    if _required(case, ctx, "legal_review") and not case.legal_reviewed_on:
        return "须先经法制审核再集体讨论（行政处罚法第五十八条；生态环境行政处罚办法）"
    if not ctx.data.get("participants") or len(ctx.data["participants"]) < 3:
        return "集体讨论须记录参加讨论的负责人（至少三人）（行政处罚法第五十七条第二款）"
    return _need(bool(str(ctx.data.get("conclusion", "")).strip()), "集体讨论须记录讨论结论（行政处罚法第五十七条第二款）")


def _decide(case, ctx, *, non_penalty: bool = False):
    wait = _statement_over(case, ctx)
    if wait:
        return wait
    if case.hearing_requested_on and not case.hearing_on:
        return "当事人已申请听证，须先举行听证（行政处罚法第六十三条）"
    if _required(case, ctx, "legal_review") and not case.legal_reviewed_on:
        return "本案须经法制审核后才能作出决定（行政处罚法第五十八条）"
    if _required(case, ctx, "collective_discussion") and case.stage != "discussed":
        return "本案须经负责人集体讨论后作出决定（行政处罚法第五十七条第二款）"
    deadline = decision_deadline(case, ctx.pauses, ctx.on)
    if ctx.on > deadline:
        return f"已超过办案期限（{deadline}，{period_version('decision', case.filed_on).source.article}），须先经批准延长"
    if non_penalty:
        d = case.discretion or {}
        return _need(bool(d.get("non_penalty_text") or d.get("non_penalty_ground")),
                     "不予处罚须符合行政处罚法第三十条、第三十一条、第三十三条、第三十六条的法定情形或不予处罚清单")
    ground = (case.discretion or {}).get("non_penalty_ground")
    spec = procedure.rules().non_penalty_grounds.get(ground) if ground else None
    if spec is not None and spec.must:
        return f"已认定“{spec.text}”，依法应当不予行政处罚（{procedure.cite(spec.source)}）"
    fine = ctx.data.get("fine", case.fine_proposed)
    if fine is None:
        return "须确定罚款金额（行政处罚法第五十九条：决定书应载明行政处罚的内容）"
    proposal = (case.discretion or {}).get("proposal")
    if proposal and fine != proposal["amount"] and not (case.departure_reason or ctx.data.get("departure_reason")):
        return "决定金额偏离裁量基准建议金额，须书面说明理由（行政处罚法第三十四条）"
    return None


def _serve(case, ctx):
    return None


def _serve_electronic(case, ctx):
    """电子送达 (行政处罚法第六十一条第二款): only with the party's recorded consent (送达地址确认书)
    covering the principal document, in force on the service date."""
    art = "行政处罚法第六十一条第二款"
    consent = ctx.data.get("consent") or {}
    if not consent:
        return f"当事人未同意并签订确认书，不能电子送达，请采用直接送达、邮寄送达等方式（{art}）"
    if consent.get("enterprise_id") != case.enterprise_id:
        return f"送达地址确认书不是本案当事人签订的（{art}）"
    given = date.fromisoformat(str(consent["given_on"]))
    if given > ctx.on:
        return f"送达日期 {ctx.on} 早于当事人同意电子送达的日期 {given}（{art}）"
    withdrawn = consent.get("withdrawn_on")
    if withdrawn and date.fromisoformat(str(withdrawn)) <= ctx.on:
        return f"当事人已于 {withdrawn} 撤回电子送达同意，请采用其他方式送达（{art}）"
    principal = "non_penalty" if case.outcome == "non_penalty" else "decision"
    if principal not in (consent.get("documents") or []):
        return f"当事人同意电子送达的文书范围不包括{'不予行政处罚决定书' if principal == 'non_penalty' else '行政处罚决定书'}（{art}）"
    return None


def _payment(case, ctx):
    amount = ctx.data.get("amount")
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        return "缴款金额须为整数（元）（行政处罚法第六十七条）"
    if amount <= 0:
        return "缴款金额须大于零（行政处罚法第六十七条）"
    if case.outcome != "penalty" or not case.fine:
        return "本案没有应缴罚款（行政处罚法第六十七条）"
    return None


def _close(case, ctx):
    if case.outcome in ("non_penalty", "withdrawn", "revoked"):
        return None
    from .deadlines import surcharge

    owed = (case.fine or 0) - case.offset_yuan + surcharge(case, ctx.on, ctx.payments)
    paid = sum(p.amount for p in ctx.payments)
    if paid >= owed or ctx.data.get("court_enforced"):
        return None
    return (f"罚款尚未缴清（应缴 {owed:,} 元含加处罚款，已缴 {paid:,} 元）；"
            "未缴清的须申请人民法院强制执行后结案（行政处罚法第七十二条）")


def _archive(case, ctx):
    final = {"decision", "non_penalty", "summary_decision"} & ctx.signed_kinds
    historic = "历史导入" in (case.tags or [])       # cases closed before the platform, no .docx kept
    return _need(bool(final) or historic or case.outcome == "withdrawn", "归档前处罚（不予处罚）决定书须已签发定稿（生态环境行政处罚办法归档条款；一案一卷）")


def _extend(case, ctx):
    v = period_version("decision", case.filed_on)
    kind = ctx.data.get("kind", "approved")
    taken = {x.get("kind") for x in (case.extensions or [])}
    if not str(ctx.data.get("reason", "")).strip():
        return "延长办案期限须说明理由"
    try:
        days = int(ctx.data.get("days", v.extension if kind == "approved" else 0))
    except (TypeError, ValueError):
        return "延长天数须为整数"
    art = f"{v.source.title}{v.source.article}"
    if kind == "approved":
        if not v.extension:
            return f"立案时适用的规定没有批准延长办案期限的条款（{art}）"
        if "approved" in taken:
            return f"经负责人批准的延长只能一次；再延长须负责人集体讨论决定（{art}）"
        return _need(0 < days <= v.extension, f"经批准延长不得超过{v.extension}日（{art}）")
    if kind == "collective":
        if not v.further_extension_max:
            return f"立案时适用的规定没有集体讨论继续延期的条款（{art}）"
        if "approved" not in taken:
            return f"须先经负责人批准延长{v.extension}日，仍不能作出决定的才由集体讨论继续延期（{art}）"
        if "collective" in taken:
            return f"集体讨论继续延期只能一次（{art}）"
        if not str(ctx.data.get("record", "")).strip():
            return f"继续延期须由负责人集体讨论决定，须登记集体讨论记录（{art}）"
        return _need(0 < days <= v.further_extension_max,
                     f"集体讨论决定继续延长的期限须写明，且不得超过{v.further_extension_max}日（{art}）")
    return "延长方式应为 approved（负责人批准）或 collective（集体讨论）"


def _pause(case, ctx):
    kind = ctx.data.get("kind")
    if kind not in PAUSE_KINDS:
        return f"不计入办案期限的期间应为：{'、'.join(PAUSE_KINDS.values())}（生态环境行政处罚办法第五十七条）"
    if kind == "suspension":
        return "中止调查请使用“中止调查”"
    if any(p.kind == kind and p.ended_on is None for p in ctx.pauses):
        return f"{PAUSE_KINDS[kind]}期间尚未结束，不能重复登记（生态环境行政处罚办法第五十七条）"
    return _need(bool(str(ctx.data.get("document", "")).strip()),
                 f"{PAUSE_KINDS[kind]}期间须登记证明文书（如委托书、公告、送达回证）（生态环境行政处罚办法第五十七条）")


def _end_pause(case, ctx):
    kind = ctx.data.get("kind")
    open_ = [p for p in ctx.pauses if p.kind == kind and p.ended_on is None]
    if not open_:
        return f"没有未结束的{PAUSE_KINDS.get(kind, kind)}期间"
    return _need(ctx.on >= open_[0].started_on, "结束日期不能早于开始日期")


def _suspend(case, ctx):
    if not str(ctx.data.get("reason", "")).strip():
        return "中止调查须说明理由（生态环境行政处罚办法第三十五条）"
    return _need(bool(str(ctx.data.get("document", "")).strip()),
                 "中止调查须经负责人批准，须登记中止调查审批表（生态环境行政处罚办法第三十五条）")


def _appeal(case, ctx):
    kind = ctx.data.get("kind")
    if kind not in ("reconsideration", "lawsuit"):
        return "须注明行政复议（reconsideration）或行政诉讼（lawsuit）（行政处罚法第七十三条）"
    if not case.served_on:
        return "决定书尚未送达"
    pending = [a for a in (case.appeals or []) if not a.get("decided_on")]
    outcome = ctx.data.get("outcome", "pending")
    if outcome == "pending":
        if pending:
            return "已有未审结的复议或诉讼"
        if any(a["kind"] == kind for a in (case.appeals or [])):
            return "同一决定已登记过该救济"
        return None
    if outcome not in ("upheld", "changed", "revoked"):
        return "结果应为 pending/upheld/changed/revoked"
    if not any(a["kind"] == kind for a in pending):
        return "须先登记复议（诉讼）申请，再登记结果；复议、诉讼期间不计加处罚款（行政处罚法第七十三条第三款）"
    return None


LEAD = ("leader",)
OFFICER = ("officer", "leader")
REVIEW = ("reviewer",)

TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    Transition("file", "立案", ("clue",), "filed", LEAD, _file),
    Transition("investigate", "开始调查取证", ("filed",), "investigating", OFFICER, _investigate),
    Transition("submit_review", "调查终结，提交案件审查", ("investigating",), "reviewing", OFFICER, _submit_review),
    Transition("return", "退回补充调查", ("reviewing",), "investigating", REVIEW, _return),
    Transition("approve_review", "案件审查通过", ("reviewing",), "reviewed", REVIEW, lambda c, x: None),
    Transition("notify", "送达事先告知书", ("reviewed",), "notified", OFFICER, lambda c, x: None),
    Transition("request_hearing", "登记听证申请", ("notified",), "hearing", OFFICER, _request_hearing),
    Transition("notice_hearing", "送达听证通知书", ("hearing",), None, OFFICER + REVIEW, _notice_hearing),
    Transition("hold_hearing", "举行听证（制作听证笔录）", ("hearing",), "heard", OFFICER + REVIEW, _hold_hearing),
    Transition("legal_review", "法制审核", ("notified", "heard"), "legal_reviewed", REVIEW, _legal_review),
    Transition("discuss", "负责人集体讨论", ("notified", "heard", "legal_reviewed"), "discussed", LEAD, _discuss),
    Transition("decide", "作出处罚决定", ("notified", "heard", "legal_reviewed", "discussed"), "decided", LEAD,
               _decide),
    Transition("decide_non_penalty", "作出不予处罚决定", ("notified", "heard", "legal_reviewed", "discussed"),
               "decided", LEAD, lambda c, x: _decide(c, x, non_penalty=True)),
    Transition("serve", "送达决定书", ("decided",), "served", OFFICER, _serve),
    Transition("serve_electronic", "电子送达决定书（企业端签收）", ("decided",), "served", OFFICER + ("enterprise",),
               _serve_electronic),
    Transition("record_payment", "登记缴款", ("served",), None, OFFICER, _payment),
    Transition("close", "结案", ("served",), "closed", LEAD, _close),
    Transition("archive", "归档", ("closed",), "archived", OFFICER, _archive),
    Transition("suspend", "中止调查", PRE_DECISION, "suspended", LEAD, _suspend),
    Transition("resume", "恢复调查", ("suspended",), None, LEAD, lambda c, x: None),
    Transition("pause", "登记不计入办案期限的期间", PRE_DECISION, None, OFFICER, _pause),
    Transition("end_pause", "结束不计入办案期限的期间", PRE_DECISION, None, OFFICER, _end_pause),
    Transition("withdraw", "撤销立案", PRE_DECISION, "closed", LEAD, _withdraw),
    Transition("extend", "延长办案期限", PRE_DECISION, None, LEAD, _extend),
    Transition("record_appeal", "登记复议/诉讼", ("decided", "served", "closed", "archived"), None, OFFICER, _appeal),
]}


class Refused(Exception):
    def __init__(self, message: str, code: str = "cases.transition_refused"):
        super().__init__(message)
        self.message, self.code = message, code


def _separation(case, action: str, ctx: Ctx) -> str | None:
    what = SEPARATED.get(action)
    if what is None:
        return None
    me = {ctx.username} | ({str(ctx.officer_id)} if ctx.officer_id else set())
    if me & ctx.investigators:
        return (f"查处分离：{ctx.username} 参与了本案调查，不能{what}"
                "（行政处罚法第五十七条、第五十八条、第六十四条；生态环境行政处罚办法）")
    if me & (ctx.recused | ctx.recusal_pending):
        return f"{ctx.username} 已被申请回避或已决定回避，不能{what}（行政处罚法第四十三条）"
    return None


def check(case, action: str, roles: frozenset[str] | set[str], ctx: Ctx) -> Transition:
    t = TRANSITIONS.get(action)
    if t is None:
        raise Refused(f"未知的办案操作 {action}", "cases.unknown_action")
    if getattr(case, "summary", False) and action not in ("archive", "record_payment", "close", "record_appeal"):
        raise Refused("简易程序案件当场作出决定，不走普通程序步骤", "cases.summary_case")
    if case.stage not in t.sources:
        allowed = "、".join(STAGES[s] for s in t.sources)
        raise Refused(f"案件处于“{STAGES[case.stage]}”阶段，不能“{t.label}”（仅限：{allowed}；"
                      "程序顺序依生态环境行政处罚办法，违反法定程序的处罚可被撤销或无效，行政处罚法第三十八条第二款）",
                      "cases.illegal_transition")
    if not set(t.roles) & set(roles):
        raise Refused(f"“{t.label}”须由以下角色办理：{'、'.join(ROLES.get(r, r) for r in t.roles)}",
                      "cases.role_required")
    why = _separation(case, action, ctx)
    if why:
        raise Refused(f"不能“{t.label}”：{why}", "cases.separation")
    why = _date_order(case, ctx) or t.check(case, ctx)
    if why:
        raise Refused(f"不能“{t.label}”：{why}", "cases.precondition")
    return t


#: steps taken only through their own service function (never the generic action form):
#: electronic service is recorded by cases.service.record_electronic_service with the consent
SERVICE_ONLY = frozenset({"serve_electronic"})


def allowed(case, roles) -> list[Transition]:
    """Transitions whose stage and role match (preconditions are checked when taken)."""
    return [t for t in TRANSITIONS.values() if case.stage in t.sources and set(t.roles) & set(roles)
            and t.action not in SERVICE_ONLY]


__all__ = ["SERVICE_ONLY", "STAGES", "TRANSITIONS", "Ctx", "Refused", "allowed", "check", "extension_total", "hearing_eligible"]
