"""The .docx writer: the same files python-docx writes for the same paragraphs (member by
member), readable by python-docx and zipfile, and the same bytes for the same content and date."""

import io
import random
import zipfile
from datetime import date

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from greensword.cases import documents
from greensword.cases.documents import Para, docx_bytes, text_of


def _python_docx(paras: list[Para]) -> bytes:
    """How documents were written before: python-docx's API, paragraph by paragraph."""
    doc = Document()
    for x in paras:
        para = doc.add_paragraph()
        run = para.add_run(x.text)
        run.bold = x.bold
        run.font.size = Pt(x.size)
        if x.center:
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        return [(i.filename, z.read(i)) for i in z.infolist()]


def test_same_members_as_python_docx_for_awkward_text():
    rng = random.Random(7)
    chars = "ab 中文&<>\"'\t\n\r  "
    for _ in range(60):
        paras = [Para("".join(rng.choice(chars) for _ in range(rng.randrange(0, 10))), rng.random() < 0.5,
                      rng.random() < 0.5, rng.choice([12, 16, 18])) for _ in range(rng.randrange(0, 5))]
        assert _members(docx_bytes(paras, date(2026, 3, 4))) == _members(_python_docx(paras)), paras


def test_every_kind_as_python_docx_writes_it(flow):
    c = flow.to_reviewed(flow.open())
    c.discretion = {**c.discretion, "hearing": {"date": "2026-04-01", "chair": "甲", "held_on": "2026-04-01",
                                                "attendees": ["乙"], "record": "无异议"},
                    "discussion": {"on": "2026-04-02", "participants": ["局长"], "conclusion": "同意"},
                    "summary": {"basis": "依据", "place": "现场", "officers": ["甲", "乙"]},
                    "transfer": {"to": "公安分局", "reason": "涉嫌犯罪"}}
    c.fine, c.offset_yuan, c.offset_points = 123_456, 1_000, 100
    for kind in documents.TITLES:
        paras = documents.paragraphs(kind, c, on=date(2026, 4, 3), evidence=["现场检查笔录", "照片（SHA-256 ab）"])
        data = documents.render(kind, c, on=date(2026, 4, 3), evidence=["现场检查笔录", "照片（SHA-256 ab）"])
        assert _members(data) == _members(_python_docx(paras)), kind
        assert text_of(data) == "\n".join(p.text for p in paras)
        assert c.number in text_of(data) and "2026年4月3日" in text_of(data)


def test_same_content_and_date_same_bytes():
    paras = [Para("行政处罚决定书", True, True, 18), Para("罚款 1,000 元")]
    a = docx_bytes(paras, date(2026, 3, 4))
    assert docx_bytes(list(paras), date(2026, 3, 4)) == a
    assert docx_bytes(paras, date(2026, 3, 5)) != a           # the date is in the entries
    assert docx_bytes([*paras, Para("")], date(2026, 3, 4)) != a
    with zipfile.ZipFile(io.BytesIO(a)) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 3, 4, 0, 0, 0)}
