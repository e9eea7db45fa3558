"""Power meters on their own MNs, linked in the registry to the emission point they explain, and
power_mismatch reading those links."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from greensword.core.errors import PermissionDenied, ValidationFailed
from greensword.core.models import AuditEntry
from greensword.offsite import service as offsite
from greensword.offsite.detectors import Data, Row, power_mismatch
from greensword.offsite.hourly import Limits
from greensword.offsite.rules import rules
from greensword.registry import service as registry
from greensword.registry.models import PowerLink
from greensword.registry.schemas import FactorIn, PointIn
from tests.conftest import login_as
from tests.factories import actor

T0 = datetime(2026, 3, 2)


def _meter(db, world, code="330102", mn="33METER00000000000000001"):
    gas = world.points[f"{code}-gas"]
    return registry.save_point(db, actor(db, world, f"admin-{code}"), PointIn(
        mn=mn, enterprise_uscc=gas.enterprise.uscc, name="用电监控", kind="power",
        factors=[FactorIn(factor_code="e10001", unit="kW"), FactorIn(factor_code="e10002", unit="kW")]))


@pytest.mark.db
def test_link_validated_audited_and_read_by_screening(db, world):
    gas = world.points["330102-gas"]
    meter = _meter(db, world)
    admin = actor(db, world, "admin-330102")
    registry.link_power_meter(db, admin, gas.id, meter.mn, "e10001", "production")
    registry.link_power_meter(db, admin, gas.id, meter.mn, "e10002", "treatment")
    with pytest.raises(ValidationFailed, match="已关联"):
        registry.link_power_meter(db, admin, gas.id, meter.mn, "e10002", "treatment")
    with pytest.raises(ValidationFailed, match="没有监测因子"):
        registry.link_power_meter(db, admin, gas.id, meter.mn, "e10009", "treatment")
    with pytest.raises(ValidationFailed, match="不是用电监控点"):
        registry.link_power_meter(db, admin, gas.id, world.points["330102-water"].mn, "w01018", "production")
    with pytest.raises(ValidationFailed, match="用途"):
        registry.link_power_meter(db, admin, gas.id, meter.mn, "e10001", "lighting")
    with pytest.raises(PermissionDenied):
        registry.link_power_meter(db, actor(db, world, "officer-330102"), gas.id, meter.mn, "e10001", "production")
    other = world.points["330203-gas"]
    with pytest.raises((ValidationFailed, PermissionDenied)):
        registry.link_power_meter(db, admin, other.id, meter.mn, "e10001", "production")
    assert len(db.execute(select(PowerLink)).scalars().all()) == 2
    assert db.execute(select(AuditEntry).where(AuditEntry.action == "point.power_link")).scalars().all()
    limits = offsite.limits_from_registry(db)
    assert sorted(limits.links[gas.mn]) == [(meter.mn, "e10001", "production"), (meter.mn, "e10002", "treatment")]
    link = registry.power_links(db, admin, gas.id)[0]
    registry.unlink_power_meter(db, admin, link.id)
    assert len(offsite.limits_from_registry(db).links[gas.mn]) == 1


@pytest.mark.db
def test_point_page_maintains_links(client, db, world):
    gas = world.points["330102-gas"]
    meter = _meter(db, world)
    db.commit()
    login_as(client, "admin-330102")
    r = client.post(f"/registry/points/{gas.id}/power-links",
                    data={"meter_mn": meter.mn, "factor_code": "e10002", "role": "treatment"}, follow_redirects=True)
    assert r.status_code == 200 and "治污设施用电" in r.text and meter.mn in r.text
    r = client.post(f"/registry/points/{gas.id}/power-links",
                    data={"meter_mn": "NOPE", "factor_code": "e10002", "role": "treatment"})
    assert r.status_code == 422 and "未登记" in r.text


def _rows(mn, factor, values, stop=()):
    return [Row(mn, factor, T0 + timedelta(hours=h), 60, 0 if h in stop else 60, v, None, v, v, v, None, v, v,
                60 if h in stop else 0, 0, 0, 0, 0, 0, 59, covered=0 if h in stop else 60) for h, v in enumerate(values)]


@pytest.mark.parametrize("share,found", [(0.25, False), (0.15, True)])
def test_treatment_meter_below_its_usual_draw_while_production_runs(share, found):
    point, prod, treat = "P" * 24, "M" * 23 + "1", "M" * 23 + "2"
    n = 30
    rows = _rows(point, "a21026", [10.0] * n)
    rows += _rows(prod, "e10001", [500.0 + h % 4 for h in range(n)])
    rows += _rows(treat, "e10002", [80.0 * (share if 20 <= h < 24 else 1) for h in range(n)])
    links = {point: [(prod, "e10001", "production"), (treat, "e10002", "treatment")]}
    lim = Limits({point: {"a21026": (35.0, None)}}, links)
    out = power_mismatch.detect(Data(rows, 45, links=links), lim, rules())
    assert bool(out) is found
    if found:
        assert out[0].mn == point and out[0].start == T0 + timedelta(hours=20)
    # the same meter on the point's own MN would not be read: the link is what counts
    assert power_mismatch.detect(Data(rows, 45), Limits({point: {"a21026": (35.0, None)}}), rules()) == []


def test_emissions_flagged_stopped_while_production_runs():
    point, prod = "P" * 24, "M" * 24
    rows = _rows(point, "a21026", [10.0] * 30, stop=range(10, 14))
    rows += _rows(prod, "e10001", [500.0] * 30)
    links = {point: [(prod, "e10001", "production")]}
    out = power_mismatch.detect(Data(rows, 45, links=links), Limits({point: {}}, links), rules())
    assert [(f.start.hour, f.end.hour) for f in out] == [(10, 14)]
    # a real stop: production off too
    rows2 = _rows(point, "a21026", [10.0] * 30, stop=range(10, 14))
    rows2 += _rows(prod, "e10001", [2.0 if 10 <= h < 14 else 500.0 for h in range(30)])
    assert power_mismatch.detect(Data(rows2, 45, links=links), Limits({point: {}}, links), rules()) == []


def test_start_up_after_a_real_stop_is_not_a_false_stop_mark():
    """Marked F through a real stop and its start-up: production off, then ramping while still
    marked. The ramp is a start-up, not emission data claiming a stop while production runs."""
    point, prod = "P" * 24, "M" * 24
    stop = range(10, 18)
    rows = _rows(point, "a21026", [10.0] * 30, stop=stop)
    draw = [500.0] * 30
    for h in range(10, 15):
        draw[h] = 2.0                                                   # really stopped
    draw[15], draw[16], draw[17] = 200.0, 350.0, 480.0                  # start-up, still marked F
    rows += _rows(prod, "e10001", draw)
    links = {point: [(prod, "e10001", "production")]}
    assert power_mismatch.detect(Data(rows, 45, links=links), Limits({point: {}}, links), rules()) == []
