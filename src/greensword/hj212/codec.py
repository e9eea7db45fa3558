"""HJ 212 codec (2005 / 2017 / 2025): framing, CRC, header fields, the CP data area, sub-packet
reassembly and building. Pure: bytes in, ``Packet`` or ``ParseError`` out, no I/O.

Checks run in the order of the vector contract (hj212.md §8), first failure wins:
header → length digits → CRLF → length value → 1024 limit → CRC → QN / CN / header fields → CP.

Tolerant mode (switched on per MN at the gateway) accepts the deviations real devices are known
for and names each one in ``Packet.quirks`` so the console can list devices that need fixing.
A lower-case CRC is accepted even in strict mode (the vector contract says so) but is still named.

Speed: a well-formed frame (the common case) goes through one pass in C (``_scan.c``, built at
install; ≈4× the Python fast path), then the Python fast path (two compiled regexes), then the
exact item-by-item path, which alone decides errors and quirks. Each faster path only accepts
what the slower ones accept and gives the same result (property tests in test_scan/test_quirks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from . import protocol
from .crc import crc16, modbus
from .errors import ParseError

#: Quirk names, with the zh-CN text the console shows.
QUIRKS = {
    "crc_lowercase": "CRC 使用小写十六进制",
    "crc_modbus": "CRC 按 Modbus 算法计算（crc ^= byte），与标准不符",
    "length_chars": "数据段长度按字符数而非字节数计算",
    "lf_terminator": "包尾只有 LF，缺少 CR",
    "missing_semicolon": "CP 前缺少分号 ';'",
    "trailing_separator": "CP 中有多余的分隔符",
    "datetime_variant": "时间格式不标准（带分隔符或缺秒）",
    "missing_qn": "2017 及以后版本的数据包缺少 QN",
    "heartbeat_9015": "非 2025 版设备发送心跳 9015",
    "unknown_flag": "数据标记不在标准表中",
    "extra_header": "包头含标准以外的字段",
    "subpacket_flag_without_pnum": "Flag 置了拆分包位，却没有 PNUM/PNO",
    "datetime_ms": "时间字段带毫秒（17 位 yyyyMMddHHmmssSSS），去掉毫秒后存储",
    "qn_14": "QN 只有 14 位（缺少毫秒 SSS），按原样回传并用于去重",
    "duplicate_key": "CP 中同一数据项重复出现：保留第一个值，后出现的值记入该因子的 extra.repeated",
    "empty_upload": "数据上传命令的 CP 为空（CP=&&&&）：按心跳计入在线状态，不作为监测数据存储",
    "vendor_cn": "标准命令表以外的厂商命令（如 CN=9021 登录/心跳）：按心跳计入在线状态，不作为监测数据存储",
}

#: Quirks that make a packet a keep-alive rather than data (online status only, no lake rows).
HEARTBEAT_QUIRKS = frozenset({"empty_upload", "vendor_cn", "heartbeat_9015"})

_DIGITS4 = re.compile(rb"\d{4}")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_HEX = re.compile(r"[0-9A-Fa-f]{4}")
_DT_VARIANT = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})?(?:\.\d+)?")
_RULES = protocol.rules

try:     # the one-pass fast path in C (setup.py builds it at install; optional)
    from . import _scan as _c
except ImportError:
    _c = None
_C_RULES: list = [None]
_HEADER_KEYS = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO", "RF")


@dataclass(slots=True)
class Packet:
    st: str
    cn: str
    pw: str
    mn: str
    qn: str | None = None
    flag: int | None = None
    pnum: int | None = None
    pno: int | None = None
    cp: dict[str, str] = field(default_factory=dict)   # literal CP items, in order
    edition: str = "2017"
    rf: bool = False                 # 2025 back-fill (补发) marker
    encrypted: bool = False          # CP arrived SM4-encrypted (2025)
    quirks: tuple[str, ...] = ()
    data_len: int = 0
    crc: str = ""
    #: CP items whose key had already appeared (tolerant ``duplicate_key``): kept out of ``cp``,
    #: recorded here in arrival order so nothing the device sent is lost.
    repeats: tuple[tuple[str, str], ...] = ()

    @property
    def heartbeat(self) -> bool:
        """A keep-alive: counts for online status, carries no data to store."""
        return self.cn == "9015" or bool(self.quirks and not HEARTBEAT_QUIRKS.isdisjoint(self.quirks))

    @property
    def ack_required(self) -> bool:
        return bool(self.flag is not None and self.flag & 1)

    @property
    def subpacket(self) -> bool:
        return bool(self.flag is not None and self.flag & 2 and self.pnum is not None)

    @property
    def data_time(self) -> datetime | None:
        dt = self.cp.get("DataTime")
        return _to_dt(dt) if dt else None

    def header(self) -> dict:
        return {"qn": self.qn, "st": self.st, "cn": self.cn, "pw": self.pw, "mn": self.mn,
                "flag": self.flag, "pnum": self.pnum, "pno": self.pno}

    def decoded_cp(self) -> dict:
        return decode_cp(self.cp)

    def as_json(self) -> dict:
        out = self.header()
        out["cp"] = self.decoded_cp()
        if self.edition != "2017":
            out["edition"] = self.edition
        if self.rf:
            out["rf"] = 1
        return out


def _to_dt(text: str) -> datetime:
    return datetime(int(text[0:4]), int(text[4:6]), int(text[6:8]),
                    int(text[8:10]), int(text[10:12]), int(text[12:14]))


def _valid_stamp(text: str, digits: int) -> bool:
    if len(text) != digits or not text.isdigit():
        return False
    try:
        _to_dt(text)
    except ValueError:
        return False
    return True


def _number(text: str) -> int | float:
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)


_KEY_CACHE: dict[str, tuple[str | None, str, int]] = {}
_KEY_RULES: list = [None]
_NUM, _TIME, _OTHER = 1, 2, 3


def _key_meta(key: str, rules: protocol.ProtocolRules) -> tuple[str | None, str, int]:
    """(factor or None, field name, kind) of a CP key; cached, keys repeat across packets."""
    meta = _KEY_CACHE.get(key)
    if meta is None:
        i = key.rfind("-")
        name = key[i + 1:]
        kind = (_NUM if name in rules.numeric_suffixes else _TIME if name in rules.time_keys
                else 0 if name in rules.string_keys else _OTHER)
        meta = (key[:i] if i > 0 else None, name, kind)
        if len(_KEY_CACHE) < 50_000:
            _KEY_CACHE[key] = meta
    return meta


def decode_cp(cp: Mapping[str, str]) -> dict:
    """CP items → JSON-friendly dict: times as ISO 8601 (+08:00), numbers as numbers, and
    per-factor fields grouped under the factor code (``{"a21026": {"Rtd": 29.09, "Flag": "N"}}``)."""
    rules = _RULES()
    if _KEY_RULES[0] is not rules:               # rules reloaded: forget the cached key kinds
        _KEY_CACHE.clear()
        _KEY_RULES[0] = rules
    out: dict = {}
    group: dict = {}
    last = None
    for key, value in cp.items():
        meta = _KEY_CACHE.get(key) or _key_meta(key, rules)
        factor, name, kind = meta
        if kind == _NUM:                         # parse() checked these against _NUMBER already
            if "." in value or "e" in value or "E" in value:
                try:
                    decoded: object = float(value)
                except ValueError:
                    decoded = value
            else:
                try:
                    decoded = int(value)
                except ValueError:
                    decoded = value
        elif kind == _TIME and len(value) == 14 and value.isdigit():
            decoded = (f"{value[0:4]}-{value[4:6]}-{value[6:8]}T{value[8:10]}:{value[10:12]}:"
                       f"{value[12:14]}+08:00")
        elif kind == _OTHER and _NUMBER.fullmatch(value):
            decoded = _number(value)
        else:
            decoded = value
        if factor is not None:
            if factor != last:
                g = out.get(factor)
                if g is None:
                    g = out[factor] = {}
                elif type(g) is not dict:        # a plain item of that name: keep the literal key
                    out[key] = decoded
                    continue
                group, last = g, factor
            group[name] = decoded
        else:
            prev = out.get(key)
            if type(prev) is dict:               # a factor of that name came first: literal keys
                del out[key]
                for n, v in prev.items():
                    out[f"{key}-{n}"] = v
                if last == key:
                    last = None
            out[key] = decoded
    return out


def _decode_text(data: bytes) -> str:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gbk", errors="strict")


def _c_configure(rules: protocol.ProtocolRules) -> None:
    """Hand the protocol rules to the C fast path (once per rules object)."""
    _C_RULES[0] = rules
    _c.configure(tuple(rules.numeric_suffixes), tuple(rules.time_keys), tuple(rules.string_keys),
                 "".join(f for f in rules.data_flags if len(f) == 1 and f.isalnum()),
                 dict(rules.versions), dict(rules.commands), dict(rules.edition_commands), dict(rules.uploads),
                 rules.surface_water_st, rules.max_data_length)


def c_scan(raw: bytes) -> Packet | None:
    """The C fast path alone (None: not taken, or no C extension)."""
    if _c is None or type(raw) is not bytes:
        return None
    rules = _RULES()
    if _C_RULES[0] is not rules:
        _c_configure(rules)
    t = _c.scan(raw)
    return Packet(*t) if t is not None else None


def decode_json(raw: bytes, *, tolerant: bool = False) -> dict:
    """What ``hj212 parse`` prints for a packet: header, decoded CP and edition (plus quirks and
    repeated items in tolerant mode). The C fast path builds it in one go for a well-formed frame.
    Raises ParseError."""
    if _c is not None and type(raw) is bytes:
        rules = _RULES()
        if _C_RULES[0] is not rules:
            _c_configure(rules)
        d = _c.decode(raw)
        if d is not None:
            if tolerant:
                d["quirks"] = []             # the fast path takes no packet with a quirk
            return d
    p = parse(raw, tolerant=tolerant)
    out = p.as_json()
    out["edition"] = p.edition
    if tolerant:
        out["quirks"] = list(p.quirks)
        if p.repeats:
            out["repeated"] = [list(kv) for kv in p.repeats]
    return out


def parse(raw: bytes | str, *, tolerant: bool = False,
          key_for: Callable[[str], bytes | None] | None = None) -> Packet:
    """Parse one complete frame (``##…\\r\\n``). ``key_for(mn)`` gives the SM4 key of a 2025
    device whose CP is encrypted."""
    if _c is not None and type(raw) is bytes:       # the C fast path: well-formed frames
        rules = _RULES()
        if _C_RULES[0] is not rules:
            _c_configure(rules)
        t = _c.scan(raw)
        if t is not None:
            return Packet(*t)
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    quirks: list[str] = []
    if raw[:2] != b"##":
        raise ParseError("bad_header", "包头不是 '##'（前面有多余字节或缺少包头）")
    if not _DIGITS4.fullmatch(raw, 2, 6):
        raise ParseError("bad_length", f"数据段长度字段 {raw[2:6]!r} 不是 4 位十进制数字")
    if raw[-2:] == b"\r\n":
        body = raw[6:-2]
    elif tolerant and raw.endswith(b"\n"):
        body = raw[6:-1]
        quirks.append("lf_terminator")
    else:
        raise ParseError("truncated", "包不以 \\r\\n 结尾（缺少包尾或包被截断）")
    if len(body) < 4:
        raise ParseError("bad_length", "包太短，缺少数据段或 CRC")
    data, crc_raw = body[:-4], body[-4:]
    declared = int(raw[2:6])
    if declared != len(data):
        if tolerant and declared == len(_safe_chars(data)):
            quirks.append("length_chars")
        else:
            raise ParseError("bad_length", f"长度字段为 {declared}，实际数据段为 {len(data)} 字节")
    max_len = _RULES().max_data_length
    if len(data) > max_len:
        raise ParseError("too_long", f"数据段 {len(data)} 字节，超过标准上限 {max_len} 字节，应拆分包发送")
    crc_txt = crc_raw.decode("ascii", errors="replace")
    if not _HEX.fullmatch(crc_txt):
        raise ParseError("bad_crc", f"CRC 字段 {crc_txt!r} 不是 4 位十六进制数")
    got = int(crc_txt, 16)
    if got != crc16(data):
        if tolerant and got == modbus(data):
            quirks.append("crc_modbus")
        else:
            raise ParseError("bad_crc", f"CRC 校验失败：包中为 {crc_txt}，按标准计算应为 {crc16(data):04X}")
    if crc_txt != crc_txt.upper():
        quirks.append("crc_lowercase")
    if data.isascii():
        text = data.decode("ascii")
        packet = _fast_segment(text, quirks, key_for)
        if packet is None:
            packet = _parse_segment(text, tolerant, quirks, key_for)
    else:
        try:
            text = _decode_text(data)
        except UnicodeDecodeError as exc:
            raise ParseError("bad_field", "数据段含有无法识别的字符编码（非 ASCII/UTF-8/GBK）") from exc
        packet = _parse_segment(text, tolerant, quirks, key_for)
    packet.data_len = len(data)
    packet.crc = crc_txt
    return packet


def _safe_chars(data: bytes) -> str:
    try:
        return _decode_text(data)
    except UnicodeDecodeError:
        return ""


# --- fast path -------------------------------------------------------------------------------
# The common, well-formed packet checked by two compiled regular expressions and split by C-level
# string methods. It accepts only a subset of what ``_parse_segment`` accepts and gives the same
# Packet for it; anything else (errors, quirks, sub-packets, encrypted CP, days 29–31 are checked
# exactly) falls through to the item-by-item path, which names the exact problem.

_Y, _MO, _D = r"(?!0000)\d{4}", r"(?:0[1-9]|1[0-2])", r"(?:0[1-9]|[12]\d|3[01])"
_STAMP14 = _Y + _MO + _D + r"(?:[01]\d|2[0-3])[0-5]\d[0-5]\d"
_FAST_HEAD = re.compile(r"QN=(" + _STAMP14 + r"\d{3});ST=(\d\d);CN=(\d{4});PW=([^;=&]*);"
                        r"MN=([^;=&]+);Flag=(\d{1,3});CP=&&")
_LATE_DAY = re.compile(r"Time=(\d{6}(?:29|3[01])\d{6})")
_FAST_CP_CACHE: dict[int, re.Pattern] = {}


def _trie(words) -> str:
    """A regex alternation of ``words`` shared by prefix (``Rtd|Avg|M(?:in|ax)|Zs(?:…)``): the
    ``re`` engine tries alternatives one by one, so shared prefixes are tested once."""
    groups: dict[str, list[str]] = {}
    for w in sorted(set(words)):
        groups.setdefault(w[:1], []).append(w[1:])
    alts = []
    for head, rests in groups.items():
        if not head:
            continue
        if len(rests) == 1:
            alts.append(re.escape(head + rests[0]))
            continue
        tail = "" if rests == [""] else f"(?:{_trie([r for r in rests if r])}{'|' if '' in rests else ''})"
        alts.append(re.escape(head) + tail)
    return "|".join(alts)


def _fast_cp_pattern(rules: protocol.ProtocolRules) -> re.Pattern:
    pat = _FAST_CP_CACHE.get(id(rules))
    if pat is None:
        num = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
        flags = "".join(f for f in rules.data_flags if len(f) == 1 and f.isalnum())
        item = (rf"(?:[A-Za-z0-9]+-(?:(?:{_trie(rules.numeric_suffixes)})={num}|Flag=[{flags}]|EFlag=[A-Za-z0-9]+"
                rf"|(?:{_trie(rules.time_keys)})={_STAMP14})|(?:{_trie(rules.time_keys)})={_STAMP14})")
        pat = re.compile(rf"{item}(?:[;,]{item})*")
        _FAST_CP_CACHE.clear()
        _FAST_CP_CACHE[id(rules)] = pat
    return pat


def _fast_segment(text: str, quirks: list[str], key_for) -> Packet | None:
    m = _FAST_HEAD.match(text)
    if m is None or len(text) < m.end() + 2 or text[-2:] != "&&":
        return None
    qn, st, cn, pw, mn, flag_txt = m.groups()
    flag = int(flag_txt)
    if flag > 255 or flag & 2:
        return None
    rules = _RULES()
    edition = rules.versions.get(flag >> 2)
    if edition is None:
        return None
    if edition == "2025" and st == rules.surface_water_st:
        edition = "2017"
    if cn not in rules.commands and cn not in rules.edition_commands.get(edition, ()):
        return None
    if qn[6:8] > "28" and not _valid_stamp(qn[:14], 14):
        return None
    body = text[m.end():-2]
    if body:
        if edition == "2025" and key_for is not None and "=" not in body:
            return None
        if _fast_cp_pattern(rules).fullmatch(body) is None:
            return None
        for stamp in _LATE_DAY.findall(body):
            if not _valid_stamp(stamp, 14):
                return None
        parts = body.replace(",", ";").replace("=", ";").split(";")
        it = iter(parts)
        cp = dict(zip(it, it, strict=False))   # even length: the regex saw one "=" per item
        if len(cp) * 2 != len(parts):
            return None                  # a repeated key
    else:
        cp = {}
    if "DataTime" not in cp and cn in rules.uploads:
        return None
    return Packet(st, cn, pw, mn, qn, flag, None, None, cp, edition, False, False, tuple(quirks))


# --- exact path ------------------------------------------------------------------------------

def _parse_segment(text: str, tolerant: bool, quirks: list[str],
                   key_for: Callable[[str], bytes | None] | None) -> Packet:
    rules = _RULES()
    at = text.find(";CP=&&")
    if at >= 0:
        head, cp_text = text[:at], text[at + 6:]
    else:
        at = text.find("CP=&&")
        if at < 0:
            raise ParseError("bad_header", "数据段缺少 CP=&& 指令参数区")
        if at > 0 and not tolerant:
            raise ParseError("bad_header", "CP=&& 前缺少分号 ';'")
        if at > 0:
            quirks.append("missing_semicolon")
        head, cp_text = text[:at], text[at + 5:]
    fields: dict[str, str] = {}
    for item in head.split(";") if head else ():
        k, eq, v = item.partition("=")
        if not eq:
            raise ParseError("bad_header", f"包头字段 {item!r} 缺少 '='")
        if k in fields:
            raise ParseError("bad_header", f"包头字段 {k} 重复")
        if k not in _HEADER_KEYS:
            if not tolerant:
                raise ParseError("bad_header", f"包头含未知字段 {k}")
            quirks.append("extra_header")
        fields[k] = v

    # Flag first: it tells the edition, which decides what else is required.
    flag_txt = fields.get("Flag")
    flag = None
    if flag_txt is not None:
        if not flag_txt.isdigit() or int(flag_txt) > 255:
            raise ParseError("bad_header", f"Flag={flag_txt!r} 不是 0–255 的整数")
        flag = int(flag_txt)
    st = fields.get("ST")
    if st is None:
        raise ParseError("bad_header", "缺少 ST 系统编码")
    if not st.isdigit():
        raise ParseError("bad_header", f"ST={st!r} 不是数字")
    version = (flag >> 2) if flag is not None else 0
    edition = rules.versions.get(version)
    if edition is None:
        raise ParseError("bad_header", f"Flag={flag} 的版本位 {version} 不是已知标准版本")
    if edition == "2025" and st == rules.surface_water_st:
        edition = "2017"        # surface-water profile of 2017 uses version 2

    qn = fields.get("QN")
    if qn is not None:
        if not _valid_stamp(qn, 17) or not (0 <= int(qn[14:]) <= 999):
            if tolerant and _valid_stamp(qn, 14):
                quirks.append("qn_14")
            elif _valid_stamp(qn, 14):
                raise ParseError("bad_qn", f"QN={qn!r} 只有 14 位，缺少毫秒；标准要求 17 位 yyyyMMddHHmmssSSS"
                                           "（14 位 QN 仅在宽容模式下接受）")
            else:
                raise ParseError("bad_qn", f"QN={qn!r} 不是有效的 17 位时间戳 yyyyMMddHHmmssSSS")
    elif edition != "2005":
        if not tolerant:
            raise ParseError("bad_qn", f"{edition} 版数据包缺少 QN")
        quirks.append("missing_qn")

    cn = fields.get("CN")
    if cn is None:
        raise ParseError("bad_header", "缺少 CN 命令编码")
    if cn not in rules.commands:
        if cn in rules.edition_commands.get(edition, {}):
            pass
        elif tolerant and any(cn in extra for extra in rules.edition_commands.values()):
            quirks.append("heartbeat_9015")
        elif tolerant and len(cn) == 4 and cn.isdigit():
            quirks.append("vendor_cn")
        else:
            raise ParseError("unknown_cn", f"CN={cn!r} 不是标准定义的命令编码"
                             + ("（厂商自定义命令仅在宽容模式下按心跳接受）" if cn.isdigit() else ""))
    mn = fields.get("MN")
    if not mn:
        raise ParseError("bad_header", "缺少 MN 设备唯一标识")
    pw = fields.get("PW")
    if pw is None:
        raise ParseError("bad_header", "缺少 PW 访问密码")

    pnum = pno = None
    if flag is not None and flag & 2:
        p1, p2 = fields.get("PNUM"), fields.get("PNO")
        if p1 is None and p2 is None and tolerant:
            quirks.append("subpacket_flag_without_pnum")   # whole packet with a stray D bit
        elif not (p1 and p2 and p1.isdigit() and p2.isdigit()):
            raise ParseError("bad_header", "Flag 拆分包位为 1，但缺少有效的 PNUM/PNO")
        else:
            pnum, pno = int(p1), int(p2)
            if not 1 <= pno <= pnum:
                raise ParseError("bad_header", f"包号 PNO={pno} 超出总包数 PNUM={pnum}")
    elif "PNUM" in fields or "PNO" in fields:
        raise ParseError("bad_header", "含 PNUM/PNO 但 Flag 拆分包位为 0")
    rf = fields.get("RF")
    if rf not in (None, "0", "1"):
        raise ParseError("bad_header", f"补发标记 RF={rf!r} 只能为 0 或 1")

    if not cp_text.endswith("&&"):
        raise ParseError("bad_field", "CP 区缺少结尾 '&&'")
    body = cp_text[:-2]
    encrypted = False
    if edition == "2025" and body and key_for is not None and "=" not in body:
        key = key_for(mn)
        if key is None:
            raise ParseError("bad_field", f"设备 {mn} 的 CP 已加密，但未登记 SM4 密钥")
        from .sm4 import decrypt_cp

        body = decrypt_cp(body, key)
        encrypted = True
    repeats: list[tuple[str, str]] = []
    cp = _parse_cp_items(body, tolerant, quirks, rules, repeats) if body else {}
    if cn in rules.uploads and "DataTime" not in cp and not (pno and pno > 1):
        if not cp and "vendor_cn" not in quirks:
            if not tolerant:
                raise ParseError("bad_field", f"数据上传命令 CN={cn} 的 CP 为空（CP=&&&&），没有 DataTime 和监测数据"
                                              "（空上传仅在宽容模式下按心跳接受）")
            quirks.append("empty_upload")
        else:
            raise ParseError("bad_field", f"数据上传命令 CN={cn} 的 CP 缺少 DataTime")
    return Packet(st=st, cn=cn, pw=pw, mn=mn, qn=qn, flag=flag, pnum=pnum, pno=pno, cp=cp,
                  edition=edition, rf=rf == "1", encrypted=encrypted, quirks=tuple(quirks),
                  repeats=tuple(repeats))


def _parse_cp_items(body: str, tolerant: bool, quirks: list[str], rules: protocol.ProtocolRules,
                    repeats: list[tuple[str, str]]) -> dict[str, str]:
    cp: dict[str, str] = {}
    numeric, times, flags = rules.numeric_suffixes, rules.time_keys, rules.data_flags
    for group in body.split(";"):
        for item in group.split(","):
            if not item:
                if tolerant:
                    if "trailing_separator" not in quirks:
                        quirks.append("trailing_separator")
                    continue
                raise ParseError("bad_field", "CP 中有空的数据项（多余的 ';' 或 ','）")
            key, eq, value = item.partition("=")
            if not eq or not key:
                raise ParseError("bad_field", f"CP 数据项 {item!r} 不是 键=值 形式")
            if not value:
                raise ParseError("bad_field", f"CP 数据项 {key} 的值为空")
            name = key.rpartition("-")[2]
            if name in numeric:
                if not _NUMBER.fullmatch(value):
                    raise ParseError("bad_field", f"{key}={value!r} 不是数值")
            elif name in times:
                if not _valid_stamp(value, 14):
                    if _valid_stamp(value, 17):
                        if not tolerant:
                            raise ParseError("bad_field", f"{key}={value!r} 带毫秒（17 位），标准要求 14 位 "
                                                          "yyyyMMddHHmmss（带毫秒的时间仅在宽容模式下接受）")
                        fixed, quirk = value[:14], "datetime_ms"
                    else:
                        fixed, quirk = (_time_variant(value) if tolerant else None), "datetime_variant"
                    if fixed is None:
                        raise ParseError("bad_field", f"{key}={value!r} 不是有效的 yyyyMMddHHmmss 时间")
                    if quirk not in quirks:
                        quirks.append(quirk)
                    value = fixed
            elif name == "Flag" and key != "Flag":
                if value not in flags:
                    if not tolerant:
                        raise ParseError("bad_field", f"{key}={value!r} 不是标准数据标记（N/F/M/S/D/C/T/B）")
                    if "unknown_flag" not in quirks:
                        quirks.append("unknown_flag")
            if key in cp:
                if not tolerant:
                    raise ParseError("bad_field", f"CP 数据项 {key} 重复出现（宽容模式下保留第一个值）")
                if "duplicate_key" not in quirks:
                    quirks.append("duplicate_key")
                repeats.append((key, value))
                continue
            cp[key] = value
    return cp


def _time_variant(value: str) -> str | None:
    m = _DT_VARIANT.fullmatch(value.strip())
    if not m:
        return None
    text = "".join(g or "00" for g in m.groups())
    return text if _valid_stamp(text, 14) else None


# --- building --------------------------------------------------------------------------------

def frame(segment: str | bytes) -> bytes:
    """Wrap a data segment: ``##`` + length + segment + CRC + CRLF."""
    data = segment.encode("utf-8") if isinstance(segment, str) else segment
    return b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))


