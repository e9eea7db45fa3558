from sqlalchemy import func, select

from greensword.core.audit import digest, verify
from greensword.core.validators import uscc
from greensword.demo.cli import run_demo
from greensword.registry.models import Agency, Enterprise, MonitoringPoint, Officer


def _fingerprint(db):
    ents = db.execute(select(Enterprise.uscc, Enterprise.name, Enterprise.credit_class).order_by(Enterprise.uscc)).all()
    pts = db.execute(select(MonitoringPoint.mn, MonitoringPoint.kind).order_by(MonitoringPoint.mn)).all()
    offs = db.execute(select(Officer.name, Officer.cert_no).order_by(Officer.id)).all()
    return digest([list(map(list, ents)), list(map(list, pts)), list(map(list, offs))])


def _registry_only(monkeypatch):
    # Domain stages are tested in their own folders; here only the registry stage is compared.
    monkeypatch.setattr("greensword.demo.cli.DOMAINS", ("registry",))


def test_small_demo_is_valid_and_deterministic(engine, db, tmp_path, monkeypatch):
    from datetime import date

    from greensword.core.db import make_engine, session_factory
    from greensword.core.migrate import upgrade

    _registry_only(monkeypatch)
    run_demo(db, scale="small", seed=7, today=date(2026, 11, 1))
    db.commit()
    assert db.execute(select(func.count()).select_from(Agency)).scalar_one() == 1 + 1 + 2 + 4
    usccs = db.execute(select(Enterprise.uscc)).scalars().all()
    assert len(usccs) == 120 and all(uscc(u) == u for u in usccs)
    assert db.execute(select(func.count()).select_from(MonitoringPoint)).scalar_one() == 12
    assert verify(db).ok
    first = _fingerprint(db)

    url = f"sqlite:///{tmp_path / 'again.db'}"
    upgrade(url)
    other = session_factory(make_engine(url))()
    run_demo(other, scale="small", seed=7, today=date(2026, 11, 1))
    assert _fingerprint(other) == first
    other.rollback()
    run_demo(other, scale="small", seed=8, today=date(2026, 11, 1))
    assert _fingerprint(other) != first
    other.close()
