"""Pickers where forms listed every unit, officer or asked for a typed id (issue 18): the complaint
page's 承办单位 and enterprise link, the training management forms' units and officers, and the
public results' unit filter naming a city — each bounded to the user's jurisdiction."""

import re

import pytest
from sqlalchemy import select

from tests.conftest import login_as


def _picker(html: str, marker: str) -> str:
    """The drop-down that follows a picker's search box (``marker``: its class)."""
    return html.split(f'class="{marker}"')[1].split("</select>")[0]


def _options(html: str) -> list[str]:
    return re.findall(r'<option value="(\d+)"', html)


@pytest.fixture
def accepted(db, world, client):
    """A complaint about 330102-key received by 330102 and accepted there (its enterprise named
    without 有限公司: not linked by itself)."""
    from greensword.complaint.models import Complaint

    ent = world.enterprises["330102-key"]
    r = client.post("/public/complaint", data={
        "agency_id": world.agencies["330102"].id, "enterprise_name": ent.name.removesuffix("有限公司"), "address": "上城路1号", "matter": "air",
        "content": "烟囱夜里冒黑烟，气味刺鼻，持续两周", "anonymous": "true"})
    assert r.status_code == 200, r.text[:300]
    c = db.execute(select(Complaint).order_by(Complaint.id.desc())).scalars().first()
    login_as(client, "leader-330102")
    assert client.post(f"/complaint/{c.id}/decide", data={"decision": "accept"}).status_code == 200
    return c


def test_complaint_handling_unit_uses_the_unit_picker(client, db, world, accepted, monkeypatch):
    """The 承办单位 drop-down listed every city and county unit (3,000 nationally) with no search."""
    from greensword.webkit.templating import templates

    a, c = world.agencies, accepted
    login_as(client, "leader-330100")                                  # the city: itself and its two counties
    page = client.get(f"/complaint/{c.id}").text
    form = page.split('id="assign"')[1].split("</form>")[0]
    assert set(_options(form)) == {str(a[k].id) for k in ("330100", "330102", "330106")}   # no province, no 宁波
    assert '<select name="agency_id" required>' in form and "全部" not in form
    assert f'<option value="{a["330102"].id}" selected>' in form
    record = client.get("/complaint").text.split('action="/complaint"')[1].split("</form>")[0]
    assert set(_options(record)) == {str(a[k].id) for k in ("330100", "330102", "330106")} and "全部" not in record
    monkeypatch.setitem(templates.env.globals, "unit_select_max", 2)   # as at province or national scale
    form = client.get(f"/complaint/{c.id}").text.split('id="assign"')[1].split("</form>")[0]
    assert 'hx-get="/registry/unit-options"' in form and '"levels": "city,county"' in form and '"required": "1"' in form
    select = _picker(form, "unit-search")
    assert _options(select) == [str(a["330102"].id)] and f'<option value="{a["330102"].id}" selected>' in select
    assert '<option value="">请选择单位</option>' in select and "全部" not in select
    record = client.get("/complaint").text.split('action="/complaint"')[1].split("</form>")[0]
    assert 'class="unit-search"' in record and _options(_picker(record, "unit-search")) == []
    login_as(client, "leader-330000")
    opts = client.get("/registry/unit-options", params={"unit_q": "生态环境", "required": "1",
                                                        "levels": "city,county"}).text
    assert set(_options(opts)) == {str(a[k].id) for k in ("330100", "330200", "330102", "330106", "330203")}
    assert opts.startswith('<option value="">请选择单位</option>') and "全部" not in opts
    assert str(a["330000"].id) in _options(client.get("/registry/unit-options?unit_q=生态环境").text)  # a list: all levels
    r = client.get("/registry/unit-options?unit_q=杭州&levels=town")
    assert r.status_code == 422 and "单位层级" in r.text
    login_as(client, "leader-330102")                                 # the county: its own unit only
    opts = client.get("/registry/unit-options?unit_q=生态环境&required=1&levels=city,county").text
    assert _options(opts) == [str(a["330102"].id)]
    r = client.post(f"/complaint/{c.id}/assign", data={"agency_id": a["330106"].id, "handlers": "officer-330102"})
    assert r.status_code == 403 and "不在您的管辖范围内" in r.text       # a forged form: refused, in zh-CN


