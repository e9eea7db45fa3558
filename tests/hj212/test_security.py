"""Device security: per-MN passwords, wrong-password throttling per MN and per address, one
answer for unknown MN and wrong PW, per-address connection caps."""

import socket
import time

import pytest
from sqlalchemy import select

from greensword.core.models import AuditEntry
from greensword.hj212.codec import build, parse
from greensword.hj212.gateway import Gateway, GatewayConfig
from greensword.hj212.intake import Directory
from greensword.hj212.security import Guard, rules
from greensword.registry.models import MonitoringPoint
from tests.hj212.conftest import Running


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def _policy(**over):
    r = rules()
    af = r.auth_failures.model_copy(update={k: v for k, v in over.items() if k in ("per_mn", "per_address")})
    return r.model_copy(update={"auth_failures": af, **{k: v for k, v in over.items() if k not in ("per_mn", "per_address")}})


def test_rules_state_reasons_and_shorter_idle_timeout():
    r = rules()
    assert r.idle_timeout_s < 600 and r.max_connections_per_address > 1
    assert r.auth_failures.per_mn.max_failures < r.auth_failures.per_address.max_failures
    assert GatewayConfig().idle_timeout_s == r.idle_timeout_s


def test_guard_bans_an_mn_across_addresses_and_the_ban_expires():
    clock = Clock()
    g = Guard(clock=clock)
    t = g.policy.auth_failures.per_mn
    for i in range(t.max_failures - 1):
        g.failure(f"10.0.0.{i}", "MN1", "bad_pw")
    assert not g.mn_banned("MN1")
    g.failure("10.0.0.99", "MN1", "bad_pw")
    assert g.mn_banned("MN1") and not g.mn_banned("MN2")
    assert not g.address_banned("10.0.0.99")            # one failure from that address only
    clock.t += t.ban_s + 1
    assert not g.mn_banned("MN1")
    # failures spread wider than the window never add up to a ban
    for _ in range(t.max_failures * 2):
        g.failure("10.0.0.1", "MN3", "bad_pw")
        clock.t += t.window_s / (t.max_failures - 1) + 1
    assert not g.mn_banned("MN3")


def test_guard_bans_an_address_spraying_mns_and_counts_kinds_apart():
    clock = Clock()
    g = Guard(clock=clock)
    t = g.policy.auth_failures.per_address
    for i in range(t.max_failures):
        g.failure("192.0.2.7", f"NOSUCH{i}", "unknown_mn" if i % 2 else "bad_pw")
    assert g.address_banned("192.0.2.7") and not g.address_banned("192.0.2.8")
    assert not g.connect("192.0.2.7")
    assert g.counters["auth.unknown_mn"] == t.max_failures // 2
    assert g.counters["auth.bad_pw"] == t.max_failures - t.max_failures // 2
    clock.t += t.ban_s + 1
    assert g.connect("192.0.2.7")


def test_guard_caps_connections_per_address():
    g = Guard(policy=_policy(max_connections_per_address=3))
    assert [g.connect("h") for _ in range(4)] == [True, True, True, False]
    assert g.connect("other")
    g.disconnect("h")
    assert g.connect("h")


def test_points_get_their_own_random_passwords(world, db):
    pws = [p.pw for p in db.execute(select(MonitoringPoint)).scalars()]
    assert len(pws) >= 2 and len(set(pws)) == len(pws)
    assert "123456" not in pws and all(len(pw) >= 12 and pw.isalnum() for pw in pws)


def test_demo_import_path_generates_passwords(db, world):
    from greensword.registry import io as registry_io
    from tests.factories import SYSTEM

    uscc = world.points["330102-gas"].enterprise.uscc
    rows = [(2 + i, {"mn": f"IMPORTED000000000000000{i}", "enterprise_uscc": uscc, "name": f"导入点{i}", "kind": "gas",
                     "factor_code": "a19001", "unit": "%"})
            for i in range(2)]
    registry_io.import_rows(db, SYSTEM, "points", rows)
    got = db.execute(select(MonitoringPoint.pw).where(MonitoringPoint.mn.like("IMPORTED%"))).scalars().all()
    assert len(got) == 2 and len(set(got)) == 2 and "123456" not in got


def test_rotate_password_is_audited_without_the_password(world, db):
    from greensword.core.errors import NotFound
    from greensword.hj212.service import rotate_password

    pt = world.points["330102-gas"]
    old = pt.pw
    new = rotate_password(pt.mn, session=db)
    db.flush()
    assert new != old and len(new) == rules().password_length
    assert db.get(MonitoringPoint, pt.id).pw == new
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "point.password")).scalars().all()[-1]
    assert new not in str(entry.__dict__) and old not in str(entry.__dict__)
    with pytest.raises(NotFound):
        rotate_password("NOSUCHMN", session=db)


