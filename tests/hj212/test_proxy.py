"""PROXY protocol (v1, v2) from trusted balancers, and bans / connection caps shared by the
worker processes of one host (SharedGuard)."""

import socket
import time

import pytest

from greensword.hj212 import proxyproto
from greensword.hj212.codec import build
from greensword.hj212.gateway import Gateway, GatewayConfig
from greensword.hj212.intake import DeviceInfo, Directory
from greensword.hj212.proxyproto import ProxyHeaderError, Trusted
from greensword.hj212.security import SharedGuard, rules
from tests.hj212.conftest import Running

MN, PW = "PROXYTEST000000000000001", "Right0000001"


def _pk(i, pw=PW):
    return build(st="31", cn="2011", pw=pw, mn=MN, qn=f"20260105100000{i:03d}", flag=5,
                 cp={"DataTime": f"202601051000{i % 60:02d}", "a21026-Rtd": 30, "a21026-Flag": "N"})


def test_v1_and_v2_headers_parse_whole_or_wait_for_more():
    h1 = proxyproto.v1("203.0.113.7", 40001)
    assert proxyproto.parse(h1 + b"##0000") == (len(h1), "203.0.113.7", 40001)
    assert proxyproto.parse(h1[:10]) is None
    h6 = proxyproto.v1("2001:db8::5", 7)
    assert proxyproto.parse(h6) == (len(h6), "2001:db8::5", 7)
    assert proxyproto.parse(b"PROXY UNKNOWN\r\n") == (15, None, None)
    h2 = proxyproto.v2("198.51.100.9", 5555)
    assert proxyproto.parse(h2 + b"##") == (len(h2), "198.51.100.9", 5555)
    assert proxyproto.parse(h2[:14]) is None and proxyproto.parse(h2[:20]) is None
    h26 = proxyproto.v2("2001:db8::9", 80, "::1")
    assert proxyproto.parse(h26) == (len(h26), "2001:db8::9", 80)
    local = proxyproto.V2_SIGNATURE + bytes((0x20, 0x00, 0, 0))
    assert proxyproto.parse(local) == (16, None, None)
    for bad in (b"##0100QN=", b"PROXY TCP4 1.2.3.4\r\n", b"PROXY TCP4 1.2.3.999 1.2.3.4 1 2\r\n",
                b"PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n", b"PROXY TCP4 1.2.3.4 1.2.3.4 1 99999\r\n",
                b"PROXZ ", b"P" * 200, proxyproto.V2_SIGNATURE[:11] + b"X",
                proxyproto.V2_SIGNATURE + bytes((0x31, 0x11, 0, 12)) + bytes(12)):
        with pytest.raises(ProxyHeaderError):
            proxyproto.parse(bad)
    t = Trusted(["127.0.0.1", "10.0.0.0/8"])
    assert "127.0.0.1" in t and "10.1.2.3" in t and "192.0.2.1" not in t and "?" not in t
    assert not Trusted()


@pytest.fixture
def proxied(tmp_path):
    cfg = GatewayConfig(port=0, root=tmp_path / "gw", lake=tmp_path / "lake", compact_interval_s=3600,
                        trusted_proxies=("127.0.0.1",), fsync=False)
    running = Running(Gateway(cfg, Directory({MN: DeviceInfo(MN, PW)})))
    yield running
    running.stop()


def _talk(port, data, n_replies, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    buf = b""
    while buf.count(b"\r\n") < n_replies:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return s, buf


def test_bans_and_caps_see_the_device_address_behind_a_trusted_balancer(proxied):
    gw = proxied.gw
    gw.guard.policy = rules().model_copy(update={
        "max_connections_per_address": 1,
        "auth_failures": rules().auth_failures.model_copy(update={
            "per_address": rules().auth_failures.per_address.model_copy(update={"max_failures": 2})})})
    s, buf = _talk(proxied.port, proxyproto.v1("203.0.113.7", 40001) + _pk(1), 1)
    assert b"CN=9014" in buf                                   # data through the balancer is acked
    assert "203.0.113.7" in gw.guard.open and "127.0.0.1" not in gw.guard.open
    # a second connection of the same device address is over its cap of 1; another device is not
    s2, _ = _talk(proxied.port, proxyproto.v2("203.0.113.7", 40002), 0)
    s2.settimeout(5)
    assert s2.recv(10) == b""
    s3, buf3 = _talk(proxied.port, proxyproto.v2("203.0.113.8", 40003) + _pk(2), 1)
    assert b"CN=9014" in buf3
    s.close()
    s3.close()
    time.sleep(0.3)
    # wrong passwords from one device address ban that address, not the balancer
    bad, _ = _talk(proxied.port, proxyproto.v1("203.0.113.9", 1) + _pk(3, "Wrong") + _pk(4, "Wrong"), 2)
    assert gw.guard.address_banned("203.0.113.9") and not gw.guard.address_banned("127.0.0.1")
    ok, buf4 = _talk(proxied.port, proxyproto.v1("203.0.113.10", 2) + _pk(5), 1)
    assert b"CN=9014" in buf4
    assert gw.counters["proxy.headers"] >= 5


def test_a_trusted_balancer_without_a_header_is_refused_and_untrusted_headers_are_not_believed(proxied, tmp_path):
    s, _ = _talk(proxied.port, _pk(1), 0)                     # no PROXY header from the balancer
    s.settimeout(5)
    assert s.recv(10) == b""
    assert proxied.gw.counters["proxy.bad_header"] == 1
    cfg = GatewayConfig(port=0, root=tmp_path / "gw2", lake=tmp_path / "lake2", compact_interval_s=3600,
                        trusted_proxies=("192.0.2.1",), fsync=False)
    other = Running(Gateway(cfg, Directory({MN: DeviceInfo(MN, PW)})))
    try:
        s, buf = _talk(other.port, proxyproto.v1("203.0.113.7", 1) + _pk(2), 1)
        assert b"CN=9014" in buf                               # the header is garbage before "##"
        assert "127.0.0.1" in other.gw.guard.open and "203.0.113.7" not in other.gw.guard.open
        s.close()
    finally:
        other.stop()


def test_shared_guard_counts_connections_and_bans_across_workers(tmp_path):
    policy = rules().model_copy(update={
        "max_connections_per_address": 2,
        "auth_failures": rules().auth_failures.model_copy(update={
            "per_mn": rules().auth_failures.per_mn.model_copy(update={"max_failures": 3})})})
    db = tmp_path / "guard.db"
    w0 = SharedGuard(db, "w0", policy, refresh_s=0)
    w1 = SharedGuard(db, "w1", policy, refresh_s=0)
    assert w0.connect("203.0.113.7") and w1.connect("203.0.113.7")
    assert not w0.connect("203.0.113.7") and not w1.connect("203.0.113.7")   # 2 open in all
    w1.disconnect("203.0.113.7")
    assert w0.connect("203.0.113.7")
    # failures add up across workers; the ban holds in both
    w0.failure("203.0.113.1", "MN1", "bad_pw")
    w1.failure("203.0.113.2", "MN1", "bad_pw")
    assert not w0.mn_banned("MN1")
    w1.failure("203.0.113.3", "MN1", "bad_pw")
    assert w0.mn_banned("MN1") and w1.mn_banned("MN1")
    # a restarted worker (same name) no longer counts the connections its predecessor had
    w0b = SharedGuard(db, "w0", policy, refresh_s=0)
    assert w0b.connect("203.0.113.7") and w1.connect("203.0.113.7") and not w1.connect("203.0.113.7")
    assert w0b.mn_banned("MN1")                               # bans outlive the restart