def cp_text(cp: Mapping[str, object]) -> str:
    """Literal CP body from ordered items; fields of one factor joined by ',', groups by ';'."""
    parts: list[str] = []
    prev = None
    for key, value in cp.items():
        factor = key.rpartition("-")[0] or None
        sep = "," if factor is not None and factor == prev else ";"
        parts.append((sep if parts else "") + f"{key}={value}")
        prev = factor
    return "".join(parts)


def build(*, st: str, cn: str, pw: str, mn: str, qn: str | None = None, flag: int | None = 4,
          cp: Mapping[str, object] | str = "", pnum: int | None = None, pno: int | None = None,
          rf: bool = False, sm4_key: bytes | None = None) -> bytes:
    head = []
    if qn is not None:
        head.append(f"QN={qn}")
    head += [f"ST={st}", f"CN={cn}", f"PW={pw}", f"MN={mn}"]
    if flag is not None:
        head.append(f"Flag={flag}")
    if pnum is not None:
        head += [f"PNUM={pnum}", f"PNO={pno}"]
    if rf:
        head.append("RF=1")
    body = cp if isinstance(cp, str) else cp_text(cp)
    if sm4_key is not None and body:
        from .sm4 import encrypt_cp

        body = encrypt_cp(body, sm4_key)
    return frame(";".join(head) + f";CP=&&{body}&&")


