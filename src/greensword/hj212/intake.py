"""What every incoming frame goes through, at the gateway and in ``greensword hj212 import``:
parse (tolerant only for MNs switched to it), authenticate MN + PW against the registry,
recognise a re-send of an already stored MN + QN, and decide the protocol's reply."""

from __future__ import annotations

import csv
import re
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..core.timeutil import now
from . import protocol
from .codec import Packet, ParseError, build, parse, reply

_SNIFF_MN = re.compile(rb"MN=([^;&]{1,40})")
_SNIFF_QN = re.compile(rb"QN=(\d{17})")
_SNIFF_PW = re.compile(rb"PW=([^;&]{1,40})")
_SNIFF_ST = re.compile(rb"ST=(\d{2})")

#: Rejection code → QnRtn of the 9011 reply (HJ 212-2017 reply table).
#: Unknown MN, wrong PW and a banned MN get the same answer (QnRtn=3), so nobody can find out
#: which MNs exist by trying; the verdict codes stay distinct for the operator.
_QN_RTN = {"bad_crc": "bad_crc", "bad_qn": "bad_qn", "unknown_cn": "bad_cn", "unknown_mn": "bad_pw",
           "bad_pw": "bad_pw", "banned_mn": "bad_pw", "bad_header": "rejected", "bad_field": "rejected", "bad_length": "rejected",
           "too_long": "rejected", "truncated": "rejected"}


@dataclass(slots=True)
class DeviceInfo:
    mn: str
    pw: str
    tolerant: bool = False
    sm4_key: bytes | None = None


class Directory:
    """MN → device credentials; loaded from the registry (or a CSV for a stand-alone receiver)."""

    def __init__(self, devices: dict[str, DeviceInfo] | None = None):
        self.devices = devices or {}

    def get(self, mn: str) -> DeviceInfo | None:
        return self.devices.get(mn)

    def key_for(self, mn: str) -> bytes | None:
        d = self.devices.get(mn)
        return d.sm4_key if d else None

    def tolerant(self, mn: str) -> bool:
        d = self.devices.get(mn)
        return bool(d and d.tolerant)

    @classmethod
    def from_db(cls, session) -> Directory:
        from sqlalchemy import select

        from ..registry.models import MonitoringPoint
        from .models import Device

        extra = {d.mn: d for d in session.execute(select(Device)).scalars()}
        devices = {}
        for mn, pw in session.execute(
                select(MonitoringPoint.mn, MonitoringPoint.pw).where(MonitoringPoint.active.is_(True))):
            d = extra.get(mn)
            devices[mn] = DeviceInfo(mn, pw, bool(d and d.tolerant),
                                     bytes.fromhex(d.sm4_key) if d and d.sm4_key else None)
        return cls(devices)

    @classmethod
    def from_csv(cls, path: Path) -> Directory:
        """Columns mn,pw[,tolerant][,sm4_key]."""
        devices = {}
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                key = (row.get("sm4_key") or "").strip()
                devices[row["mn"]] = DeviceInfo(row["mn"], row["pw"],
                                                (row.get("tolerant") or "").strip().lower() in ("1", "true", "是"),
                                                bytes.fromhex(key) if key else None)
        return cls(devices)


def dedup_key(p: Packet) -> str:
    """A device's re-send of the same packet has the same MN + QN (2005 uploads without QN: the
    DataTime stands in)."""
    qn = p.qn or "DT" + p.cp.get("DataTime", "")
    return f"{p.mn}|{qn}|{p.cn}|{p.pno or 0}"


class DedupIndex:
    """Recently stored packet keys, bounded by age (a re-send comes within minutes; the window
    is generous)."""

    def __init__(self, window_s: float = 7 * 86400, max_keys: int = 20_000_000):
        self.window_s, self.max_keys = window_s, max_keys
        self._keys: OrderedDict[str, float] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add(self, key: str, at: float | None = None) -> None:
        at = time.time() if at is None else at
        self._keys[key] = at
        while self._keys and (len(self._keys) > self.max_keys
                              or next(iter(self._keys.values())) < at - self.window_s):
            self._keys.popitem(last=False)

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(slots=True)
class Verdict:
    status: str                       # accepted | duplicate | rejected
    packet: Packet | None = None
    code: str = ""                    # rejection code
    message: str = ""
    mn: str | None = None
    key: str = ""
    replies: list[bytes] = field(default_factory=list)   # sent after the packet is durable


