"""A criminal transfer refused by the police, reconsideration requested within the period, then
accepted with two persons under criminal measures, in the browser."""

import pytest

from greensword.transfer import service
from tests.browser import browser_page, live_server, login
from tests.transfer.test_transfer import _case_with_transfer

pytestmark = pytest.mark.browser


def test_refused_reconsidered_accepted_with_two_persons(app, db, world):
    from datetime import date

    c, m = _case_with_transfer(db, world, on=date(2026, 11, 2))
    db.commit()
    with live_server(app) as base, browser_page(viewport={"width": 1280, "height": 900}) as page:
        login(page, base, "leader-330102")
        page.goto(f"{base}/transfer")
        page.click(f"#follow-{m.id} button")
        page.wait_for_load_state()
        page.fill("#receipt input[name=on]", "2026-11-03")
        page.click("#receipt button")
        page.wait_for_load_state()
        page.select_option("#decide select[name=accepted]", "false")
        page.fill("#decide input[name=on]", "2026-11-05")
        page.fill("#decide input[name=reason]", "现有证据不足以认定构成犯罪")
        page.click("#decide button")
        page.wait_for_load_state()
        assert page.locator("#status").inner_text() == "不予受理/立案"
        url = page.url
        page.fill("#reconsider input[name=on]", "2026-11-11")               # past the 3-day window (11-09)
        page.click("#reconsider button")
        page.wait_for_load_state()
        assert "2026-11-09" in page.locator("[role=alert]").inner_text()
        page.goto(url)
        page.fill("#reconsider input[name=on]", "2026-11-09")
        page.click("#reconsider button")
        page.wait_for_load_state()
        page.select_option("#reconsidered select[name=accepted]", "true")
        page.fill("#reconsidered input[name=on]", "2026-11-11")
        page.click("#reconsidered button")
        page.wait_for_load_state()
        assert "已受理/立案" in page.locator("#status").inner_text()
        for name, measure in (("王建国", "criminal_detention"), ("李海", "arrest")):
            page.fill("#person input[name=name]", name)
            page.select_option("#person select[name=measure]", measure)
            page.fill("#person input[name=measure_on]", "2026-11-12")
            page.click("#person button")
            page.wait_for_load_state()
        persons = page.locator("#persons").inner_text()
        assert "王建国" in persons and "逮捕" in persons and "刑事拘留" in persons
    db.expire_all()
    t = service.list_transfers(db, service_actor(db, world))[0]
    assert (t.status, t.reconsideration_on, t.accepted_on) == ("accepted", date(2026, 11, 9), date(2026, 11, 11))


def service_actor(db, world):
    from tests.factories import actor

    return actor(db, world, "leader-330102")
