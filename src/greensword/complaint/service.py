"""Public complaints (信访 and 12369 reports): intake from the public form (no login, tracking code,
optional anonymity, attachments) or from an officer taking a call, duplicate detection, the
acceptance decision and the handling period (信访工作条例), assignment to a county and its handlers,
the link to a targeted inspection task (the inspection domain owns that action and calls
:func:`for_task` / :func:`link_task`), conclusion, reply to the complainant, satisfaction, reward and
statistics. The complainant's identity is readable only by leaders of the unit and the assigned
handlers; the enterprise never sees a complaint."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import audit, filetypes, ratelimit
from ..core.auth import Actor, check_agency, require_role, scope
from ..core.calendar import add_days
from ..core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from ..core.locks import lock_row
from ..core.models import User
from ..core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ..core.rules import Dated, Version, load
from ..core.timeutil import now, today
from ..registry.models import Agency, Enterprise
from .models import Complainant, Complaint, ComplaintEvent

STATUSES = {"received": "已登记待受理", "accepted": "已受理", "rejected": "不予受理", "forwarded": "已转送",
            "assigned": "已交办", "investigating": "核查中", "concluded": "已办结待答复", "replied": "已答复"}
CHECK_METHODS = {"onsite": "现场检查", "offsite": "非现场核查（在线监测等）", "desk": "书面核查"}
SATISFACTION = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}
DUPLICATE_WINDOW_DAYS = 30
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SCRIPT = re.compile(r"<\s*/?\s*(script|iframe|object|embed|svg|img)\b|javascript\s*:|on\w+\s*=", re.I)


class DaysVersion(Version):
    days: int
    max_extension: int = 0


class RewardVersion(Version):
    min_yuan: int
    max_yuan: int


class PublicForm(BaseModel):
    max_content_chars: int
    max_attachments: int
    max_attachment_bytes: int
    #: MIME types accepted, as ``core.filetypes.sniff`` names them
    allowed_types: list[str]

    @field_validator("allowed_types")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = [t for t in v if t not in filetypes.KNOWN]
        if unknown:
            raise ValueError(f"core.filetypes.sniff cannot recognise {unknown}")
        return v
    per_ip_per_hour: int


class Rules(BaseModel):
    accept: Dated[DaysVersion]
    handle: Dated[DaysVersion]
    reward: Dated[RewardVersion]
    channels: dict[str, str]
    matters: dict[str, str]
    public_form: PublicForm


def rules() -> Rules:
    return load("complaint/periods.yaml", Rules)


# --- clocks --------------------------------------------------------------------------------------

def accept_due(received_on: date) -> date:
    return add_days(received_on, rules().accept.on(received_on).days)


def reply_due(accepted_on: date, extension_days: int = 0) -> date:
    return add_days(accepted_on, rules().handle.on(accepted_on).days + extension_days)


@dataclass
class Due:
    label: str
    due: date
    done_on: date | None

    @property
    def on_time(self) -> bool | None:
        return None if self.done_on is None else self.done_on <= self.due

    def overdue(self, day: date) -> bool:
        return (self.done_on or day) > self.due


def dues(c: Complaint) -> list[Due]:
    out = [Due("受理告知", c.accept_due, c.decided_on)]
    if c.reply_due:
        out.append(Due("办结答复", c.reply_due, c.replied_on))
    return out


# --- helpers -------------------------------------------------------------------------------------

def state(c: Complaint) -> dict:
    return {"code": c.code, "channel": c.channel, "received_on": c.received_on, "agency_id": c.agency_id,
            "enterprise_id": c.enterprise_id, "enterprise_name": c.enterprise_name, "matter": c.matter,
            "content_sha": hashlib.sha256(c.content.encode()).hexdigest(), "status": c.status,
            "duplicate_of": c.duplicate_of, "accept_due": c.accept_due, "reply_due": c.reply_due,
            "handlers": c.handlers, "task_id": c.task_id, "substantiated": c.substantiated,
            "check_method": c.check_method, "replied_on": c.replied_on, "satisfaction": c.satisfaction, "reward_yuan": c.reward_yuan,
            "case_ref": c.case_ref}


def _event(session: Session, actor, c: Complaint, action: str, on: date, note: str = "") -> None:
    session.add(ComplaintEvent(complaint_id=c.id, action=action, on=on, by=audit.actor_name(actor), note=note,
                               at=now()))                  # written with the audit entry at the next flush
    audit.record(session, actor, f"complaint.{action}", "complaint", c.id, state(c), note=note[:200])


def events(session: Session, c: Complaint) -> list[ComplaintEvent]:
    return list(session.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id)
                                .order_by(ComplaintEvent.id)).scalars())


def _need(c: Complaint, allowed: tuple[str, ...], what: str) -> None:
    if c.status not in allowed:
        names = "、".join(STATUSES[s] for s in allowed)
        raise IllegalTransition(f"投诉 {c.code} 当前状态为“{STATUSES[c.status]}”，只有“{names}”的投诉才能{what}",
                                code="complaint.illegal_state")


def _clean_text(value: str, field: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"请填写{field}", code="complaint.required", details=[{"column": field}])
    if len(value) > limit:
        raise ValidationFailed(f"{field}不得超过 {limit} 字（当前 {len(value)} 字）", code="complaint.too_long",
                               details=[{"column": field}])
    if _SCRIPT.search(value):
        raise ValidationFailed(f"{field}含有脚本或网页代码，请只填写文字", code="complaint.script_rejected",
                               details=[{"column": field}])
    return value


def _new_code(session: Session) -> str:
    while True:
        code = "TS" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
        if session.execute(select(Complaint.id).where(Complaint.code == code)).first() is None:
            return code


def find_duplicate(session: Session, *, agency_id: int | None, enterprise_id: int | None, enterprise_name: str,
                   matter: str, received_on: date) -> Complaint | None:
    """An earlier open-or-recent complaint on the same enterprise and matter (30 days)."""
    stmt = select(Complaint).where(Complaint.matter == matter, Complaint.duplicate_of.is_(None),
                                   Complaint.received_on >= received_on - timedelta(days=DUPLICATE_WINDOW_DAYS),
                                   Complaint.received_on <= received_on,
                                   Complaint.status.not_in(("rejected", "forwarded")))
    if enterprise_id:
        stmt = stmt.where(Complaint.enterprise_id == enterprise_id)
    else:
        name = re.sub(r"\s+", "", enterprise_name or "")
        if len(name) < 4:
            return None
        stmt = stmt.where(Complaint.enterprise_name == name, Complaint.agency_id == agency_id)
    return session.execute(stmt.order_by(Complaint.id)).scalars().first()


def _match_enterprise(session: Session, agency: Agency, name: str) -> Enterprise | None:
    if not name:
        return None
    return session.execute(select(Enterprise).join(Agency, Enterprise.agency_id == Agency.id).where(
        Enterprise.name == name, Agency.path.startswith(agency.path, autoescape=True))).scalars().first()


@dataclass
class Attachment:
    filename: str
    mime: str
    data: bytes


_TYPE_NAMES = {"image/jpeg": "JPEG 图片", "image/png": "PNG 图片", "image/gif": "GIF 图片", "image/webp": "WebP 图片",
               "application/pdf": "PDF", "video/mp4": "MP4 视频", "video/quicktime": "MOV 视频"}


def _store_attachments(files: list[Attachment]) -> list[dict]:
    from ..settings import get_settings

    form = rules().public_form
    if len(files) > form.max_attachments:
        raise ValidationFailed(f"附件最多 {form.max_attachments} 个", code="complaint.too_many_files")
    out = []
    for f in files:
        if len(f.data) > form.max_attachment_bytes:
            raise ValidationFailed(f"附件“{f.filename}”超过 {form.max_attachment_bytes // 1048576} MB",
                                   code="complaint.file_too_large")
        mime = filetypes.sniff(f.data[:16])          # what the bytes are, not what the browser said
        if mime not in form.allowed_types:
            if f.mime in form.allowed_types:
                raise ValidationFailed(f"附件“{f.filename}”已损坏或与其类型不符", code="complaint.file_broken")
            names = "、".join(_TYPE_NAMES.get(t, t) for t in form.allowed_types)
            raise ValidationFailed(f"附件“{f.filename}”的类型不受支持，仅接受 {names}", code="complaint.file_type")
        sha = hashlib.sha256(f.data).hexdigest()
        folder = get_settings().data_dir / "complaint"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / sha).write_bytes(f.data)
        out.append({"sha256": sha, "filename": f.filename[:100], "mime": mime, "size": len(f.data)})
    return out


def attachment_bytes(sha: str) -> bytes:
    from ..settings import get_settings

    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise NotFound("附件不存在", code="complaint.attachment_not_found")
    return (get_settings().data_dir / "complaint" / sha).read_bytes()


RATE_WINDOW_S = 3600.0


def check_rate(bind, client: str, *, now: float | None = None) -> None:
    """At most N public submissions per client address per hour: a sliding window counted in the
    database (``core.ratelimit``), shared by every worker process and host."""
    limit = rules().public_form.per_ip_per_hour
    if ratelimit.hit(bind, "complaint.public_form", client, limit=limit, window_s=RATE_WINDOW_S, now=now):
        raise ValidationFailed(f"提交过于频繁：同一网络每小时最多提交 {limit} 次，请稍后再试",
                               code="complaint.rate_limited")


# --- intake --------------------------------------------------------------------------------------

def _create(session: Session, actor, *, agency_id: int, channel: str, enterprise_name: str, address: str,
            matter: str, content: str, anonymous: bool, name: str, phone: str, contact: str,
            attachments: list[Attachment], received_on: date) -> Complaint:
    r = rules()
    if channel not in r.channels:
        raise ValidationFailed(f"来源渠道应为：{'、'.join(r.channels.values())}", code="complaint.bad_channel")
    if matter not in r.matters:
        raise ValidationFailed(f"举报事项类别应为：{'、'.join(r.matters.values())}", code="complaint.bad_matter")
    agency = session.get(Agency, agency_id)
    if agency is None or agency.level not in ("county", "city"):
        raise ValidationFailed("请选择被举报地所在的市、县（区）生态环境部门", code="complaint.bad_agency")
    content = _clean_text(content, "举报内容", r.public_form.max_content_chars, required=True)
    if len(content) < 10:
        raise ValidationFailed("举报内容过于简单（至少10个字），请说明地点、时间和污染情况",
                               code="complaint.content_too_short")
    enterprise_name = re.sub(r"\s+", "", _clean_text(enterprise_name, "被举报单位", 200))
    address = _clean_text(address, "地址", 300)
    name = _clean_text(name, "姓名", 60)
    phone = _clean_text(phone, "联系电话", 30)
    if not anonymous and not (name and phone):
        raise ValidationFailed("实名举报请填写姓名和联系电话；不愿留名请选择匿名举报",
                               code="complaint.identity_required")
    if phone and not re.fullmatch(r"[0-9+\- ]{5,30}", phone):
        raise ValidationFailed("联系电话格式不正确", code="complaint.bad_phone")
    if received_on > today():
        raise ValidationFailed("收件日期不能晚于今天", code="complaint.future_date")
    stored = _store_attachments(attachments)
    ent = _match_enterprise(session, agency, enterprise_name)
    dup = find_duplicate(session, agency_id=agency.id, enterprise_id=ent.id if ent else None,
                         enterprise_name=enterprise_name, matter=matter, received_on=received_on)
    c = Complaint(code=_new_code(session), channel=channel, received_on=received_on, agency_id=agency.id,
                  enterprise_id=ent.id if ent else None, enterprise_name=enterprise_name, address=address,
                  matter=matter, content=content, anonymous=anonymous, status="received",
                  duplicate_of=dup.id if dup else None, accept_due=accept_due(received_on),
                  handlers=[], attachments=stored, created_by=audit.actor_name(actor), created_at=now())
    session.add(c)
    session.flush()
    if not anonymous:
        session.add(Complainant(complaint_id=c.id, name=name, phone=phone, contact=contact[:200]))
    _event(session, actor, c, "receive", received_on, f"重复件，原件 {dup.code}" if dup else "")
    return c


def submit_public(session: Session, *, agency_id: int, enterprise_name: str, address: str, matter: str,
                  content: str, anonymous: bool, name: str = "", phone: str = "",
                  attachments: list[Attachment] | None = None, channel: str = "web",
                  received_on: date | None = None) -> Complaint:
    """The public web form (no login). The answer carries the tracking code."""
    if channel not in ("web", "wechat"):
        raise ValidationFailed("网上举报渠道应为网络平台或微信", code="complaint.bad_channel")
    return _create(session, "public", agency_id=agency_id, channel=channel, enterprise_name=enterprise_name,
                   address=address, matter=matter, content=content, anonymous=anonymous, name=name, phone=phone,
                   contact="", attachments=attachments or [], received_on=received_on or today())


def record_call(session: Session, actor: Actor, *, agency_id: int, channel: str, enterprise_name: str,
                address: str, matter: str, content: str, anonymous: bool, name: str = "", phone: str = "",
                received_on: date | None = None) -> Complaint:
    """An officer records a phone/hotline, letter or visit report."""
    require_role(actor, "officer", "leader", "admin")
    a = session.get(Agency, agency_id)
    if a is None:
        raise NotFound(f"机构 {agency_id} 不存在", code="complaint.agency_not_found")
    check_agency(actor, a.path, "该机构")
    return _create(session, actor, agency_id=agency_id, channel=channel, enterprise_name=enterprise_name,
                   address=address, matter=matter, content=content, anonymous=anonymous, name=name, phone=phone,
                   contact="", attachments=[], received_on=received_on or today())


# --- reading -------------------------------------------------------------------------------------

def get(session: Session, actor: Actor, complaint_id: int, *, lock: bool = False) -> Complaint:
    """``lock=True`` before a handling step: the row is locked until the commit and read after the
    lock (core.locks), so two people handling the complaint at once are served one after the other."""
    if actor.is_enterprise:
        raise PermissionDenied("企业用户不能查看信访投诉", code="complaint.forbidden")
    c = lock_row(session, Complaint, complaint_id) if lock else session.get(Complaint, complaint_id)
    if c is None:
        raise NotFound(f"投诉 {complaint_id} 不存在", code="complaint.not_found")
    check_agency(actor, c.agency.path if c.agency else None, "该投诉")
    return c


#: Sort keys of the complaint list (newest first by default).
COMPLAINT_SORT = Sort(
    keys={"received": [Complaint.received_on], "code": [Complaint.code], "channel": [Complaint.channel],
          "matter": [Complaint.matter], "status": [Complaint.status], "agency": [Agency.division_code],
          "enterprise": [func.coalesce(Enterprise.name, Complaint.enterprise_name)],
          "accept_due": [Complaint.accept_due], "reply_due": [Complaint.reply_due]},
    default="-received", tiebreak=[Complaint.id.desc()],
    labels={"received": "收件日期", "code": "查询码", "channel": "渠道", "matter": "事项", "status": "状态",
            "agency": "受理单位", "enterprise": "被举报单位", "accept_due": "受理期限", "reply_due": "答复期限"})


def _complaints_query(session: Session, actor: Actor, *, status: str | None = None, year: int | None = None,
                      month: int | None = None, q: str = "", agency_id: int | None = None, channel: str = "",
                      matter: str = "", overdue_on: date | None = None):
    """The complaints the actor may see (never an enterprise's), narrowed by the list's filters;
    an unknown status, channel or matter is a 422 naming it, never an empty list."""
    from ..registry import service as registry

    if actor.is_enterprise:
        raise PermissionDenied("企业用户不能查看信访投诉", code="complaint.forbidden")
    stmt = scope(select(Complaint).join(Agency, Complaint.agency_id == Agency.id)
                 .outerjoin(Enterprise, Complaint.enterprise_id == Enterprise.id), actor, Agency.path)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    stmt = where_choice(stmt, Complaint.status, status, STATUSES, "投诉状态", "complaint.bad_status")
    r = rules()
    stmt = where_choice(stmt, Complaint.channel, channel, r.channels, "来源渠道", "complaint.bad_channel")
    stmt = where_choice(stmt, Complaint.matter, matter, r.matters, "举报事项", "complaint.bad_matter")
    if month and not year:
        raise ValidationFailed("按月份筛选须同时选择年度", code="complaint.month_without_year")
    if year:
        if month:
            start = date(year, month, 1)
            end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        else:
            start, end = date(year, 1, 1), date(year, 12, 31)
        stmt = stmt.where(Complaint.received_on >= start, Complaint.received_on <= end)
    stmt = where_search(stmt, q, Complaint.code, Complaint.enterprise_name, Enterprise.name, Enterprise.uscc, Complaint.address, Complaint.content)
    if overdue_on is not None:                  # a clock still running past its day
        stmt = stmt.where(((Complaint.decided_on.is_(None)) & (Complaint.accept_due < overdue_on))
                          | ((Complaint.replied_on.is_(None)) & (Complaint.reply_due < overdue_on)))
    return stmt


def page_complaints(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
                    **filters) -> Page[Complaint]:
    """One page of the complaints the actor may see (newest first unless ``sort``), with the total."""
    return page_of(session, _complaints_query(session, actor, **filters), page, sort=COMPLAINT_SORT,
                   sort_value=sort)


def iter_complaints(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[Complaint]:
    """Every complaint of the list's filters in the list's order, read in batches (exports, statistics)."""
    return iter_all(session, _complaints_query(session, actor, **filters), sort=COMPLAINT_SORT, sort_value=sort)


def overdue_now(c: Complaint, day: date) -> bool:
    return any(d.done_on is None and d.overdue(day) for d in dues(c))


def can_see_identity(actor: Actor, c: Complaint) -> bool:
    if actor.is_enterprise or c.agency is None or not actor.covers(c.agency.path):
        return False
    return actor.has("leader", "admin") or actor.username in (c.handlers or [])


def identity(session: Session, actor: Actor, c: Complaint) -> Complainant | None:
    """The complainant, or None when anonymous; refused to anyone not entitled to it."""
    if not can_see_identity(actor, c):
        raise PermissionDenied("只有本单位负责人和承办人可以查看举报人信息", code="complaint.identity_hidden")
    p = session.get(Complainant, c.id)
    audit.record(session, actor, "complaint.identity_read", "complaint", c.id, {"code": c.code}, changes_data=False)
    return p


def _by_code(session: Session, code: str) -> Complaint:
    code = (code or "").strip().upper()
    if not re.fullmatch(r"TS[A-Z0-9]{10}", code):
        c = None
    else:       # a complaint is written when received and its code never changes: nothing to flush first
        with session.no_autoflush:
            c = session.execute(select(Complaint).where(Complaint.code == code)).scalar_one_or_none()
    if c is None:
        raise NotFound("查询码不存在，请核对后重新输入", code="complaint.code_unknown")
    return c


def _can_rate(c: Complaint) -> bool:
    return c.status == "replied" and c.satisfaction is None


def public_view(session: Session, code: str) -> dict:
    """What the complainant sees with the tracking code: never officers or other complaints."""
    c = _by_code(session, code)
    shown = {"rejected": c.decision_reason, "forwarded": c.decision_reason}
    return {"code": c.code, "received_on": c.received_on, "status": c.status, "status_label": STATUSES[c.status],
            "matter": rules().matters[c.matter], "accept_due": c.accept_due, "reply_due": c.reply_due,
            "decision": shown.get(c.status, ""), "reply_text": c.reply_text if c.status == "replied" else "",
            "replied_on": c.replied_on, "satisfaction": c.satisfaction, "can_rate": _can_rate(c), "reward_yuan": c.reward_yuan}


# --- handling ------------------------------------------------------------------------------------

def decide(session: Session, actor: Actor, complaint_id: int, *, decision: str, reason: str = "",
           on: date | None = None) -> Complaint:
    """accept | reject (不予受理, with reasons) | forward (转送有权处理的机关)."""
    require_role(actor, "leader", "admin", "officer")
    c = get(session, actor, complaint_id, lock=True)
    _need(c, ("received",), "作出受理决定")
    on = on or today()
    if on < c.received_on:
        raise ValidationFailed("受理决定日期不能早于收件日期", code="complaint.date_order")
    if decision not in ("accept", "reject", "forward"):
        raise ValidationFailed("受理决定应为受理、不予受理或转送", code="complaint.bad_decision")
    reason = _clean_text(reason, "理由", 1000, required=decision != "accept")
    c.decided_on, c.decision_reason = on, reason
    if decision == "accept":
        c.status, c.reply_due = "accepted", reply_due(on)
    else:
        c.status = "rejected" if decision == "reject" else "forwarded"
    _event(session, actor, c, decision, on, reason)
    return c


def assign(session: Session, actor: Actor, complaint_id: int, *, agency_id: int, handlers: list[str],
           on: date | None = None) -> Complaint:
    require_role(actor, "leader", "admin")
    c = get(session, actor, complaint_id, lock=True)
    _need(c, ("accepted", "assigned"), "交办")
    a = session.get(Agency, agency_id)
    if a is None:
        raise NotFound(f"机构 {agency_id} 不存在", code="complaint.agency_not_found")
    check_agency(actor, a.path, "承办单位")
    handlers = [h.strip() for h in handlers if h and h.strip()]
    if not handlers:
        raise ValidationFailed("请指定至少一名承办人", code="complaint.no_handler")
    with session.no_autoflush:      # accounts: nothing a complaint's pending changes touch
        users = {u.username: u for u in session.execute(select(User).where(User.username.in_(handlers))).scalars()}
    missing = [h for h in handlers if h not in users]
    if missing:
        raise ValidationFailed(f"承办人账号不存在：{'、'.join(missing)}", code="complaint.unknown_handler")
    outside = [h for h, u in users.items() if u.agency_id is None
               or not (session.get(Agency, u.agency_id).path.startswith(a.path))]
    if outside:
        raise ValidationFailed(f"承办人不属于承办单位：{'、'.join(outside)}", code="complaint.handler_outside")
    c.agency_id, c.agency = a.id, a                              # both: the state recorded reads agency_id
    c.handlers, c.assigned_on = handlers, on or today()
    c.status = "assigned"
    _event(session, actor, c, "assign", c.assigned_on, f"{a.name}：{'、'.join(handlers)}")
    return c


def for_task(session: Session, actor: Actor, complaint_id: int) -> dict:
    """What the inspection domain needs to open a targeted task from a complaint."""
    c = get(session, actor, complaint_id, lock=True)
    _need(c, ("assigned",), "生成定向检查任务")
    if c.enterprise_id is None:
        raise ValidationFailed("投诉尚未关联到登记的企业，请先关联企业", code="complaint.no_enterprise")
    return {"complaint_id": c.id, "code": c.code, "enterprise_id": c.enterprise_id, "agency_id": c.agency_id,
            "reply_due": c.reply_due}


def link_enterprise(session: Session, actor: Actor, complaint_id: int, enterprise_id: int) -> Complaint:
    require_role(actor, "officer", "leader", "admin")
    c = get(session, actor, complaint_id, lock=True)
    _need(c, ("received", "accepted", "assigned"), "关联企业")
    e = session.get(Enterprise, enterprise_id)
    if e is None:
        raise NotFound(f"企业 {enterprise_id} 不存在", code="complaint.enterprise_not_found")
    check_agency(actor, e.agency.path, "该企业")
    c.enterprise_id = e.id
    _event(session, actor, c, "link_enterprise", today(), e.name)
    return c


def link_task(session: Session, actor: Actor, complaint_id: int, task_id: int, on: date | None = None) -> Complaint:
    c = get(session, actor, complaint_id, lock=True)
    _need(c, ("assigned",), "关联检查任务")
    c.task_id, c.status = task_id, "investigating"
    _event(session, actor, c, "task", on or today(), f"定向检查任务 {task_id}")
    return c


def extend(session: Session, actor: Actor, complaint_id: int, *, days: int, reason: str) -> Complaint:
    require_role(actor, "leader", "admin")
    c = get(session, actor, complaint_id, lock=True)
    _need(c, ("accepted", "assigned", "investigating"), "延期")
    limit = rules().handle.on(c.decided_on).max_extension
    if days <= 0 or c.extension_days + days > limit:
        raise ValidationFailed(f"办理期限累计延长不得超过 {limit} 日（已延长 {c.extension_days} 日）",
                               code="complaint.extension_limit")
    reason = _clean_text(reason, "延期理由", 500, required=True)
    c.extension_days += days
    c.reply_due = reply_due(c.decided_on, c.extension_days)
    _event(session, actor, c, "extend", today(), reason)
    return c


def conclude(session: Session, actor: Actor, complaint_id: int, *, substantiated: bool, findings: str,
             on: date | None = None, method: str | None = None) -> Complaint:
    """Close the handling: found true or not, how it was checked (a linked task means on site)."""
    c = get(session, actor, complaint_id, lock=True)
    if not (actor.has("leader", "admin") or actor.username in c.handlers):
        raise PermissionDenied("只有承办人或负责人可以办结投诉", code="complaint.not_handler")
    _need(c, ("assigned", "investigating"), "办结")
    method = method or ("onsite" if c.task_id else None)
    if method not in CHECK_METHODS:
        raise ValidationFailed(f"请选择核查方式：{'、'.join(CHECK_METHODS.values())}", code="complaint.bad_method")
    if method != "onsite" and c.task_id:
        raise ValidationFailed("已生成定向检查任务的投诉，核查方式应为现场检查", code="complaint.method_conflict")
    c.findings = _clean_text(findings, "核查情况", 2000, required=True)
    c.check_method = method
    c.substantiated, c.concluded_on, c.status = substantiated, on or today(), "concluded"
    _event(session, actor, c, "conclude", c.concluded_on,
           f"{CHECK_METHODS[method]}：{'属实' if substantiated else '不属实'}")
    return c


def reply(session: Session, actor: Actor, complaint_id: int, *, text: str, on: date | None = None) -> Complaint:
    c = get(session, actor, complaint_id, lock=True)
    if not (actor.has("leader", "admin") or actor.username in c.handlers):
        raise PermissionDenied("只有承办人或负责人可以答复举报人", code="complaint.not_handler")
    _need(c, ("concluded",), "答复")
    on = on or today()
    if c.concluded_on and on < c.concluded_on:
        raise ValidationFailed("答复日期不能早于办结日期", code="complaint.date_order")
    c.reply_text = _clean_text(text, "答复内容", 2000, required=True)
    c.replied_on, c.status = on, "replied"
    _event(session, actor, c, "reply", on)
    return c


def rate(session: Session, code: str, satisfaction: str) -> Complaint:
    """The complainant rates the reply with the tracking code (once)."""
    c = lock_row(session, Complaint, _by_code(session, code).id)     # read after the lock: rated once
    if satisfaction not in SATISFACTION:
        raise ValidationFailed("评价应为满意、基本满意或不满意", code="complaint.bad_rating")
    if not _can_rate(c):
        raise IllegalTransition("该投诉尚未答复或已评价", code="complaint.cannot_rate")
    c.satisfaction = satisfaction
    _event(session, "public", c, "rate", today(), SATISFACTION[satisfaction])
    return c


def award(session: Session, actor: Actor, complaint_id: int, yuan: int) -> Complaint:
    require_role(actor, "leader", "admin")
    c = get(session, actor, complaint_id, lock=True)
    if not c.substantiated:
        raise IllegalTransition("只有经查属实的举报才能给予奖励", code="complaint.reward_unsubstantiated")
    r = rules().reward.on(c.received_on)
    if not r.min_yuan <= yuan <= r.max_yuan:
        raise ValidationFailed(f"奖励金额应在 {r.min_yuan}–{r.max_yuan} 元之间", code="complaint.reward_range")
    c.reward_yuan = yuan
    _event(session, actor, c, "reward", today(), f"{yuan} 元")
    return c


def firms_of(session: Session, complaint_ids: list[int]) -> list[tuple[int, int, int, date]]:
    """(complaint id, enterprise id, handling agency id, concluded on) of those complaints that
    name a registered enterprise and are concluded, by id."""
    if not complaint_ids:
        return []
    return [tuple(r) for r in session.execute(
        select(Complaint.id, Complaint.enterprise_id, Complaint.agency_id, Complaint.concluded_on).where(
            Complaint.id.in_(complaint_ids), Complaint.enterprise_id.is_not(None),
            Complaint.concluded_on.is_not(None)).order_by(Complaint.id))]


def complaint_for_task(session: Session, task_id: int | None) -> int | None:
    """The complaint whose on-site check is task ``task_id`` (None when there is none)."""
    if task_id is None:
        return None
    return session.execute(select(func.min(Complaint.id)).where(Complaint.task_id == task_id)).scalar_one_or_none()


def hold_for_case(session: Session, complaint_id: int) -> None:
    """Lock the complaint a case opened in this transaction will be linked to (``link_case``), before
    the case's own writes: a transaction takes its row locks before its first audited write, whose
    flush locks the audit chain's head until the commit (core.locks)."""
    lock_row(session, Complaint, complaint_id)


def link_case(session: Session, actor: Actor, complaint_id: int, case_ref: str) -> Complaint:
    """A later layer (cases) records that the complaint led to a penalty case. The case's own
    checks (the referral's task, the officer's jurisdiction over it) are the authority here: a
    county officer opening the case may not see a complaint held by the city, and the link must
    not refuse the case for that."""
    c = lock_row(session, Complaint, complaint_id)
    if c is None:
        raise NotFound(f"投诉 {complaint_id} 不存在", code="complaint.not_found")
    c.case_ref = case_ref[:60]
    _event(session, actor, c, "case", today(), case_ref)
    return c


# --- statistics ----------------------------------------------------------------------------------

STAT_LABELS = {"received": "收件", "duplicates": "重复件", "accepted": "受理", "accepted_on_time": "按期作出受理决定",
               "replied": "已答复", "replied_on_time": "按期答复", "overdue_open": "超期未答复",
               "substantiated": "查实", "to_cases": "立案查处", "satisfied": "满意（含基本满意）"}


def statistics(session: Session, actor: Actor, *, year: int, on: date | None = None) -> list[dict]:
    """Per unit (the agency holding the complaint): figures a later evaluation reads."""
    on = on or today()
    rows: dict[int, dict] = {}
    # the columns the figures read, not whole complaints (their text, attachments and events are
    # JSON decoded for each row: most of the time the dashboard's oversight flows took)
    stmt = _complaints_query(session, actor, year=year).with_only_columns(
        Complaint.agency_id, Agency.name.label("agency"), Complaint.duplicate_of, Complaint.status, Complaint.decided_on,
        Complaint.accept_due, Complaint.replied_on, Complaint.reply_due, Complaint.substantiated, Complaint.case_ref,
        Complaint.satisfaction)
    for c in session.execute(stmt):
        r = rows.setdefault(c.agency_id, {"agency_id": c.agency_id, "agency": c.agency or "",
                                          **{k: 0 for k in STAT_LABELS}})
        r["received"] += 1
        r["duplicates"] += c.duplicate_of is not None
        if c.status not in ("received", "rejected", "forwarded"):
            r["accepted"] += 1
        if c.decided_on and c.decided_on <= c.accept_due:
            r["accepted_on_time"] += 1
        if c.replied_on:
            r["replied"] += 1
            r["replied_on_time"] += bool(c.reply_due and c.replied_on <= c.reply_due)
        elif c.reply_due and on > c.reply_due:
            r["overdue_open"] += 1
        r["substantiated"] += bool(c.substantiated)
        r["to_cases"] += bool(c.case_ref)
        r["satisfied"] += c.satisfaction in ("satisfied", "basic")
    out = sorted(rows.values(), key=lambda r: r["agency"])
    for r in out:
        r["on_time_rate"] = round(r["replied_on_time"] / r["replied"], 4) if r["replied"] else None
    return out


def count_by_agency(session: Session, *, year: int) -> dict[int, int]:
    stmt = select(Complaint.agency_id, func.count()).where(
        Complaint.received_on >= date(year, 1, 1), Complaint.received_on <= date(year, 12, 31)
    ).group_by(Complaint.agency_id)
    return {a: n for a, n in session.execute(stmt).all()}
