"""Legal documents of a case as .docx (python-docx), in the usual layout: issuing agency, title,
document number, party, facts and evidence, legal basis, discretion reasoning, decision, rights
to appeal. Files are stored content-addressed (SHA-256) under the evidence directory and
registered in CaseDocument; a signed document is never overwritten (a new version is refused).

A document is python-docx's blank document with the paragraphs added, as python-docx writes
them, but the blank one is read once per process, not once per document (opening and saving it
took ~25 ms, most of it the 0.8 MB of styles), and the parts that never change go into the file
compressed once (:func:`_package`). Its bytes depend on its content and date only (the zip
entries carry the document's date, not the clock), so rendering the same data again gives the
same file."""

from __future__ import annotations

import copy
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date
from functools import cache

from docx import Document
from docx.opc.oxml import serialize_part_xml
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement

TITLES = {
    "notice": "行政处罚事先（听证）告知书",
    "decision": "行政处罚决定书",
    "non_penalty": "不予行政处罚决定书",
    "correction": "责令改正违法行为决定书",
    "guidance": "合规指导书",
    "credit_repair": "信用修复告知书",
    "transfer": "案件移送书",
    "hearing_notice": "行政处罚听证通知书",
    "hearing_record": "听证笔录",
    "discussion_record": "重大案件集体讨论记录",
    "summary_decision": "当场行政处罚决定书（简易程序）",
}
#: 五书同达: the decision goes out with these.
BUNDLE = ("decision", "correction", "guidance", "credit_repair")


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass(frozen=True)
class Para:
    """One paragraph of one run, as documents use them: text, bold or not, centred or not, size (pt)."""
    text: str
    bold: bool = False
    center: bool = False
    size: int = 12


def _p(doc: list[Para], text: str, *, bold: bool = False, center: bool = False, size: int = 12) -> None:
    doc.append(Para(text, bold, center, size))


def render(kind: str, case, *, on: date, evidence: list[str]) -> bytes:
    """The document's bytes. ``case`` supplies the figures; nothing else is looked up."""
    return docx_bytes(paragraphs(kind, case, on=on, evidence=evidence), on)


