"""The demo feed: every registered point uploads its minute record through the gateway (TCP,
its own MN and password, acknowledged), so the console shows the points online; the few silent
ones stay 离线."""

from datetime import timedelta

from greensword.core.timeutil import now
from greensword.hj212 import console, feed
from greensword.hj212.gateway import Gateway, GatewayConfig
from greensword.hj212.intake import Directory
from tests.hj212.conftest import Running


def test_feed_puts_the_points_online_through_the_gateway(world, db, engine, tmp_path, monkeypatch):
    points = feed.points_from_registry(db)
    assert {p.mn for p in points} == {pt.mn for pt in world.points.values()}
    water = next(p for p in points if p.st == "32")
    assert dict(water.factors)["w01001"] == 7.5 and dict(water.factors)["w01018"] == 50.0   # mid-range, half limit
    quiet = world.points["330203-water"].mn
    monkeypatch.setattr(feed, "silent", lambda mn: mn == quiet)
    cfg = GatewayConfig(port=0, root=tmp_path / "gw", lake=tmp_path / "lake", compact_interval_s=3600)
    gw = Running(Gateway(cfg, Directory.from_db(db), engine=engine))
    minute = now().replace(tzinfo=None, second=0, microsecond=0)
    assert len(feed.packets(points, minute.replace(minute=0))) == 2 * (len(points) - 1)   # + the hour just ended
    try:
        sent, acked = feed.feed_once("127.0.0.1", gw.port, points, minute=minute)
        assert sent == (2 if minute.minute == 0 else 1) * (len(points) - 1) and acked == sent
    finally:
        gw.stop()                                                         # compacts into the lake
    st = console.point_status(tmp_path / "lake", [p.mn for p in points])
    assert not st[quiet].online and st[quiet].last_data_time is None
    for p in points:
        if p.mn == quiet:
            continue
        assert st[p.mn].online, p.mn
        assert st[p.mn].last_data_time == minute - timedelta(minutes=1)   # the minute just ended
        assert abs((st[p.mn].last_received - minute).total_seconds()) < 120   # received: Beijing time too
    so2 = st[world.points["330102-gas"].mn].latest["a21026"]["value"]
    assert 15 < so2 < 35                                                  # around half the 50 mg/m³ limit


def test_silent_points_are_few_and_stable():
    mns = [f"33010200000000000000{i:04d}" for i in range(2000)]
    share = sum(feed.silent(mn) for mn in mns) / len(mns)
    assert 0.01 < share < 0.06 and [feed.silent(mn) for mn in mns] == [feed.silent(mn) for mn in mns]
