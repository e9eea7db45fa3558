"""The review round list pages with a total, filters and sorts, and shows (page and API alike)
only the rounds of reviewing agencies in the caller's jurisdiction — the API listed every round."""

from datetime import date, datetime

import pytest

from greensword.core.timeutil import TZ
from tests.conftest import login_as
from tests.web.test_lists import _bad_params


@pytest.fixture
def rounds(db, world):
    from greensword.review.models import ReviewRound

    for i in range(75):
        code = "330100" if i % 3 else "330200"
        db.add(ReviewRound(agency_id=world.agencies[code].id, name=f"{2024 + i % 3}年案卷评查{i}",
                           period_start=date(2024 + i % 3, 1, 1), period_end=date(2024 + i % 3, 12, 31), seed=f"s{i}",
                           population_hash="0" * 64, reviewers_hash="0" * 64, result_hash="0" * 64, inputs={},
                           published_on=date(2025, 1, 1) if i % 2 else None, created_at=datetime(2026, 1, 1, tzinfo=TZ)))
    db.commit()


def test_rounds_page_and_api_in_jurisdiction(client, world, rounds):
    hz = sum(1 for i in range(75) if i % 3)
    login_as(client, "leader-330100")
    r = client.get("/review")
    assert f"共 {hz} 条，第 1/1 页" in r.text
    api = client.get("/api/v1/review/rounds?page_size=10")
    assert api.json()["total"] == hz == int(api.headers["x-total-count"]) and len(api.json()["items"]) == 10
    names = {x["name"] for x in client.get("/api/v1/review/rounds?page_size=500").json()["items"]}
    assert not any(int(n.rsplit("查", 1)[1]) % 3 == 0 for n in names)          # none of 宁波's rounds
    pub = client.get("/api/v1/review/rounds?published=no&year=2025").json()
    assert pub["total"] == sum(1 for i in range(75) if i % 3 and i % 2 == 0 and i % 3 == 1)
    login_as(client, "leader-330000")
    assert client.get("/api/v1/review/rounds").json()["total"] == 75
    _bad_params(client, "/review", "published=maybe", "sort=seed", "year=3000")
    login_as(client, "ent-330102-key")
    assert client.get("/api/v1/review/rounds").status_code == 403
