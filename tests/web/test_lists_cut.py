"""The lists that used to stop at a fixed number of rows page like every console list: the
transfer page's untracked section (was 50; now a panel of 10 that links to the full list), the
portal's self-checks (was 100), the 正面清单 management list (was 300) and the notifications
(was 100) — with the total, a pager, sorts, literal search, filters, exports where a list has
them, and the jurisdiction kept (a county sees its own rows, a firm its own)."""

from datetime import date, datetime, timedelta

import pytest

from greensword.core.timeutil import TZ
from tests.conftest import login_as
from tests.web.test_lists import _bad_params, _csv_rows, _xlsx_rows

T0 = datetime(2026, 1, 5, 9, tzinfo=TZ)


def _rows(html: str, marker: str) -> list[str]:
    import re

    return re.findall(marker, html)


# --- untracked transfers ---------------------------------------------------------------------------

@pytest.fixture
def measures(db, world):
    """Transfer measures recorded in cases, none followed yet: 23 in 330102, 4 in 330106."""
    from greensword.cases import service as cases
    from greensword.cases.models import Measure
    from tests.factories import actor

    made = []
    for county, n in (("330102", 23), ("330106", 4)):
        officer = actor(db, world, f"officer-{county}")
        c = cases.open_case(db, officer, enterprise_id=world.enterprises[f"{county}-key"].id, title="暗管排放",
                            facts="f", source="inspection", discovered_on=date(2026, 1, 2),
                            officer_ids=[world.officers[f"{county}-0"].id, world.officers[f"{county}-1"].id])
        for i in range(n):
            m = Measure(case_id=c.id, kind="criminal_transfer" if i % 3 else "detention_transfer",
                        started_on=date(2026, 1, 3) + timedelta(days=(i * 7) % 40), ends_on=date(2026, 3, 1),
                        data={"receiver": "公安局_100%分局" if i == 5 else f"公安分局{i}", "status": "approved"},
                        created_at=T0)
            db.add(m)
            made.append((county, m))
    db.commit()
    return made


def test_untracked_panel_links_to_the_full_paged_list(client, world, measures):
    mine = [m for county, m in measures if county == "330102"]
    login_as(client, "leader-330102")
    r = client.get("/transfer")
    assert f"案件中已移送、尚未跟踪（{len(mine)}）" in r.text
    panel = r.text.split('id="untracked"')[1].split("<details>")[0]
    assert len(_rows(panel, r'id="follow-(\d+)"')) == 10
    assert f'<a href="/transfer/untracked">共 {len(mine)} 条，查看全部</a>' in panel
    seen = []
    for page in (1, 2, 3):
        r = client.get(f"/transfer/untracked?size=10&page={page}")
        assert f"共 {len(mine)} 条，第 {page}/3 页" in r.text
        seen += [int(x) for x in _rows(r.text, r'id="follow-(\d+)"')]
    assert len(seen) == len(set(seen)) == len(mine) and set(seen) == {m.id for m in mine}   # 330106's are not shown
    by_id = {m.id: m for m in mine}
    assert [by_id[i].started_on for i in seen] == sorted(m.started_on for m in mine)          # oldest first
    desc = [int(x) for x in _rows(client.get("/transfer/untracked?sort=-started&size=100").text, r'id="follow-(\d+)"')]
    assert [by_id[i].started_on for i in desc] == sorted((m.started_on for m in mine), reverse=True)
    hit = _rows(client.get("/transfer/untracked?q=_100%25").text, r'id="follow-(\d+)"')
    assert [int(x) for x in hit] == [mine[5].id]                                              # % and _ literal
    det = _rows(client.get("/transfer/untracked?kind=detention&size=100").text, r'id="follow-(\d+)"')
    assert {int(x) for x in det} == {m.id for m in mine if m.kind == "detention_transfer"}
    r = client.get("/transfer/untracked?kind=")                                                # 全部
    assert f"共 {len(mine)} 条" in r.text
    _bad_params(client, "/transfer/untracked", "kind=department", "kind=x", "sort=reason", "page=0")
    login_as(client, "leader-330000")
    assert f"共 {len(measures)} 条" in client.get("/transfer/untracked").text
    login_as(client, "ent-330102-key")
    assert client.get("/transfer/untracked").status_code == 403


# --- self-checks -----------------------------------------------------------------------------------