def paragraphs(kind: str, case, *, on: date, evidence: list[str]) -> list[Para]:
    """The document's paragraphs, in order."""
    doc: list[Para] = []
    e = case.enterprise
    _p(doc, case.agency.name, bold=True, center=True, size=16)
    _p(doc, TITLES[kind], bold=True, center=True, size=18)
    _p(doc, f"{case.number}{'-' + kind if kind not in ('decision', 'notice', 'non_penalty') else ''}", center=True)
    _p(doc, f"当事人：{e.name}")
    _p(doc, f"统一社会信用代码：{e.uscc}")
    _p(doc, f"地址：{e.address}")
    d = case.discretion or {}
    proposal = d.get("proposal") or {}
    v = d.get("violation") or {}
    if kind in ("notice", "decision", "non_penalty"):
        _p(doc, "一、违法事实", bold=True)
        _p(doc, case.facts or "（略）")
        _p(doc, "以上事实有下列证据为证：", bold=False)
        for i, ev in enumerate(evidence, 1):
            _p(doc, f"{i}. {ev}")
        _p(doc, "二、法律依据", bold=True)
        if v:
            _p(doc, f"你单位的上述行为违反了{v.get('breach', '')}的规定。依据{v.get('penalty', '')}的规定。")
    if kind in ("notice", "decision"):
        _p(doc, "三、裁量说明", bold=True)
        for line in proposal.get("lines", []):
            _p(doc, line)
        if case.departure_reason:
            _p(doc, f"偏离裁量基准建议金额的理由：{case.departure_reason}")
    if kind == "notice":
        _p(doc, "四、拟作出的行政处罚", bold=True)
        _p(doc, f"我局拟对你单位处以罚款人民币 {case.fine_proposed or 0:,} 元。")
        _p(doc, "根据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，你单位有权进行陈述和申辩；"
                "符合听证条件的，根据第六十三条、第六十四条的规定，可以在收到本告知书之日起五个工作日内要求听证。"
                "逾期未提出的，视为放弃上述权利。")
    if kind == "decision":
        _p(doc, "四、处罚决定", bold=True)
        _p(doc, f"我局决定对你单位处以罚款人民币 {case.fine or 0:,} 元（大写：{_upper(case.fine or 0)}）。")
        if case.offset_yuan:
            _p(doc, f"你单位以学法积分 {case.offset_points} 分抵扣罚款 {case.offset_yuan:,} 元，"
                    f"应缴罚款 {(case.fine or 0) - case.offset_yuan:,} 元。")
        _p(doc, "你单位应当自收到本决定书之日起十五日内，到指定银行或者通过电子支付系统缴纳罚款。"
                "到期不缴纳罚款的，每日按罚款数额的百分之三加处罚款，加处罚款的数额不超过罚款的数额。")
    if kind == "non_penalty":
        _p(doc, "三、决定", bold=True)
        _p(doc, f"鉴于{d.get('non_penalty_text') or '你单位违法行为轻微并及时改正，没有造成危害后果'}，"
                "根据《中华人民共和国行政处罚法》第三十三条第一款的规定，我局决定不予行政处罚。")
    if kind in ("decision", "non_penalty"):
        _p(doc, "五、申请行政复议或者提起行政诉讼的途径和期限", bold=True)
        _p(doc, "如不服本决定，可以在收到本决定书之日起六十日内申请行政复议，"
                "也可以在六个月内依法向人民法院提起行政诉讼。申请行政复议或者提起行政诉讼，不停止本决定的执行。")
    if kind == "correction":
        _p(doc, f"你单位{case.facts or '存在环境违法行为'}，违反了{v.get('breach', '有关法律')}的规定。"
                "我局责令你单位立即改正上述违法行为，并于收到本决定书之日起十五日内将改正情况书面报告我局。")
    if kind == "guidance":
        _p(doc, "为帮助你单位依法合规经营，现提出以下合规指导意见：")
        for i, t in enumerate(["对照排污许可证要求，全面排查污染防治设施运行情况；",
                               "完善环境管理台账和自行监测记录，确保自动监测设备正常运行并联网；",
                               "组织管理人员学习生态环境法律法规，可通过“学法积分”参加在线学习；",
                               "如需技术帮扶，可联系属地生态环境部门。"], 1):
            _p(doc, f"{i}. {t}")
    if kind == "credit_repair":
        _p(doc, "根据国家发展改革委关于行政处罚信息信用修复的规定，行政处罚信息在“信用中国”网站公示。"
                "你单位在履行行政处罚决定、完成整改并公开作出信用承诺后，"
                "可在最短公示期满后通过“信用中国”网站申请信用修复。")
    if kind == "hearing_notice":
        h = d.get("hearing") or {}
        _p(doc, f"根据《中华人民共和国行政处罚法》第六十四条的规定，我局定于 {h.get('date', '')} 举行听证，"
                f"听证主持人：{h.get('chair', '')}（非本案调查人员）。你单位可以亲自参加听证，也可以委托一至二人代理；"
                "认为主持人与本案有直接利害关系的，有权申请回避。无正当理由拒不出席的，视为放弃听证权利。")
    if kind == "hearing_record":
        h = d.get("hearing") or {}
        _p(doc, f"听证时间：{h.get('held_on', '')}；主持人：{h.get('chair', '')}")
        _p(doc, f"参加人员：{'、'.join(h.get('attendees') or []) or '（见签到表）'}")
        _p(doc, "调查人员提出当事人违法的事实、证据和行政处罚建议，当事人进行申辩和质证。")
        _p(doc, f"笔录要点：{h.get('record', '')}")
        _p(doc, "本笔录经当事人或者其代理人核对无误后签字或者盖章（行政处罚法第六十四条第（八）项）。")
    if kind == "discussion_record":
        x = d.get("discussion") or {}
        _p(doc, f"讨论时间：{x.get('on', '')}")
        _p(doc, f"参加人员：{'、'.join(x.get('participants') or [])}")
        _p(doc, f"拟处罚意见：罚款人民币 {case.fine_proposed or 0:,} 元")
        lr = d.get("legal_review") or {}
        if lr:
            _p(doc, f"法制审核意见：{'同意' if lr.get('opinion') == 'approve' else '修改后同意'}（审核人 {lr.get('by')}）")
        _p(doc, f"讨论结论：{x.get('conclusion', '')}（行政处罚法第五十七条第二款）")
    if kind == "summary_decision":
        sm = d.get("summary") or {}
        _p(doc, f"违法事实：{case.facts}")
        _p(doc, f"依据：{sm.get('basis', '')}")
        _p(doc, f"处罚：{'警告' if not case.fine else f'罚款人民币 {case.fine:,} 元'}（当场作出，行政处罚法第五十一条、第五十二条）")
        _p(doc, f"执法人员：{'、'.join(sm.get('officers') or [])}；地点：{sm.get('place', '')}")
        _p(doc, "当事人已陈述申辩。如不服本决定，可以在收到本决定书之日起六十日内申请行政复议，也可以在六个月内提起行政诉讼。")
    if kind == "transfer":
        m = d.get("transfer") or {}
        _p(doc, f"{m.get('to', '公安机关')}：")
        _p(doc, f"我局在查处{e.name}{case.title}一案中，发现{m.get('reason', '当事人涉嫌违法犯罪')}，"
                "根据有关规定，现将该案移送你单位依法处理。")
    _p(doc, "")
    _p(doc, case.agency.name, center=False)
    _p(doc, _cn_date(on))
    return doc


