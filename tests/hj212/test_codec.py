import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greensword.hj212.codec import ParseError, Reassembler, build, decode_cp, frame, parse, reply
from greensword.hj212.crc import crc16, modbus
from greensword.hj212.rows import packet_rows

DATA = Path(__file__).parent / "data"
VECTORS = [json.loads(line) for line in (DATA / "hj212_vectors.jsonl").read_text().splitlines()]
CAPTURES = [json.loads(line) for line in (DATA / "captures.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("v", VECTORS, ids=[v["id"] for v in VECTORS])
def test_vector(v):
    raw = v["raw"].encode()
    if v["expect"] != "ok":
        with pytest.raises(ParseError) as exc:
            parse(raw)
        assert exc.value.code == v["expect"], exc.value.message
        assert exc.value.message
        return
    p = parse(raw)
    f = v["fields"]
    assert (p.qn, p.st, p.cn, p.pw, p.mn, p.flag) == (f["qn"], f["st"], f["cn"], f["pw"], f["mn"], f["flag"])
    assert p.edition == f["version"]
    assert p.ack_required == f["ack_required"] and p.subpacket == f["subpacket"]
    assert (p.pnum, p.pno) == (f.get("pnum"), f.get("pno"))
    assert p.cp == f["cp"]
    assert p.data_len == f["data_len"] and p.crc == f["crc"]


def test_crc_is_the_standards_not_modbus():
    data = b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
    assert f"{crc16(data):04X}" == "1C80"
    assert f"{modbus(data):04X}" == "0759"
    assert crc16(data[:-1]) != crc16(data)   # odd length path


@pytest.mark.parametrize("c", CAPTURES, ids=[c["id"] for c in CAPTURES])
def test_real_device_captures_parse_tolerantly_with_named_quirks(c):
    p = parse(c["raw"], tolerant=True)
    assert sorted(p.quirks) == sorted(c["quirks"])
    if set(c["quirks"]) - {"crc_lowercase"}:
        with pytest.raises(ParseError):
            parse(c["raw"])


def _seg(**over) -> str:
    head = {"QN": "20240616064310547", "ST": "31", "CN": "2011", "PW": "123456", "MN": "MN0001", "Flag": "5"}
    head.update(over)
    return ";".join(f"{k}={v}" for k, v in head.items() if v is not None)


def test_length_counted_in_characters_is_a_tolerant_quirk():
    seg = _seg() + ";CP=&&DataTime=20240615145547;i11001-Info=设备正常&&"
    data = seg.encode("utf-8")
    raw = b"##%04d%s%04X\r\n" % (len(seg), data, crc16(data))
    with pytest.raises(ParseError) as exc:
        parse(raw)
    assert exc.value.code == "bad_length"
    assert parse(raw, tolerant=True).quirks == ("length_chars",)


def test_modbus_crc_and_lf_terminator_and_missing_semicolon():
    seg = (_seg() + ";CP=&&DataTime=20240615145547;a21026-Rtd=1.5,a21026-Flag=N&&").encode()
    raw = b"##%04d%s%04X\r\n" % (len(seg), seg, modbus(seg))
    assert parse(raw, tolerant=True).quirks == ("crc_modbus",)
    with pytest.raises(ParseError, match="bad_crc"):
        parse(raw)
    lf = frame(seg)[:-2] + b"\n"
    assert parse(lf, tolerant=True).quirks == ("lf_terminator",)
    with pytest.raises(ParseError, match="truncated"):
        parse(lf)
    nosemi = frame(seg.replace(b";CP=", b"CP="))
    assert parse(nosemi, tolerant=True).quirks == ("missing_semicolon",)
    with pytest.raises(ParseError, match="bad_header"):
        parse(nosemi)


def test_datetime_variants_normalised_in_tolerant_mode():
    raw = frame(_seg() + ";CP=&&DataTime=2024-06-15 14:55:47;a21026-Rtd=1.5&&")
    with pytest.raises(ParseError, match="bad_field"):
        parse(raw)
    p = parse(raw, tolerant=True)
    assert p.cp["DataTime"] == "20240615145547" and p.quirks == ("datetime_variant",)


def test_editions_2005_2017_2025_side_by_side():
    assert parse(frame(_seg(Flag="5") + ";CP=&&DataTime=20240615145547&&")).edition == "2017"
    assert parse(frame(_seg(Flag="1") + ";CP=&&DataTime=20240615145547&&")).edition == "2005"
    assert parse(frame(_seg(Flag=None, QN=None) + ";CP=&&DataTime=20240615145547&&")).edition == "2005"
    p = parse(frame(_seg(Flag="9") + ";CP=&&DataTime=20240615145547&&"))
    assert p.edition == "2025" and p.ack_required
    # surface-water stations used version 2 under the 2017 edition
    assert parse(frame(_seg(Flag="8", ST="21") + ";CP=&&DataTime=20240615145547&&")).edition == "2017"
    with pytest.raises(ParseError, match="bad_header"):
        parse(frame(_seg(Flag="13") + ";CP=&&DataTime=20240615145547&&"))     # version 3 unknown
    with pytest.raises(ParseError, match="bad_qn"):
        parse(frame(_seg(QN=None) + ";CP=&&DataTime=20240615145547&&"))


def test_2025_heartbeat_backfill_and_sm4():
    hb = frame(_seg(CN="9015", Flag="9") + ";CP=&&&&")
    assert parse(hb).cn == "9015"
    old_hb = frame(_seg(CN="9015", Flag="5") + ";CP=&&&&")
    with pytest.raises(ParseError, match="unknown_cn"):
        parse(old_hb)
    assert parse(old_hb, tolerant=True).quirks == ("heartbeat_9015",)
    back = parse(build(st="31", cn="2061", pw="1", mn="M", qn="20260105100000000", flag=9, rf=True,
                       cp={"DataTime": "20260105090000", "a21026-Avg": 3.2, "a21026-Flag": "N"}))
    assert back.rf and back.edition == "2025"
    rows = packet_rows(back, __import__("datetime").datetime(2026, 1, 5, 10))
    assert rows[0]["backfill"] is True and rows[0]["kind"] == "hour"

    key = bytes(range(16))
    raw = build(st="31", cn="2011", pw="1", mn="M25", qn="20260105100000000", flag=9,
                cp={"DataTime": "20260105095959", "a21026-Rtd": 12.5, "a21026-Flag": "N"}, sm4_key=key)
    assert b"a21026" not in raw
    p = parse(raw, key_for=lambda mn: key)
    assert p.encrypted and p.cp["a21026-Rtd"] == "12.5"
    with pytest.raises(ParseError, match="bad_field"):
        parse(raw, key_for=lambda mn: bytes(16))
    with pytest.raises(ParseError, match="bad_field"):
        parse(raw, key_for=lambda mn: None)


def test_decoded_cp_groups_factors_and_types_values():
    v = next(v for v in VECTORS if v["id"] == "s_rt_water_sampletime")
    cp = decode_cp(parse(v["raw"]).cp)
    assert cp["DataTime"].endswith("+08:00")
    factor = next(k for k in cp if k != "DataTime")
    assert isinstance(cp[factor]["Rtd"], int | float)
    assert cp[factor]["SampleTime"].endswith("+08:00")
    assert cp[factor]["Flag"] == "N"


def test_2005_codes_normalised_in_rows():
    v = next(v for v in VECTORS if v["id"] == "s_v2005_gas")
    rows = packet_rows(parse(v["raw"]), __import__("datetime").datetime(2024, 6, 13))
    assert {r["factor"] for r in rows} == {"a21026", "a21002", "a34013", "a19001"}
    assert all(r["edition"] == "2005" for r in rows)


def test_subpackets_reassemble_in_any_order():
    parts = [parse(v["raw"]) for v in VECTORS if v["id"] in ("s_sub_2of2", "s_sub_1of2")]
    r = Reassembler()
    assert r.add(parts[1]) is None or r.add(parts[0]) is None
    r = Reassembler()
    assert r.add(parts[1]) is None
    full = r.add(parts[0])
    assert full is not None and not full.subpacket
    assert {"a21026-Avg", "a34013-Avg"} <= set(full.cp) and r.pending == 0


def test_reply_echoes_qn_and_keeps_version():
    v = next(v for v in VECTORS if v["id"] == "s_rt_gas_ack")
    want = next(v for v in VECTORS if v["id"] == "s_resp_9014")["raw"].encode()
    assert reply(parse(v["raw"]), "9014") == want


_key = st.from_regex(r"[a-z][0-9]{5}", fullmatch=True)
_num = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: f"{x:.3f}")


@given(st.dictionaries(_key, st.tuples(_num, st.sampled_from("NFMSDCTB")), max_size=25),
       st.sampled_from(["2011", "2051", "2061", "2031"]), st.sampled_from([4, 5, 8, 9, 0, 1]))
def test_build_parse_round_trip(factors, cn, flag):
    cp = {"DataTime": "20240615145500"}
    for k, (val, fl) in factors.items():
        cp[f"{k}-Rtd"] = val
        cp[f"{k}-Flag"] = fl
    raw = build(st="31", cn=cn, pw="123456", mn="010000A8937C7028746487C3", qn="20240616064310547",
                flag=flag, cp=cp)
    if len(raw) - 12 > 1024:
        with pytest.raises(ParseError, match="too_long"):
            parse(raw)
        return
    p = parse(raw)
    assert p.cp == {k: str(v) for k, v in cp.items()} and p.cn == cn and p.flag == flag


_ok = [v["raw"].encode() for v in VECTORS if v["expect"] == "ok"]


@given(st.sampled_from(_ok), st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=6),
       st.booleans())