class Intake:
    def __init__(self, directory: Directory, dedup: DedupIndex | None = None):
        self.directory = directory
        self.dedup = dedup if dedup is not None else DedupIndex()
        self.counters: Counter[str] = Counter()

    def check(self, frame: bytes) -> Verdict:
        try:
            packet = parse(frame, key_for=self.directory.key_for)
        except ParseError as exc:
            mn = _sniff(_SNIFF_MN, frame)
            if mn and self.directory.tolerant(mn):
                try:
                    packet = parse(frame, tolerant=True, key_for=self.directory.key_for)
                except ParseError as exc2:
                    return self._reject(frame, exc2.code, exc2.message, mn)
            else:
                return self._reject(frame, exc.code, exc.message, mn)
        dev = self.directory.get(packet.mn)
        if dev is None:
            return self._reject(frame, "unknown_mn", f"设备 MN={packet.mn} 未在监测点名录中登记", packet.mn, packet)
        if packet.pw != dev.pw:
            return self._reject(frame, "bad_pw", f"设备 MN={packet.mn} 的访问密码 PW 不正确", packet.mn, packet)
        key = dedup_key(packet)
        replies = self._replies(packet)
        if key in self.dedup:
            self.counters["duplicate"] += 1
            return Verdict("duplicate", packet, mn=packet.mn, key=key, replies=replies)
        self.counters["accepted"] += 1
        return Verdict("accepted", packet, mn=packet.mn, key=key, replies=replies)

    def _replies(self, p: Packet) -> list[bytes]:
        rules = protocol.rules()
        if p.cn in rules.uploads:
            return [reply(p, "9014")] if p.ack_required else []
        if p.cn == "1013":           # device asks for time calibration: notify-ack, then set time
            set_time = build(st=p.st, cn="1012", pw=p.pw, mn=p.mn, qn=_qn_now(),
                             flag=((p.flag or 0) & ~3) | 1,
                             cp={"PolId": p.cp.get("PolId", ""), "SystemTime": now().strftime("%Y%m%d%H%M%S")}
                             if p.cp.get("PolId") else {"SystemTime": now().strftime("%Y%m%d%H%M%S")})
            return [reply(p, "9013"), set_time]
        if p.cn == "9015" or p.ack_required:
            return [reply(p, "9013")]
        return []

    def deny(self, frame: bytes, v: Verdict, code: str, message: str) -> Verdict:
        """Turn an authenticated verdict into a refusal that answers like a wrong password."""
        self.counters[v.status] -= 1
        return self._reject(frame, code, message, v.mn, v.packet)

    def _reject(self, frame: bytes, code: str, message: str, mn: str | None,
                packet: Packet | None = None) -> Verdict:
        self.counters["rejected"] += 1
        self.counters[f"rejected.{code}"] += 1
        v = Verdict("rejected", packet, code=code, message=message, mn=mn)
        qn = packet.qn if packet else _sniff(_SNIFF_QN, frame)
        if mn and qn:
            rtn = protocol.rules().qn_rtn[_QN_RTN.get(code, "unknown")]
            pw = packet.pw if packet else (_sniff(_SNIFF_PW, frame) or "")
            v.replies.append(build(st="91", cn="9011", pw=pw, mn=mn, qn=qn, flag=4, cp={"QnRtn": rtn}))
        return v


def _sniff(pattern: re.Pattern, frame: bytes) -> str | None:
    m = pattern.search(frame)
    return m.group(1).decode("ascii", errors="replace") if m else None


def _qn_now() -> str:
    t: datetime = now()
    return t.strftime("%Y%m%d%H%M%S") + f"{t.microsecond // 1000:03d}"