@pytest.fixture
def selfchecks(db, world):
    from greensword.portal.models.selfchecks import SelfCheck

    made = []
    for i in range(150):                                        # more than the old cut of 100
        key = ["330102-key", "330102-small", "330106-small"][i % 3]
        ent = world.enterprises[key]
        start = date(2020 + i // 36, (i // 3) % 12 + 1, 1)
        x = SelfCheck(enterprise_id=ent.id, agency_id=ent.agency_id, period_start=start,
                      period_end=start + timedelta(days=27), checklist_name="废气清单",
                      items={"a": {"text": "t", "result": "problem" if i % 4 == 0 else "ok", "note": ""}},
                      files=[], note="=cmd|' /C calc'!A0" if i == 1 else "", submitted_by="t",
                      submitted_at=T0 + timedelta(hours=i), contradicts_data=i % 5 == 0)
        db.add(x)
        made.append(x)
    db.commit()
    return made


def test_selfchecks_page_filter_search_and_export(client, world, selfchecks):
    county = world.agencies["330102"]
    mine = [x for x in selfchecks if x.agency_id == county.id]
    login_as(client, "officer-330102")
    r = client.get("/portal/selfchecks")
    assert f"共 {len(mine)} 条，第 1/2 页" in r.text
    ids = [int(x) for x in _rows(r.text, r'<a href="/portal/selfchecks/(\d+)">')]
    ids += [int(x) for x in _rows(client.get("/portal/selfchecks?page=2").text, r'<a href="/portal/selfchecks/(\d+)">')]
    assert len(ids) == len(set(ids)) == len(mine) and set(ids) == {x.id for x in mine}
    by_id = {x.id: x for x in selfchecks}
    assert [by_id[i].submitted_at for i in ids] == sorted((x.submitted_at for x in mine), reverse=True)
    period = [int(x) for x in _rows(client.get("/portal/selfchecks?sort=period&size=500").text,
                                    r'<a href="/portal/selfchecks/(\d+)">')]
    assert [by_id[i].period_start for i in period] == sorted(x.period_start for x in mine)
    small = world.enterprises["330102-small"]
    found = _rows(client.get(f"/portal/selfchecks?q={small.uscc}&size=500").text, r'<a href="/portal/selfchecks/(\d+)">')
    assert {by_id[int(i)].enterprise_id for i in found} == {small.id}
    assert len(found) == sum(1 for x in mine if x.enterprise_id == small.id)
    r = client.get("/portal/selfchecks?contradicts=1&year=2021&size=500")
    want = [x for x in mine if x.contradicts_data and x.period_start.year == 2021]
    assert f"共 {len(want)} 条" in r.text and want
    rows = _csv_rows(client.get("/portal/selfchecks.csv"))
    assert rows[0][0] == "期间开始" and len(rows) - 1 == len(mine)
    assert [x for x in rows[1:] if x[10].startswith("'=")], "formula guard on the note"
    assert sorted(int(x[8]) for x in rows[1:]) == sorted(1 if x.items["a"]["result"] == "problem" else 0 for x in mine)
    assert len(_xlsx_rows(client.get("/portal/selfchecks.xlsx?contradicts=1"))) - 1 == \
        sum(1 for x in mine if x.contradicts_data)
    _bad_params(client, "/portal/selfchecks", "sort=note", "year=0", "page=0", "size=501")


def test_selfchecks_a_firm_sees_its_own_and_not_the_contradictions(client, world, selfchecks):
    ent = world.enterprises["330106-small"]
    own = [x for x in selfchecks if x.enterprise_id == ent.id]
    login_as(client, "ent-330106-small")
    r = client.get("/portal/selfchecks?contradicts=1")             # the filter is an officer's, ignored here
    assert f"共 {len(own)} 条" in r.text and "与监测数据矛盾" not in r.text
    rows = _csv_rows(client.get("/portal/selfchecks.csv"))
    assert len(rows) - 1 == len(own) and {x[3] for x in rows[1:]} == {ent.uscc} and {x[9] for x in rows[1:]} == {""}


# --- 正面清单 management --------------------------------------------------------------------------

@pytest.fixture
def listings(db, world):
    from greensword.portal.models.positive import PositiveListing

    made = []
    statuses = ["pending", "listed", "review", "removed", "rejected", "listed"]
    for i in range(330):                                        # more than the old cut of 300
        ent = world.enterprises["330106-small" if i % 10 == 0 else ("330102-key" if i % 2 else "330102-small")]
        x = PositiveListing(enterprise_id=ent.id, agency_id=ent.agency_id, origin=["application", "proposal"][i % 2],
                            statement="守法_100%承诺" if i == 7 else f"申请理由{i}", evidence=[], criteria=[],
                            applied_by="t", applied_on=date(2025, 1, 1) + timedelta(days=i), applied_at=T0,
                            status=statuses[i % 6])
        db.add(x)
        made.append(x)
    db.commit()
    return made


def test_positive_management_tabs_pages_and_export(client, world, listings):
    mine = [x for x in listings if x.agency_id == world.agencies["330102"].id]
    login_as(client, "officer-330102")
    r = client.get("/portal/positive/manage")
    open_ = [x for x in mine if x.status in ("pending", "review")]
    assert f"共 {len(open_)} 条" in r.text                                       # 待处理 by default
    for status, n in (("pending", 0), ("review", 0), ("listed", 0)):
        n = sum(1 for x in mine if x.status == status)
        assert f"（{n}）" in r.text
    every = []
    for page in range(1, 4):
        r = client.get(f"/portal/positive/manage?status=all&size=100&page={page}")
        assert f"共 {len(mine)} 条，第 {page}/3 页" in r.text
        every += [int(x) for x in _rows(r.text, r'<tr id="listing-(\d+)"')]
    assert len(every) == len(set(every)) == len(mine) and set(every) == {x.id for x in mine}
    closed = [int(x) for x in _rows(client.get("/portal/positive/manage?status=closed&size=500").text,
                                    r'<tr id="listing-(\d+)"')]
    assert {x.id for x in mine if x.status in ("removed", "rejected")} == set(closed)
    r = client.get("/portal/positive/manage?status=pending&size=500")
    pend = [x for x in mine if x.status == "pending"]
    assert len(_rows(r.text, r'id="approve-\d+"')) == len(pend) and 'id="remove-' not in r.text
    hit = _rows(client.get("/portal/positive/manage?status=all&q=_100%25").text, r'<tr id="listing-(\d+)"')
    assert [int(x) for x in hit] == [listings[7].id]
    prop = _rows(client.get("/portal/positive/manage?status=all&origin=proposal&size=500").text,
                 r'<tr id="listing-(\d+)"')
    assert len(prop) == sum(1 for x in mine if x.origin == "proposal")
    asc = [int(x) for x in _rows(client.get("/portal/positive/manage?status=all&sort=applied&size=500").text,
                                 r'<tr id="listing-(\d+)"')]
    by_id = {x.id: x for x in listings}
    assert [by_id[i].applied_on for i in asc] == sorted(x.applied_on for x in mine)
    rows = _csv_rows(client.get("/portal/positive/manage.csv?status=listed"))
    assert len(rows) - 1 == sum(1 for x in mine if x.status == "listed") and {x[5] for x in rows[1:]} == {"已纳入"}
    assert len(_xlsx_rows(client.get("/portal/positive/manage.xlsx?status=all"))) - 1 == len(mine)
    _bad_params(client, "/portal/positive/manage", "status=lost", "origin=x", "sort=statement", "size=0")
    login_as(client, "leader-330000")
    assert f"共 {len(listings)} 条" in client.get("/portal/positive/manage?status=all").text
    login_as(client, "ent-330102-key")
    assert client.get("/portal/positive/manage.csv").status_code == 403


# --- notifications ---------------------------------------------------------------------------------

@pytest.fixture
def notifications(db, world):
    from greensword.portal.models.notifications import Notification

    made = []
    for i in range(140):                                        # more than the old cut of 100
        key = ["330102-key", "330102-small", "330106-small", "330102-key"][i % 4]
        ent = world.enterprises[key]
        n = Notification(audience="enterprise" if i % 2 else "agency", enterprise_id=ent.id, agency_id=ent.agency_id,
                         title="整改_100%逾期" if i == 11 else f"通知{i}", body="正文", link="/portal/warnings",
                         created_at=T0 + timedelta(minutes=i), read_at=T0 if i % 3 == 0 else None)
        db.add(n)
        made.append(n)
    db.commit()
    return made


def test_notifications_page_filter_and_scope(client, world, notifications):
    ent = world.enterprises["330102-key"]
    own = [n for n in notifications if n.audience == "enterprise" and n.enterprise_id == ent.id]
    login_as(client, "ent-330102-key")
    r = client.get("/portal/notifications?size=20")
    assert f"共 {len(own)} 条，第 1/{-(-len(own) // 20)} 页" in r.text
    ids = []
    for page in range(1, -(-len(own) // 20) + 1):
        ids += [int(x) for x in _rows(client.get(f"/portal/notifications?size=20&page={page}").text,
                                      r'action="/portal/notifications/(\d+)/read"')]
    assert ids == [n.id for n in sorted(own, key=lambda n: n.created_at, reverse=True)]
    unread = _rows(client.get("/portal/notifications?unread=1&size=500").text, r'action="/portal/notifications/(\d+)/read"')
    assert {int(x) for x in unread} == {n.id for n in own if n.read_at is None}
    hit = _rows(client.get("/portal/notifications?q=_100%25").text, r'action="/portal/notifications/(\d+)/read"')
    assert [int(x) for x in hit] == [notifications[11].id]
    officer = [n for n in notifications if n.audience == "agency" and n.agency_id == world.agencies["330102"].id]
    many = [n for n in notifications if n.audience == "agency"]
    login_as(client, "leader-330100")
    assert f"共 {len(many)} 条" in client.get("/portal/notifications").text
    r = client.get(f"/portal/notifications?agency_id={world.agencies['330102'].id}&size=500")
    assert f"共 {len(officer)} 条" in r.text
    _bad_params(client, "/portal/notifications", "sort=body", "page=0")
    # reading one past the old cut of 100 follows its link
    old = sorted(own, key=lambda n: n.created_at)[0]
    login_as(client, "ent-330102-key")
    r = client.post(f"/portal/notifications/{old.id}/read", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portal/warnings"


# --- the case list's panels: overdue steps and pending referrals -----------------------------------

@pytest.fixture
def referrals(db, world):
    from greensword.inspection.models import CaseReferral, Record, Task

    made = []
    for i in range(14):
        county = "330106" if i % 5 == 0 else "330102"
        ent = world.enterprises[f"{county}-key"]
        t = Task(agency_id=ent.agency_id, enterprise_id=ent.id, source="complaint", due_date=date(2026, 1, 9),
                 status="submitted", created_at=T0)
        db.add(t)
        db.flush()
        rec = Record(task_id=t.id, findings="暗管_100%直排" if i == 3 else f"废气超标排放{i}", violation=True,
                     checked_at=T0 + timedelta(hours=i))
        db.add(rec)
        db.flush()
        ref = CaseReferral(record_id=rec.id, enterprise_id=ent.id, status="pending", created_at=T0)
        db.add(ref)
        made.append((county, ref))
    db.commit()
    return made


def test_case_panels_link_to_the_full_lists(client, db, world, referrals):
    from tests.cases.conftest import Flow

    flow = Flow(db, world)
    late = [flow.open(discovered=date(2026, 3, 2)) for _ in range(13)]   # never filed: overdue steps
    db.commit()
    login_as(client, "leader-330102")
    r = client.get("/cases")
    panel = r.text.split('id="overdue-panel"')[1].split("</section>")[0]
    assert "逾期未办的法定环节（13）" in panel and panel.count('<li><a href="/cases/') == 10
    assert '<a href="/cases?overdue=1">共 13 条，查看全部</a>' in panel
    full = client.get("/cases?overdue=1&size=5")
    assert "共 13 条，第 1/3 页" in full.text
    rows = _csv_rows(client.get("/cases.csv?overdue=1"))
    assert {x[0] for x in rows[1:]} == {c.number for c in late}
    mine = [ref for county, ref in referrals if county == "330102"]
    panel = r.text.split('id="referrals-panel"')[1].split("</section>")[0]
    assert f"待立案的现场检查发现（{len(mine)}）" in panel and panel.count('id="open-ref-') == 10
    assert f'<a href="/cases/referrals">共 {len(mine)} 条，查看全部</a>' in panel
    seen = []
    for page in (1, 2):
        r = client.get(f"/cases/referrals?size=6&page={page}")
        assert f"共 {len(mine)} 条，第 {page}/2 页" in r.text
        seen += [int(x) for x in _rows(r.text, r'id="open-ref-(\d+)"')]
    assert seen == sorted((ref.id for ref in mine), reverse=True)                   # newest first, 330106's not shown
    hit = _rows(client.get("/cases/referrals?q=_100%25").text, r'id="open-ref-(\d+)"')
    assert [int(x) for x in hit] == [referrals[3][1].id]
    _bad_params(client, "/cases/referrals", "sort=findings", "page=0")
    login_as(client, "ent-330102-key")
    assert client.get("/cases/referrals").status_code == 403


# --- the portal overview's panels and the training home's competitions ----------------------------

from tests.portal.test_lists import inbox  # noqa: E402,F401  (230 warnings and rectification items)


def test_portal_overview_panels_say_the_total_and_link_to_the_list(client, world, inbox):  # noqa: F811
    login_as(client, "leader-330100")
    r = client.get("/portal")
    answered = sum(1 for i in range(230) if i % 3 == 1)
    panel = r.text.split('id="answered"')[1].split("</section>")[0]
    assert f"待审核的企业答复（{answered}）" in panel and panel.count("<li>") == 10
    assert f'<a href="/portal/warnings?status=answered">共 {answered} 条，查看全部</a>' in panel
    assert f"共 {answered} 条" in client.get("/portal/warnings?status=answered").text          # the same filter
    late = sum(1 for i in range(230) if i % 3 == 0 and i < 100)
    panel = r.text.split('id="unanswered"')[1].split("</section>")[0]
    assert f'<a href="/portal/warnings?overdue=1">共 {late} 条，查看全部</a>' in panel
    assert f"共 {late} 条" in client.get("/portal/warnings?overdue=1").text
    reported = sum(1 for i in range(230) if i % 3 == 1)
    panel = r.text.split('id="reported"')[1].split("</section>")[0]
    assert f'<a href="/portal/rectifications?status=reported">共 {reported} 条，查看全部</a>' in panel
    assert f"共 {reported} 条" in client.get("/portal/rectifications?status=reported").text
    overdue = sum(1 for i in range(230) if i % 3 != 2 and i < 50)
    panel = r.text.split('id="overdue-items"')[1].split("</section>")[0]
    assert panel.count("<tr><td>") == 10 and f'<a href="/portal/rectifications?overdue=1">共 {overdue} 条，查看全部</a>' in panel
    assert f"共 {overdue} 条" in client.get("/portal/rectifications?overdue=1").text


@pytest.fixture
def competitions(db, world):
    from greensword.training.models import Competition

    made = []
    for i in range(13):
        x = Competition(agency_id=world.agencies["330000" if i % 2 else "330100"].id, level="province" if i % 2 else "city",
                        title="执法_100%大比武" if i == 4 else f"第{i}届执法技能比武", held_on=date(2020 + i % 6, 5, 1 + i),
                        status="published" if i % 3 else "open", created_at=T0)
        db.add(x)
        made.append(x)
    db.commit()
    return made


def test_training_home_links_to_the_paged_competitions(client, world, competitions):
    login_as(client, "officer-330102")
    r = client.get("/training")
    panel = r.text.split('id="competitions"')[1]
    assert panel.split("</ul>")[0].count("<li>") == 10 and '<a href="/training/competitions">共 13 条，查看全部</a>' in panel
    ids = []
    for page in (1, 2, 3):
        r = client.get(f"/training/competitions?size=5&page={page}")
        assert f"共 13 条，第 {page}/3 页" in r.text
        ids += [int(x) for x in _rows(r.text, r'<td><a href="/training/competitions/(\d+)">')]
    by_id = {x.id: x for x in competitions}
    assert len(set(ids)) == 13 and [by_id[i].held_on for i in ids] == sorted((x.held_on for x in competitions), reverse=True)
    r = client.get("/training/competitions?level=province&status=published&year=2021&size=100")
    want = [x for x in competitions if x.level == "province" and x.status == "published" and x.held_on.year == 2021]
    assert f"共 {len(want)} 条" in r.text and want
    hit = _rows(client.get("/training/competitions?q=_100%25").text, r'<td><a href="/training/competitions/(\d+)">')
    assert [int(x) for x in hit] == [competitions[4].id]
    _bad_params(client, "/training/competitions", "level=x", "status=x", "year=0", "sort=created")


# --- the unit filter: a search-as-you-type box when a jurisdiction has too many units -------------

def test_unit_filter_becomes_a_search_box_bounded_to_the_jurisdiction(client, world, monkeypatch):
    from greensword.webkit.templating import templates

    login_as(client, "leader-330000")
    r = client.get("/complaint")
    assert 'class="unit-search"' not in r.text and f'<option value="{world.agencies["330106"].id}"' in r.text
    monkeypatch.setitem(templates.env.globals, "unit_select_max", 2)      # as a ministry's 3,000 units would
    county = world.agencies["330102"]
    for path in ("/complaint", "/transfer", "/offsite/leads", "/portal/warnings", "/training/courses"):
        r = client.get(f"{path}?agency_id={county.id}")
        assert r.status_code == 200 and 'hx-get="/registry/unit-options"' in r.text, path
        select = r.text.split('class="unit-search"')[1].split("</select>")[0]
        assert select.count("<option") == 2 and f'<option value="{county.id}" selected>' in select, path
    opts = client.get("/registry/unit-options?unit_q=上城").text
    assert f'<option value="{county.id}">' in opts and opts.count("<option") == 2
    assert f'value="{county.id}" selected' in client.get(f"/registry/unit-options?unit_q=330102&selected={county.id}").text
    assert "无匹配的单位" in client.get("/registry/unit-options?unit_q=不存在的单位").text
    login_as(client, "officer-330102")                                  # outside the jurisdiction: not offered
    assert f'value="{world.agencies["330106"].id}"' not in client.get("/registry/unit-options?unit_q=3301").text
    assert f'value="{county.id}"' in client.get("/registry/unit-options?unit_q=3301").text
    r = client.get("/registry/unit-options?unit_q=" + "x" * 41)
    assert r.status_code == 422


def test_registry_lists_use_the_unit_picker(client, world, monkeypatch):
    """The enterprise and officer lists' unit filters were plain drop-downs of every unit."""
    from greensword.webkit.templating import templates

    county, city = world.agencies["330102"], world.agencies["330100"]
    login_as(client, "leader-330000")
    r = client.get("/registry/enterprises")
    assert 'class="unit-search"' not in r.text and f'<option value="{county.id}"' in r.text
    monkeypatch.setitem(templates.env.globals, "unit_select_max", 2)      # as a ministry's 3,000 units would
    for path in ("/registry/enterprises", "/registry/officers"):
        r = client.get(f"{path}?agency_id={county.id}")
        assert r.status_code == 200 and 'hx-get="/registry/unit-options"' in r.text, path
        select = r.text.split('class="unit-search"')[1].split("</select>")[0]
        assert select.count("<option") == 2 and f'<option value="{county.id}" selected>' in select, path
        assert "共 2 条" in r.text, path                             # 2 enterprises / 2 officers in 330102
        r = client.get(f"{path}?agency_id={city.id}")                # a city found by the search stays chosen
        select = r.text.split('class="unit-search"')[1].split("</select>")[0]
        assert f'<option value="{city.id}" selected>{city.name}</option>' in select, path
        assert "共 4 条" in r.text, path                             # its two counties
    login_as(client, "officer-330102")                               # another county's unit: refused, not listed
    assert client.get(f"/registry/enterprises?agency_id={world.agencies['330106'].id}").status_code in (403, 404)


# --- the dashboard's overdue panel and the overdue API ---------------------------------------------

@pytest.fixture
def late_cases(db, world):
    from tests.cases.conftest import Flow

    flow = Flow(db, world)
    made = [flow.open(discovered=date(2026, 3, 2) - timedelta(days=i)) for i in range(17)]   # never filed: overdue
    db.commit()
    return made


def test_dashboard_overdue_panel_says_the_total_and_links_to_the_list(client, world, late_cases):
    login_as(client, "leader-330102")
    r = client.get("/dashboard")
    assert r.status_code == 200
    panel = r.text.split('id="overdue-panel"')[1].split("</section>")[0]
    assert "逾期的法定办案环节（17）" in panel and panel.count('<li><a href="/cases/') == 15
    assert '<a href="/cases?overdue=1">共 17 条，查看全部</a>' in panel
    assert "共 17 条" in client.get("/cases?overdue=1").text
    login_as(client, "leader-330106")                                # another county: none of them
    panel = client.get("/dashboard").text.split('id="overdue-panel"')[1].split("</section>")[0]
    assert "逾期的法定办案环节（0）" in panel and "查看全部" not in panel


def test_positive_management_action_returns_to_the_same_view(client, db, world, listings):
    """After 不予纳入/移出 the list came back on its first tab, unfiltered, at page 1."""
    import html
    import re
    from urllib.parse import parse_qsl, urlsplit

    county = world.agencies["330102"]
    pending = [x for x in listings if x.status == "pending" and x.agency_id == county.id]
    login_as(client, "officer-330102")
    view = f"status=pending&q=申请理由&agency_id={county.id}&origin=application&sort=applied&page=2&size=5"
    r = client.get(f"/portal/positive/manage?{view}")
    want = parse_qsl(view)
    backs = re.findall(r'name="back" value="([^"]*)"', r.text)
    assert len(backs) == 1 + 2 * len(_rows(r.text, r'id="approve-\d+"'))    # 推荐纳入 and each row's two actions
    assert {tuple(parse_qsl(html.unescape(b))) for b in backs} == {tuple(want)}  # every action form carries the view
    back = html.unescape(backs[0])
    x = pending[3]
    r = client.post(f"/portal/positive/{x.id}/reject", data={"reason": "材料不全", "back": back}, follow_redirects=False)
    parts = urlsplit(r.headers["location"])
    assert r.status_code == 303 and parts.path == "/portal/positive/manage" and parse_qsl(parts.query) == want
    db.expire_all()
    assert db.get(type(x), x.id).status == "rejected"
    # an error comes back on the same view too, signed (no text of anyone's choosing)
    r = client.post(f"/portal/positive/{x.id}/reject", data={"reason": "再次", "back": back}, follow_redirects=False)
    loc = r.headers["location"]
    assert r.status_code == 303 and parse_qsl(urlsplit(loc).query)[:len(want)] == want and "&error=" in loc
    page = client.get(loc)
    assert "该申请已处理" in page.text and 'aria-current="page" class="active">待审核' in page.text
    assert "error=" not in page.text.split('id="positive-tabs"')[1].split("</nav>")[0]     # links drop the message
    # nothing posted leads anywhere else: other hosts, paths, schemes and unknown arguments are dropped
    for evil in ("//evil.example/x", "https://evil.example/?status=all", "/admin?status=all", "\r\nLocation: //x",
                 "status=all&next=//evil.example", "javascript:alert(1)"):
        r = client.post(f"/portal/positive/{pending[4].id}/reject", data={"reason": "", "back": evil},
                        follow_redirects=False)
        loc = r.headers["location"]
        parts = urlsplit(loc)
        assert r.status_code == 303 and not parts.scheme and not parts.netloc and parts.path == "/portal/positive/manage", evil
        assert {k for k, _ in parse_qsl(parts.query)} <= {"status", "error", "sig"}, evil


# --- the enterprise portal's cases ----------------------------------------------------------------

def test_portal_home_cases_say_the_total_and_page_the_firms_own(client, db, world):
    """The firm's home showed its first 10 cases, with no total and no way to the rest."""
    from greensword.cases import service as cases
    from tests.cases.conftest import Flow
    from tests.factories import actor

    flow = Flow(db, world)
    own = [flow.open(discovered=date(2026, 3, 2) - timedelta(days=i)) for i in range(13)]    # 330102-key's
    officer = actor(db, world, "officer-330102")
    other = [cases.open_case(db, officer, enterprise_id=world.enterprises["330102-small"].id, title="废水超标",
                             facts="f", source="inspection", discovered_on=date(2026, 2, 1),
                             officer_ids=[world.officers["330102-0"].id, world.officers["330102-1"].id])
             for _ in range(2)]
    db.commit()
    login_as(client, "ent-330102-key")
    r = client.get("/portal")
    panel = r.text.split('id="cases"')[1].split("</section>")[0]
    assert "行政处罚案件（13）" in panel and panel.count("<li>") == 10
    assert '<a href="/portal/cases">共 13 条，查看全部</a>' in panel
    seen = []
    for page in (1, 2, 3):
        r = client.get(f"/portal/cases?size=5&page={page}")
        assert f"共 13 条，第 {page}/3 页" in r.text
        seen += [int(x) for x in _rows(r.text, r'<tr id="case-(\d+)"')]
    assert seen == [c.id for c in own]                                   # newest discovery first, only its own
    asc = [int(x) for x in _rows(client.get("/portal/cases?sort=discovered&size=50").text, r'<tr id="case-(\d+)"')]
    assert asc == [c.id for c in reversed(own)]
    hit = _rows(client.get(f"/portal/cases?q={own[4].number}").text, r'<tr id="case-(\d+)"')
    assert [int(x) for x in hit] == [own[4].id]
    assert _rows(client.get(f"/portal/cases?q={other[0].number}").text, r'<tr id="case-(\d+)"') == []
    assert "共 13 条" in client.get("/portal/cases?stage=clue").text
    _bad_params(client, "/portal/cases", "sort=fine", "sort=-fine", "stage=x", "page=0", "size=501")
    login_as(client, "ent-330102-small")                                 # the other firm: its own two
    r = client.get("/portal/cases")
    assert "共 2 条" in r.text and {int(x) for x in _rows(r.text, r'<tr id="case-(\d+)"')} == {c.id for c in other}
    assert "行政处罚案件（2）" in client.get("/portal").text
    login_as(client, "officer-330102")                                   # officers have the console's list
    r = client.get("/portal/cases", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cases"


# --- the public results' unit filter ---------------------------------------------------------------

def test_public_results_unit_filter_searches_counties_without_login(client, world, monkeypatch):
    """The public page listed every county in one drop-down (3,000 nationally); its search, with
    no login, names counties only — what the drop-down showed — and is rate-limited."""
    from greensword.inspection import pages
    from greensword.webkit.templating import templates

    county, city = world.agencies["330102"], world.agencies["330100"]
    r = client.get("/public/inspections")
    assert 'class="unit-search"' not in r.text and f'<option value="{world.agencies["330203"].id}"' in r.text
    monkeypatch.setitem(templates.env.globals, "unit_select_max", 2)      # 3 counties: more than the drop-down holds
    r = client.get(f"/public/inspections?agency_id={county.id}")
    assert r.status_code == 200 and 'hx-get="/public/inspections/unit-options"' in r.text
    select = r.text.split('class="unit-search"')[1].split("</select>")[0]
    assert select.count("<option") == 2 and f'<option value="{county.id}" selected>' in select
    assert f'value="{world.agencies["330106"].id}"' not in r.text                    # not every county any more
    opts = client.get("/public/inspections/unit-options?unit_q=杭州").text          # the two Hangzhou counties
    assert f'<option value="{county.id}">' in opts and f'<option value="{world.agencies["330106"].id}">' in opts
    assert f'value="{city.id}"' not in opts and opts.count("<option") == 3          # no city, province or ministry
    assert f'value="{county.id}" selected' in client.get(
        f"/public/inspections/unit-options?unit_q=330102&selected={county.id}").text
    r = client.get("/public/inspections/unit-options?unit_q=" + "厅")               # the province's name: not offered
    assert "无匹配的检查机构" in r.text and "private" in r.headers["cache-control"]
    assert client.get("/public/inspections/unit-options?unit_q=%25").text.count("<option") == 2   # % literal
    assert client.get("/public/inspections/unit-options?unit_q=" + "x" * 41).status_code == 422
    monkeypatch.setattr(pages, "PUBLIC_UNIT_SEARCHES_PER_MINUTE", 4)               # 4 answered within the minute
    r = client.get("/public/inspections/unit-options?unit_q=33")
    assert r.status_code == 429 and "查询过于频繁" in r.text and int(r.headers["retry-after"]) >= 1


# --- officer pickers: every certified officer of the county, never cut at 30 -----------------------

@pytest.fixture
def picker_world(db, world):
    """40 certified active officers in 330102 (and one without a certificate, one inactive, one of
    330106), a screened lead and a sent warning of 330102-key: (lead, warning, the 40 officers' ids)."""
    from greensword.core.timeutil import now
    from greensword.offsite.models import Lead
    from greensword.portal.models.warnings import PortalWarning
    from greensword.registry import service as registry
    from greensword.registry.schemas import OfficerIn
    from tests.factories import SYSTEM

    for i in range(38):                                          # 40 certified in 330102, more than the old 30
        registry.save_officer(db, SYSTEM, OfficerIn(name=f"核查员{i:02d}", agency_code="330102", cert_no=f"ZJX{i:05d}"))
    registry.save_officer(db, SYSTEM, OfficerIn(name="无证人员", agency_code="330102"))
    registry.save_officer(db, SYSTEM, OfficerIn(name="停用人员", agency_code="330102", cert_no="ZJX99999", active=False))
    registry.save_officer(db, SYSTEM, OfficerIn(name="西湖核查员", agency_code="330106", cert_no="ZJY00001"))
    ent = world.enterprises["330102-key"]
    t0 = datetime(2026, 3, 2, 8, tzinfo=TZ)
    lead = Lead(mn="MN" + "0" * 22, enterprise_id=ent.id, agency_id=ent.agency_id, factor="a21026",
                detector="exceedance", start=t0, end=t0 + timedelta(hours=2), score=1.0, rank_score=1.0,
                status="screened", evidence={"rule": {"detector": "exceedance", "thresholds": {}, "source": {}}, "query": "",
                                                 "rows": []}, repeats=0, due_at=t0 + timedelta(days=1), created_at=t0,
                updated_at=t0, reason="", outcome="")
    warning = PortalWarning(lead_id=1, enterprise_id=ent.id, agency_id=ent.agency_id, title="在线监测预警", hours=24,
                            sent_at=now(), sent_by="t", due_at=now() + timedelta(hours=24), status="sent",
                            answer_text="", files=[])
    db.add_all([lead, warning])
    db.commit()
    from sqlalchemy import select

    from greensword.registry.models import Officer

    want = set(db.execute(select(Officer.id).where(Officer.agency_id == ent.agency_id, Officer.cert_no.is_not(None),
                                                   Officer.active.is_(True))).scalars())
    assert len(want) == 40
    return lead, warning, want


def test_officer_pickers_show_every_certified_officer_of_the_county(client, db, world, picker_world):
    """The escalation form and the lead page listed the first 30 officers, silently."""
    import re

    from sqlalchemy import select

    lead, warning, want = picker_world
    login_as(client, "officer-330102")
    for url, form in ((f"/offsite/leads/{lead.id}", 'id="act-request_inspection"'),
                      (f"/portal/warnings/{warning.id}", 'id="escalate-form"')):
        r = client.get(url)
        assert r.status_code == 200, url
        part = r.text.split(form)[1].split("</form>")[0]
        shown = {int(x) for x in re.findall(r'name="officer" value="(\d+)"', part)}
        assert shown == want, url                                   # all 40; not the uncertified, inactive or 西湖's
        assert "本单位持证在岗 40 名" in part and 'class="officer-filter"' in part, url
        assert part.count(" checked>") == 2, url                     # two ticked, as before
    from urllib.parse import unquote

    from greensword.registry.models import Officer

    west = db.execute(select(Officer).where(Officer.name == "西湖核查员")).scalar_one()
    r = client.post(f"/inspection/leads/{lead.id}/task", data={"officer": [sorted(want)[0], west.id]},
                    follow_redirects=False)                            # another county's officer, by a forged form
    assert r.status_code == 303 and "不在本辖区" in unquote(r.headers["location"])
    assert "西湖核查员" not in unquote(r.headers["location"])            # refused by number, the name not told
    r = client.post(f"/inspection/leads/{lead.id}/task", data={"officer": sorted(want)[-2:]}, follow_redirects=False)
    assert r.status_code == 303 and "error=" not in r.headers["location"]      # one past the old 30 can be sent
    login_as(client, "leader-330106")                               # another county sees neither page
    assert client.get(f"/offsite/leads/{lead.id}").status_code in (403, 404)
    assert client.get(f"/portal/warnings/{warning.id}").status_code in (403, 404)


def test_complaint_task_team_is_picked_not_typed(client, db, world, picker_world):
    """The complaint page asked for officer ids typed comma-separated; a repeated id made a team of one."""
    import re

    from greensword.complaint.models import Complaint
    from greensword.inspection.models import Task

    lead, warning, want = picker_world
    login_as(client, "leader-330102")
    ent = world.enterprises["330102-key"]
    r = client.post("/public/complaint", data={
        "agency_id": world.agencies["330102"].id, "enterprise_name": ent.name, "address": "上城路1号", "matter": "air",
        "content": "烟囱夜里冒黑烟，气味刺鼻，持续两周", "anonymous": "true"})
    assert r.status_code == 200, r.text[:300]
    c = db.execute(__import__("sqlalchemy").select(Complaint).order_by(Complaint.id.desc())).scalars().first()
    client.post(f"/complaint/{c.id}/decide", data={"decision": "accept"})
    client.post(f"/complaint/{c.id}/enterprise", data={"enterprise_id": ent.id})
    client.post(f"/complaint/{c.id}/assign", data={"agency_id": world.agencies["330102"].id, "handlers": "officer-330102"})
    page = client.get(f"/complaint/{c.id}").text
    form = page.split('id="task"')[1].split("</form>")[0]
    assert {int(x) for x in re.findall(r'name="officer" value="(\d+)"', form)} == want and 'name="officer_ids"' not in form
    assert " checked>" not in form                                          # the team is chosen, not assumed
    one = sorted(want)[0]
    r = client.post(f"/inspection/from-complaint/{c.id}", data={"officer": [one], "officer_ids": str(one)})
    assert r.status_code == 422 and "至少" in r.text                       # the same person twice is one person
    r = client.post(f"/inspection/from-complaint/{c.id}", data={"officer": sorted(want)[-2:]}, follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    task = db.execute(__import__("sqlalchemy").select(Task).where(Task.source == "complaint")).scalars().one()
    assert task.officer_ids == sorted(want)[-2:]


# --- the case list's unit filter --------------------------------------------------------------------

def test_case_list_filters_by_unit_within_the_jurisdiction(client, db, world, monkeypatch):
    """/cases had no 办案单位 filter: a province's leader could not narrow 552 cases to a county."""
    from greensword.cases import service as cases
    from greensword.webkit.templating import templates
    from tests.factories import actor
    from tests.web.test_lists import _csv_rows

    made = {}
    for county, n in (("330102", 4), ("330106", 3), ("330203", 2)):
        officer = actor(db, world, f"officer-{county}")
        made[county] = [cases.open_case(db, officer, enterprise_id=world.enterprises[f"{county}-key"].id, title="超标排放",
                                        facts="f", source="inspection", discovered_on=date(2026, 2, 1 + i),
                                        officer_ids=[world.officers[f"{county}-0"].id, world.officers[f"{county}-1"].id])
                        for i in range(n)]
    db.commit()
    a = world.agencies
    login_as(client, "leader-330000")
    r = client.get("/cases")
    assert "共 9 条" in r.text and "办案单位" in r.text and f'<option value="{a["330102"].id}"' in r.text
    for unit, n in (("330102", 4), ("330100", 7), ("330200", 2), ("330000", 9)):
        r = client.get(f"/cases?agency_id={a[unit].id}")
        assert r.status_code == 200 and f"共 {n} 条" in r.text, unit
        assert len(_csv_rows(client.get(f"/cases.csv?agency_id={a[unit].id}"))) - 1 == n, unit
        assert client.get(f"/api/v1/cases?agency_id={a[unit].id}").json()["total"] == n, unit
    monkeypatch.setitem(templates.env.globals, "unit_select_max", 2)      # as at national scale: the search box
    r = client.get(f"/cases?agency_id={a['330100'].id}")
    select = r.text.split('class="unit-search"')[1].split("</select>")[0]
    assert select.count("<option") == 2 and f'<option value="{a["330100"].id}" selected>' in select
    login_as(client, "officer-330102")                                  # one county: no filter, no way out
    r = client.get("/cases")
    assert "共 4 条" in r.text and 'name="agency_id"' not in r.text
    assert client.get(f"/cases?agency_id={a['330106'].id}").status_code in (403, 404)
    assert client.get(f"/cases.csv?agency_id={a['330106'].id}").status_code in (403, 404)
    assert client.get(f"/api/v1/cases?agency_id={a['330106'].id}").status_code in (403, 404)
    assert client.get("/cases?agency_id=99999999999999999999").status_code in (404, 422)
    assert client.get("/cases?agency_id=x").status_code == 422