def test_mutated_bytes_only_raise_parse_error(raw, edits, tolerant):
    b = bytearray(raw)
    for pos, val in edits:
        if b:
            b[pos % len(b)] = val
    try:
        parse(bytes(b), tolerant=tolerant)
    except ParseError as exc:
        assert exc.code and exc.message


@given(st.binary(max_size=1200), st.booleans())
def test_random_bytes_only_raise_parse_error(data, tolerant):
    for raw in (data, b"##" + data, b"##%04d" % len(data) + data + b"\r\n"):
        try:
            parse(raw, tolerant=tolerant)
        except ParseError:
            pass


@given(st.binary(max_size=1200))
def test_fast_crc_equals_the_standards_loop(data):
    from greensword.hj212.crc import crc16_loop

    assert crc16(data) == crc16_loop(data)


def test_decode_cp_keeps_a_plain_item_and_a_factor_of_the_same_name():
    """``DataTime=…;DataTime-Rtd=1`` used to crash ``hj212 parse`` (TypeError): the later item
    keeps its literal key, nothing is lost, whichever comes first."""
    from greensword.hj212.codec import decode_cp

    assert decode_cp({"DataTime": "20240615145547", "DataTime-Rtd": "1", "a1-Rtd": "2", "DataTime-Flag": "N"}) == {
        "DataTime": "2024-06-15T14:55:47+08:00", "DataTime-Rtd": 1, "a1": {"Rtd": 2}, "DataTime-Flag": "N"}
    assert decode_cp({"DataTime-Rtd": "1", "DataTime": "20240615145547", "DataTime-Flag": "N"}) == {
        "DataTime-Rtd": 1, "DataTime": "2024-06-15T14:55:47+08:00", "DataTime-Flag": "N"}
