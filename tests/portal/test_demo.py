"""The portal's demo stages on the test world: warnings answered (on time and late), self-checks
with findings, rectification items; the statistics count them."""

from datetime import timedelta

from greensword.core.timeutil import now
from greensword.demo.context import DemoContext
from greensword.evaluation.statistics import Filters, compute
from greensword.portal import demo, queries
from greensword.portal.models.rectification import Rectification
from greensword.portal.models.selfchecks import SelfCheck
from tests.portal.conftest import make_lead


def test_demo_stages_fill_the_portal(db, world):
    for county in ("330102", "330106", "330203"):
        make_lead(db, world, county, confirm=False)
    today = now().date()
    demo.generate(db, DemoContext(seed=3, scale="small", today=today))
    c = queries.warning_counts(db)
    assert c["sent"] == 3 and c["answered_on_time"] + c["late"] + c["open"] >= 1
    assert db.query(SelfCheck).count() >= 6                     # every firm of the small world checks
    assert db.query(Rectification).filter(Rectification.source == "selfcheck").count() >= 1
    figs = compute(db, Filters(today - timedelta(days=10), today))
    top = figs[world.agencies["100000"].id]
    assert top.get("warnings_sent") == 3 and top.get("selfchecks") >= 6
