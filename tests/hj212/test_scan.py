"""The C fast path (hj212/_scan.c) against the Python code: for any frame, the same Packet or
the same error, and ``hj212 parse`` prints the same JSON. Skipped where the extension was not
built (no C compiler at install); setup.sh installs one."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greensword.hj212 import codec
from greensword.hj212.codec import ParseError, frame

pytestmark = pytest.mark.skipif(codec._c is None, reason="C extension _scan not built")

DATA = Path(__file__).parent / "data"
RAWS = [json.loads(line)["raw"].encode() for f in ("hj212_vectors.jsonl", "captures.jsonl")
        for line in (DATA / f).read_text().splitlines()]


def _python(fn, *args, **kw):
    c = codec._c
    codec._c = None
    try:
        return fn(*args, **kw)
    finally:
        codec._c = c


def _outcome(raw: bytes, tolerant: bool, python: bool):
    try:
        p = _python(codec.parse, raw, tolerant=tolerant) if python else codec.parse(raw, tolerant=tolerant)
    except ParseError as exc:
        return ("error", exc.code, exc.message)
    return ("ok", p.header(), p.cp, p.edition, p.quirks, p.repeats, p.rf, p.encrypted, p.data_len, p.crc,
            p.heartbeat, p.ack_required)


def _json(raw: bytes, tolerant: bool, python: bool):
    try:
        d = _python(codec.decode_json, raw, tolerant=tolerant) if python else codec.decode_json(raw, tolerant=tolerant)
    except ParseError as exc:
        return ("error", exc.code)
    return json.dumps(d, ensure_ascii=False)      # key order included


def _same(raw: bytes) -> None:
    for tolerant in (False, True):
        assert _outcome(raw, tolerant, False) == _outcome(raw, tolerant, True), raw
        assert _json(raw, tolerant, False) == _json(raw, tolerant, True), raw


def test_vectors_and_captures_agree():
    taken = 0
    for raw in RAWS:
        _same(raw)
        taken += codec.c_scan(raw) is not None
    assert taken >= 10                    # the C path is not just always declining


_ITEMS = ["DataTime=20240229120000", "DataTime=20230229120000", "DataTime=20240615145547123", "a21026-Rtd=29.09",
          "a21026-Rtd=-1e-3", "a21026-Rtd=+.5", "a21026-Rtd=7.", "a21026-Rtd=1.2.3", "a21026-Rtd=", "a21026-Rtd=1e",
          "a21026-Rtd=99999999999999999999999", "a21026-Avg=0012", "a21026-Flag=N", "a21026-Flag=X",
          "a21026-Flag=NN", "a21026-EFlag=A1", "a21026-EFlag=12", "a21026-EFlag=", "w01018-SampleTime=20240131235959",
          "w01018-SampleTime=20240431000000", "SB1-RS=1", "SB1-RT=2.5", "x-y-Rtd=2", "-Rtd=1", "RtdInterval=30",
          "PolId=a21026", "a21026-Foo=bar", "a21026-Rtd=1_0", "a21026-Rtd=nan", "a21026-Rtd=inf", "=5", "novalue",
          "a2102é-Rtd=1", "DataTime=20241231240000", "DataTime=00000101000000", "SystemTime=20240101000000",
          "a21026-ZsRtd=3", "a21026-Cou=1E+3", "DataTime-Rtd=1", "DataTime=20240101000000"]


_QN = ["20240616064310547", "20240229064310547", "20230229064310547", "20240631064310547", "20240616064310",
       "00000616064310547", "2024061606431054x", "20241316064310547", "20000229235959999", "19000229000000000",
       "20240616246310547", "20240616066010547", "20240616064360547", "20241231235959000"]
_CN = ["2011", "2051", "2061", "9014", "9015", "9021", "1062", "201"]
_FLAG = ["4", "5", "6", "8", "9", "0", "1", "300", "12", "004", "0004", "", "255", "252"]
_ST = ["31", "21", "3x", "315"]
_PW = ["123456", "", "a=b", "p&w"]
_MN = ["010000A8937C7028746487C3", "", "MN 1"]


def test_each_field_variant_agrees():
    """One field at a time off a valid frame (deterministic, beside the random combinations)."""
    base = dict(qn=_QN[0], cn="2011", flag="5", st="31", pw="123456", mn=_MN[0], body="DataTime=20240615145547")
    for field, values in (("qn", _QN), ("cn", _CN), ("flag", _FLAG), ("st", _ST), ("pw", _PW), ("mn", _MN),
                          ("body", [f"DataTime=20240615145547;{i}" for i in _ITEMS] + _ITEMS)):
        for v in values:
            f = dict(base, **{field: v})
            _same(frame(f"QN={f['qn']};ST={f['st']};CN={f['cn']};PW={f['pw']};MN={f['mn']};Flag={f['flag']}"
                        f";CP=&&{f['body']}&&"))


@settings(max_examples=600, deadline=None)
@given(qn=st.sampled_from(_QN), cn=st.sampled_from(_CN), flag=st.sampled_from(_FLAG), st_=st.sampled_from(_ST),
       pw=st.sampled_from(_PW), mn=st.sampled_from(_MN),
       items=st.lists(st.sampled_from(_ITEMS), max_size=9),
       seps=st.lists(st.sampled_from([";", ",", ";;", ""]), min_size=9, max_size=9),
       tail=st.sampled_from(["&&", "&", "", "&&&"]), lower=st.booleans())
def test_generated_frames_agree(qn, cn, flag, st_, pw, mn, items, seps, tail, lower):
    body = "".join((seps[i] if i else "") + item for i, item in enumerate(items))
    raw = frame(f"QN={qn};ST={st_};CN={cn};PW={pw};MN={mn};Flag={flag};CP=&&{body}{tail}")
    if lower:
        raw = raw[:-6] + raw[-6:-2].lower() + raw[-2:]
    _same(raw)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(RAWS), st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), min_size=1, max_size=4),
       st.booleans())
def test_mutated_frames_agree(raw, edits, fix_crc):
    b = bytearray(raw)
    for pos, val in edits:
        b[pos % len(b)] = val
    raw = bytes(b)
    if fix_crc and raw.startswith(b"##") and raw.endswith(b"\r\n") and len(raw) > 12:
        raw = frame(raw[6:-6])            # a mutation that keeps the CRC right reaches the CP checks
    _same(raw)


def test_rules_change_reaches_the_c_path(monkeypatch):
    raw = frame("QN=20240616064310547;ST=31;CN=2011;PW=1;MN=M1;Flag=4;CP=&&DataTime=20240101000000;a1-Qty=5&&")
    assert codec.c_scan(raw) is None       # "Qty" is not a known numeric suffix: the Python path
    rules = codec._RULES()
    changed = rules.model_copy(update={"numeric_suffixes": rules.numeric_suffixes | {"Qty"}})
    monkeypatch.setattr(codec, "_RULES", lambda: changed)
    p = codec.c_scan(raw)
    assert p is not None and p.cp["a1-Qty"] == "5"
    assert codec.decode_json(raw)["cp"]["a1"] == {"Qty": 5}