def _send(port, frames, n_replies, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(b"".join(frames))
    buf = b""
    while buf.count(b"\r\n") < n_replies:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return s, [line + b"\r\n" for line in buf.split(b"\r\n") if line]


def _pk(pt, i, pw=None, mn=None):
    return build(st="31", cn="2011", pw=pw or pt.pw, mn=mn or pt.mn, qn=f"20260105100000{i:03d}", flag=5,
                 cp={"DataTime": f"202601051000{i % 60:02d}", "a21026-Rtd": 30, "a21026-Flag": "N"})


@pytest.fixture
def guarded(world, db, engine, tmp_path):
    cfg = GatewayConfig(port=0, root=tmp_path / "gw", lake=tmp_path / "lake", compact_interval_s=3600)
    running = Running(Gateway(cfg, Directory.from_db(db), engine=engine))
    yield running
    if running.thread.is_alive():
        running.stop()


def test_unknown_mn_and_wrong_pw_answer_alike_but_count_apart(guarded, world):
    pt = world.points["330102-gas"]
    mn = pt.mn
    _, wrong = _send(guarded.port, [_pk(pt, 1, pw="Wrong0000000")], 1)
    _, unknown = _send(guarded.port, [_pk(pt, 1, pw="Wrong0000000", mn="X" + mn[1:])], 1)
    a, b = parse(wrong[0]), parse(unknown[0])
    assert (a.cn, a.cp) == (b.cn, b.cp) == ("9011", {"QnRtn": "3"})
    assert wrong[0].replace(mn.encode(), b"MN").replace(b"X" + mn[1:].encode(), b"MN")[6:-6] == \
        unknown[0].replace(b"X" + mn[1:].encode(), b"MN")[6:-6]
    c = guarded.gw.guard.counters
    assert (c["auth.bad_pw"], c["auth.unknown_mn"]) == (1, 1)


def test_banned_mn_refuses_new_connections_but_keeps_the_authenticated_one(guarded, world):
    pt = world.points["330102-gas"]
    guarded.gw.guard.policy = _policy(per_mn=rules().auth_failures.per_mn.model_copy(update={"max_failures": 3}))
    device, replies = _send(guarded.port, [_pk(pt, 1)], 1)           # the real device, authenticated
    assert parse(replies[0]).cn == "9014"
    _, bad = _send(guarded.port, [_pk(pt, 10 + i, pw="Guess000000" + str(i)) for i in range(3)], 3)
    assert all(parse(r).cp == {"QnRtn": "3"} for r in bad)
    assert guarded.gw.guard.mn_banned(pt.mn)
    _, late = _send(guarded.port, [_pk(pt, 20)], 1)                  # right password, new connection
    assert parse(late[0]).cp == {"QnRtn": "3"}
    device.sendall(_pk(pt, 21))                                     # the device's own connection goes on
    device.settimeout(10)
    assert parse(device.recv(65536)).cn == "9014"
    assert guarded.gw.counters["rejected.banned_mn"] == 1


def test_address_over_the_cap_or_banned_is_closed(guarded, world):
    pt = world.points["330102-gas"]
    guarded.gw.guard.policy = _policy(
        max_connections_per_address=2,
        per_address=rules().auth_failures.per_address.model_copy(update={"max_failures": 2}))
    keep = [socket.create_connection(("127.0.0.1", guarded.port), timeout=5) for _ in range(2)]
    time.sleep(0.3)
    extra = socket.create_connection(("127.0.0.1", guarded.port), timeout=5)
    extra.settimeout(5)
    assert extra.recv(10) == b""                                     # refused: closed at once
    for s in keep:
        s.close()
    time.sleep(0.3)
    s, replies = _send(guarded.port, [_pk(pt, 30, pw="Bad00000000a"), _pk(pt, 31, pw="Bad00000000b")], 2)
    s.settimeout(5)
    assert s.recv(10) == b""                                         # banned address: connection closed
    again = socket.create_connection(("127.0.0.1", guarded.port), timeout=5)
    again.settimeout(5)
    assert again.recv(10) == b""
    assert guarded.gw.counters["connections.refused"] >= 2


def test_rotated_password_takes_effect_on_reload(guarded, world, db):
    from greensword.hj212.service import rotate_password

    pt = world.points["330102-gas"]
    old = pt.pw
    new = rotate_password(pt.mn, session=db)
    db.commit()
    guarded.gw.reload_directory()
    _, r = _send(guarded.port, [_pk(pt, 40, pw=old), _pk(pt, 41, pw=new)], 2)
    assert [parse(x).cn for x in r] == ["9011", "9014"]
