"""Enterprise portal: the law-study quiz that earns study points (学法积分), credited through the
cases service (which owns the points ledger)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..cases import service as cases
from ..core.auth import Actor

QUIZ = [
    ("重点排污单位应当如何对待自动监测设备？", ["保证正常运行并与生态环境部门联网", "可在检修时随意停运", "数据可由企业自行修改"], 0),
    ("罚款到期不缴纳的，每日按罚款数额的多少加处罚款？", ["百分之一", "百分之三", "百分之十"], 1),
    ("当事人对行政处罚决定不服，可在多少日内申请行政复议？", ["十五日", "三十日", "六十日"], 2),
]


def points_balance(session: Session, actor: Actor) -> int:
    return cases.points_balance(session, actor.enterprise_id)


def submit_quiz(session: Session, actor: Actor, answers: dict[str, str]) -> bool:
    """Answers keyed ``q0``, ``q1`` … (option index as text). All right: 10 points. Returns
    whether every answer was right."""
    right = sum(1 for i, (_, _, ans) in enumerate(QUIZ) if answers.get(f"q{i}") == str(ans))
    if right == len(QUIZ) and actor.is_enterprise:
        cases.earn_points(session, actor, actor.enterprise_id, 10, "完成生态环境法律法规学习测验（全部答对）")
    return right == len(QUIZ)
