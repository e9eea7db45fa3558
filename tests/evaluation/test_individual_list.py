"""The outstanding-individual candidates on /evaluation were the first 50 officers with no total:
every officer of the unit is ranked and shown a page at a time with the total."""

import re
from datetime import datetime

from greensword.core.timeutil import TZ
from tests.conftest import login_as


def test_every_officer_is_ranked_a_page_at_a_time(client, db, world):
    from greensword.registry.models import Officer

    for i in range(70):
        db.add(Officer(name=f"个人排名{i:03d}", agency_id=world.agencies["330102"].id, cert_no=f"IND{i:05d}",
                       roles=[], active=True, updated_at=datetime(2026, 1, 1, tzinfo=TZ)))
    db.commit()
    n = 70 + 2                                                     # and the county's two officers of the world
    login_as(client, "leader-330102")
    r = client.get("/evaluation?level=individual&year=2026")
    assert f"共 {n} 人" in r.text and f"共 {n} 条，第 1/2 页" in r.text
    second = client.get("/evaluation?level=individual&year=2026&page=2")
    names = re.findall(r"<td>(个人排名\d+|执法员[\d-]+)</td>", r.text) + \
        re.findall(r"<td>(个人排名\d+|执法员[\d-]+)</td>", second.text)
    assert len(names) == len(set(names)) == n