def test_complaint_enterprise_link_is_searched_within_the_jurisdiction(client, db, world, accepted):
    """The enterprise link asked for a typed enterprise id."""
    from greensword.complaint.models import Complaint

    e, c = world.enterprises, accepted
    page = client.get(f"/complaint/{c.id}").text
    form = page.split('id="link-enterprise"')[1].split("</form>")[0]
    assert 'type="number"' not in form and 'hx-get="/registry/enterprise-options"' in form
    assert f'value="{c.enterprise_name}"' in form                      # the name the complainant gave, searched
    assert _options(_picker(form, "enterprise-search")) == [str(e["330102-key"].id)]
    assert '<select name="enterprise_id" required>' in form
    opts = client.get("/registry/enterprise-options?enterprise_q=测试").text          # by name: the county's two
    assert set(_options(opts)) == {str(e["330102-key"].id), str(e["330102-small"].id)}
    assert f'{e["330102-key"].name}（{e["330102-key"].uscc}）' in opts
    uscc = e["330106-key"].uscc
    assert _options(client.get(f"/registry/enterprise-options?enterprise_q={uscc.lower()}").text) == []  # 西湖's: not here
    assert "本辖区无匹配的企业" in client.get(f"/registry/enterprise-options?enterprise_q={uscc}").text
    own = e["330102-small"].uscc
    assert _options(client.get(f"/registry/enterprise-options?enterprise_q={own[-8:].lower()}").text) == [
        str(e["330102-small"].id)]                                         # by 统一社会信用代码, any case
    assert client.get("/registry/enterprise-options?enterprise_q=%25").text.count("<option") == 2   # % literal
    assert client.get("/registry/enterprise-options?enterprise_q=" + "x" * 41).status_code == 422
    r = client.post(f"/complaint/{c.id}/enterprise", data={"enterprise_id": e["330106-key"].id})   # a forged form
    assert r.status_code == 403 and "该企业不在您的管辖范围内" in r.text
    db.expire_all()
    assert db.get(Complaint, c.id).enterprise_id is None
    r = client.post(f"/complaint/{c.id}/enterprise", data={"enterprise_id": e["330102-key"].id}, follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Complaint, c.id).enterprise_id == e["330102-key"].id
    assert 'id="link-enterprise"' not in client.get(f"/complaint/{c.id}").text
    login_as(client, "leader-330000")                                      # the province: every county's firms
    assert len(_options(client.get("/registry/enterprise-options?enterprise_q=测试").text)) == 6


def test_training_management_forms_use_the_unit_and_officer_pickers(client, db, world, monkeypatch):
    """The management forms listed every unit and the jurisdiction's first 500 officers, without search."""
    from datetime import date

    from greensword.training.models import Qualification
    from greensword.webkit.templating import templates

    a, o = world.agencies, world.officers
    login_as(client, "leader-330100")                                  # the city: its units and its counties' officers
    page = client.get("/training/manage").text
    quals = page.split('action="/training/manage/qualifications"')[1].split("</form>")[0]
    assert set(_options(quals.split('name="officer_id"')[1].split("</select>")[0])) == {
        str(o[k].id) for k in ("330102-0", "330102-1", "330106-0", "330106-1")}            # not 宁波's
    course = page.split('action="/training/manage/courses"')[1].split("</form>")[0]
    assert set(_options(course.split('name="agency_id"')[1].split("</select>")[0])) == {
        str(a[k].id) for k in ("330100", "330102", "330106")}
    monkeypatch.setitem(templates.env.globals, "unit_select_max", 2)   # as at province or national scale
    page = client.get("/training/manage").text
    for action in ("qualifications", "attendance", "pools", "equipment/use"):
        form = page.split(f'action="/training/manage/{action}"')[1].split("</form>")[0]
        assert 'hx-get="/registry/officer-options"' in form, action
        assert _options(_picker(form, "officer-search")) == [] and '<select name="officer_id" required>' in form, action
    for action in ("courses", "exams", "competitions", "equipment"):
        form = page.split(f'action="/training/manage/{action}"')[1].split("</form>")[0]
        assert 'hx-get="/registry/unit-options"' in form and '"required": "1"' in form, action
        assert '<select name="agency_id" required><option value="">请选择单位</option></select>' in form, action
    people = page.split("/people\"")[1].split("</form>")[0] if "/people\"" in page else None
    assert people is None or 'hx-get="/registry/officer-options"' in people
    opts = client.get("/registry/officer-options?officer_q=执法员").text
    assert set(_options(opts)) == {str(o[k].id) for k in ("330102-0", "330102-1", "330106-0", "330106-1")}
    assert f"{o['330106-1'].name}（{a['330106'].name}）" in opts
    assert _options(client.get(f"/registry/officer-options?officer_q={o['330106-0'].cert_no}").text) == [
        str(o["330106-0"].id)]                                         # by certificate number
    assert "本辖区无匹配的在岗人员" in client.get(
        f"/registry/officer-options?officer_q={o['330203-0'].cert_no}").text      # 宁波's: not offered
    assert client.get("/registry/officer-options?officer_q=" + "x" * 41).status_code == 422
    r = client.post("/training/manage/qualifications", data={            # a forged form: refused, nothing stored
        "officer_id": o["330203-0"].id, "kind": next(iter(__import__("greensword.training.rules", fromlist=["x"])
                                                         .qualifications().kinds)),
        "number": "ZJ-T-0001", "issued_on": date(2026, 1, 5).isoformat()}, follow_redirects=False)
    assert r.status_code == 303 and "error=" in r.headers["location"]
    assert db.execute(select(Qualification).where(Qualification.number == "ZJ-T-0001")).first() is None
    login_as(client, "leader-330102")                                  # the county: its own officers only
    assert set(_options(client.get("/registry/officer-options?officer_q=执法员").text)) == {
        str(o["330102-0"].id), str(o["330102-1"].id)}
    login_as(client, "leader-330000")                                  # the lists' unit filters: the chosen one only
    for path in ("/training/courses", "/training/equipment", "/training/qualifications"):
        select_ = _picker(client.get(f"{path}?agency_id={a['330100'].id}").text, "unit-search")
        assert f'<option value="{a["330100"].id}" selected>' in select_ and _options(select_) == [str(a["330100"].id)]


