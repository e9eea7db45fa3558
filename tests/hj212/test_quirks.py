"""Tolerant-mode quirks seen on real data loggers: strict mode refuses each with a clear error,
tolerant mode accepts it, names it, and stores the data as described."""

import html
import json
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greensword.hj212 import codec
from greensword.hj212.codec import HEARTBEAT_QUIRKS, QUIRKS, ParseError, frame, parse, reply
from greensword.hj212.gateway import merge_quirks
from greensword.hj212.rows import packet_rows

HEAD = "QN=20240616064310547;ST=31;CN=2011;PW=123456;MN=010000A8937C7028746487C3;Flag=5"


def _raw(head: str = HEAD, cp: str = "DataTime=20240615145547;a21026-Rtd=29.09,a21026-Flag=N") -> bytes:
    return frame(f"{head};CP=&&{cp}&&")


def _refuse(raw: bytes, code: str, words: str) -> None:
    with pytest.raises(ParseError) as exc:
        parse(raw)
    assert exc.value.code == code
    assert words in exc.value.message


def test_every_quirk_has_a_chinese_description():
    assert all(QUIRKS[q] for q in ("datetime_ms", "qn_14", "duplicate_key", "empty_upload", "vendor_cn"))
    assert HEARTBEAT_QUIRKS <= set(QUIRKS)


def test_datetime_with_milliseconds():
    raw = _raw(cp="DataTime=20240615145547123;a21026-Rtd=29.09,a21026-Flag=N")
    _refuse(raw, "bad_field", "17 位")
    p = parse(raw, tolerant=True)
    assert p.quirks == ("datetime_ms",)
    assert p.cp["DataTime"] == "20240615145547"              # stored without the milliseconds
    assert packet_rows(p, datetime(2024, 6, 15))[0]["data_time"] == datetime(2024, 6, 15, 14, 55, 47)
    # a per-factor SampleTime with ms too; an impossible 17-digit time is still refused
    p = parse(_raw(cp="DataTime=20240615145547;w01018-SampleTime=20240615140000999,w01018-Rtd=1.5"), tolerant=True)
    assert p.cp["w01018-SampleTime"] == "20240615140000" and p.quirks == ("datetime_ms",)
    with pytest.raises(ParseError, match="bad_field"):
        parse(_raw(cp="DataTime=20240631145547123;a21026-Rtd=1"), tolerant=True)


def test_qn_with_fourteen_digits():
    raw = _raw(head=HEAD.replace("QN=20240616064310547", "QN=20240616064310"))
    _refuse(raw, "bad_qn", "14 位")
    p = parse(raw, tolerant=True)
    assert p.quirks == ("qn_14",) and p.qn == "20240616064310"
    assert b"QN=20240616064310;" in reply(p, "9014")          # echoed as the device sent it
    # a 15-digit QN is no known variant: refused in both modes
    bad = _raw(head=HEAD.replace("QN=20240616064310547", "QN=202406160643105"))
    for tolerant in (False, True):
        with pytest.raises(ParseError, match="bad_qn"):
            parse(bad, tolerant=tolerant)


def test_repeated_cp_key_keeps_first_and_records_second():
    raw = _raw(cp="DataTime=20240615145547;w00000-Avg=12.5,w00000-Flag=N;w00000-Avg=3401.2,w00000-Cou=88.1")
    _refuse(raw, "bad_field", "w00000-Avg 重复")
    p = parse(raw, tolerant=True)
    assert p.quirks == ("duplicate_key",)
    assert p.cp["w00000-Avg"] == "12.5" and p.cp["w00000-Cou"] == "88.1"
    assert p.repeats == (("w00000-Avg", "3401.2"),)
    [row] = packet_rows(p, datetime(2024, 6, 15))
    assert row["value"] == 12.5 and row["cou"] == 88.1
    assert json.loads(row["extra"]) == {"repeated": {"Avg": ["3401.2"]}}
    # a legitimate look-alike: the same suffix on two different factors is no repeat
    ok = parse(_raw(cp="DataTime=20240615145547;w00000-Avg=12.5;w01018-Avg=12.5"))
    assert ok.quirks == () and len(ok.cp) == 3


