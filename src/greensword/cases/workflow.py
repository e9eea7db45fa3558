"""The penalty-case state machine (生态环境行政处罚办法 general procedure), in one place.

Every transition names the stages it leaves from, the stage it leads to, who may take it and
its precondition. ``allowed(case, actor)`` lists what a user may do next; ``check`` explains in
Chinese why a transition is refused. Services call ``check`` then apply the effects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .deadlines import decision_deadline, period_end
from .deadlines import rules as period_rules

STAGES = {
    "clue": "线索",
    "filed": "已立案",
    "investigating": "调查取证",
    "reviewing": "案件审查",
    "reviewed": "审查通过",
    "notified": "已告知",
    "hearing": "听证申请",
    "heard": "已听证",
    "discussed": "已集体讨论",
    "decided": "已决定",
    "served": "已送达（执行中）",
    "suspended": "中止调查",
    "closed": "已结案",
    "archived": "已归档",
}
PRE_DECISION = ("filed", "investigating", "reviewing", "reviewed", "notified", "hearing", "heard", "discussed")


@dataclass
class Ctx:
    """What preconditions look at besides the case."""
    on: date
    data: dict
    evidence_count: int = 0
    signed_kinds: frozenset[str] = frozenset()


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


def _file(case, ctx):
    late = ctx.on > period_end("filing", case.discovered_on)
    return (_need(bool(case.facts.strip()), "立案须填写涉嫌违法事实")
            or _need(not late or bool(ctx.data.get("late_reason")),
                     "已超过立案审查期限（发现之日起十五日），须说明逾期理由并经负责人批准"))


def _investigate(case, ctx):
    return _need(len(case.officer_ids) >= 2, "调查取证须由两名以上持证执法人员进行（行政处罚法第四十二条）")


def _submit_review(case, ctx):
    d = case.discretion or {}
    if not case.violation_code:
        return "须先认定违法行为类型"
    if ctx.evidence_count < 1:
        return "案卷中没有证据（现场检查记录或证据材料）"
    if not d.get("proposal") and not d.get("non_penalty_text"):
        return "须先按裁量基准计算建议罚款，或认定符合不予处罚清单"
    if case.fine_proposed is not None and d.get("proposal") and case.fine_proposed != d["proposal"]["amount"] \
            and not case.departure_reason.strip():
        return "拟罚款金额偏离裁量基准建议金额，须书面说明理由"
    return None


def _reason(case, ctx):
    return _need(bool(str(ctx.data.get("reason", "")).strip()), "须说明理由")


def _hearing_eligible(case) -> bool:
    return (case.fine_proposed or 0) > period_rules().hearing_threshold.default or bool(
        (case.discretion or {}).get("hearing_measures"))


def _request_hearing(case, ctx):
    if not _hearing_eligible(case):
        return f"拟罚款 {case.fine_proposed or 0:,} 元未达到听证标准（{period_rules().hearing_threshold.default:,} 元以上）"
    last = period_end("hearing_request", case.notified_on)
    return _need(ctx.on <= last, f"听证申请期限已于 {last} 届满")


def _hold_hearing(case, ctx):
    earliest = period_end("hearing_notice", case.hearing_requested_on)
    return _need(ctx.on >= case.hearing_requested_on and (ctx.on - case.hearing_requested_on).days >= 7,
                 f"听证应在通知当事人七日后举行（最早 {earliest}）")


def _statement_over(case, ctx) -> str | None:
    if case.stage != "notified":
        return None
    waived = bool(ctx.data.get("defence_received"))
    stmt = period_end("statement", case.notified_on)
    if ctx.on <= stmt and not waived:
        return f"陈述申辩期限至 {stmt} 届满，期满前或当事人提交陈述申辩前不能作出决定"
    if _hearing_eligible(case):
        hr = period_end("hearing_request", case.notified_on)
        if ctx.on <= hr and not ctx.data.get("hearing_waived"):
            return f"当事人可在 {hr} 前申请听证，期满或书面放弃前不能作出决定"
    return None


def _discuss(case, ctx):
    return _statement_over(case, ctx)


def _decide(case, ctx, *, non_penalty: bool = False):
    wait = _statement_over(case, ctx)
    if wait:
        return wait
    if case.major and case.stage != "discussed":
        return "重大案件须经负责人集体讨论后作出决定（行政处罚法第五十七条第二款）"
    if case.hearing_requested_on and not case.hearing_on:
        return "当事人已申请听证，须先举行听证"
    deadline = decision_deadline(case)
    if ctx.on > deadline:
        return f"已超过办案期限（{deadline}），须先经批准延长"
    if non_penalty:
        return _need(bool((case.discretion or {}).get("non_penalty_text") or ctx.data.get("reason")),
                     "不予处罚须符合不予处罚清单或说明法定理由")
    fine = ctx.data.get("fine", case.fine_proposed)
    if fine is None:
        return "须确定罚款金额"
    proposal = (case.discretion or {}).get("proposal")
    if proposal and fine != proposal["amount"] and not (case.departure_reason or ctx.data.get("departure_reason")):
        return "决定金额偏离裁量基准建议金额，须书面说明理由"
    return None


def _serve(case, ctx):
    return None


def _close(case, ctx):
    if case.outcome in ("non_penalty", "withdrawn", "revoked"):
        return None
    from .deadlines import surcharge

    owed = (case.fine or 0) - case.offset_yuan + surcharge(case, ctx.on)
    if case.paid_yuan >= owed or ctx.data.get("court_enforced"):
        return None
    return f"罚款尚未缴清（应缴 {owed:,} 元，已缴 {case.paid_yuan:,} 元）；未缴清的须申请法院强制执行后结案"


def _archive(case, ctx):
    final = {"decision", "non_penalty"} & ctx.signed_kinds
    historic = "历史导入" in (case.tags or [])       # cases closed before the platform, no .docx kept
    return _need(bool(final) or historic or case.outcome == "withdrawn", "归档前处罚（不予处罚）决定书须已签发定稿")


def _extend(case, ctx):
    if case.extension_days:
        return "办案期限已延长过一次；再延长须负责人集体讨论决定（请在理由中注明集体讨论记录）" \
            if not ctx.data.get("collective") else None
    return _reason(case, ctx)


def _appeal(case, ctx):
    if ctx.data.get("kind") not in ("reconsideration", "lawsuit"):
        return "须注明行政复议或行政诉讼"
    return _need(ctx.data.get("outcome") in ("pending", "upheld", "changed", "revoked"), "结果应为 pending/upheld/changed/revoked")


LEAD = ("leader", "admin")
OFFICER = ("officer", "leader", "admin")
REVIEW = ("reviewer", "admin")

TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    Transition("file", "立案", ("clue",), "filed", LEAD, _file),
    Transition("investigate", "开始调查取证", ("filed",), "investigating", OFFICER, _investigate),
    Transition("submit_review", "提交案件审查", ("investigating",), "reviewing", OFFICER, _submit_review),
    Transition("return", "退回补充调查", ("reviewing",), "investigating", REVIEW, _reason),
    Transition("approve_review", "审查（法制审核）通过", ("reviewing",), "reviewed", REVIEW, lambda c, x: None),
    Transition("notify", "送达事先告知书", ("reviewed",), "notified", OFFICER, lambda c, x: None),
    Transition("request_hearing", "登记听证申请", ("notified",), "hearing", OFFICER, _request_hearing),
    Transition("hold_hearing", "举行听证", ("hearing",), "heard", OFFICER, _hold_hearing),
    Transition("discuss", "负责人集体讨论", ("notified", "heard"), "discussed", LEAD, _discuss),
    Transition("decide", "作出处罚决定", ("notified", "heard", "discussed"), "decided", LEAD, _decide),
    Transition("decide_non_penalty", "作出不予处罚决定", ("notified", "heard", "discussed"), "decided", LEAD,
               lambda c, x: _decide(c, x, non_penalty=True)),
    Transition("serve", "送达决定书", ("decided",), "served", OFFICER, _serve),
    Transition("record_payment", "登记缴款", ("served",), None, OFFICER,
               lambda c, x: _need(int(x.data.get("amount", 0)) > 0, "缴款金额须大于零")),
    Transition("close", "结案", ("served",), "closed", LEAD, _close),
    Transition("archive", "归档", ("closed",), "archived", OFFICER, _archive),
    Transition("suspend", "中止调查", PRE_DECISION, "suspended", LEAD, _reason),
    Transition("resume", "恢复调查", ("suspended",), None, LEAD, lambda c, x: None),
    Transition("withdraw", "撤销立案", PRE_DECISION, "closed", LEAD, _reason),
    Transition("extend", "延长办案期限", PRE_DECISION, None, LEAD, _extend),
    Transition("record_appeal", "登记复议/诉讼结果", ("decided", "served", "closed", "archived"), None, OFFICER, _appeal),
]}


class Refused(Exception):
    def __init__(self, message: str, code: str = "cases.transition_refused"):
        super().__init__(message)
        self.message, self.code = message, code


def check(case, action: str, roles: frozenset[str] | set[str], ctx: Ctx) -> Transition:
    t = TRANSITIONS.get(action)
    if t is None:
        raise Refused(f"未知的办案操作 {action}", "cases.unknown_action")
    if case.stage not in t.sources:
        allowed = "、".join(STAGES[s] for s in t.sources)
        raise Refused(f"案件处于“{STAGES[case.stage]}”阶段，不能“{t.label}”（仅限：{allowed}）",
                      "cases.illegal_transition")
    if not set(t.roles) & set(roles):
        raise Refused(f"“{t.label}”须由以下角色办理：{'、'.join(t.roles)}", "cases.role_required")
    why = _date_order(case, ctx) or t.check(case, ctx)
    if why:
        raise Refused(f"不能“{t.label}”：{why}", "cases.precondition")
    return t


def allowed(case, roles) -> list[Transition]:
    """Transitions whose stage and role match (preconditions are checked when taken)."""
    return [t for t in TRANSITIONS.values() if case.stage in t.sources and set(t.roles) & set(roles)]