def reply(packet: Packet, cn: str, cp: Mapping[str, object] | str = "") -> bytes:
    """An upper-system reply (9011/9012/9013/9014): same QN/PW/MN, ST=91, no ack asked.
    The Flag keeps the request's version bits so a 2005 or 2025 device reads its own edition."""
    version = (packet.flag or 0) & ~3 if packet.flag is not None else None
    if not cp and packet.qn is not None and version is not None and packet.pw.isascii() and packet.mn.isascii():
        # the per-packet ack (9014) of every upload: the same bytes as build(), formatted directly
        data = f"QN={packet.qn};ST=91;CN={cn};PW={packet.pw};MN={packet.mn};Flag={version};CP=&&&&".encode()
        return b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))
    return build(st="91", cn=cn, pw=packet.pw, mn=packet.mn, qn=packet.qn,
                 flag=version if version is not None else None, cp=cp)


# --- sub-packets -----------------------------------------------------------------------------

class Reassembler:
    """Joins sub-packets (Flag D bit) of one (MN, QN, CN) into one packet once all PNO arrived.
    Parts may come in any order; a repeated part replaces nothing. Incomplete sets are dropped
    after ``max_open`` newer sets (bounded memory)."""

    def __init__(self, max_open: int = 10_000):
        self.max_open = max_open
        self._open: dict[tuple, dict[int, Packet]] = {}

    def add(self, packet: Packet) -> Packet | None:
        if not packet.subpacket:
            return packet
        key = (packet.mn, packet.qn, packet.cn)
        parts = self._open.setdefault(key, {})
        parts.setdefault(packet.pno, packet)
        if len(parts) < packet.pnum:
            if len(self._open) > self.max_open:
                self._open.pop(next(iter(self._open)))
            return None
        del self._open[key]
        cp: dict[str, str] = {}
        for pno in sorted(parts):
            for k, v in parts[pno].cp.items():
                cp.setdefault(k, v)
        first = parts[min(parts)]
        quirks = tuple(dict.fromkeys(q for p in parts.values() for q in p.quirks))
        return Packet(st=first.st, cn=first.cn, pw=first.pw, mn=first.mn, qn=first.qn,
                      flag=first.flag & ~2, cp=cp, edition=first.edition, rf=first.rf,
                      encrypted=first.encrypted, quirks=quirks,
                      data_len=sum(p.data_len for p in parts.values()), crc=first.crc)

    @property
    def pending(self) -> int:
        return len(self._open)