def test_empty_upload_is_a_heartbeat_not_data():
    raw = _raw(cp="")
    _refuse(raw, "bad_field", "CP=&&&&")
    p = parse(raw, tolerant=True)
    assert p.quirks == ("empty_upload",) and p.heartbeat and p.cp == {}
    assert packet_rows(p, datetime(2024, 6, 15)) == []
    # an upload whose CP has data but no DataTime is still refused in tolerant mode
    with pytest.raises(ParseError, match="DataTime"):
        parse(_raw(cp="a21026-Rtd=29.09"), tolerant=True)
    # a normal upload is not a heartbeat
    assert not parse(_raw()).heartbeat


def test_vendor_command_outside_the_table():
    raw = _raw(head="QN=20240616064310547;ST=91;CN=9021;PW=123456;MN=010000A8937C7028746487C3;Flag=5", cp="")
    _refuse(raw, "unknown_cn", "9021")
    p = parse(raw, tolerant=True)
    assert p.quirks == ("vendor_cn",) and p.heartbeat and p.cn == "9021"
    assert packet_rows(p, datetime(2024, 6, 15)) == []
    # not a 4-digit code: no vendor command, refused either way
    with pytest.raises(ParseError, match="unknown_cn"):
        parse(_raw(head=HEAD.replace("CN=2011", "CN=X1"), cp=""), tolerant=True)


def test_several_quirks_in_one_packet_all_named():
    raw = _raw(head=HEAD.replace("QN=20240616064310547", "QN=20240616064310"),
               cp="DataTime=20240615145547000;a21026-Rtd=1,a21026-Rtd=2")
    assert sorted(parse(raw, tolerant=True).quirks) == ["datetime_ms", "duplicate_key", "qn_14"]


def test_quirk_counts_keep_first_and_last_seen():
    from collections import Counter

    t1, t2 = datetime(2026, 1, 5, 8), datetime(2026, 1, 5, 9)
    q = merge_quirks({"qn_14": 3}, Counter({"qn_14": 2, "empty_upload": 1}),
                     {"qn_14": t1, "empty_upload": t2}, t2)
    assert q["qn_14"] == {"count": 5, "first": t1.isoformat(), "last": t2.isoformat()}
    q2 = merge_quirks(q, Counter({"qn_14": 1}), {"qn_14": t2}, t2)
    assert q2["qn_14"]["first"] == t1.isoformat() and q2["qn_14"]["count"] == 6


# --- the fast path gives exactly what the item-by-item path gives -----------------------------

def _slow(raw: bytes, tolerant: bool):
    fast, c = codec._fast_segment, codec._c
    codec._fast_segment, codec._c = (lambda *a: None), None
    try:
        return parse(raw, tolerant=tolerant)
    finally:
        codec._fast_segment, codec._c = fast, c


def _py_fast(raw: bytes, tolerant: bool):
    """The Python fast path (the C one switched off)."""
    c = codec._c
    codec._c = None
    try:
        return parse(raw, tolerant=tolerant)
    finally:
        codec._c = c


def _outcome(fn, raw, tolerant):
    try:
        p = fn(raw, tolerant=tolerant)
    except ParseError as exc:
        return ("error", exc.code)
    return ("ok", p.header(), p.cp, p.edition, p.quirks, p.repeats, p.rf, p.data_len, p.crc)


_valid = ["DataTime=20240229120000", "a21026-Rtd=29.09", "a21026-Flag=N", "a21002-Avg=-0.5", "a21002-Min=1e3",
          "w00000-Cou=.5", "w01018-SampleTime=20240131235959", "a21026-EFlag=A1", "a21026-ZsRtd=+3.", "SB1-RS=1"]
_defects = ["a21026-Rtd=1.2.3", "a21026-Flag=X", "a21002-Max=", "DataTime=20230229120000",
            "w01018-SampleTime=20240431000000", "DataTime=20240615145547123", "RtdInterval=30", "x-y-Rtd=2", "",
            "a21026-Rtd=29.09", "DataTime=20241231240000", "a21026-Rtd=1_0", "a21026-Rtd=nan"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["20240616064310547", "20240229064310547", "20230229064310547", "20240631064310547",
                        "20240616064310", "00000616064310547"]),
       st.sampled_from(["2011", "2051", "9014", "9015", "9021", "1062"]), st.sampled_from(["4", "5", "6", "8", "9", "300"]),
       st.sampled_from(["31", "21", "3x"]), st.lists(st.sampled_from(_valid), unique=True, max_size=8),
       st.none() | st.tuples(st.sampled_from(_defects), st.integers(0, 8)),
       st.lists(st.sampled_from([";", ","]), min_size=9, max_size=9), st.booleans())