# --- the public results filtered by a city: the filter names it --------------------------------------

from tests.web.test_lists import tasks  # noqa: E402,F401  (the fixture: tasks of the three counties, some published)


def test_public_results_filtered_by_a_city_show_the_city_chosen(client, world, tasks, monkeypatch):  # noqa: F811
    """A public link filtered by a city (its counties' results) showed 全部 in the 检查机构 filter."""
    from greensword.webkit.templating import templates

    a = world.agencies
    done = [t for t in tasks if t.status == "submitted" and t.source == "routine"]
    hangzhou = sum(1 for t in done if t.agency_id in (a["330102"].id, a["330106"].id))
    assert hangzhou > 0
    for limit in (300, 2):                                            # the drop-down, then the search box
        monkeypatch.setitem(templates.env.globals, "unit_select_max", limit)
        r = client.get(f"/public/inspections?agency_id={a['330100'].id}")
        assert r.status_code == 200 and f"共 {hangzhou} 条" in r.text, limit
        select_ = r.text.split("检查机构")[1].split("</select>")[0]
        assert f'<option value="{a["330100"].id}" selected>{a["330100"].name}</option>' in select_, limit
        assert select_.count(" selected") == 1, limit
        r = client.get(f"/public/inspections?agency_id={a['330200'].id}")   # 宁波: none of Hangzhou's
        select_ = r.text.split("检查机构")[1].split("</select>")[0]
        assert f'<option value="{a["330200"].id}" selected>' in select_ and "共 0 条" in r.text, limit
        r = client.get(f"/public/inspections?agency_id={a['330106'].id}")   # a county: chosen once, as before
        select_ = r.text.split("检查机构")[1].split("</select>")[0]
        assert select_.count(f'<option value="{a["330106"].id}" selected>') == 1 and select_.count(" selected") == 1