def _paragraph(para: Para):
    """``<w:p>`` as python-docx's ``add_paragraph().add_run(text)`` with ``bold``, ``font.size``
    and ``alignment = CENTER`` set makes it (the run's text through python-docx's own setter:
    tabs, line breaks and xml:space as it does them)."""
    p = OxmlElement("w:p")
    if para.center:
        p_pr = OxmlElement("w:pPr")
        p_pr.append(OxmlElement("w:jc", {qn("w:val"): "center"}))
        p.append(p_pr)
    r = OxmlElement("w:r")
    r_pr = OxmlElement("w:rPr")
    r_pr.append(OxmlElement("w:b") if para.bold else OxmlElement("w:b", {qn("w:val"): "0"}))
    r_pr.append(OxmlElement("w:sz", {qn("w:val"): str(para.size * 2)}))
    r.append(r_pr)
    r.text = para.text
    p.append(r)
    return p


@cache
def _blank() -> tuple[object, list[tuple[str, bytes]]]:
    """python-docx's blank document, read once: its document element (to copy) and its package
    members in the order python-docx writes them."""
    doc = Document()
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(buf) as z:
        members = [(info.filename, z.read(info)) for info in z.infolist()]
    return doc.element, members


@cache
def _compressed(name: str) -> tuple[bytes, int, int, int]:
    """A constant member of the blank package, deflated once: (data, crc, size, compressed size)."""
    raw = dict(_blank()[1])[name]
    return _deflate(raw)


def _deflate(raw: bytes) -> tuple[bytes, int, int, int]:
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)   # as zipfile's ZIP_DEFLATED
    data = c.compress(raw) + c.flush()
    return data, zlib.crc32(raw), len(raw), len(data)


def docx_bytes(paras: list[Para], on: date) -> bytes:
    """The .docx of ``paras``: python-docx's blank document with them appended to its body."""
    element, members = _blank()
    root = copy.deepcopy(element)
    body = root.find(qn("w:body"))
    sect = body.find(qn("w:sectPr"))
    for para in paras:
        p = _paragraph(para)
        if sect is not None:
            sect.addprevious(p)
        else:
            body.append(p)
    main = serialize_part_xml(root)
    return _package([(name, _deflate(main) if name == "word/document.xml" else _compressed(name))
                     for name, _ in members], on)


def _package(entries: list[tuple[str, tuple[bytes, int, int, int]]], on: date) -> bytes:
    """A zip file of already-deflated entries (what zipfile.ZipFile writes for ZIP_DEFLATED
    members, dated ``on`` at 00:00)."""
    dos_time, dos_date = 0, ((on.year - 1980) << 9) | (on.month << 5) | on.day
    out, central = io.BytesIO(), io.BytesIO()
    for name, (data, crc, size, csize) in entries:
        raw_name = name.encode("ascii")
        offset = out.tell()
        out.write(struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, dos_time, dos_date, crc, csize, size,
                              len(raw_name), 0))
        out.write(raw_name)
        out.write(data)
        central.write(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0, 8, dos_time, dos_date, crc,
                                  csize, size, len(raw_name), 0, 0, 0, 0, 0o600 << 16, offset))
        central.write(raw_name)
    cd = central.getvalue()
    start = out.tell()
    out.write(cd)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(cd), start, 0))
    return out.getvalue()


def text_of(data: bytes) -> str:
    """All paragraph text of a .docx (tests and the case page's preview)."""
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_BIG = ["", "万", "亿"]


def _upper(n: int) -> str:
    """Amount in Chinese capital numerals (整数元), e.g. 100005 → 壹拾万零伍元整."""
    if n == 0:
        return "零元整"
    digits = str(n)
    out, zero = [], False
    for i, ch in enumerate(digits):
        pos = len(digits) - 1 - i
        d = int(ch)
        if d == 0:
            zero = True
        else:
            if zero:
                out.append("零")
            out.append(_DIGITS[d] + _UNITS[pos % 4])
            zero = False
        if pos % 4 == 0 and pos > 0:
            group = digits[max(0, i - 3):i + 1]
            if int(group):
                out.append(_BIG[pos // 4])
    return "".join(out) + "元整"