def test_fast_path_agrees_with_the_exact_path(qn, cn, flag, st_, items, defect, seps, tolerant):
    if defect is not None:
        items = list(items)
        items.insert(min(defect[1], len(items)), defect[0])
    body = "".join((seps[i] if i else "") + item for i, item in enumerate(items))
    raw = frame(f"QN={qn};ST={st_};CN={cn};PW=123456;MN=010000A8937C7028746487C3;Flag={flag};CP=&&{body}&&")
    assert _outcome(parse, raw, tolerant) == _outcome(_py_fast, raw, tolerant) == _outcome(_slow, raw, tolerant)


def test_fast_path_is_taken_for_ordinary_packets():
    calls = []
    fast = codec._fast_segment

    def spy(*a):
        r = fast(*a)
        calls.append(r is not None)
        return r

    codec._fast_segment, c = spy, codec._c
    codec._c = None
    try:
        parse(_raw())
        parse(_raw(cp="DataTime=20240229145547;a21026-Rtd=1"))
    finally:
        codec._fast_segment, codec._c = fast, c
    assert calls == [True, True]
    if codec._c is not None:            # and the C fast path takes them as well
        assert codec.c_scan(_raw()) is not None
        assert codec.c_scan(_raw(cp="DataTime=20240229145547;a21026-Rtd=1")) is not None


def test_gateway_counts_quirks_per_device_and_heartbeats_keep_it_online(world, db, engine, tmp_path):
    from greensword.hj212.gateway import Gateway, GatewayConfig
    from greensword.hj212.intake import Directory
    from greensword.hj212.models import Device
    from greensword.hj212.service import set_device
    from tests.hj212.conftest import Running
    from tests.hj212.test_gateway import _conn, _lake_rows

    pt = world.points["330102-gas"]
    set_device(pt.mn, tolerant=True, session=db)
    db.commit()
    cfg = GatewayConfig(port=0, root=tmp_path / "gw", lake=tmp_path / "lake", compact_interval_s=3600)
    gw = Running(Gateway(cfg, Directory.from_db(db), engine=engine))
    head = f"ST=31;CN=2011;PW={pt.pw};MN={pt.mn};Flag=5"
    frames = [frame(f"QN=2026010510000{i}000;{head};CP=&&&&") for i in range(3)]          # heartbeats
    frames.append(frame(f"QN=20260105100010;{head};CP=&&DataTime=20260105100000;a21026-Rtd=7,a21026-Rtd=8&&"))
    s = _conn(gw.port)
    s.sendall(b"".join(frames))
    s.settimeout(10)
    buf = b""
    while buf.count(b"\r\n") < 4:
        buf += s.recv(65536)
    assert [parse(line + b"\r\n", tolerant=True).cn for line in buf.split(b"\r\n") if line] == ["9014"] * 4
    gw.stop()
    db.expire_all()
    d = db.get(Device, pt.mn)
    q = d.quirks
    assert q["empty_upload"]["count"] == 3 and q["qn_14"]["count"] == 1 and q["duplicate_key"]["count"] == 1
    assert q["empty_upload"]["first"] and q["empty_upload"]["last"]
    assert d.last_seen_at is not None
    rows = _lake_rows(tmp_path / "lake")
    assert [(r[0], r[2]) for r in rows] == [(pt.mn, "a21026")]       # heartbeats stored no data
    assert gw.gw.counters["heartbeat"] == 3


def test_point_page_lists_quirks_and_online_from_heartbeats(client, world, db):
    from greensword.core.timeutil import now
    from greensword.hj212.models import Device
    from tests.conftest import login_as

    pt = world.points["330102-gas"]
    db.add(Device(mn=pt.mn, tolerant=True, accepted=4, rejected=0, last_seen_at=now(),
                  quirks={"empty_upload": {"count": 3, "first": "2026-01-05T10:00:00+08:00",
                                           "last": "2026-01-05T10:05:00+08:00"}, "qn_14": 2}))
    db.commit()
    login_as(client, "officer-330102")
    r = client.get(f"/monitoring/points/{pt.id}")
    assert r.status_code == 200
    assert html.escape(QUIRKS["empty_upload"]) in r.text and "2026-01-05 10:00:00" in r.text and "2026-01-05 10:05:00" in r.text
    assert QUIRKS["qn_14"] in r.text
    assert '<span class="badge green">在线</span>' in r.text and '<span class="badge amber">离线</span>' not in r.text
