"""Console and browser: an officer takes an exam and sees the score and the review; a
competition's off-site round is scored from a contestant's marks and the ranking shows ties."""

from datetime import date, datetime, timedelta

import pytest

from greensword.training import bank, exams
from greensword.training import competitions as comp
from tests.browser import browser_page, live_server, login
from tests.conftest import login_as
from tests.factories import SYSTEM, add_user

from .conftest import officer_actor
from .test_competitions import ROUNDS


@pytest.fixture
def officer_user(db, world):
    o = world.officers["330102-0"]
    add_user(db, "exam-taker", ["officer"], agency=world.agencies["330102"], officer=o)
    e = exams.create_exam(db, SYSTEM, agency_id=world.agencies["330000"].id, title="全省执法理论考试",
                          level="county", opens_on=date.today() - timedelta(days=1),
                          closes_on=date.today() + timedelta(days=1), n_questions=10, seed="page")
    db.commit()
    return o, e


def test_exam_in_console(client, db, world, officer_user):
    o, e = officer_user
    login_as(client, "exam-taker")
    home = client.get("/training")
    assert home.status_code == 200 and "全省执法理论考试" in home.text and "开始考试" in home.text
    r = client.post(f"/training/exams/{e.id}/start", follow_redirects=False)
    url = r.headers["location"]
    a = exams.results(db, e.id)[0]
    form = {f"q_{qid}": bank.question(qid).answer for qid in a.question_ids[:7]}
    client.post(url + "/submit", data=form)
    page = client.get(url)
    assert "成绩：<strong>70</strong> 分" in page.text and "错题回顾（3 题）" in page.text
    assert client.get("/training/bank?law=hj212").status_code == 200


@pytest.mark.browser
def test_officer_takes_exam_and_sees_score_in_browser(app, db, world, officer_user):
    o, e = officer_user
    db.commit()
    with live_server(app) as base, browser_page(viewport={"width": 1280, "height": 900}) as page:
        login(page, base, "exam-taker")
        page.goto(f"{base}/training")
        page.click("#my-exams button[type=submit]")
        page.wait_for_selector("#paper")
        qids = [n.get_attribute("name")[2:] for n in page.locator("#paper input[type=radio][value=A]").all()]
        assert len(qids) == 10
        for qid in qids[:5]:
            page.check(f"input[name='q_{qid}'][value='{bank.question(qid).answer}']")
        page.click("#paper button[type=submit]")
        page.wait_for_selector("#score")
        assert "50" in page.locator("#score").inner_text()
        assert len(page.locator("#wrong > li").all()) == 5


@pytest.mark.browser
def test_offsite_round_scored_and_ties_shown_in_browser(app, db, world):
    c = comp.create(db, SYSTEM, agency_id=world.agencies["330000"].id, title="全省比武", level="province",
                    held_on=date(2026, 6, 1), rounds=ROUNDS)
    onsite, offsite = comp.rounds_of(db, c.id)
    a, b = world.officers["330102-0"], world.officers["330106-0"]
    cts = {o.id: comp.add_contestant(db, SYSTEM, c.id, o.id) for o in (a, b)}
    j = comp.add_judge(db, SYSTEM, c.id, world.officers["330203-0"].id)
    comp.prepare_offsite(db, SYSTEM, offsite.id, seed=3, start=date(2026, 5, 1), points=3, days=2,
                         counts={"exceedance": 1, "flatline": 1})
    for o in (a, b):
        comp.score_sheet(db, SYSTEM, onsite.id, cts[o.id].id, {"a": 48, "b": 32}, judge_id=j.id)
    labels = offsite.dataset["labels"]
    comp.submit_marks(db, officer_actor(b), offsite.id, [
        {"mn": x["mn"], "start": x["start"], "end": x["end"]} for x in labels])
    add_user(db, "contestant-a", ["officer"], agency=world.agencies["330102"], officer=a)
    db.commit()
    text = "\n".join(f"{x['mn']},{x['start']},{(datetime.fromisoformat(x['start']) + timedelta(minutes=5)).isoformat()}"
                     for x in labels)
    with live_server(app) as base, browser_page(viewport={"width": 1280, "height": 900}) as page:
        login(page, base, "contestant-a")
        page.goto(f"{base}/training/competitions/{c.id}")
        page.fill("textarea[name=marks]", text)
        page.click("form[action$='/marks'] button[type=submit]")
        page.wait_for_selector("#offsite-result")
        assert "查准率 100%" in page.locator("#offsite-result").inner_text()
        ranking = page.locator("#ranking").inner_text()
        assert ranking.count("第1名（并列）") == 2


def test_staff_console_writes_through_services(client, db, world):
    from sqlalchemy import select

    from greensword.core.models import AuditEntry
    from greensword.training.models import Course, Qualification

    login_as(client, "leader-330000")
    assert "培训、考试、比武与装备管理" in client.get("/training/manage").text
    o = world.officers["330102-0"]
    r = client.post("/training/manage/qualifications", data={"officer_id": o.id, "kind": "drone", "number": "UAV-9",
                                                             "issued_on": "2026-01-05"}, follow_redirects=True)
    assert "资格已登记" in r.text
    q = db.execute(select(Qualification).where(Qualification.number == "UAV-9")).scalar_one()
    assert q.expires_on == date(2028, 1, 4)
    r = client.post("/training/manage/qualifications", data={"officer_id": o.id, "kind": "drone", "number": "UAV-9",
                                                             "issued_on": "2026-01-05"}, follow_redirects=True)
    assert "已登记" in r.text and 'id="error"' in r.text
    r = client.post("/training/manage/courses", data={"agency_id": world.agencies["330000"].id, "title": "无人机实操",
                                                      "level": "province", "start_on": "2026-05-01",
                                                      "end_on": "2026-04-30", "hours": 8}, follow_redirects=True)
    assert "结束日期不能早于开始日期" in r.text
    assert db.execute(select(Course)).first() is None                  # nothing stored on refusal
    actions = set(db.execute(select(AuditEntry.action)).scalars())
    assert "training.qualification.issue" in actions


def test_management_page_counts_what_it_does_not_list(client, db, world):
    """The management page lists the latest competitions and says how many there are, linking the
    full list — a competition past the first 20 is not silently missing."""
    from greensword.training.pages import MANAGE_COMPETITIONS

    county = world.agencies["330102"]
    n = MANAGE_COMPETITIONS + 2
    for i in range(n):
        comp.create(db, SYSTEM, agency_id=county.id, title=f"比武{i:02d}", level="county",
                    held_on=date(2026, 1, 1) + timedelta(days=i))
    db.commit()
    login_as(client, "leader-330000")
    page = client.get("/training/manage").text
    assert f"共 {n} 场比武，此处列最近 {MANAGE_COMPETITIONS} 场" in page and 'href="/training/competitions"' in page
    assert f"比武{n - 1:02d}" in page and "比武00" not in page        # the latest listed, the oldest counted
    assert "共 0 个考试" in page
