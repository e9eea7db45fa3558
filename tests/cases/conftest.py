from datetime import date

import pytest

from greensword.cases import service
from tests.factories import actor


class Flow:
    """Drives one case through the procedure with explicit dates."""

    def __init__(self, db, world):
        self.db, self.world = db, world
        self.officer = actor(db, world, "officer-330102")
        self.leader = actor(db, world, "leader-330102")
        self.reviewer = actor(db, world, "reviewer-330102")

    def open(self, code="AIR-99-2", discovered=date(2026, 3, 2), **kw):
        ent = self.world.enterprises["330102-key"]
        c = service.open_case(self.db, self.officer, enterprise_id=ent.id, title="二氧化硫超标排放",
                              facts="2026年3月1日自动监测数据显示二氧化硫小时均值超标0.8倍。", source="lead",
                              source_ref="线索 L-1", discovered_on=discovered,
                              officer_ids=[self.world.officers["330102-0"].id, self.world.officers["330102-1"].id],
                              violation_code=code, **kw)
        service.add_evidence_document(self.db, self.officer, c, "自动监测数据报表", b"mn,factor,value\n")
        return c

    def act(self, c, action, on, who=None, **data):
        return service.act(self.db, who or self.leader, c.id, action, on=on, data=data)

    def to_reviewed(self, c, answers=None, **kw):
        self.act(c, "file", date(2026, 3, 3))
        self.act(c, "investigate", date(2026, 3, 4), self.officer)
        service.apply_discretion(self.db, self.officer, c, answers=answers or {
            "ratio": "0.5-1倍", "duration": "单次", "area": "一般区域", "pollutant": "颗粒物/SO2/NOx"}, **kw)
        self.act(c, "submit_review", date(2026, 3, 10), self.officer)
        self.act(c, "approve_review", date(2026, 3, 11), self.reviewer)
        return c


@pytest.fixture
def flow(db, world):
    return Flow(db, world)
