"""现场检查笔录 (.docx) of an on-site record, in the usual layout: agency and title, the
inspected party, time and place (with the GPS fix and its accuracy), officers, each checklist
item with its result, findings, the evidence files with their SHA-256, the drawn signatures as
images, and — once submitted — the record hash. Built on demand from the stored record (the
drawn signatures read back hash-checked), never stored, so it always shows what the record holds."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from ..models import Evidence, Record, Task
from .field import SIGNATURES
from .records import SIGNER_ROLES
from .rules import checklist_for

RESULT = {"ok": "正常", "problem": "有问题", "na": "不适用"}


def _p(doc, text: str, *, bold: bool = False, center: bool = False, size: int = 12):
    para = doc.add_paragraph()
    run = para.add_run(text)
    run.bold, run.font.size = bold, Pt(size)
    if center:
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return para


def _dt(value) -> str:
    return value.strftime("%Y年%m月%d日 %H:%M") if value else "—"


def render(task: Task, record: Record | None, evidence: list[Evidence], officers: list[str]) -> bytes:
    doc = Document()
    e = task.enterprise
    _p(doc, e.agency.name, bold=True, center=True, size=16)
    _p(doc, "现场检查（勘察）笔录", bold=True, center=True, size=18)
    status = "已提交，不可修改" if record is not None and record.status == "submitted" else "草稿（未提交）"
    _p(doc, f"检查任务 {task.id} · {status}", center=True, size=10)
    _p(doc, f"被检查单位：{e.name}")
    _p(doc, f"统一社会信用代码：{e.uscc}")
    _p(doc, f"地址：{e.address}")
    _p(doc, f"检查时间：{_dt(record.checked_at if record else None)}")
    place = (record.location if record and record.location else "") or "—"
    _p(doc, f"检查地点：{place}")
    if record is not None and record.gps_lat is not None:
        _p(doc, f"现场定位：北纬 {record.gps_lat:.6f}°，东经 {record.gps_lon:.6f}°（WGS-84），"
                f"精度 ±{record.gps_accuracy_m:.0f} 米，定位时间 {_dt(record.gps_captured_at)}")
    else:
        _p(doc, "现场定位：未记录")
    _p(doc, f"检查人员：{'、'.join(officers)}")
    _p(doc, "一、检查事项", bold=True)
    items = checklist_for(e.industry_code).items
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("检查事项", "依据", "结果"), strict=True):
        cell.text = text
    answers = record.checklist if record else {}
    for it in items:
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text = it.text, it.basis, RESULT.get(answers.get(it.code), "未填写")
    _p(doc, "二、检查发现", bold=True)
    _p(doc, (record.findings if record and record.findings else "") or "无")
    if record is not None and record.violation:
        _p(doc, "发现环境违法行为，移交立案调查。")
    _p(doc, "三、现场证据", bold=True)
    if evidence:
        for i, ev in enumerate(evidence, 1):
            _p(doc, f"{i}. {ev.filename}（{ev.size:,} 字节，SHA-256 {ev.sha256}，上传 {_dt(ev.uploaded_at)}）", size=10)
    else:
        _p(doc, "无")
    _p(doc, "四、签名", bold=True)
    for s in (record.signatures if record else []):
        who = SIGNER_ROLES.get(s["role"], s["role"])
        para = _p(doc, f"{who}：{s['name']}（{s['at'][:16].replace('T', ' ')}）")
        if s.get("sha256"):
            png = SIGNATURES.read(s["sha256"], code="inspection.signature_tampered", what="签名图像")
            para.add_run().add_picture(io.BytesIO(png), height=Cm(1.6))
    if record is not None and record.record_hash:
        _p(doc, f"记录哈希（SHA-256）：{record.record_hash}，提交于 {_dt(record.submitted_at)}", size=9)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