def test_public_complaint_form_searches_the_units_without_login(client, db, world, monkeypatch):
    """The public form listed every city and county unit in one drop-down (3,000 nationally)."""
    from greensword.complaint import pages
    from greensword.complaint.models import Complaint
    from greensword.webkit.templating import templates

    a = world.agencies
    r = client.get("/public/complaint")
    assert 'class="unit-search"' not in r.text and set(_options(r.text.split('name="agency_id"')[1].split(
        "</select>")[0])) == {str(a[k].id) for k in ("330100", "330200", "330102", "330106", "330203")}
    monkeypatch.setitem(templates.env.globals, "unit_select_max", 2)
    r = client.get("/public/complaint")
    assert 'hx-get="/public/complaint/unit-options"' in r.text
    assert _options(_picker(r.text, "unit-search")) == [] and '<select name="agency_id" required>' in r.text
    opts = client.get("/public/complaint/unit-options?unit_q=杭州").text            # the city and its two counties
    assert set(_options(opts)) == {str(a[k].id) for k in ("330100", "330102", "330106")}
    assert opts.startswith('<option value="">请选择单位</option>')
    assert _options(client.get("/public/complaint/unit-options?unit_q=浙江省").text) == []   # no province
    assert "无匹配的单位" in client.get("/public/complaint/unit-options?unit_q=%25").text        # % literal
    assert client.get("/public/complaint/unit-options?unit_q=" + "x" * 41).status_code == 422
    r = client.post("/public/complaint", data={"agency_id": a["330106"].id, "matter": "air", "content": "太短",
                                               "anonymous": "true"})
    assert r.status_code == 422 and "过于简单" in r.text                              # re-shown: the unit still chosen
    assert f'<option value="{a["330106"].id}" selected>' in _picker(r.text, "unit-search")
    r = client.post("/public/complaint", data={"agency_id": a["330000"].id, "matter": "air",
                                               "content": "夜间偷排废水，河水发黑发臭", "anonymous": "true"})
    assert r.status_code == 422 and "市、县（区）生态环境部门" in r.text                # the province: refused
    assert db.execute(select(Complaint)).first() is None
    monkeypatch.setattr(pages, "PUBLIC_UNIT_SEARCHES_PER_MINUTE", 3)               # 3 answered within the minute
    r = client.get("/public/complaint/unit-options?unit_q=33")
    assert r.status_code == 429 and "查询过于频繁" in r.text and int(r.headers["retry-after"]) >= 1


def test_training_attendance_and_use_forms_search_courses_and_equipment(client, db, world, monkeypatch):
    """The attendance form offered the latest 50 courses and the use form the first 500 devices, silently."""
    from greensword.webkit.templating import templates

    a = world.agencies
    login_as(client, "leader-330000")
    for code in ("330102", "330106", "330203"):
        for i in range(2):
            r = client.post("/training/manage/courses", data={
                "agency_id": a[code].id, "title": f"{code}现场执法培训{i}", "level": "county", "topic": "现场执法",
                "start_on": f"2026-0{i + 3}-01", "end_on": f"2026-0{i + 3}-02", "hours": "8"}, follow_redirects=False)
            assert "error=" not in r.headers["location"], r.headers["location"]
            r = client.post("/training/manage/equipment", data={
                "agency_id": a[code].id, "kind": "drone", "model": "M300", "serial": f"UAV-{code}-{i}",
                "acquired_on": "2025-06-01"}, follow_redirects=False)
            assert "error=" not in r.headers["location"], r.headers["location"]
    login_as(client, "leader-330100")                                  # the city: Hangzhou's courses and devices
    page = client.get("/training/manage").text
    attend = page.split('action="/training/manage/attendance"')[1].split("</form>")[0]
    assert len(_options(attend.split('name="course_id"')[1].split("</select>")[0])) == 4
    use = page.split('action="/training/manage/equipment/use"')[1].split("</form>")[0]
    assert len(_options(use.split('name="equipment_id"')[1].split("</select>")[0])) == 4
    monkeypatch.setitem(templates.env.globals, "unit_select_max", 2)
    page = client.get("/training/manage").text
    attend = page.split('action="/training/manage/attendance"')[1].split("</form>")[0]
    assert 'hx-get="/training/manage/course-options"' in attend and _options(_picker(attend, "course-search")) == []
    use = page.split('action="/training/manage/equipment/use"')[1].split("</form>")[0]
    assert 'hx-get="/training/manage/equipment-options"' in use and _options(_picker(use, "equipment-search")) == []
    opts = client.get("/training/manage/course-options?course_q=现场执法").text
    assert len(_options(opts)) == 4 and "330203" not in opts and "330102现场执法培训1" in opts
    opts = client.get("/training/manage/equipment-options?equipment_q=UAV").text
    assert len(_options(opts)) == 4 and "UAV-330203" not in opts and "无人机 UAV-330106-0（" in opts
    assert "本辖区无匹配的装备" in client.get("/training/manage/equipment-options?equipment_q=UAV-330203").text
    assert client.get("/training/manage/course-options?course_q=" + "x" * 41).status_code == 422
    login_as(client, "officer-330102")                                 # not a manager
    assert client.get("/training/manage/course-options?course_q=培训").status_code == 403
    assert client.get("/training/manage/equipment-options?equipment_q=UAV").status_code == 403
