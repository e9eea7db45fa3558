"""Officers' qualifications (执法证, 无人机执照, 法制审核资格): issue, revoke, validity on a date,
expiry reminders. ``is_legally_qualified`` is the question other domains ask before an officer
signs a 法制审核 opinion."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.auth import Actor, check_agency, require_role, scope
from ..core.errors import Conflict, NotFound, ValidationFailed
from ..core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ..core.timeutil import now
from ..registry.models import Agency, Officer
from . import rules
from .models import Qualification

KINDS = ("enforcement", "drone", "legal_review")


def _state(q: Qualification) -> dict:
    return {"officer_id": q.officer_id, "kind": q.kind, "number": q.number, "issuer": q.issuer,
            "issued_on": q.issued_on, "expires_on": q.expires_on, "revoked_on": q.revoked_on,
            "revoke_reason": q.revoke_reason}


def officer_for(session: Session, actor: Actor, officer_id: int) -> Officer:
    o = session.get(Officer, officer_id)
    if o is None:
        raise NotFound(f"执法人员 {officer_id} 不存在", code="training.officer_not_found")
    check_agency(actor, o.agency.path, "该执法人员")
    return o


def issue(session: Session, actor: Actor, *, officer_id: int, kind: str, number: str, issued_on: date,
          expires_on: date | None = None, issuer: str = "") -> Qualification:
    return issue_many(session, actor, [dict(officer_id=officer_id, kind=kind, number=number, issued_on=issued_on,
                                            expires_on=expires_on, issuer=issuer)])[0]


def issue_many(session: Session, actor: Actor, items: list[dict]) -> list[Qualification]:
    """Issue qualifications (each item ``issue``'s arguments), each checked as ``issue`` checks one
    (a taken number refuses the whole batch), written with one flush and audited one by one."""
    require_role(actor, "admin", "leader")
    numbers = {(x.get("number") or "").strip() for x in items}
    taken = {tuple(r) for r in session.execute(select(Qualification.kind, Qualification.number).where(
        Qualification.number.in_(numbers)))} if items else set()
    out = []
    for x in items:
        q = _checked(session, actor, taken, **x)
        taken.add((q.kind, q.number))
        out.append(q)
    if not out:
        return out
    session.add_all(out)
    session.flush()
    audit.record_many(session, actor, "training.qualification.issue",
                      [("training_qualification", q.id, _state(q)) for q in out])
    return out


def _checked(session: Session, actor: Actor, taken: set, *, officer_id: int, kind: str, number: str, issued_on: date,
             expires_on: date | None = None, issuer: str = "") -> Qualification:
    if kind not in KINDS:
        raise ValidationFailed(f"资格类别应为 {'、'.join(KINDS)}", code="training.bad_kind")
    officer_for(session, actor, officer_id)
    number = (number or "").strip()
    if not number or len(number) > 40:
        raise ValidationFailed("证件编号不能为空且不超过40个字符", code="training.bad_number")
    spec = rules.qualifications().kinds[kind]
    if expires_on is None:
        years = spec.validity_years.on(issued_on).years
        if years:
            try:
                expires_on = issued_on.replace(year=issued_on.year + years) - timedelta(days=1)
            except ValueError:      # 29 February
                expires_on = date(issued_on.year + years, 2, 28)
    if expires_on is not None and expires_on < issued_on:
        raise ValidationFailed("有效期截止日不能早于发证日期", code="training.expiry_before_issue")
    if (kind, number) in taken:
        raise Conflict(f"{spec.name}编号 {number} 已登记", code="training.number_taken")
    return Qualification(officer_id=officer_id, kind=kind, number=number, issuer=issuer, issued_on=issued_on,
                         expires_on=expires_on, created_at=now())


def revoke(session: Session, actor: Actor, qualification_id: int, *, on: date, reason: str) -> Qualification:
    require_role(actor, "admin", "leader")
    q = session.get(Qualification, qualification_id)
    if q is None:
        raise NotFound("资格记录不存在", code="training.qualification_not_found")
    officer_for(session, actor, q.officer_id)
    if q.revoked_on is not None:
        raise Conflict("该资格已被注销", code="training.already_revoked")
    if not reason.strip():
        raise ValidationFailed("注销资格须说明理由", code="training.no_reason")
    q.revoked_on, q.revoke_reason = on, reason.strip()
    audit.record(session, actor, "training.qualification.revoke", "training_qualification", q.id, _state(q))
    return q


def valid_on(q: Qualification, on: date) -> bool:
    if q.issued_on > on:
        return False
    if q.revoked_on is not None and q.revoked_on <= on:
        return False
    return q.expires_on is None or on <= q.expires_on


def holds(session: Session, officer_id: int, kind: str, on: date) -> bool:
    qs = session.execute(select(Qualification).where(Qualification.officer_id == officer_id,
                                                     Qualification.kind == kind)).scalars()
    return any(valid_on(q, on) for q in qs)


def holders(session: Session, officer_ids: list[int], kind: str, on: date) -> set[int]:
    """Those of ``officer_ids`` who ``holds`` a ``kind`` qualification valid on ``on`` (one query)."""
    ids = set(officer_ids)
    if not ids:
        return set()
    qs = session.execute(select(Qualification).where(Qualification.officer_id.in_(ids),
                                                     Qualification.kind == kind)).scalars()
    return {q.officer_id for q in qs if valid_on(q, on)}


def is_legally_qualified(session: Session, officer_id: int, on: date) -> bool:
    """True when the officer holds a legal-review qualification (法制审核资格) valid on ``on``
    (issued on or before, not expired, not revoked by then). Read-only; for other domains."""
    return holds(session, officer_id, "legal_review", on)


def of_officer(session: Session, officer_id: int) -> list[Qualification]:
    return list(session.execute(select(Qualification).where(Qualification.officer_id == officer_id)
                                .order_by(Qualification.kind, Qualification.issued_on)).scalars())


#: What a certificate is on a day, for the list's filter.
QUAL_STATES = {"valid": "有效", "expiring": "即将到期", "expired": "已过期", "revoked": "已注销"}

#: Sort keys of the qualification list (soonest expiry first by default).
QUAL_SORT = Sort(
    keys={"expires": [Qualification.expires_on], "issued": [Qualification.issued_on], "officer": [Officer.name],
          "agency": [Agency.division_code], "kind": [Qualification.kind], "number": [Qualification.number]},
    default="expires", tiebreak=[Qualification.id],
    labels={"expires": "有效期至", "issued": "发证日期", "officer": "人员", "agency": "单位", "kind": "资格",
            "number": "证号"})


def _quals_query(session: Session, actor: Actor, *, kind: str = "", state: str = "", q: str = "",
                 agency_id: int | None = None, on: date | None = None):
    """The certificates of the officers in the actor's jurisdiction, narrowed by the list's filters;
    ``state`` is judged on ``on`` (expiring = within the kind's reminder window from the rules)."""
    from ..registry import service as registry

    stmt = (select(Qualification).join(Officer, Qualification.officer_id == Officer.id)
            .join(Agency, Officer.agency_id == Agency.id))
    stmt = scope(stmt, actor, Agency.path)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    spec = rules.qualifications().kinds
    stmt = where_choice(stmt, Qualification.kind, kind, spec, "资格类别", "training.bad_kind")
    if state:
        day = on or now().date()
        live = Qualification.revoked_on.is_(None)
        if state == "revoked":
            stmt = stmt.where(Qualification.revoked_on.is_not(None))
        elif state == "expired":
            stmt = stmt.where(live, Qualification.expires_on < day)
        elif state == "valid":
            stmt = stmt.where(live, Qualification.expires_on.is_(None) | (Qualification.expires_on >= day))
        elif state == "expiring":
            windows = [(Qualification.kind == k) & (Qualification.expires_on <= day + timedelta(days=v.remind_days))
                       for k, v in spec.items()]
            stmt = stmt.where(live, Qualification.expires_on >= day, or_(*windows))
        else:
            raise ValidationFailed(f"未知的资格状态“{state[:20]}”", code="training.bad_state")
    stmt = where_search(stmt, q, Officer.name, Qualification.number)
    return stmt


def page_qualifications(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
                        **filters) -> Page[Qualification]:
    return page_of(session, _quals_query(session, actor, **filters), page, sort=QUAL_SORT, sort_value=sort)


def iter_qualifications(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[Qualification]:
    return iter_all(session, _quals_query(session, actor, **filters), sort=QUAL_SORT, sort_value=sort)


def state_on(q: Qualification, day: date) -> str:
    if q.revoked_on is not None:
        return "revoked"
    if q.expires_on is not None and q.expires_on < day:
        return "expired"
    spec = rules.qualifications().kinds.get(q.kind)
    if q.expires_on is not None and spec is not None and q.expires_on <= day + timedelta(days=spec.remind_days):
        return "expiring"
    return "valid"


def list_qualifications(session: Session, actor: Actor, *, kind: str = "") -> list[Qualification]:
    return list(iter_qualifications(session, actor, kind=kind))


@dataclass
class Reminder:
    qualification_id: int
    officer_id: int
    officer: str
    agency: str
    kind: str
    kind_name: str
    number: str
    expires_on: date
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def reminders(session: Session, actor: Actor, on: date) -> list[Reminder]:
    """Certificates expiring within their kind's reminder window (or already expired while the
    officer holds no newer valid one of the same kind). Two reads: the certificates in their
    windows (columns, not objects), then every certificate of those officers for the renewal check."""
    spec = rules.qualifications().kinds
    q = Qualification
    windows = [and_(q.kind == kind, q.expires_on <= on + timedelta(days=k.remind_days)) for kind, k in spec.items()]
    if not windows:
        return []
    stmt = (select(q.id, q.officer_id, Officer.name, Agency.name, q.kind, q.number, q.expires_on)
            .join(Officer, q.officer_id == Officer.id).join(Agency, Officer.agency_id == Agency.id)
            .where(q.expires_on.is_not(None), q.revoked_on.is_(None), or_(*windows)))
    due = session.execute(scope(stmt, actor, Agency.path).order_by(q.expires_on, q.id)).all()
    held: dict[tuple[int, str], list[tuple]] = {}
    officer_ids = sorted({r[1] for r in due})
    for i in range(0, len(officer_ids), 500):
        for oid, kind, issued, expires, revoked in session.execute(
                select(q.officer_id, q.kind, q.issued_on, q.expires_on, q.revoked_on)
                .where(q.officer_id.in_(officer_ids[i:i + 500]))):
            held.setdefault((oid, kind), []).append((issued, expires, revoked))

    def renewed(officer_id: int, kind: str, day: date) -> bool:       # what ``holds`` answers, from memory
        return any(issued <= day and (revoked is None or revoked > day) and (expires is None or day <= expires)
                   for issued, expires, revoked in held.get((officer_id, kind), ()))

    out = []
    for qid, officer_id, officer, agency, kind, number, expires_on in due:
        if renewed(officer_id, kind, expires_on + timedelta(days=1)):
            continue                        # already renewed
        out.append(Reminder(qid, officer_id, officer, agency, kind, spec[kind].name, number, expires_on,
                            (expires_on - on).days))
    out.sort(key=lambda r: (r.days_left, r.officer_id))
    return out
